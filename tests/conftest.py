"""Fixtures shared by every test package.

Tests never reach the network: the Hugging Face libraries are put in offline mode
before anything imports them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.normalize import normalize_for_matching
from tests.small_disk import SmallDisk
from tests.small_disk import small_disk as _small_disk

# Before any Hugging Face library is imported (they read these once, at import).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# The characters of these texts make up the tiny model's vocabulary.
TINY_MODEL_CORPUS: tuple[str, ...] = (
    "新华社北京电 国务院总理今天在人民大会堂会见外国客人。",
    "上海浦东国际机场航班恢复正常，旅客有序出行。",
    "长三角绿色低碳产业链联盟在浙江温州成立，推动新材料新能源企业协同发展。",
    "台风登陆广东，气象台发布暴雨红色预警。",
    "央行宣布下调存款准备金率0.5个百分点。",
    "中国女排三比零战胜对手，晋级世界杯决赛。",
)

_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@pytest.fixture(scope="session")
def tiny_model_corpus() -> tuple[str, ...]:
    """The texts whose characters form the tiny model's vocabulary."""
    return TINY_MODEL_CORPUS


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tiny random BERT wrapped as a sentence-transformers model, saved to disk.

    Hidden size 32, 2 layers, a character vocabulary from :data:`TINY_MODEL_CORPUS`;
    its embeddings mean nothing, but it loads through the same code as a real model.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizer

    try:  # sentence-transformers >= 5.2
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # pragma: no cover - older sentence-transformers
        from sentence_transformers.models import Pooling, Transformer  # type: ignore[no-redef]

    root = tmp_path_factory.mktemp("tiny-model")
    hf_dir = root / "bert"
    hf_dir.mkdir()
    chars = sorted({ch for text in TINY_MODEL_CORPUS for ch in normalize_for_matching(text)})
    vocab = list(_SPECIAL_TOKENS) + [ch for ch in chars if not ch.isspace()]
    (hf_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer.from_pretrained(str(hf_dir))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(hf_dir))
    tokenizer.save_pretrained(str(hf_dir))

    transformer = Transformer(str(hf_dir), max_seq_length=128)
    model = SentenceTransformer(modules=[transformer, Pooling(32)], device="cpu")
    st_dir = root / "sentence-transformer"
    model.save(str(st_dir))
    yield st_dir


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A real 8 MB file system (a tmpfs mounted for the test; skipped where that cannot
    be done), to fill up: disk-full tests see the errors a full disk really gives."""
    with _small_disk(tmp_path / "small-disk") as disk:
        if isinstance(disk, str):
            pytest.skip(disk)
        yield disk
