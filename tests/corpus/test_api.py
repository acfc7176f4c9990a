"""The package's public API is what __all__ says, and corpus imports nothing of ours."""

from __future__ import annotations

import ast
from pathlib import Path

import corpus

CORPUS_DIR = Path(corpus.__file__).parent
OURS = {"embeddings", "qa", "service", "eval", "tests"}


def test_all_names_exist() -> None:
    for name in corpus.__all__:
        assert hasattr(corpus, name), name
    for name in (
        "Document",
        "Chunk",
        "CleaningReport",
        "Removal",
        "ChunkingConfig",
        "chunk_document",
        "chunk_documents",
        "normalize_for_matching",
        "detect_script",
        "to_script",
        "clean_article",
        "CleanedArticle",
        "load_documents",
        "LoadResult",
        "SkippedFile",
        "document_from_text",
        "decode_bytes",
        "CorpusError",
        "UnreadableFileError",
        "EmptyCorpusError",
        "PathNotFoundError",
        "Progress",
    ):
        assert name in corpus.__all__, name


def test_path_not_found_is_a_corpus_error() -> None:
    assert issubclass(corpus.PathNotFoundError, corpus.CorpusError)
    assert issubclass(corpus.CorpusError, corpus.QAError)


def test_corpus_imports_nothing_of_ours() -> None:
    for path in CORPUS_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in OURS, f"{path}: imports {name}"
