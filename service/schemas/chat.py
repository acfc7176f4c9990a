"""Models of the OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from service.schemas.ask import CitationOut, Filters
from service.schemas.common import SEED_QUESTION, JsonInt, PositiveInt, Request, _json_int

__all__ = [
    "AssistantMessage",
    "ChatChoice",
    "ChatCompletion",
    "ChatMessage",
    "ChatRequest",
    "ContentPart",
    "ModelCard",
    "ModelList",
    "StreamOptions",
    "Usage",
]


class ContentPart(Request):
    """A part of a message's content; only text parts are read."""

    model_config = ConfigDict(extra="allow", strict=True)

    type: str
    text: str | None = None


class ChatMessage(Request):
    """One message of the conversation."""

    model_config = ConfigDict(extra="allow", strict=True)

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text or "" for p in self.content if p.type == "text")


class StreamOptions(Request):
    """OpenAI ``stream_options``."""

    include_usage: bool = False
    include_obfuscation: bool | None = None


class ChatRequest(Request):
    """An OpenAI Chat Completions request.

    The last message must be the user's question; earlier user and assistant messages
    are the conversation a follow-up is resolved against. Sampling parameters are
    accepted for compatibility and ignored (answers are extractive); ``n`` must be 1.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "model": "zhnews-qa",
                    "messages": [{"role": "user", "content": SEED_QUESTION}],
                },
                {
                    "model": "zhnews-qa",
                    "stream": True,
                    "messages": [
                        {"role": "user", "content": SEED_QUESTION},
                        {"role": "assistant", "content": "由浙江省能源集团等4家企业牵头组建 [1]"},
                        {"role": "user", "content": "它的首批成员有多少家?"},
                    ],
                },
            ]
        },
    )

    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=1), BeforeValidator(_json_int)] | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: JsonInt | None = None
    max_completion_tokens: JsonInt | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: str | list[str] | None = None
    seed: JsonInt | None = None
    user: str | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: JsonInt | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    reasoning_effort: str | None = None
    top_k: PositiveInt | None = Field(default=None, description="Extension: passages to use.")
    filters: Filters | None = Field(default=None, description="Extension: retrieval filters.")
    sources: bool | None = Field(
        default=None,
        description="Extension: append the sources (numbered quotes with title, outlet and "
        "date) to the message content, for chat UIs that show only the content (default: "
        "the server's QA_CHAT_SOURCES).",
    )


class AssistantMessage(BaseModel):
    """The answer message; ``content`` carries the [n] markers."""

    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class ChatChoice(BaseModel):
    """The one choice of a completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Token counts (characters stand in for tokens)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """An OpenAI ``chat.completion`` with the extension fields ``citations`` (the answer's
    sources, one per [n] marker), ``abstained``, ``resolved_question``, ``generator``,
    ``dropped`` and ``fallback``."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    system_fingerprint: str | None = None
    citations: list[CitationOut] = Field(description="Extension: the sources of the [n] markers.")
    abstained: bool = Field(description="Extension: the corpus holds nothing that answers.")
    resolved_question: str = Field(
        description="Extension: the question after resolving follow-up references."
    )
    generator: str = Field(
        default="", description="Extension: the backend that wrote the answer (backend:model)."
    )
    dropped: int = Field(
        default=0, description="Extension: answer sentences citation verification removed."
    )
    fallback: str = Field(
        default="",
        description="Extension: why the configured generator's answer was replaced, if it was.",
    )


class ModelCard(BaseModel):
    """An OpenAI model object."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "zhnews-qa"


class ModelList(BaseModel):
    """The models served (one)."""

    object: Literal["list"] = "list"
    data: list[ModelCard]
