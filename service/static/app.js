// The chat page: streams answers from /v1/chat/completions (OpenAI chunk format) and
// shows each [n] citation's quote on click, in a card inside its own answer. Text from
// the corpus and from users is only ever set with textContent / text nodes, never parsed
// as HTML.
"use strict";

(function () {
  const conversationEl = document.getElementById("conversation");
  const scroller = document.getElementById("scroller");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");
  const sendButton = document.getElementById("send");
  const statusEl = document.getElementById("status");
  const MARKER = /\[(\d+)\]/g;

  /** The conversation sent with every question, for follow-ups. */
  let messages = [];
  /** The model id the service answers as (GET /v1/models); the default until known. */
  let model = "zhnews-qa";
  const modelKnown = fetch("/v1/models")
    .then((r) => (r.ok ? r.json() : null))
    .then((body) => {
      if (body && body.data && body.data[0] && body.data[0].id) model = body.data[0].id;
    })
    .catch(() => {});

  function addMessage(role, text) {
    const li = document.createElement("li");
    li.className = role;
    li.textContent = text;
    conversationEl.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function closeSource(li) {
    const card = li.querySelector(".source");
    if (card) card.remove();
    for (const b of li.querySelectorAll(".cite[aria-expanded='true']")) {
      b.setAttribute("aria-expanded", "false");
    }
  }

  function closeAllSources() {
    for (const li of conversationEl.querySelectorAll("li.assistant")) closeSource(li);
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /** Open the source of one marker in a card under its answer (a second click closes). */
  function toggleSource(li, button, citation) {
    const open = button.getAttribute("aria-expanded") === "true";
    closeSource(li);
    if (open) return;
    const card = element("section", "source");
    card.dataset.marker = String(citation.marker);
    card.setAttribute("aria-label", "来源 Source [" + citation.marker + "]");
    const close = element("button", "close secondary", "×");
    close.type = "button";
    close.setAttribute("aria-label", "关闭 Close");
    close.addEventListener("click", () => { closeSource(li); button.focus(); });
    card.appendChild(close);
    card.appendChild(element("h2", "title", "[" + citation.marker + "] " + (citation.title || citation.doc_id)));
    card.appendChild(element("p", "meta", [citation.outlet, citation.date].filter(Boolean).join(" · ")));
    card.appendChild(element("blockquote", "quote", citation.quote));
    if (citation.url && /^https?:\/\//i.test(citation.url)) {
      const link = element("a", "link", "原文 Source");
      link.href = citation.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      card.appendChild(link);
    }
    li.appendChild(card);
    button.setAttribute("aria-expanded", "true");
    // Bring the whole answer into view where it fits, else at least its source card.
    const fits = li.getBoundingClientRect().height <= scroller.clientHeight;
    (fits ? li : card).scrollIntoView({ block: "nearest" });
  }

  /** Replace the streamed text with text nodes and a button per [n] marker. */
  function renderAnswer(li, answerEl, text, citations) {
    const byMarker = new Map(citations.map((c) => [c.marker, c]));
    answerEl.replaceChildren();
    let last = 0;
    for (const match of text.matchAll(MARKER)) {
      answerEl.appendChild(document.createTextNode(text.slice(last, match.index)));
      const citation = byMarker.get(Number(match[1]));
      if (citation) {
        const button = element("button", "cite", match[0]);
        button.type = "button";
        button.title = [citation.title, citation.outlet, citation.date].filter(Boolean).join(" · ");
        button.setAttribute("aria-expanded", "false");
        button.addEventListener("click", () => toggleSource(li, button, citation));
        answerEl.appendChild(button);
      } else {
        answerEl.appendChild(document.createTextNode(match[0]));
      }
      last = match.index + match[0].length;
    }
    answerEl.appendChild(document.createTextNode(text.slice(last)));
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) { /* not JSON */ }
    return "HTTP " + response.status;
  }

  async function ask(question) {
    closeAllSources();
    addMessage("user", question);
    const li = addMessage("assistant streaming", "");
    const answerEl = element("div", "answer");
    li.appendChild(answerEl);
    li.dataset.chunks = "0";
    const request = messages.concat([{ role: "user", content: question }]);
    let text = "";
    let citations = [];
    try {
      await modelKnown;
      const response = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ model: model, stream: true, sources: false, messages: request }),
      });
      if (!response.ok) throw new Error(await errorMessage(response));
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      let done = false;
      while (!done) {
        const part = await reader.read();
        if (part.done) break;
        buffer += decoder.decode(part.value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          for (const line of event.split("\n")) {
            if (!line.startsWith("data:")) continue;
            const data = line.slice(5).trim();
            if (data === "[DONE]") { done = true; break; }
            const chunk = JSON.parse(data);
            if (chunk.error) throw new Error(chunk.error.message);
            const choice = chunk.choices && chunk.choices[0];
            if (choice && choice.delta && choice.delta.content) {
              text += choice.delta.content;
              answerEl.textContent = text;
              li.dataset.chunks = String(Number(li.dataset.chunks) + 1);
            }
            if (Array.isArray(chunk.citations)) citations = chunk.citations;
            // Who wrote the answer, and why a language model's answer was replaced.
            if (chunk.generator) li.dataset.generator = chunk.generator;
            if (chunk.fallback) li.title = chunk.fallback;
          }
        }
      }
      li.classList.remove("streaming");
      renderAnswer(li, answerEl, text, citations);
      li.dataset.done = "true";
      messages = request.concat([{ role: "assistant", content: text }]);
    } catch (err) {
      li.classList.remove("streaming");
      li.classList.add("error");
      answerEl.textContent = "出错了 Error: " + (err && err.message ? err.message : String(err));
      li.dataset.done = "true";
    }
    li.scrollIntoView({ block: "end" });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    sendButton.disabled = true;
    statusEl.textContent = "正在检索… Searching…";
    try {
      await ask(question);
    } finally {
      sendButton.disabled = false;
      statusEl.textContent = "";
      input.focus();
    }
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.getElementById("reset").addEventListener("click", () => {
    messages = [];
    conversationEl.replaceChildren();
    input.focus();
  });
})();
