"""Options the ``qa`` commands share, declared once.

:func:`with_settings` adds the configuration options (``--index``, ``--model``,
``--offline``, ``--chunk-size``, ``--chunk-overlap``, ``--tokenizer``, ``--generator``,
``--llm-model``, ``--llm-base-url``) to a typer command and hands it the resolved
:class:`~qa.settings.QASettings`: a flag wins, then the ``QA_*`` environment variable (an
empty value counts: ``QA_MODEL=""`` turns the model off), then ``.env``, then the
default. A command's help lists the options that do something there; it accepts the
others unlisted. ``qa eval`` and ``qa serve`` use the same decorator, so every
documented variable works for every command.

Help text is shown as written: the typer apps of the CLI turn rich markup off
(``rich_markup_mode=None``; typer 0.29 then prints click's plain help), so a ``[ray]``
in a help text is not taken for markup and dropped.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from qa.cli.output import fail
from qa.settings import QASettings

__all__ = [
    "ANSWER_OPTIONS",
    "INDEX_OPTIONS",
    "RETRIEVAL_OPTIONS",
    "SHARED_OPTIONS",
    "VerboseOpt",
    "load_settings",
    "with_settings",
]

F = TypeVar("F", bound=Callable[..., Any])

VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log more detail.")]

SHARED_OPTIONS: dict[str, tuple[Any, Any]] = {
    "index_dir": (
        Path | None,
        typer.Option(
            "--index",
            help="Index directory (env QA_INDEX_DIR; default ~/.cache/zhnews-qa/index).",
            show_default=False,
        ),
    ),
    "model": (
        str | None,
        typer.Option(
            "--model",
            help="Embedding model (sentence-transformers name or local path); '' for BM25 "
            "only (env QA_MODEL; default BAAI/bge-small-zh-v1.5).",
            show_default=False,
        ),
    ),
    "offline": (
        bool | None,
        typer.Option(
            "--offline/--online",
            help="Never download the embedding model; use local files only "
            "(env QA_OFFLINE; default online).",
            show_default=False,
        ),
    ),
    "chunk_size": (
        int | None,
        typer.Option(
            "--chunk-size",
            help="Chunk length in characters (env QA_CHUNK_SIZE; default 300).",
            show_default=False,
        ),
    ),
    "chunk_overlap": (
        int | None,
        typer.Option(
            "--chunk-overlap",
            help="Characters shared by neighbouring chunks (env QA_CHUNK_OVERLAP; default 50).",
            show_default=False,
        ),
    ),
    "tokenizer": (
        str | None,
        typer.Option(
            "--tokenizer",
            help="BM25 tokenization: char12, jieba, jieba+char2 (env QA_TOKENIZER; default "
            "char12).",
            show_default=False,
        ),
    ),
    "generator": (
        str | None,
        typer.Option(
            "--generator",
            help="Answer backend: extractive; transformers, a local model; or openai, an "
            "OpenAI-compatible server (env QA_GENERATOR; default extractive).",
            show_default=False,
        ),
    ),
    "llm_model": (
        str | None,
        typer.Option(
            "--llm-model",
            help="The generator's model: hub name, folder or .gguf file for transformers, "
            "the served model's name for openai (env QA_LLM_MODEL; default none: both "
            "need one).",
            show_default=False,
        ),
    ),
    "llm_base_url": (
        str | None,
        typer.Option(
            "--llm-base-url",
            help="OpenAI-compatible server for --generator openai, e.g. "
            "http://localhost:11434/v1 (env QA_LLM_BASE_URL; default none: openai needs "
            "one).",
            show_default=False,
        ),
    ),
}
"""Field of :class:`~qa.settings.QASettings` -> (type, typer option)."""

INDEX_OPTIONS: tuple[str, ...] = ("index_dir",)
"""The options of commands that only look after an index (``qa index``)."""

RETRIEVAL_OPTIONS: tuple[str, ...] = (
    "index_dir",
    "model",
    "offline",
    "chunk_size",
    "chunk_overlap",
    "tokenizer",
)
"""The options of commands that build or search an index but write no answer
(``qa ingest``, ``qa search``)."""

ANSWER_OPTIONS: tuple[str, ...] = tuple(SHARED_OPTIONS)
"""Every shared option: commands that answer (``qa ask``, ``qa eval``, ``qa serve``)."""


def _hidden(option: Any) -> Any:
    """A copy of a typer option that help does not list."""
    hidden = copy.copy(option)
    hidden.hidden = True
    return hidden


def load_settings(settings_type: type[QASettings] = QASettings, **given: Any) -> QASettings:
    """Settings from the given values (None: not given), the environment and defaults.

    Exits with code 2 and the library's message when the values are inconsistent.
    """
    try:
        return settings_type(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        messages = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(p) for p in error.get("loc", ()))
            msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
            messages.append(f"{where}: {msg}" if where else msg)
        fail("; ".join(messages), code=2)


def with_settings(
    settings_type: type[QASettings] = QASettings,
    *,
    fields: tuple[str, ...] = (),
    options: tuple[str, ...] = ANSWER_OPTIONS,
) -> Callable[[F], F]:
    """Decorate a typer command: add the shared options it uses, pass ``settings``.

    The command declares a parameter ``settings`` (of ``settings_type``); it receives the
    resolved settings. Settings without a flag on the command still come from their
    ``QA_*`` variables, ``.env`` and defaults.

    Args:
        settings_type: :class:`~qa.settings.QASettings` or a subclass.
        fields: the command's own parameters that are fields of ``settings_type`` (the
            service's ``host``, ``port``): their values (None: not given) go into the
            settings instead of to the command.
        options: the keys of :data:`SHARED_OPTIONS` the command's help lists: those that
            do something there (:data:`INDEX_OPTIONS`, :data:`RETRIEVAL_OPTIONS`,
            :data:`ANSWER_OPTIONS`). The others are still accepted, unlisted, so that
            one set of flags can be given to every command.

    Raises:
        TypeError: when ``fields`` names a parameter the command lacks, or ``options`` a
            key that is not a shared option.
    """
    unknown = set(options) - set(SHARED_OPTIONS)
    if unknown:
        raise TypeError(f"not shared options: {sorted(unknown)}")

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "settings"]
        missing = set(fields) - {p.name for p in own}
        if missing:
            raise TypeError(f"{func.__name__} has no parameter(s) {sorted(missing)}")
        shared = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[kind, option if name in options else _hidden(option)],
            )
            for name, (kind, option) in SHARED_OPTIONS.items()
        ]

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in (*SHARED_OPTIONS, *fields)}
            return func(*args, settings=load_settings(settings_type, **given), **kwargs)

        params = [*own, *shared]
        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command  # type: ignore[return-value]

    return decorate
