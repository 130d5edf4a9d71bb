// The web door's page. The device key is a random 128-bit secret kept in localStorage and sent
// in a header, never in a URL. All addresses are relative, so the page works unchanged behind
// any host name or as an onion service. The server sanitises every message's HTML.
"use strict";
(() => {
  // The page's words in both languages, from the catalogs (GET api/texts); until they come,
  // the page stays in the language the server wrote it in.
  let T = null;
  const SWITCH_TO = { vi: "English", en: "Tiếng Việt" };
  const store = window.localStorage;
  let key = store.getItem("tipbot.key");
  if (!/^[0-9a-f]{32}$/.test(key || "")) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    store.setItem("tipbot.key", key);
  }
  let lang = store.getItem("tipbot.lang") || ((navigator.language || "vi").toLowerCase().startsWith("en") ? "en" : "vi");
  const $ = (id) => document.getElementById(id);
  const t = (name) => (T && T[lang] && T[lang][name]) || "";
  let version = 0;
  let answering = false; // the newest message is a question box (ForceReply): typing answers it
  const placeholder = () => t(answering ? "answerPlaceholder" : "placeholder");

  function translate() {
    if (T) {
      document.documentElement.lang = lang;
      document.title = t("page_title");
      document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
      $("text").placeholder = placeholder();
      $("emergency").setAttribute("aria-label", t("emergency"));
      $("log").setAttribute("aria-label", t("conversation"));
      $("language").textContent = SWITCH_TO[lang];
      $("language").lang = lang === "vi" ? "en" : "vi";
    }
    renderReceipts();
  }

  function say(text) {
    const status = $("status");
    status.textContent = text || "";
    status.hidden = !text;
  }

  let solving = null;
  function proofOfWork() {
    if (!solving) {
      solving = (async () => {
        say(t("working"));
        const challenge = (await (await fetch("api/challenge")).json()).challenge;
        const nonce = await new Promise((resolve) => {
          const worker = new Worker("static/pow-worker.js");
          worker.onmessage = (event) => { worker.terminate(); resolve(event.data); };
          worker.postMessage(challenge);
        });
        await post("api/unlock", { challenge, nonce }, false);
        say("");
      })().finally(() => { solving = null; });
    }
    return solving;
  }

  async function post(path, body, retry = true) {
    const isForm = body instanceof FormData;
    const response = await fetch(path, {
      method: "POST",
      headers: isForm ? { "X-Tipbot-Key": key } : { "X-Tipbot-Key": key, "Content-Type": "application/json" },
      body: isForm ? body : JSON.stringify({ language: lang, ...body }),
    });
    if (response.status === 428 && retry) { await proofOfWork(); return post(path, body, false); }
    if (response.status === 503) { say(t("busy")); throw new Error("busy"); }
    if (response.status === 413) { say(t("tooLarge")); throw new Error("large"); }
    if (!response.ok) { say(t("failed")); throw new Error(String(response.status)); }
    return response.json();
  }

  async function getChat(since) {
    const query = since === undefined ? "" : "?since=" + since;
    const response = await fetch("api/chat" + query, { headers: { "X-Tipbot-Key": key } });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  const images = new Map();
  async function image(fileId, holder) {
    if (!images.has(fileId)) {
      const response = await fetch("api/file/" + encodeURIComponent(fileId), { headers: { "X-Tipbot-Key": key } });
      if (!response.ok) return;
      images.set(fileId, URL.createObjectURL(await response.blob()));
    }
    const img = document.createElement("img");
    img.src = images.get(fileId);
    img.alt = "";
    holder.append(img);
  }

  function render(view) {
    if (!view || view.version === undefined) return;
    version = view.version;
    answering = Boolean(view.reply_to);
    if (T) $("text").placeholder = placeholder();
    const log = $("log");
    log.replaceChildren();
    for (const message of view.messages) {
      const div = document.createElement("div");
      div.className = "msg " + (message.out ? "me" : "bot") + (message.id === view.reply_to ? " asked" : "");
      div.innerHTML = message.html; // sanitised by the server (bot/webdoor/render.py)
      if (message.file && message.file.kind === "photo") image(message.file.id, div);
      if (message.buttons.length) {
        const box = document.createElement("div");
        box.className = "buttons";
        for (const row of message.buttons) {
          const line = document.createElement("div");
          for (const button of row) {
            if (!button.data) continue;
            const b = document.createElement("button");
            b.type = "button";
            b.textContent = button.text;
            b.addEventListener("click", () => act(post("api/press", { message_id: message.id, data: button.data })));
            line.append(b);
          }
          box.append(line);
        }
        div.append(box);
      }
      log.append(div);
      if (!message.out) remember(message.html);
    }
    const keyboard = $("keyboard");
    keyboard.replaceChildren();
    for (const row of view.keyboard || []) {
      const line = document.createElement("div");
      for (const text of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = text;
        b.addEventListener("click", () => act(post("api/send", { text })));
        line.append(b);
      }
      keyboard.append(line);
    }
    if (view.toast) say(view.toast);
    const last = log.lastElementChild;
    if (last) last.scrollIntoView({ block: "end" });
  }

  const RECEIPT = /\/status ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})/;
  function receipts() { try { return JSON.parse(store.getItem("tipbot.receipts") || "[]"); } catch { return []; } }
  function remember(html) {
    const found = RECEIPT.exec(html.replace(/<[^>]+>/g, ""));
    if (!found) return;
    const list = receipts();
    if (!list.includes(found[1])) { list.push(found[1]); store.setItem("tipbot.receipts", JSON.stringify(list)); renderReceipts(); }
  }
  function renderReceipts() {
    const list = receipts();
    $("receipts").hidden = list.length === 0;
    $("receipt-list").replaceChildren(...list.map((receipt) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t("open") + " " + receipt.slice(0, 4) + "…";
      b.addEventListener("click", () => act(post("api/send", { text: "/status " + receipt })));
      li.append(b);
      return li;
    }));
  }

  async function act(promise) {
    try { say(""); render(await promise); } catch { /* said already */ }
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    act(post("api/send", { text }));
  });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
  });
  $("file").addEventListener("change", () => {
    const file = $("file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("language", lang);
    form.append("caption", $("text").value.trim());
    $("text").value = "";
    $("file").value = "";
    act(post("api/upload", form));
  });
  $("language").addEventListener("click", () => {
    lang = lang === "vi" ? "en" : "vi";
    store.setItem("tipbot.lang", lang);
    translate();
    post("api/language", {}).catch(() => {});
  });
  $("forget").addEventListener("click", async () => {
    if (!window.confirm(t("confirmForget"))) return;
    try { await post("api/forget", {}); } catch { /* the key goes anyway */ }
    store.removeItem("tipbot.key");
    store.removeItem("tipbot.receipts");
    window.location.reload();
  });
  for (const [tab, panel] of [["tab-chat", "chat"], ["tab-library", "library"]]) {
    $(tab).addEventListener("click", () => {
      for (const [otherTab, otherPanel] of [["tab-chat", "chat"], ["tab-library", "library"]]) {
        $(otherTab).setAttribute("aria-selected", String(otherTab === tab));
        $(otherPanel).hidden = otherPanel !== panel;
      }
      if (panel === "library") loadLibrary();
    });
  }
  async function loadLibrary() {
    const response = await fetch("api/bulletins?language=" + lang);
    const items = response.ok ? await response.json() : [];
    $("bulletins").replaceChildren(...items.map((item) => {
      const article = document.createElement("article");
      const h = document.createElement("h3");
      h.textContent = item.title;
      const body = document.createElement("div");
      body.innerHTML = item.html; // sanitised by the server
      article.append(h, body);
      return article;
    }));
  }

  async function poll() {
    for (;;) {
      try { render(await getChat(version)); } catch { await new Promise((r) => setTimeout(r, 5000)); }
    }
  }

  translate();
  fetch("api/texts").then((r) => r.json()).then((texts) => { T = texts; translate(); }).catch(() => {});
  (async () => {
    try {
      const view = await getChat();
      if (view.messages.length === 0) await act(post("api/send", { text: "/start" }));
      else render(view);
    } catch { say(t("failed")); }
    poll();
  })();
})();
