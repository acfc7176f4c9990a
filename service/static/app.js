// The chat page: streams answers from /v1/chat/completions (OpenAI chunk format) and
// shows each [n] citation's quote on click. Text from the corpus and from users is only
// ever set with textContent / text nodes, never parsed as HTML.
"use strict";

(function () {
  const conversationEl = document.getElementById("conversation");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");
  const sendButton = document.getElementById("send");
  const statusEl = document.getElementById("status");
  const source = {
    panel: document.getElementById("source"),
    title: document.getElementById("source-title"),
    meta: document.getElementById("source-meta"),
    quote: document.getElementById("source-quote"),
    link: document.getElementById("source-link"),
  };
  const MARKER = /\[(\d+)\]/g;

  /** The conversation sent with every question, for follow-ups. */
  let messages = [];

  function addMessage(role, text) {
    const li = document.createElement("li");
    li.className = role;
    li.textContent = text;
    conversationEl.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function showSource(citation) {
    source.title.textContent = citation.title || citation.doc_id;
    source.meta.textContent = [citation.outlet, citation.date].filter(Boolean).join(" · ");
    source.quote.textContent = citation.quote;
    if (citation.url && /^https?:\/\//i.test(citation.url)) {
      source.link.href = citation.url;
      source.link.hidden = false;
    } else {
      source.link.removeAttribute("href");
      source.link.hidden = true;
    }
    source.panel.hidden = false;
    source.panel.dataset.marker = String(citation.marker);
  }

  /** Replace the streamed text with text nodes and a button per [n] marker. */
  function renderAnswer(li, text, citations) {
    const byMarker = new Map(citations.map((c) => [c.marker, c]));
    li.replaceChildren();
    let last = 0;
    for (const match of text.matchAll(MARKER)) {
      li.appendChild(document.createTextNode(text.slice(last, match.index)));
      const citation = byMarker.get(Number(match[1]));
      if (citation) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "cite";
        button.textContent = match[0];
        button.title = [citation.title, citation.outlet, citation.date].filter(Boolean).join(" · ");
        button.addEventListener("click", () => showSource(citation));
        li.appendChild(button);
      } else {
        li.appendChild(document.createTextNode(match[0]));
      }
      last = match.index + match[0].length;
    }
    li.appendChild(document.createTextNode(text.slice(last)));
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) { /* not JSON */ }
    return "HTTP " + response.status;
  }

  async function ask(question) {
    addMessage("user", question);
    const li = addMessage("assistant streaming", "");
    li.dataset.chunks = "0";
    const request = messages.concat([{ role: "user", content: question }]);
    let text = "";
    let citations = [];
    try {
      const response = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ model: "zhnews-qa", stream: true, messages: request }),
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
              li.textContent = text;
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
      renderAnswer(li, text, citations);
      li.dataset.done = "true";
      messages = request.concat([{ role: "assistant", content: text }]);
    } catch (err) {
      li.classList.remove("streaming");
      li.classList.add("error");
      li.textContent = "出错了 Error: " + (err && err.message ? err.message : String(err));
      li.dataset.done = "true";
    }
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

  document.getElementById("source-close").addEventListener("click", () => {
    source.panel.hidden = true;
  });

  document.getElementById("reset").addEventListener("click", () => {
    messages = [];
    conversationEl.replaceChildren();
    source.panel.hidden = true;
    input.focus();
  });
})();
