"""Shapes every router shares: the error body, validated scalar types, the strict request
base class."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from qa import MAX_QUESTION_CHARS

__all__ = [
    "MAX_QUESTION",
    "NOT_BLANK",
    "SEED_QUESTION",
    "ErrorBody",
    "ErrorResponse",
    "IsoDate",
    "JsonInt",
    "PositiveInt",
    "Request",
]

SEED_QUESTION = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
MAX_QUESTION = MAX_QUESTION_CHARS
# Some character that is not whitespace (blank questions are refused).
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: str) -> str:
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    dt.date.fromisoformat(value)  # a real day: raises ValueError for 2024-02-30
    return value


IsoDate = Annotated[
    str,
    AfterValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2024-11-01"]}),
]
"""A calendar date as ``YYYY-MM-DD``."""


def _json_int(value: Any) -> Any:
    """JSON integers as JSON Schema counts them: ``5`` and ``5.0``, not ``true`` or ``"5"``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_int)]
"""An integer (strict, except that an integral float such as ``5.0`` counts)."""
PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_json_int)]
"""A :data:`JsonInt` of at least 1."""


def _lone_surrogate(value: object, where: str) -> str | None:
    """The place of the first string in ``value`` that is not valid Unicode text (a JSON
    escape such as ``\\ud800`` decodes to a lone surrogate, which no encoder accepts)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"{where} (U+{ord(value[exc.start]):04X} at character {exc.start})"
        return None
    items: Any = ()
    if isinstance(value, dict):
        items = ((f"{where}.{k}", v) for k, v in value.items())
        for key in value:
            found = _lone_surrogate(key, f"{where} (a key)")
            if found:
                return found
    elif isinstance(value, list | tuple):
        items = ((f"{where}.{i}", v) for i, v in enumerate(value))
    for place, item in items:
        found = _lone_surrogate(item, place)
        if found:
            return found
    return None


class Request(BaseModel):
    # Strict: no silent coercion of true to 1 or "5" to 5; unknown fields are errors.
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="after")
    def _valid_unicode(self) -> Self:
        # Text that cannot be encoded would fail deep inside (hashing, normalisation):
        # refuse it here, as a 422 that names the field. Nested requests check their own.
        values = {**self.__dict__, **(self.model_extra or {})}
        for name, value in values.items():
            if isinstance(value, BaseModel):
                continue
            found = _lone_surrogate(value, name)
            if found:
                raise ValueError(
                    f"{found}: a lone surrogate is not valid Unicode text; send a "
                    "surrogate pair or the character itself"
                )
        return self


class ErrorBody(BaseModel):
    """What went wrong: a stable machine-readable code and a message for people.

    On the OpenAI-compatible routes ``type`` and ``param`` are filled in as OpenAI does.
    """

    code: str = Field(examples=["invalid_request"])
    message: str = Field(examples=["question: String should have at least 1 character"])
    type: str | None = Field(default=None, examples=["invalid_request_error"])
    param: str | None = None


class ErrorResponse(BaseModel):
    """The one error shape: ``{"error": {"code", "message"}}``."""

    error: ErrorBody
