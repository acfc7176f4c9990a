"""Prometheus metrics: requests and latencies per endpoint, pipeline stages, index size,
and the language model's tokens, time to first token and token rate.

Each app has its own registry, so several apps (tests) never clash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.types import Answer, GenerationStats

__all__ = ["Metrics", "MetricsMiddleware"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# A local CPU model takes seconds to its first token; a GPU server, tens of milliseconds.
_FIRST_TOKEN_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)
_RATE_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


class Metrics:
    """The service's metrics.

    Args:
        index_size: returns ``(documents, chunks)`` of the current index, or None while
            none is loaded; read at scrape time.
    """

    def __init__(self, index_size: Callable[[], tuple[int, int] | None]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "qa_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "qa_http_request_duration_seconds",
            "HTTP request latency by method and route template (to the end of the body).",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.stages = Histogram(
            "qa_pipeline_stage_duration_seconds",
            "Question-answering pipeline latency per stage (retrieve, answer, total).",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.prompt_tokens = Counter(
            "qa_llm_prompt_tokens",
            "Prompt tokens of the language model's answers, by generator (backend:model).",
            ["generator"],
            registry=self.registry,
        )
        self.generated_tokens = Counter(
            "qa_llm_generated_tokens",
            "Tokens the language model generated for answers (verification's drops "
            "included), by generator.",
            ["generator"],
            registry=self.registry,
        )
        self.first_token = Histogram(
            "qa_llm_time_to_first_token_seconds",
            "Seconds from the request to the model's first generated token, by generator "
            "(streamed answers and local models; a whole answer from a server has none).",
            ["generator"],
            buckets=_FIRST_TOKEN_BUCKETS,
            registry=self.registry,
        )
        self.token_rate = Histogram(
            "qa_llm_tokens_per_second",
            "New tokens per second of each answer's generation (prompt processing "
            "included), by generator.",
            ["generator"],
            buckets=_RATE_BUCKETS,
            registry=self.registry,
        )
        documents = Gauge("qa_index_documents", "Documents in the index.", registry=self.registry)
        chunks = Gauge("qa_index_chunks", "Chunks in the index.", registry=self.registry)
        ready = Gauge("qa_ready", "1 when the service can answer.", registry=self.registry)
        documents.set_function(lambda: float((index_size() or (0, 0))[0]))
        chunks.set_function(lambda: float((index_size() or (0, 0))[1]))
        ready.set_function(lambda: 0.0 if index_size() is None else 1.0)

    def observe_stages(self, timings: Mapping[str, float]) -> None:
        """Record an answer's per-stage timings (milliseconds, keys like ``retrieve_ms``)."""
        for name, ms in timings.items():
            self.stages.labels(stage=name.removesuffix("_ms")).observe(float(ms) / 1000.0)

    def observe_generation(self, stats: GenerationStats) -> None:
        """Record a language model's token counts and times for one answer (what it does
        not know, e.g. a server's missing token counts, is left out)."""
        name = stats.generator
        if stats.prompt_tokens is not None:
            self.prompt_tokens.labels(generator=name).inc(stats.prompt_tokens)
        if stats.new_tokens is not None:
            self.generated_tokens.labels(generator=name).inc(stats.new_tokens)
        if stats.first_token_seconds is not None:
            self.first_token.labels(generator=name).observe(stats.first_token_seconds)
        if (rate := stats.tokens_per_second) is not None:
            self.token_rate.labels(generator=name).observe(rate)

    def observe_answer(self, answer: Answer) -> None:
        """Record an answer: its per-stage timings and, where a language model wrote
        (or tried to write) it, the generation's figures."""
        self.observe_stages(answer.timings)
        if answer.generation is not None:
            self.observe_generation(answer.generation)

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts requests and measures their latency per route template (pure ASGI, so
    streamed responses are timed to their last byte)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            # ``path_format`` drops the convertors (``{doc_id:doc_id}`` is ``{doc_id}``).
            template = getattr(route, "path_format", None) or getattr(route, "path", None)
            template = template or "unmatched"
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)
