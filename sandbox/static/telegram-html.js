/* Telegram's HTML subset -> DOM nodes, and nothing else.
 *
 * The string is never handed to the browser's HTML parser (no innerHTML): a small tokenizer
 * finds the tags, builds an element with document.createElement for each allowed one
 * (b strong i em u ins s strike del code pre a[href] blockquote tg-spoiler span.tg-spoiler)
 * and shows every other tag as the literal text it is. Text becomes text nodes. A link keeps
 * only an http(s), tg, mailto or tel address and opens in a new tab.
 */
"use strict";

(function (global) {
  const SIMPLE = {
    b: "b", strong: "b", i: "i", em: "i", u: "u", ins: "u", s: "s", strike: "s", del: "s",
    code: "code", pre: "pre", blockquote: "blockquote",
  };
  const SAFE_HREF = /^(https?:\/\/|tg:\/\/|mailto:|tel:)/i;
  const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*>/g;
  const ATTRIBUTE = /([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const NAMED = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: "\u00a0" };

  /** Decodes &lt; &gt; &amp; &quot; and numeric references; any other "&...;" stays as it is. */
  function decode(text) {
    return text.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name) => {
      if (name[0] !== "#") return Object.hasOwn(NAMED, name) ? NAMED[name] : whole;
      const hex = name[1] === "x" || name[1] === "X";
      const code = parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : whole;
    });
  }

  function attributes(source) {
    const found = {};
    for (const m of source.matchAll(ATTRIBUTE)) {
      found[m[1].toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? "");
    }
    return found;
  }

  function spoiler() {
    const node = document.createElement("span");
    node.className = "spoiler";
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    node.setAttribute("aria-pressed", "false");
    return node;
  }

  /** A new element for an allowed tag, or null when the tag must be shown as text. */
  function element(name, attrs) {
    if (Object.hasOwn(SIMPLE, name)) return document.createElement(SIMPLE[name]);
    if (name === "a") {
      const href = (attrs.href || "").trim();
      if (!SAFE_HREF.test(href)) return document.createElement("span"); // the text, no link
      const link = document.createElement("a");
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      return link;
    }
    if (name === "tg-spoiler") return spoiler();
    if (name === "span" && (attrs.class || "").split(/\s+/).includes("tg-spoiler")) return spoiler();
    return null;
  }

  /** A DocumentFragment showing `html` (Telegram's subset) safely. */
  function render(html) {
    const root = document.createDocumentFragment();
    const stack = [{ name: "", node: root }];
    const top = () => stack[stack.length - 1].node;
    let last = 0;
    for (const m of String(html).matchAll(TAG)) {
      const [whole, closing, rawName, rawAttributes] = m;
      const name = rawName.toLowerCase();
      if (m.index > last) top().append(decode(html.slice(last, m.index)));
      last = m.index + whole.length;
      if (closing) {
        let at = stack.length - 1;
        while (at > 0 && stack[at].name !== name) at -= 1;
        if (at > 0) stack.length = at;
        else top().append(whole);
        continue;
      }
      const node = element(name, attributes(rawAttributes));
      if (!node) {
        top().append(whole);
        continue;
      }
      top().append(node);
      stack.push({ name, node });
    }
    if (last < html.length) top().append(decode(html.slice(last)));
    return root;
  }

  global.TelegramHtml = Object.freeze({ render, decode });
})(window);
