/* The sandbox web chat: pick a persona, chat with the bot as on Telegram.
 *
 * One long poll (/webchat/updates) keeps the persona list and the open chat current; actions are
 * small POSTs. Messages are keyed by id and redrawn only when they change, so an edit replaces the
 * bubble in place. All text reaches the page through text nodes or TelegramHtml.render.
 */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  const STRINGS = {
    vi: {
      message: "Tin nhắn", send: "Gửi", cancel: "Hủy", ok: "OK", edited: "đã sửa",
      attach: "Gửi ảnh", locate: "Gửi vị trí", keyboard: "Bàn phím của bot",
      back: "Danh sách người dùng", toBottom: "Xuống tin mới nhất", bot: "bot",
      connecting: "đang kết nối…", emptyTitle: "Chưa có tin nhắn",
      emptyText: "Nhấn “Bắt đầu / Start” bên dưới để trò chuyện với bot.",
      today: "Hôm nay", yesterday: "Hôm qua", you: "Bạn", failed: "Không gửi được",
      shareLocation: "Chia sẻ vị trí", pickPlace: "Chọn một địa điểm", customPlace: "Toạ độ khác",
      latitude: "Vĩ độ", longitude: "Kinh độ", caption: "Chú thích", sendPhoto: "Gửi ảnh",
      shareContact: "Chia sẻ số điện thoại của bạn với bot?",
      unsupported: "Web chat chưa hỗ trợ nút này",
      badCoords: "Vĩ độ, kinh độ không hợp lệ", keyboardLabel: "Bàn phím của bot",
      photo: "Ảnh", document: "Tệp", location: "Vị trí", contact: "Liên hệ",
      voice: "Tin nhắn thoại",
      video: "Video", video_note: "Tin nhắn video", audio: "Âm thanh", animation: "GIF",
      sticker: "Nhãn dán", poll: "Bình chọn", dice: "Xúc xắc", noMessages: "Chưa có tin nhắn",
      service: "Tin nhắn hệ thống", pinned_message: "Một tin nhắn đã được ghim",
      new_chat_members: "Có thành viên mới", left_chat_member: "Một thành viên đã rời nhóm",
      new_chat_title: "Nhóm đã đổi tên", other: "Tin nhắn hệ thống",
      youAre: "Bạn đang là", resident: "Người dân", officer: "Cán bộ công an",
      admin: "Quản trị viên tỉnh", menu: "Lệnh của bot", emoji: "biểu tượng",
    },
    en: {
      message: "Message", send: "Send", cancel: "Cancel", ok: "OK", edited: "edited",
      attach: "Send a photo", locate: "Send a location", keyboard: "Bot keyboard",
      back: "Personas", toBottom: "Scroll to the latest message", bot: "bot",
      connecting: "connecting…", emptyTitle: "No messages yet",
      emptyText: "Press “Bắt đầu / Start” below to chat with the bot.",
      today: "Today", yesterday: "Yesterday", you: "You", failed: "Could not send",
      shareLocation: "Share a location", pickPlace: "Pick a place", customPlace: "Other coordinates",
      latitude: "Latitude", longitude: "Longitude", caption: "Caption", sendPhoto: "Send a photo",
      shareContact: "Share your phone number with the bot?",
      unsupported: "The web chat cannot press this button",
      badCoords: "Invalid latitude or longitude", keyboardLabel: "Bot keyboard",
      photo: "Photo", document: "File", location: "Location", contact: "Contact", voice: "Voice message",
      video: "Video", video_note: "Video message", audio: "Audio", animation: "GIF",
      sticker: "Sticker", poll: "Poll", dice: "Dice", noMessages: "No messages yet",
      service: "Service message", pinned_message: "A message was pinned",
      new_chat_members: "New members joined", left_chat_member: "A member left",
      new_chat_title: "The group was renamed", other: "Service message",
      youAre: "You are", resident: "Resident", officer: "Police officer",
      admin: "Province admin", menu: "Bot commands", emoji: "emoji",
    },
  };
  const PLACES = [
    { vi: "Đà Lạt (trung tâm)", en: "Đà Lạt (centre)", lat: 11.9404, lon: 108.4583 },
    { vi: "Bảo Lộc", en: "Bảo Lộc", lat: 11.548, lon: 107.8077 },
    { vi: "Gia Nghĩa", en: "Gia Nghĩa", lat: 12.0016, lon: 107.6907 },
    { vi: "Phan Thiết", en: "Phan Thiết", lat: 10.9289, lon: 108.1021 },
  ];
  const COLORS = ["#e17076", "#7bc862", "#e5ca77", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
  const POLL_WAIT = 25;

  const state = {
    bot: { name: "bot", username: "bot" },
    timezone: "Asia/Ho_Chi_Minh", // the province's: times read as in the bot's own texts
    personas: new Map(), // key -> persona (with its latest summary)
    current: null,
    version: -1,
    chats: new Map(), // key -> {messages, reply_keyboard}
    drafts: new Map(),
    keyboardHidden: new Map(), // key -> the keyboard signature the person closed
    seen: JSON.parse(localStorage.getItem("webchat.seen") || "{}"), // key -> last bot id seen
    nodes: new Map(), // message id -> {node, signature} for the open chat
    poll: null,
    refresh: false,
    fromList: false,
    stickToBottom: true,
  };

  const lang = () => (state.personas.get(state.current)?.language || "vi").startsWith("en") ? "en" : "vi";
  const t = (key) => STRINGS[lang()][key] ?? STRINGS.vi[key] ?? key;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ missing emoji

  /* Chromium on a Debian without fonts-noto-color-emoji draws emoji as empty boxes. A glyph that
   * draws exactly like a code point no font has (U+10FFFD) is missing: an emoji before words
   * ("📝 Gửi tin báo") is then left out, the words say it all; one on its own gets a text label. */
  const EMOJI = /(?:\p{Regional_Indicator}{2}|\p{Extended_Pictographic}\uFE0F?(?:\u200D\p{Extended_Pictographic}\uFE0F?)*)(\s*)/gu;
  const EMOJI_LABELS = {
    vi: { "📍": "Vị trí", "📄": "Tệp", "👤": "Liên hệ", "📎": "Tệp", "🚨": "Khẩn cấp", "⚠️": "Lưu ý",
      "✅": "Xong", "❓": "Hỏi", "💬": "Tin nhắn", "📊": "Thống kê", "📈": "Biểu đồ", "🔒": "Ẩn danh" },
    en: { "📍": "Location", "📄": "File", "👤": "Contact", "📎": "File", "🚨": "Urgent", "⚠️": "Note",
      "✅": "Done", "❓": "Question", "💬": "Message", "📊": "Statistics", "📈": "Chart", "🔒": "Anonymous" },
  };
  const glyphs = { cache: new Map(), context: null, nothing: null };

  function drawn(text) {
    const context = glyphs.context;
    context.clearRect(0, 0, 64, 32);
    context.fillText(text, 4, 16);
    return context.getImageData(0, 0, 64, 32).data;
  }

  function glyphMissing(glyph) {
    if (glyphs.cache.has(glyph)) return glyphs.cache.get(glyph);
    if (!glyphs.context) {
      const canvas = el("canvas");
      [canvas.width, canvas.height] = [64, 32];
      glyphs.context = canvas.getContext("2d", { willReadFrequently: true });
      glyphs.context.font = `24px ${getComputedStyle(document.documentElement).fontFamily}`;
      glyphs.context.textBaseline = "middle";
      glyphs.nothing = drawn("\u{10FFFD}");
    }
    const pixels = drawn(glyph);
    const missing = pixels.every((value, i) => value === glyphs.nothing[i]) || pixels.every((v) => v === 0);
    glyphs.cache.set(glyph, missing);
    return missing;
  }

  /** Replaces the missing emoji under `root` (text nodes only): left out before words, else a label. */
  function labelMissingGlyphs(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      EMOJI.lastIndex = 0;
      if (EMOJI.test(node.data)) found.push(node);
    }
    for (const node of found) {
      let changed = false;
      const text = node.data.replace(EMOJI, (whole, space, offset, all) => {
        const glyph = whole.slice(0, whole.length - space.length);
        if (!glyphMissing(glyph)) return whole;
        changed = true;
        const rest = all.slice(offset + whole.length);
        if (/^[\p{L}\p{N}]/u.test(rest)) return ""; // the words after it are its label
        if (node.parentElement?.classList.contains("attachment-icon")) return "";
        const labels = EMOJI_LABELS[lang()];
        return `[${labels[glyph] ?? labels[glyph.replace("\uFE0F", "")] ?? t("emoji")}]${space}`;
      });
      if (changed) node.data = text;
    }
    return root;
  }

  // ------------------------------------------------------------------ network

  async function request(method, url, body, signal) {
    const options = { method, signal, headers: {} };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  const chatUrl = (path) => `/webchat/chats/${encodeURIComponent(state.current)}/${path}`;

  async function act(path, body) {
    try {
      return await request("POST", chatUrl(path), body);
    } catch (error) {
      toast(`${t("failed")}: ${error.message}`);
      return null;
    }
  }

  /** t.me/<bot>?start=… and tg://resolve?domain=<bot>&start=… open in this web chat. */
  const TELEGRAM_LINK = /^(?:(?:https?:\/\/)?(?:t|telegram)\.me\/|tg:\/\/resolve\?)/i;

  async function openLink(url) {
    if (!state.current) return;
    state.stickToBottom = true;
    try {
      await request("POST", chatUrl("open-link"), { url });
      $("messages").scrollTop = $("messages").scrollHeight;
    } catch (error) { // not a link to this bot: Telegram would open it elsewhere
      if (/^https?:/i.test(url)) window.open(url, "_blank", "noopener,noreferrer");
      else toast(`${t("failed")}: ${error.message}`);
    }
  }

  async function pollLoop() {
    let delay = 500;
    for (;;) {
      const since = state.refresh ? -1 : state.version;
      state.refresh = false;
      const controller = new AbortController();
      state.poll = controller;
      const chat = state.current ? `&chat=${encodeURIComponent(state.current)}` : "";
      const url = `/webchat/updates?since=${since}&wait=${POLL_WAIT}${chat}`;
      try {
        const data = await request("GET", url, undefined, controller.signal);
        apply(data);
        setOnline(true);
        delay = 500;
      } catch (error) {
        if (controller.signal.aborted) continue;
        setOnline(false);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 8000);
      }
    }
  }

  /** Asks the poll to answer now (a persona was opened): aborts the one that is waiting. */
  function refreshNow() {
    state.refresh = true;
    state.poll?.abort();
  }

  function apply(data) {
    state.version = data.version;
    for (const summary of data.personas || []) {
      Object.assign(state.personas.get(summary.key) || {}, summary);
    }
    renderPersonas();
    if (state.current) renderIdentity(state.personas.get(state.current));
    if (data.chat) {
      state.chats.set(data.chat.key, data.chat);
      if (data.chat.key === state.current) renderChat();
    }
  }

  // ------------------------------------------------------------------ persona list

  /** The first letter of the last word that starts with a letter: "Ban Chỉ đạo 138" -> "Đ". */
  function initials(text) {
    const words = text.split(/\s+/).filter((word) => /^\p{L}/u.test(word));
    return words.at(-1)?.[0]?.toUpperCase() || "?";
  }

  function colorOf(text) {
    let hash = 0;
    for (const ch of text) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return COLORS[hash % COLORS.length];
  }

  function avatar(text, className = "avatar") {
    const node = el("div", className, initials(text));
    node.style.backgroundColor = colorOf(text);
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function previewOf(last, language) {
    if (!last) return STRINGS[language].noMessages;
    const strings = STRINGS[language];
    const kind = last.kind !== "text" ? strings[last.kind] || last.kind : "";
    const text = [kind, last.preview].filter(Boolean).join(": ");
    return last.side === "user" ? `${strings.you}: ${text}` : text;
  }

  function renderPersonas() {
    const list = $("personas");
    for (const persona of state.personas.values()) {
      let item = list.querySelector(`[data-key="${CSS.escape(persona.key)}"]`);
      if (!item) {
        item = el("li");
        item.dataset.key = persona.key;
        const button = el("button", "persona");
        button.type = "button";
        button.addEventListener("click", () => {
          state.fromList = true; // so that the back button (and Android's) returns here
          location.hash = persona.key;
        });
        const text = el("span", "persona-text");
        const title = el("span", "persona-label", persona.label);
        title.append(" ", el("span", "role-badge"));
        text.append(
          title,
          el("span", "persona-description", persona.description),
          el("span", "persona-preview"),
        );
        button.append(avatar(persona.label), text, el("span", "unread"));
        item.append(button);
        list.append(item);
      }
      const language = (persona.language || "vi").startsWith("en") ? "en" : "vi";
      const seen = state.seen[persona.key] || 0;
      const unread = persona.key !== state.current && persona.last_bot_id > seen;
      const button = item.firstChild;
      const badge = button.querySelector(".role-badge");
      badge.className = `role-badge ${persona.role}`;
      badge.textContent = STRINGS[language][persona.role] || persona.role;
      const preview = button.querySelector(".persona-preview");
      const previewText = previewOf(persona.last, language);
      if (preview.dataset.text !== previewText) {
        preview.dataset.text = previewText;
        preview.textContent = previewText;
        labelMissingGlyphs(preview);
      }
      button.querySelector(".unread").hidden = !unread;
      button.classList.toggle("has-unread", unread);
      if (persona.key === state.current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  function openPersona(key) {
    if (!state.personas.has(key)) key = null;
    if (state.current) state.drafts.set(state.current, $("text").value);
    state.current = key;
    if (location.hash.slice(1) !== (key || "")) history.replaceState(null, "", key ? `#${key}` : "#");
    document.body.dataset.view = key ? "chat" : "list";
    state.nodes.clear();
    $("messages").replaceChildren();
    renderPersonas();
    if (!key) return;
    const persona = state.personas.get(key);
    document.documentElement.lang = lang();
    translate();
    $("text").value = state.drafts.get(key) || "";
    autosize();
    $("chat-subtitle").textContent = subtitle();
    renderIdentity(persona);
    hideCommandMenu();
    renderChat(true);
    refreshNow();
  }

  const subtitle = () => `${t("bot")} · @${state.bot.username}`; // who you are: #identity

  /** Who the person at the browser is in this chat: the persona's name and role, always shown. */
  function renderIdentity(persona) {
    const strip = $("identity");
    const signature = JSON.stringify([persona.key, persona.role, lang()]);
    if (strip.dataset.signature === signature) return;
    strip.dataset.signature = signature;
    const picture = avatar(persona.label, "avatar small");
    const who = el("p", "identity-who");
    who.append(`${t("youAre")} `, el("b", null, persona.label));
    const detail = el("p", "identity-detail");
    detail.append(el("span", `role-badge ${persona.role}`, t(persona.role)), " ",
      [persona.name, persona.description].filter(Boolean).join(" · "));
    const text = el("div", "identity-text");
    text.append(who, detail);
    strip.replaceChildren(picture, text);
    strip.setAttribute("aria-label", `${t("youAre")} ${persona.label}, ${t(persona.role)}`);
  }

  function translate() {
    const labels = {
      back: "back", attach: "attach", locate: "locate", send: "send",
      "keyboard-toggle": "keyboard", "to-bottom": "toBottom",
    };
    for (const [id, key] of Object.entries(labels)) {
      $(id).setAttribute("aria-label", t(key));
      $(id).title = t(key);
    }
    $("reply-keyboard").setAttribute("aria-label", t("keyboardLabel"));
    $("command-menu").setAttribute("aria-label", t("menu"));
    $("menu-button").setAttribute("aria-label", t("menu"));
    $("menu-button").title = t("menu");
    $("text-label").textContent = t("message");
    $("empty-title").textContent = t("emptyTitle");
    $("empty-text").textContent = t("emptyText");
    for (const id of ["location-cancel", "photo-cancel", "confirm-cancel"]) $(id).textContent = t("cancel");
    for (const id of ["location-send", "photo-send"]) $(id).textContent = t("send");
    $("location-title").textContent = t("shareLocation");
    $("location-legend").textContent = t("pickPlace");
    $("custom-label").textContent = t("customPlace");
    $("lat-label").textContent = t("latitude");
    $("lon-label").textContent = t("longitude");
    $("photo-title").textContent = t("sendPhoto");
    $("caption-label").textContent = t("caption");
  }

  // ------------------------------------------------------------------ the chat

  const locale = () => (lang() === "en" ? "en-GB" : "vi-VN");
  /** A unix time in the province's time zone, whatever the browser's own zone. */
  const zoned = (date, options, inLocale = locale()) =>
    new Intl.DateTimeFormat(inLocale, { timeZone: state.timezone, ...options }).format(new Date(date * 1000));
  const dayKey = (date) => zoned(date, { year: "numeric", month: "2-digit", day: "2-digit" }, "en-CA");

  function timeOf(date) {
    return zoned(date, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function dayLabel(date) {
    const now = Date.now() / 1000;
    if (dayKey(date) === dayKey(now)) return t("today");
    if (dayKey(date) === dayKey(now - 86400)) return t("yesterday");
    return zoned(date, { day: "numeric", month: "long", year: "numeric" });
  }

  function atBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 64;
  }

  function renderChat(scrollDown = false) {
    const chat = state.chats.get(state.current);
    const box = $("messages");
    const follow = scrollDown || atBottom(box);
    const messages = chat ? chat.messages : [];
    const keep = new Set();
    let previousDay = null;
    let previous = null;
    for (const message of messages) {
      const newDay = dayKey(message.date) !== previousDay;
      const signature = `${JSON.stringify(message)}|${newDay}|${lang()}`;
      let entry = state.nodes.get(message.id);
      if (!entry || entry.signature !== signature) {
        const node = messageNode(message, newDay);
        if (entry) replaceKeepingFocus(entry.node, node);
        entry = { node, signature };
        state.nodes.set(message.id, entry);
      }
      const expected = previous ? previous.nextSibling : box.firstChild;
      if (entry.node !== expected) box.insertBefore(entry.node, expected);
      keep.add(message.id);
      previous = entry.node;
      previousDay = dayKey(message.date);
    }
    for (const [id, entry] of state.nodes) {
      if (!keep.has(id)) {
        entry.node.remove();
        state.nodes.delete(id);
      }
    }
    const started = messages.length > 0;
    $("empty").hidden = started || !chat;
    $("start").hidden = started || !chat;
    $("composer").hidden = !started;
    renderReplyKeyboard(chat?.reply_keyboard);
    renderCommandMenu(chat?.commands || []);
    if (follow) box.scrollTop = box.scrollHeight;
    updateToBottom();
    const persona = state.personas.get(state.current);
    if (persona && persona.last_bot_id > (state.seen[state.current] || 0)) {
      state.seen[state.current] = persona.last_bot_id;
      localStorage.setItem("webchat.seen", JSON.stringify(state.seen));
    }
  }

  /** Swaps an edited message's node, keeping the keyboard focus on the same button. */
  function replaceKeepingFocus(old, fresh) {
    const focused = old.contains(document.activeElement) ? document.activeElement.dataset.position : null;
    old.replaceWith(fresh);
    if (focused) fresh.querySelector(`[data-position="${focused}"]`)?.focus();
  }

  function messageNode(message, newDay) {
    const row = el("div", `row ${message.side}`);
    row.dataset.id = message.id;
    if (newDay) row.append(el("div", "day", dayLabel(message.date)));
    if (message.kind === "service") {
      row.classList.add("service");
      row.append(el("div", "day", t(message.service)));
      return row;
    }
    const bubble = el("div", `bubble ${message.side}`);
    if (message.side === "other" && message.sender) bubble.append(el("div", "sender", message.sender));
    if (message.reply_to) bubble.append(quoteNode(message.reply_to));
    if (message.photo) bubble.append(photoNode(message));
    bubble.append(...mediaNodes(message));
    const text = el("div", "text");
    text.append(TelegramHtml.render(message.html || ""));
    text.append(el("span", `meta-space${message.edited ? " edited" : ""}`));
    bubble.classList.toggle("media-only", !message.html && Boolean(message.photo));
    bubble.append(text, metaNode(message));
    const stack = el("div", "stack"); // the keyboard is as wide as the bubble, or wider
    stack.append(bubble);
    if (message.buttons?.length) stack.append(inlineKeyboard(message));
    row.append(stack);
    return labelMissingGlyphs(row);
  }

  function metaNode(message) {
    const meta = el("span", "meta");
    if (message.edited) meta.append(el("span", "edited", t("edited")), " ");
    const time = el("time", null, message.date ? timeOf(message.date) : "");
    if (message.date) {
      time.dateTime = new Date(message.date * 1000).toISOString();
      time.title = `${zoned(message.date, { dateStyle: "medium", timeStyle: "short" })} (${state.timezone})`;
    }
    meta.append(time);
    return meta;
  }

  function quoteNode(reply) {
    const quote = el("div", "quote");
    quote.append(el("span", "quote-who", reply.side === "bot" ? state.bot.name : t("you")));
    const kind = reply.kind !== "text" ? t(reply.kind) : "";
    quote.append(el("span", "quote-text", [kind, reply.preview].filter(Boolean).join(": ")));
    return quote;
  }

  function photoNode(message) {
    const link = el("a", "photo");
    link.href = message.photo;
    link.target = "_blank";
    link.rel = "noopener";
    const img = el("img");
    img.src = message.photo;
    img.alt = t("photo");
    if (message.photo_size) [img.width, img.height] = message.photo_size;
    img.addEventListener("load", () => {
      if (state.stickToBottom) $("messages").scrollTop = $("messages").scrollHeight;
    });
    link.append(img);
    return link;
  }

  function mediaNodes(message) {
    const nodes = [];
    if (message.document) {
      const link = el("a", "attachment document");
      link.href = message.document.url;
      link.download = message.document.name;
      const { name, size } = message.document;
      link.append(el("span", "attachment-icon", "📄"), el("span", "attachment-name", name));
      if (size) link.append(el("span", "attachment-size", formatSize(size)));
      nodes.push(link);
    }
    if (message.location) {
      const { latitude, longitude } = message.location;
      const link = el("a", "attachment location");
      const query = `mlat=${latitude}&mlon=${longitude}#map=15/${latitude}/${longitude}`;
      link.href = `https://www.openstreetmap.org/?${query}`;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.append(el("span", "attachment-icon", "📍"), el("span", "attachment-name", t("location")),
        el("span", "attachment-size", `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`));
      nodes.push(link);
    }
    if (message.contact) {
      const card = el("div", "attachment contact");
      card.append(
        el("span", "attachment-icon", "👤"),
        el("span", "attachment-name", message.contact.name || t("contact")),
        el("span", "attachment-size", message.contact.phone),
      );
      nodes.push(card);
    }
    if (!["text", "photo", "document", "location", "contact"].includes(message.kind)) {
      const label = [message.emoji, t(message.kind)].filter(Boolean).join(" ");
      nodes.push(el("div", "attachment other", label));
    }
    return nodes;
  }

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1048576) return `${(bytes / 1024).toFixed(0)} KB`;
    return `${(bytes / 1048576).toFixed(1)} MB`;
  }

  function inlineKeyboard(message) {
    const keyboard = el("div", "inline-keyboard");
    message.buttons.forEach((row, r) => {
      const line = el("div", "kb-row");
      row.forEach((button, c) => {
        let node;
        if (button.url) {
          node = el("a", "kb-button url", button.text);
          node.href = button.url;
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        } else {
          node = el("button", "kb-button", button.text);
          node.type = "button";
          if ("callback_data" in button) {
            node.addEventListener("click", () => pressInline(message.id, button.callback_data, node));
          } else {
            node.disabled = true;
            node.title = t("unsupported");
          }
        }
        node.dataset.position = `${r}:${c}`;
        line.append(node);
      });
      keyboard.append(line);
    });
    return keyboard;
  }

  async function pressInline(messageId, data, node) {
    node.classList.add("busy");
    node.setAttribute("aria-busy", "true");
    const answer = await act("callback", { message_id: messageId, data });
    if (answer) showAnswer(answer.result);
    node.classList.remove("busy");
    node.removeAttribute("aria-busy");
  }

  /** A callback's answer, as Telegram shows it: a toast, or an alert when show_alert is set. */
  function showAnswer(result) {
    const answer = result && typeof result === "object" ? result.answer || result : null;
    const text = answer && typeof answer.text === "string" ? answer.text : "";
    if (!text) return;
    if (answer.show_alert) ask(text, false);
    else toast(text);
  }

  // ------------------------------------------------------------------ reply keyboard

  function renderReplyKeyboard(keyboard) {
    const panel = $("reply-keyboard");
    const toggle = $("keyboard-toggle");
    const signature = keyboard ? JSON.stringify(keyboard) : "";
    if (panel.dataset.signature !== signature) {
      panel.dataset.signature = signature;
      panel.replaceChildren();
      for (const row of keyboard?.rows || []) {
        const line = el("div", "kb-row");
        for (const button of row) {
          const node = el("button", `reply-button ${button.kind}`, button.text);
          node.type = "button";
          if (button.kind === "unsupported") {
            node.disabled = true;
            node.title = t("unsupported");
          } else node.addEventListener("click", () => pressReply(button, keyboard));
          line.append(node);
        }
        panel.append(line);
      }
      labelMissingGlyphs(panel);
      panel.classList.toggle("resize", Boolean(keyboard?.resize));
    }
    if (!keyboard) state.keyboardHidden.delete(state.current); // the next one shows again
    const hidden = !keyboard || state.keyboardHidden.get(state.current) === signature;
    panel.hidden = hidden;
    toggle.hidden = !keyboard;
    toggle.setAttribute("aria-pressed", String(!hidden));
    $("text").placeholder = keyboard?.placeholder || t("message");
  }

  function toggleReplyKeyboard() {
    const signature = $("reply-keyboard").dataset.signature;
    const hidden = state.keyboardHidden.get(state.current) === signature;
    state.keyboardHidden.set(state.current, hidden ? null : signature);
    renderReplyKeyboard(state.chats.get(state.current)?.reply_keyboard);
  }

  async function pressReply(button, keyboard) {
    const body = { text: button.text };
    if (button.kind === "location") {
      const place = await pickLocation();
      if (!place) return;
      Object.assign(body, place);
    } else if (button.kind === "contact" && !(await ask(t("shareContact"), true))) {
      return;
    }
    if (keyboard.one_time) state.keyboardHidden.set(state.current, JSON.stringify(keyboard));
    state.stickToBottom = true;
    await act("reply-button", body);
    $("messages").scrollTop = $("messages").scrollHeight;
  }

  // ------------------------------------------------------------------ command menu

  /* Telegram's menu button: the commands the bot set (setMyCommands) for this persona's chat and
   * language. It opens from the button, or as "/" is typed first in the composer; a tap sends. */
  const menu = { open: false, filter: "" };

  function renderCommandMenu(commands) {
    const panel = $("command-menu");
    const signature = JSON.stringify(commands);
    if (panel.dataset.signature !== signature) {
      panel.dataset.signature = signature;
      panel.replaceChildren(...commands.map((item) => {
        const node = el("button", "command");
        node.type = "button";
        node.dataset.command = item.command;
        node.append(el("span", "command-name", `/${item.command}`), " ",
          el("span", "command-description", item.description));
        node.addEventListener("click", () => sendCommand(item.command));
        return node;
      }));
      labelMissingGlyphs(panel);
    }
    $("menu-button").hidden = commands.length === 0;
    let shown = 0;
    for (const node of panel.children) {
      node.hidden = !node.dataset.command.startsWith(menu.filter);
      if (!node.hidden) shown += 1;
    }
    panel.hidden = !menu.open || shown === 0;
    $("menu-button").setAttribute("aria-expanded", String(!panel.hidden));
  }

  function refreshCommandMenu() {
    renderCommandMenu(state.chats.get(state.current)?.commands || []);
  }

  function toggleCommandMenu() {
    menu.open = !menu.open;
    menu.filter = "";
    refreshCommandMenu();
    if (menu.open) $("command-menu").querySelector("button:not([hidden])")?.focus();
  }

  function hideCommandMenu() {
    menu.open = false;
    menu.filter = "";
    if (state.current) refreshCommandMenu();
  }

  /** "/" typed first opens the menu, narrowed to what follows it; anything else closes it. */
  function commandTyped() {
    const match = /^\/(\w*)$/.exec($("text").value);
    menu.open = Boolean(match);
    menu.filter = match ? match[1].toLowerCase() : "";
    refreshCommandMenu();
  }

  async function sendCommand(command) {
    hideCommandMenu();
    if (/^\/\w*$/.test($("text").value)) {
      $("text").value = "";
      autosize();
    }
    await sendText(`/${command}`);
    $("text").focus();
  }

  // ------------------------------------------------------------------ dialogs and composer

  function ask(text, withCancel) {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    $("confirm-cancel").hidden = !withCancel;
    $("confirm-ok").textContent = t("ok");
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    });
  }

  function pickLocation() {
    const dialog = $("location-dialog");
    const presets = $("location-presets");
    presets.replaceChildren();
    PLACES.forEach((place, index) => {
      const label = el("label", "preset");
      const radio = el("input");
      radio.type = "radio";
      radio.name = "place";
      radio.value = String(index);
      radio.checked = index === 0;
      const text = el("span", "preset-text", place[lang()]);
      text.append(el("small", null, `${place.lat}, ${place.lon}`));
      label.append(radio, text);
      presets.append(label);
    });
    $("lat").value = "";
    $("lon").value = "";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        if (dialog.returnValue !== "send") return resolve(null);
        const choice = dialog.querySelector("input[name=place]:checked")?.value;
        if (choice !== "custom") {
          const place = PLACES[Number(choice) || 0];
          return resolve({ latitude: place.lat, longitude: place.lon });
        }
        const latitude = Number.parseFloat($("lat").value);
        const longitude = Number.parseFloat($("lon").value);
        if (Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) return resolve({ latitude, longitude });
        toast(t("badCoords"));
        resolve(null);
      }, { once: true });
    });
  }

  async function sendLocation() {
    const place = await pickLocation();
    if (!place) return;
    state.stickToBottom = true;
    await act("location", place);
  }

  function pickPhoto() {
    const input = $("file");
    input.value = "";
    input.click();
  }

  function photoChosen() {
    const file = $("file").files[0];
    if (!file) return;
    const dialog = $("photo-dialog");
    const preview = $("photo-preview");
    const url = URL.createObjectURL(file);
    preview.src = url;
    $("caption").value = "";
    dialog.returnValue = "";
    dialog.showModal();
    dialog.addEventListener("close", async () => {
      URL.revokeObjectURL(url);
      if (dialog.returnValue !== "send") return;
      const form = new FormData();
      form.append("photo", file, file.name);
      if ($("caption").value.trim()) form.append("caption", $("caption").value);
      state.stickToBottom = true;
      await act("photo", form);
    }, { once: true });
  }

  async function sendText(text) {
    if (!text.trim() || !state.current) return;
    state.stickToBottom = true;
    $("messages").scrollTop = $("messages").scrollHeight;
    return act("messages", { text });
  }

  async function submitComposer(event) {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autosize();
    hideCommandMenu();
    if (!(await sendText(text))) {
      input.value = text; // keep what the person wrote
      autosize();
    }
    input.focus();
  }

  function autosize() {
    const input = $("text");
    if (!input.value) {
      input.style.height = "";
      return;
    }
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  }

  let toastTimer = null;
  function toast(text) {
    const node = $("toast");
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 2500);
  }

  function setOnline(online) {
    document.body.classList.toggle("offline", !online);
    const persona = state.personas.get(state.current);
    if (persona) $("chat-subtitle").textContent = online ? subtitle() : t("connecting");
  }

  function updateToBottom() {
    const box = $("messages");
    $("to-bottom").hidden = atBottom(box);
    state.stickToBottom = atBottom(box);
  }

  function onMessagesClick(event) {
    const link = event.target.closest("a[href]");
    if (link && TELEGRAM_LINK.test(link.getAttribute("href"))) {
      event.preventDefault(); // the web chat is the Telegram app here: open it in this chat
      openLink(link.getAttribute("href"));
      return;
    }
    const spoiler = event.target.closest(".spoiler");
    if (spoiler) {
      spoiler.classList.add("revealed");
      spoiler.setAttribute("aria-pressed", "true");
    }
  }

  function onMessagesKey(event) {
    if ((event.key === "Enter" || event.key === " ") && event.target.classList.contains("spoiler")) {
      event.preventDefault();
      onMessagesClick(event);
    }
  }

  // ------------------------------------------------------------------ start

  async function init() {
    $("composer").addEventListener("submit", submitComposer);
    $("text").addEventListener("input", autosize);
    $("text").addEventListener("input", commandTyped);
    $("menu-button").addEventListener("click", toggleCommandMenu);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) hideCommandMenu();
    });
    $("text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submitComposer(event);
    });
    $("start").addEventListener("click", () => sendText("/start"));
    $("attach").addEventListener("click", pickPhoto);
    $("file").addEventListener("change", photoChosen);
    $("locate").addEventListener("click", sendLocation);
    for (const id of ["lat", "lon"]) {
      $(id).addEventListener("input", () => {
        $("location-form").querySelector("input[value=custom]").checked = true;
      });
    }
    $("keyboard-toggle").addEventListener("click", toggleReplyKeyboard);
    $("back").addEventListener("click", () => {
      if (state.fromList) history.back();
      else location.hash = "";
    });
    $("to-bottom").addEventListener("click", () => { $("messages").scrollTop = $("messages").scrollHeight; });
    $("messages").addEventListener("scroll", updateToBottom, { passive: true });
    new ResizeObserver(() => { // a keyboard shown, a photo loaded, a phone rotated
      if (state.stickToBottom) $("messages").scrollTop = $("messages").scrollHeight;
    }).observe($("messages"));
    $("messages").addEventListener("click", onMessagesClick);
    $("messages").addEventListener("keydown", onMessagesKey);
    window.addEventListener("hashchange", () => {
      const key = decodeURIComponent(location.hash.slice(1)) || null;
      if (!key) state.fromList = false;
      if (key !== state.current) openPersona(key);
    });

    const data = await request("GET", "/webchat/personas");
    state.bot = data.bot;
    try {
      new Intl.DateTimeFormat("en", { timeZone: data.timezone });
      state.timezone = data.timezone;
    } catch {
      state.timezone = undefined; // an unknown zone: the browser's own
    }
    state.version = -1;
    for (const persona of data.personas) state.personas.set(persona.key, persona);
    $("chat-title").textContent = data.bot.name;
    $("bot-avatar").textContent = initials(data.bot.name);
    $("empty-avatar").textContent = initials(data.bot.name);
    renderPersonas();
    const wide = window.matchMedia("(min-width: 860px)").matches; // both panes: open a chat
    openPersona(decodeURIComponent(location.hash.slice(1)) || (wide ? data.personas[0]?.key : null) || null);
    pollLoop();
  }

  init().catch((error) => toast(error.message));
})();
