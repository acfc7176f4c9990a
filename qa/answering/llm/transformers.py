"""A local language model through Hugging Face transformers, GGUF files included.

``model`` is a hub name, a local folder, or a path to a ``.gguf`` file, which transformers
loads (de-quantized) with ``gguf_file=`` and the ``gguf`` package. Converting a GGUF
file's tokenizer takes tens of seconds, so the converted tokenizer is saved in a folder
beside the file (``<file>.tokenizer-<key>/``) and read from there next time; the progress
hook says so while it converts.

The prompt goes through the tokenizer's chat template when it has one (instruct models)
and as plain text otherwise (base models), continued after its cue on the same line (a
first token of only whitespace is suppressed) and cut at its stop strings. Decoding is
greedy, on the configured device (CPU or GPU). :meth:`stream` runs
generation in a thread and yields text as tokens are decoded (``TextIteratorStreamer``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpus.progress import Progress
from qa.answering.llm.base import GenerationMeter, Prompt, StatsSink, StopFilter, cut_at_stop
from qa.errors import GenerationError, ModelUnavailableError

if TYPE_CHECKING:
    import torch

__all__ = ["TransformersGenerator", "gguf_tokenizer_dir"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_INSTALL = 'pip install "zhnews-qa[llm]"'

# The text ends with one phrase four times in a row: greedy decoding has entered a loop
# it will not leave (verification drops such sentences anyway).
_LOOPING = re.compile(r"(.{2,40}?)\1{3,}$", re.DOTALL)


def gguf_tokenizer_dir(path: Path) -> Path:
    """Where the converted tokenizer of the GGUF file ``path`` is cached.

    Beside the file, keyed by its size, modification time and the transformers version,
    so a replaced file or a new transformers converts again.
    """
    import transformers

    stat = path.stat()
    key = f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}:{transformers.__version__}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return path.with_name(f"{path.name}.tokenizer-{digest}")


@dataclass(frozen=True, slots=True)
class _Loaded:
    tokenizer: Any
    model: Any
    chat: bool
    blank: tuple[int, ...]  # tokens that are only whitespace (see _options)


def _blank_tokens(tokenizer: Any) -> tuple[int, ...]:
    """The ids of single tokens that encode only line breaks or spaces."""
    found: set[int] = set()
    for text in ("\n", "\n\n", "\n\n\n", " ", "  ", " \n"):
        ids = tokenizer.encode(text, add_special_tokens=False)
        if len(ids) == 1:
            found.add(int(ids[0]))
    return tuple(sorted(found))


class TransformersGenerator:
    """A causal language model run in this process.

    The model loads on :meth:`warm_up` or on first use, once (thread-safe); generations
    run one at a time.

    Args:
        model: hub name, local folder, or path to a ``.gguf`` file.
        device: torch device (``cpu``, ``cuda``, ``cuda:1``, ``mps``).
        max_new_tokens: at most this many tokens per answer.
        timeout: seconds a generation may take; it stops there with what it has.
        local_files_only: never download from the hub.

    Raises:
        ValueError: for an empty model, ``max_new_tokens < 1`` or ``timeout <= 0``.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str = "cpu",
        max_new_tokens: int = 256,
        timeout: float = 60.0,
        local_files_only: bool = False,
    ) -> None:
        if not model.strip():
            raise ValueError("model must name a hub model, a folder or a .gguf file")
        if max_new_tokens <= 0:
            raise ValueError("max_new_tokens must be greater than 0")
        if timeout <= 0:
            raise ValueError("timeout must be greater than 0")
        self.model = model
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.timeout = timeout
        self.local_files_only = local_files_only
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def name(self) -> str:
        """``transformers:<model>`` (a file or folder by its name)."""
        path = Path(self.model).expanduser()
        shown = path.name if path.exists() else self.model
        return f"transformers:{shown}"

    # -- loading -------------------------------------------------------------------------

    def warm_up(self, progress: Progress | None = None) -> None:
        """Load the tokenizer and the model now.

        Raises:
            ModelUnavailableError: when a package is missing or the model cannot be
                loaded; the message says what to install or configure.
        """
        self._load(progress)

    def _load(self, progress: Progress | None = None) -> _Loaded:
        if self._loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    try:
                        self._loaded = self._load_model(progress)
                    except ImportError as exc:
                        raise ModelUnavailableError(str(exc)) from exc
                    except (OSError, ValueError) as exc:
                        raise ModelUnavailableError(
                            f"cannot load the language model {self.model!r} "
                            f"({type(exc).__name__}: {exc}); set --llm-model / QA_LLM_MODEL "
                            "to a hub name, a local model folder or a .gguf file"
                        ) from exc
        return self._loaded

    def _load_model(self, progress: Progress | None) -> _Loaded:
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - transformers is a dependency
            raise ImportError(
                f"the transformers generator needs torch and transformers: {_INSTALL}"
            ) from exc
        path = Path(self.model).expanduser()
        model: Any
        stage = f"Loading {path.name if path.exists() else self.model}"
        if progress is not None:
            progress(stage, 0, 1)
        if path.suffix.lower() == ".gguf":
            if not path.is_file():
                raise ModelUnavailableError(
                    f"no GGUF file at {path}: set --llm-model / QA_LLM_MODEL to an existing "
                    ".gguf file"
                )
            _require("gguf", "loading a .gguf model needs the gguf package")
            _require("accelerate", "loading a .gguf model needs the accelerate package")
            tokenizer = self._gguf_tokenizer(path, progress)
            model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
        else:
            source = str(path) if path.exists() else self.model
            tokenizer = AutoTokenizer.from_pretrained(
                source, local_files_only=self.local_files_only
            )
            model = AutoModelForCausalLM.from_pretrained(
                source, local_files_only=self.local_files_only
            )
        model.to(self.device)
        model.eval()
        if progress is not None:
            progress(stage, 1, 1)
        chat = bool(getattr(tokenizer, "chat_template", None))
        return _Loaded(tokenizer, model, chat, _blank_tokens(tokenizer))

    def _gguf_tokenizer(self, path: Path, progress: Progress | None) -> Any:
        from transformers import AutoTokenizer

        cache = gguf_tokenizer_dir(path)
        if (cache / "tokenizer_config.json").is_file():
            # Said at INFO too, so that -v shows which of the two happened.
            logger.info("Reading the converted tokenizer of %s from %s", path.name, cache)
            return AutoTokenizer.from_pretrained(str(cache))
        stage = f"Converting the tokenizer of {path.name} (once; cached in {cache})"
        logger.info("%s", stage)
        if progress is not None:
            progress(stage, 0, 1)
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        partial = cache.with_name(f"{cache.name}.partial-{os.getpid()}")
        try:
            tokenizer.save_pretrained(str(partial))
            os.replace(partial, cache)
        except OSError as exc:  # a read-only folder: convert again next time
            logger.warning("cannot cache the converted tokenizer in %s: %s", cache, exc)
        if progress is not None:
            progress(stage, 1, 1)
        return tokenizer

    # -- generation ----------------------------------------------------------------------

    def _inputs(self, loaded: _Loaded, prompt: Prompt) -> dict[str, torch.Tensor]:
        tokenizer = loaded.tokenizer
        if loaded.chat:
            messages = [m.to_dict() for m in prompt.messages]
            try:
                text = tokenizer.apply_chat_template(
                    messages, tokenize=False, add_generation_prompt=True
                )
            except Exception:  # templates without a system role (Gemma): fold it in
                text = tokenizer.apply_chat_template(
                    _fold_system(messages), tokenize=False, add_generation_prompt=True
                )
            encoded = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        else:
            encoded = tokenizer(prompt.plain(), return_tensors="pt")
        return {k: v.to(loaded.model.device) for k, v in encoded.items()}

    def _options(self, loaded: _Loaded, prompt: Prompt) -> dict[str, Any]:
        tokenizer = loaded.tokenizer
        options: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": False,
            "temperature": None,
            "top_p": None,
            "top_k": None,
            "max_time": self.timeout,
            "pad_token_id": tokenizer.pad_token_id
            if tokenizer.pad_token_id is not None
            else tokenizer.eos_token_id,
        }
        if not loaded.chat and loaded.blank:
            # A plain prompt's answer follows its cue on the same line; a base model that
            # starts with a line break goes on to write more prompt, not an answer.
            options["begin_suppress_tokens"] = list(loaded.blank)
        return options

    def _criteria(
        self, loaded: _Loaded, prompt: Prompt, start: int, cancel: threading.Event | None = None
    ) -> Any:
        """Stop at the prompt's stop strings (plain prompts), in a loop, or on ``cancel``.

        transformers' own ``stop_strings`` pre-computes a table over the whole vocabulary
        on every call (seconds for a 262k-token vocabulary); decoding the new tokens is
        cheap at these lengths.
        """
        from transformers import StoppingCriteria, StoppingCriteriaList

        stops = self._stops(loaded, prompt)
        tokenizer = loaded.tokenizer

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                if cancel is not None and cancel.is_set():
                    return True
                text = tokenizer.decode(input_ids[0, start:], skip_special_tokens=True)
                if _LOOPING.search(text[-300:]):
                    return True
                return bool(stops) and cut_at_stop(text, stops) != text.lstrip()

        return StoppingCriteriaList([_Stop()])

    def _stops(self, loaded: _Loaded, prompt: Prompt) -> tuple[str, ...]:
        return () if loaded.chat else prompt.stop

    def generate(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> str:
        """The model's whole answer (greedy), cut at the prompt's stop strings.

        Logs (INFO) and gives ``on_stats`` its prompt and new token counts, its time, and
        the time to its first token.

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
            GenerationError: when generation fails.
        """
        import torch

        loaded = self._load()
        inputs = self._inputs(loaded, prompt)
        start = inputs["input_ids"].shape[1]
        try:
            with self._run_lock, torch.inference_mode():
                meter = GenerationMeter(self.name)
                meter.prompt_tokens = int(start)
                output = loaded.model.generate(
                    **inputs,
                    **self._options(loaded, prompt),
                    stopping_criteria=self._criteria(loaded, prompt, start),
                    streamer=_token_clock(meter),
                )
                meter.finish()
        except RuntimeError as exc:
            raise GenerationError(f"{self.name} failed to generate: {exc}") from exc
        new = output[0, start:]
        meter.new_tokens = len(new)  # what the model returned, whatever the clock saw
        meter.report(logger, on_stats)
        text = loaded.tokenizer.decode(new, skip_special_tokens=True)
        return cut_at_stop(text, self._stops(loaded, prompt))

    def stream(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> Iterator[str]:
        """The model's answer as it is decoded (joined: what :meth:`generate` returns).

        Generation runs in a thread; closing the iterator early stops it. Logs (INFO) and
        gives ``on_stats`` the same figures as :meth:`generate` once generation has ended
        (also when the iterator was closed early).

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
            GenerationError: when generation fails.
        """
        import torch
        from transformers import TextIteratorStreamer

        loaded = self._load()
        inputs = self._inputs(loaded, prompt)
        cancel = threading.Event()
        criteria = self._criteria(loaded, prompt, inputs["input_ids"].shape[1], cancel)

        streamer = TextIteratorStreamer(
            loaded.tokenizer,
            skip_prompt=True,
            skip_special_tokens=True,
            timeout=self.timeout + 30,
        )
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    loaded.model.generate(
                        **inputs,
                        **self._options(loaded, prompt),
                        streamer=clock,
                        stopping_criteria=criteria,
                    )
            except BaseException as exc:  # reported to the consumer below
                failure.append(exc)
                clock.end()

        stops = StopFilter(self._stops(loaded, prompt))
        with self._run_lock:
            meter = GenerationMeter(self.name)  # the clock starts with generation
            meter.prompt_tokens = int(inputs["input_ids"].shape[1])
            clock = _token_clock(meter, streamer)
            thread = threading.Thread(target=run, name="qa-llm-generate", daemon=True)
            thread.start()
            ended = False  # normally, or closed by the consumer: not by a failure
            try:
                for piece in streamer:
                    text = stops.feed(piece)
                    if text:
                        yield text
                    if stops.stopped:
                        break
                rest = stops.close()
                if rest:
                    yield rest
                ended = True
            except queue.Empty as exc:
                raise GenerationError(
                    f"{self.name} produced nothing for {self.timeout + 30:g} s"
                ) from exc
            except GeneratorExit:
                ended = True
                raise
            finally:
                cancel.set()
                thread.join()
                if ended and not failure:
                    meter.report(logger, on_stats)
        if failure:
            raise GenerationError(f"{self.name} failed to generate: {failure[0]}") from failure[0]


def _token_clock(meter: GenerationMeter, inner: Any = None) -> Any:
    """A transformers streamer that marks each generated token on ``meter`` (the first
    ``put`` is the prompt) and stops its clock at the end, passing everything on to
    ``inner`` (the text streamer of :meth:`TransformersGenerator.stream`) where given."""
    from transformers.generation.streamers import BaseStreamer

    class _Clock(BaseStreamer):
        def __init__(self) -> None:
            self.meter = meter
            self._prompt = True

        def put(self, value: Any) -> None:
            if self._prompt:
                self._prompt = False
            else:
                self.meter.token(int(value.numel()))
            if inner is not None:
                inner.put(value)

        def end(self) -> None:
            self.meter.finish()
            if inner is not None:
                inner.end()

    return _Clock()


def _fold_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The messages with the system message put at the head of the first user message."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest:
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    return rest


def _require(module: str, why: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(f"{why}: {_INSTALL} (or pip install {module})")
