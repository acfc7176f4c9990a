"""Any OpenAI-compatible Chat Completions server: vLLM, Ollama, llama.cpp's server, ...

``POST {base_url}/chat/completions`` with ``temperature: 0``, whole or streamed
(server-sent events), through httpx. Connection failures and 5xx answers are retried a
bounded number of times with exponential back-off; a server that does not answer within
the timeout is not retried (it would be as slow again). Every failure is a
:class:`~qa.errors.GenerationError` naming the server's URL and what to check.

Nothing is sent anywhere unless this generator is configured: it is the user's explicit
request to use that server.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from corpus.progress import Progress
from qa.answering.llm.base import GenerationMeter, Prompt, StatsSink
from qa.errors import GenerationError

if TYPE_CHECKING:
    import httpx

__all__ = ["OpenAIGenerator"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def _httpx() -> Any:
    try:
        import httpx
    except ImportError as exc:
        raise ImportError(
            'the openai generator needs httpx: pip install "zhnews-qa[llm]" (or pip install httpx)'
        ) from exc
    return httpx


class OpenAIGenerator:
    """A model behind an OpenAI-compatible Chat Completions endpoint.

    Args:
        base_url: the server up to the version path (``http://localhost:11434/v1``);
            requests go to ``{base_url}/chat/completions``.
        model: the served model's name.
        api_key: sent as ``Authorization: Bearer <key>`` ("" sends none).
        timeout: seconds to wait for the server (to connect, and for each read).
        max_new_tokens: ``max_tokens`` of each request.
        retries: further attempts after a connection failure or a 5xx answer.
        backoff: seconds before the first retry; doubled for each next one.
        transport: an httpx transport (tests).

    Raises:
        ValueError: for an empty URL or model, a URL that is not http(s), or a
            non-positive timeout, ``max_new_tokens`` or negative ``retries``.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout: float = 60.0,
        max_new_tokens: int = 256,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if not model.strip():
            raise ValueError("model must name the served model")
        if timeout <= 0:
            raise ValueError("timeout must be greater than 0")
        if max_new_tokens <= 0:
            raise ValueError("max_new_tokens must be greater than 0")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.max_new_tokens = max_new_tokens
        self.retries = retries
        self.backoff = backoff
        self._api_key = api_key
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """``openai:<model>``."""
        return f"openai:{self.model}"

    @property
    def url(self) -> str:
        """The endpoint requests go to."""
        return f"{self.base_url}/chat/completions"

    def warm_up(self, progress: Progress | None = None) -> None:
        """Nothing to load: the server holds the model (it is reached on first use)."""

    def _http(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    httpx = _httpx()
                    headers = {"Accept": "application/json"}
                    if self._api_key:
                        headers["Authorization"] = f"Bearer {self._api_key}"
                    self._client = httpx.Client(
                        timeout=httpx.Timeout(self.timeout),
                        headers=headers,
                        transport=self._transport,
                    )
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _payload(self, prompt: Prompt, stream: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_dict() for m in prompt.messages],
            "max_tokens": self.max_new_tokens,
            "temperature": 0,
            "stream": stream,
        }
        if stream:  # a last chunk with the token counts (OpenAI, vLLM, llama.cpp, Ollama)
            payload["stream_options"] = {"include_usage": True}
        return payload

    @contextmanager
    def _send(self, payload: dict[str, Any]) -> Iterator[httpx.Response]:
        """The server's successful response (open, for streaming), after retries."""
        httpx = _httpx()
        client = self._http()
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = client.build_request("POST", self.url, json=payload)
            try:
                response = client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                logger.info("chat server %s: %s (attempt %d)", self.url, last, attempt + 1)
                continue
            except httpx.TimeoutException as exc:
                raise GenerationError(self._timed_out()) from exc
            except httpx.HTTPError as exc:
                raise GenerationError(f"the chat server at {self.url} failed: {exc}") from exc
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}: {_error_text(response)}"
                response.close()
                logger.info("chat server %s: %s (attempt %d)", self.url, last, attempt + 1)
                continue
            if response.status_code >= 400:
                detail = _error_text(response)
                response.close()
                raise GenerationError(
                    f"the chat server at {self.url} refused the request: HTTP "
                    f"{response.status_code}: {detail}; check the model name "
                    f"({self.model!r}, --llm-model / QA_LLM_MODEL) and QA_LLM_API_KEY"
                )
            try:
                yield response
            finally:
                response.close()
            return
        raise GenerationError(
            f"cannot reach the chat server at {self.url} ({last}; {self.retries + 1} "
            "attempts): check that it is running and that --llm-base-url / QA_LLM_BASE_URL "
            "points at it"
        )

    def _timed_out(self) -> str:
        return (
            f"the chat server at {self.url} did not answer within {self.timeout:g} s: raise "
            "QA_LLM_TIMEOUT, or check the server's load"
        )

    def generate(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> str:
        """The model's whole answer.

        Logs (INFO) and gives ``on_stats`` the token counts of the server's ``usage``
        (unknown where it sends none) and the time of the request; the time to first
        token is not seen in a whole answer.

        Raises:
            GenerationError: when the server cannot be reached (after retries), times
                out, refuses the request or answers with no message.
        """
        httpx = _httpx()
        meter = GenerationMeter(self.name)
        with self._send(self._payload(prompt, stream=False)) as response:
            try:
                body = json.loads(response.read())
            except httpx.TimeoutException as exc:
                raise GenerationError(self._timed_out()) from exc
            except (httpx.HTTPError, ValueError) as exc:
                raise GenerationError(
                    f"the chat server at {self.url} sent an unreadable answer: {exc}"
                ) from exc
        try:
            content = body["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise GenerationError(
                f"the chat server at {self.url} sent no chat completion: {str(body)[:200]}"
            ) from exc
        _count_usage(meter, body)
        meter.report(logger, on_stats)
        return str(content)

    def stream(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> Iterator[str]:
        """The model's answer as the server streams it (server-sent events).

        Asks for the token counts (``stream_options.include_usage``); logs (INFO) and
        gives ``on_stats`` them (unknown where the server sends none), the time to the
        first text and the time of the whole stream, when it ends or is closed early.

        Raises:
            GenerationError: as :meth:`generate`, also when the stream breaks off.
        """
        httpx = _httpx()
        meter = GenerationMeter(self.name)
        with self._send(self._payload(prompt, stream=True)) as response:
            try:
                for line in response.iter_lines():
                    event = _event(line, self.url)
                    if event is None:
                        break
                    piece, chunk = event
                    _count_usage(meter, chunk)
                    if piece:
                        meter.first_token()
                        yield piece
            except httpx.TimeoutException as exc:
                raise GenerationError(self._timed_out()) from exc
            except httpx.HTTPError as exc:
                raise GenerationError(
                    f"the stream from the chat server at {self.url} broke off: {exc}"
                ) from exc
            except GeneratorExit:  # closed early: what it wrote so far
                meter.report(logger, on_stats)
                raise
        meter.report(logger, on_stats)


def _count_usage(meter: GenerationMeter, body: Any) -> None:
    """Take the token counts of a response's or a chunk's ``usage``, where it has one."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt, int):
        meter.prompt_tokens = prompt
    if isinstance(completion, int):
        meter.new_tokens = completion


def _event_text(line: str, url: str) -> str | None:
    """The text of one server-sent event line; "" for none, None at ``[DONE]``."""
    event = _event(line, url)
    return None if event is None else event[0]


def _event(line: str, url: str) -> tuple[str, Any] | None:
    """The text of one server-sent event line ("" for none) and its parsed chunk (None
    for a line without data); None at ``[DONE]``."""
    line = line.strip()
    if not line.startswith("data:"):
        return "", None
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise GenerationError(
            f"the chat server at {url} sent an unreadable event: {data[:200]}"
        ) from exc
    if isinstance(chunk, dict) and chunk.get("error"):
        error = chunk["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise GenerationError(f"the chat server at {url} failed: {message}")
    try:
        content = chunk["choices"][0]["delta"].get("content") if chunk["choices"] else ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return "", chunk
    return str(content or ""), chunk


def _error_text(response: httpx.Response) -> str:
    """The error message of a failed response (its JSON ``error.message`` or its text)."""
    try:
        raw = response.read()
    except Exception:  # the body itself failed: say only the status
        return response.reason_phrase
    try:
        body = json.loads(raw)
        error = body.get("error", body) if isinstance(body, dict) else body
        message = error.get("message", error) if isinstance(error, dict) else error
        return str(message)[:300]
    except ValueError:
        return raw.decode("utf-8", errors="replace")[:300] or response.reason_phrase
