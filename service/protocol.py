"""uvicorn's HTTP protocol, with the one JSON error shape for requests it cannot parse.

A request that is not valid HTTP/1.1 never reaches the app: uvicorn's parser (httptools,
or h11 where httptools is missing) refuses it and uvicorn answers a plain-text
``400 Invalid HTTP request received.`` itself. The commonest such request is a URL with
raw UTF-8 in it (``GET /v1/search?q=新闻``: a URL must be ASCII, other characters
percent-encoded; browsers and HTTP libraries do it, hand-written clients may not). The
parser cannot be made to accept it, but the answer can have the API's shape:
:func:`json_protocol` is uvicorn's protocol class with that one response replaced by
``{"error": {"code": "bad_request", "message": ...}}``, with the headers every response
carries (``X-Request-ID``, ``X-Worker-PID``).
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

__all__ = ["BAD_REQUEST_MESSAGE", "bad_request", "json_protocol"]

BAD_REQUEST_MESSAGE = (
    "the request is not valid HTTP/1.1: a URL must be ASCII, with other characters "
    "percent-encoded as UTF-8 (?q=%E6%96%B0%E9%97%BB for ?q=新闻), and the request line "
    "and headers well-formed"
)


def bad_request() -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and JSON body of the 400 for a request that cannot be parsed."""
    body = json.dumps(
        {"error": {"code": "bad_request", "message": BAD_REQUEST_MESSAGE}}, ensure_ascii=False
    ).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"x-request-id", uuid.uuid4().hex.encode("ascii")),
        (b"x-worker-pid", str(os.getpid()).encode("ascii")),
        (b"connection", b"close"),
    ]
    return headers, body


def json_protocol() -> type[Any]:
    """uvicorn's HTTP protocol class (httptools where installed, else h11) answering an
    unparseable request with the JSON error shape; pass it as ``uvicorn.run(http=...)``."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return _h11_protocol()
    return _httptools_protocol()


def _httptools_protocol() -> type[Any]:
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

    class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            headers, body = bad_request()
            content = [STATUS_LINE[400]]
            for name, value in [*self.server_state.default_headers, *headers]:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([b"\r\n", body])
            self.transport.write(b"".join(content))
            self.transport.close()

    return JsonErrorHttpToolsProtocol


def _h11_protocol() -> type[Any]:
    import h11
    from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

    class JsonErrorH11Protocol(H11Protocol):
        def send_400_response(self, msg: str) -> None:
            headers, body = bad_request()
            event = h11.Response(status_code=400, headers=headers, reason=STATUS_PHRASES[400])
            self.transport.write(self.conn.send(event))
            self.transport.write(self.conn.send(h11.Data(data=body)))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
            self.transport.close()

    return JsonErrorH11Protocol
