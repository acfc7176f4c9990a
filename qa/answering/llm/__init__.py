"""Language model backends for generated answers.

* :mod:`~qa.answering.llm.base`: the :class:`Generator` protocol, :class:`Prompt`;
* :mod:`~qa.answering.llm.prompt`: the answer and follow-up rewriting prompts;
* :mod:`~qa.answering.llm.transformers`: a local model (hub name, folder or GGUF file);
* :mod:`~qa.answering.llm.openai`: any OpenAI-compatible Chat Completions server.

:func:`make_generator` picks one from the configuration; heavy packages (torch,
transformers, gguf, httpx) are imported only when a model is loaded or a server asked.
"""

from __future__ import annotations

from qa.answering.llm.base import (
    GenerationMeter,
    GenerationStats,
    Generator,
    Message,
    Prompt,
    StatsSink,
    StopFilter,
    cut_at_stop,
)
from qa.config import AssistantConfig

__all__ = [
    "GenerationMeter",
    "GenerationStats",
    "Generator",
    "Message",
    "Prompt",
    "StatsSink",
    "StopFilter",
    "cut_at_stop",
    "make_generator",
]


def make_generator(config: AssistantConfig) -> Generator | None:
    """The language model ``config.generator`` names; None for ``extractive``.

    Nothing is loaded or contacted here: models load on first use or ``warm_up``.

    Args:
        config: the assistant's configuration (``generator``, ``llm_*``, ``device``).

    Raises:
        ValueError: for a generator name this version does not know.
    """
    if config.generator == "extractive":
        return None
    if config.generator == "transformers":
        from qa.answering.llm.transformers import TransformersGenerator

        return TransformersGenerator(
            config.llm_model,
            device=config.device,
            max_new_tokens=config.llm_max_new_tokens,
            timeout=config.llm_timeout,
            local_files_only=config.local_files_only,
        )
    if config.generator == "openai":
        from qa.answering.llm.openai import OpenAIGenerator

        return OpenAIGenerator(
            config.llm_base_url,
            config.llm_model,
            api_key=config.llm_api_key,
            timeout=config.llm_timeout,
            max_new_tokens=config.llm_max_new_tokens,
        )
    raise ValueError(f"unknown generator {config.generator!r}")
