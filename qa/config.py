"""Configuration of an :class:`~qa.assistant.Assistant` (a frozen value, no env reading)."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.chunking import ChunkingConfig
from corpus.dedupe import DEFAULT_THRESHOLD
from embeddings.dense import DENSE_KINDS
from embeddings.tokenize import TOKENIZER_NAMES
from qa.retrieval.fusion import FUSION_METHODS, Fusion

__all__ = ["DEFAULT_MODEL", "GENERATORS", "MAX_QUESTION_CHARS", "AssistantConfig"]

DEFAULT_MODEL = "BAAI/bge-small-zh-v1.5"

MAX_QUESTION_CHARS = 1000
"""The default limit on a question's length (``AssistantConfig.max_question_chars``)."""

GENERATORS: tuple[str, ...] = ("extractive", "transformers", "openai")
"""The answer backends :func:`qa.answering.make_answerer` knows: the extractive reader,
a local transformers model (hub name, folder or ``.gguf`` file), or any OpenAI-compatible
Chat Completions server."""


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    """Everything that shapes indexing, retrieval and answering.

    Attributes:
        model: sentence-transformers model name or local path for dense retrieval;
            "" turns dense retrieval off (lexical BM25 only).
        device: torch device for the model.
        batch_size: texts per encoding batch at ingest.
        local_files_only: never try to download the model (offline machines).
        max_unknown_rate: above this share of unknown tokens on the corpus, the model is
            judged not to cover the corpus's script and dense retrieval is switched off.
        chunk_size: chunk length in characters.
        chunk_overlap: characters shared by neighbouring chunks.
        tokenizer: BM25 tokenization (``char12``, ``jieba`` or ``jieba+char2``).
        top_k: passages returned by search and considered for answers.
        candidates: hits taken from each retriever before fusion.
        fusion: how retrievers' rankings combine: ``rrf`` (reciprocal rank) or
            ``weighted`` (min-max scaled scores, weighted by ``fusion_weights``).
        rrf_k: the constant of reciprocal-rank fusion.
        fusion_weights: ``(retriever, weight)`` pairs for ``weighted`` fusion
            (``(("bm25", 1.0), ("dense", 0.5))``); unnamed retrievers weigh 1.
        generator: the answer backend (see :data:`GENERATORS`).
        llm_model: the language model of the ``transformers`` generator (a hub name, a
            local folder, or a path to a ``.gguf`` file), or the served model's name for
            the ``openai`` generator.
        llm_base_url: the ``openai`` generator's server, up to the version path
            (``http://localhost:11434/v1``).
        llm_api_key: the bearer key the ``openai`` server expects ("" for none).
        llm_timeout: seconds one generation may take (``openai``: without an answer from
            the server; ``transformers``: the whole generation).
        llm_max_new_tokens: at most this many tokens per generated answer.
        answer_passages: how many of the top passages answers are drawn from.
        answer_chars: the extractive answer's budget in characters: whole clauses
            around the short answer, up to this length.
        abstain_threshold: answers whose confidence (the estimated probability that the
            answer is right) is below this abstain; None: the threshold chosen when the
            reader model was trained.
        reader_model: path of a trained reader model file (``python -m
            eval.train_reader``); "" for the one shipped with the package.
        max_question_chars: longer questions are refused.
        duplicate_threshold: at ingest, a new article of which at least this share of
            character 5-grams occurs in an indexed one (or the reverse) is a copy of its
            story and is recorded as its alternate instead of being indexed
            (:mod:`corpus.dedupe`); 0 turns near-duplicate detection off.
        dense_index: the dense index type of each segment: ``auto`` (exact search
            below 50,000 chunks, HNSW above), ``flat``, ``hnsw`` or ``ivfpq``.
        score_cache_mb: memory (MiB) for the BM25 scores of frequent terms, kept for the
            index generation served (questions that share a frequent term sum its
            cached scores); 0 keeps none. Answers are the same with any size.
        sentence_cache_mb: memory (MiB) for the extractive reader's prepared sentences
            of recently read passages, per index generation served; 0 keeps none.
            Answers are the same with any size.
    """

    model: str = DEFAULT_MODEL
    device: str = "cpu"
    batch_size: int = 32
    local_files_only: bool = False
    max_unknown_rate: float = 0.2
    chunk_size: int = 300
    chunk_overlap: int = 50
    tokenizer: str = "char12"
    top_k: int = 5
    candidates: int = 50
    fusion: str = "rrf"
    rrf_k: int = 60
    fusion_weights: tuple[tuple[str, float], ...] = ()
    generator: str = "extractive"
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout: float = 60.0
    llm_max_new_tokens: int = 256
    answer_passages: int = 5
    answer_chars: int = 80
    abstain_threshold: float | None = None
    reader_model: str = ""
    max_question_chars: int = MAX_QUESTION_CHARS
    duplicate_threshold: float = DEFAULT_THRESHOLD
    dense_index: str = "auto"
    score_cache_mb: int = 48
    sentence_cache_mb: int = 24

    def __post_init__(self) -> None:
        if self.batch_size <= 0:
            raise ValueError("batch_size must be greater than 0")
        if not 0.0 <= self.max_unknown_rate <= 1.0:
            raise ValueError("max_unknown_rate must be between 0 and 1")
        if self.top_k <= 0:
            raise ValueError("top_k must be greater than 0")
        if self.candidates < self.top_k:
            raise ValueError("candidates must be at least top_k")
        if self.tokenizer not in TOKENIZER_NAMES:
            raise ValueError(
                f"unknown tokenizer {self.tokenizer!r}: choose one of {', '.join(TOKENIZER_NAMES)}"
            )
        if self.fusion not in FUSION_METHODS:
            raise ValueError(
                f"unknown fusion {self.fusion!r}: choose one of {', '.join(FUSION_METHODS)}"
            )
        _ = self.fusion_config  # validates rrf_k and the weights
        if self.generator not in GENERATORS:
            raise ValueError(
                f"unknown generator {self.generator!r}: choose one of {', '.join(GENERATORS)}"
            )
        if self.generator != "extractive" and not self.llm_model.strip():
            raise ValueError(
                f"the {self.generator} generator needs a model: set llm_model "
                "(--llm-model / QA_LLM_MODEL)"
            )
        if self.generator == "openai" and not self.llm_base_url.strip():
            raise ValueError(
                "the openai generator needs the server's address: set llm_base_url "
                "(--llm-base-url / QA_LLM_BASE_URL), e.g. http://localhost:11434/v1"
            )
        if self.llm_base_url and not self.llm_base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"llm_base_url must start with http:// or https://, got {self.llm_base_url!r}"
            )
        if not self.llm_timeout > 0:
            raise ValueError("llm_timeout must be greater than 0")
        if self.llm_max_new_tokens <= 0:
            raise ValueError("llm_max_new_tokens must be greater than 0")
        if self.answer_passages <= 0:
            raise ValueError("answer_passages must be greater than 0")
        if self.answer_chars <= 0:
            raise ValueError("answer_chars must be greater than 0")
        if self.score_cache_mb < 0:
            raise ValueError("score_cache_mb must be at least 0")
        if self.sentence_cache_mb < 0:
            raise ValueError("sentence_cache_mb must be at least 0")
        if self.abstain_threshold is not None and not 0.0 <= self.abstain_threshold <= 1.0:
            raise ValueError("abstain_threshold must be between 0 and 1 (or None)")
        if self.max_question_chars <= 0:
            raise ValueError("max_question_chars must be greater than 0")
        if not 0.0 <= self.duplicate_threshold <= 1.0:
            raise ValueError("duplicate_threshold must be between 0 and 1 (0: off)")
        if self.dense_index not in DENSE_KINDS:
            raise ValueError(
                f"unknown dense index {self.dense_index!r}: choose one of {', '.join(DENSE_KINDS)}"
            )
        _ = self.chunking  # validates chunk_size and chunk_overlap

    @property
    def fusion_config(self) -> Fusion:
        """The fusion part of the configuration."""
        return Fusion(self.fusion, self.rrf_k, self.fusion_weights)

    @property
    def chunking(self) -> ChunkingConfig:
        """The chunking part of the configuration."""
        return ChunkingConfig(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap)
