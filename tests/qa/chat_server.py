"""A small OpenAI-compatible Chat Completions server on loopback, for tests.

It answers ``POST /v1/chat/completions`` with whatever its ``reply`` function returns for
the request body, whole or streamed as server-sent events, and can be told to be slow or
to fail. Every request body is recorded.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


def system_text(body: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")


def user_text(body: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")


class ChatServer:
    """Start with ``with ChatServer() as server: ...``; ``server.url`` is the base URL.

    Attributes:
        reply: the answer text for a request body.
        delay: seconds to wait before answering.
        failures: answer this many requests with HTTP 500 first.
        status: answer every request with this HTTP status (and an error body) instead.
        piece_chars: characters per streamed delta.
        usage: send token counts (``usage``) with whole answers, and as a last chunk of
            a stream that asks for them (``stream_options.include_usage``): one prompt
            token per character of the messages, one new token per streamed delta.
        requests: the request bodies received.
        headers: the headers of each request.
    """

    def __init__(self, reply: Reply | None = None) -> None:
        self.reply: Reply = reply or (lambda body: "我不知道。")
        self.delay = 0.0
        self.failures = 0
        self.status: int | None = None
        self.piece_chars = 3
        self.usage = True
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                with server._lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    fail = server.failures > 0
                    if fail:
                        server.failures -= 1
                if self.path != "/v1/chat/completions":
                    return self._error(404, f"no route {self.path}")
                if server.delay:
                    time.sleep(server.delay)
                if server.status is not None:
                    return self._error(server.status, f"the model {body['model']!r} is not here")
                if fail:
                    return self._error(500, "the model crashed")
                text = server.reply(body)
                if body.get("stream"):
                    return self._stream(body, text)
                payload = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                }
                if server.usage:
                    payload["usage"] = server.usage_of(body, text)
                self._json(200, payload)

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str) -> None:
                self._json(status, {"error": {"message": message, "type": "test"}})

            def _stream(self, body: dict[str, Any], text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                size = server.piece_chars
                pieces = [text[i : i + size] for i in range(0, len(text), size)]
                events = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces]
                for delta in events:
                    chunk = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "model": body["model"],
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                    line = f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
                    self.wfile.write(line.encode("utf-8"))
                    self.wfile.flush()
                options = body.get("stream_options") or {}
                if server.usage and options.get("include_usage"):
                    last = {
                        "id": "chatcmpl-test",
                        "choices": [],
                        "usage": server.usage_of(body, text),
                    }
                    self.wfile.write(f"data: {json.dumps(last)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def usage_of(self, body: dict[str, Any], text: str) -> dict[str, int]:
        """The token counts this server reports for ``text`` answering ``body``."""
        prompt = sum(len(m["content"]) for m in body["messages"])
        new = -(-len(text) // self.piece_chars)  # one token per streamed delta
        return {"prompt_tokens": prompt, "completion_tokens": new, "total_tokens": prompt + new}

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def closed_port_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
