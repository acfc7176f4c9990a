from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa import Assistant, AssistantConfig

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "corpus" / "articles"
SEED = ROOT / "eval" / "questions" / "seed.jsonl"


@pytest.fixture(scope="session")
def seed_assistant() -> Assistant:
    return Assistant.from_paths([ARTICLES], AssistantConfig(model=""))


def tiny_squad() -> dict[str, object]:
    """Two articles, three paragraphs, four questions (one DRCD-style alternative)."""
    return {
        "version": "test",
        "data": [
            {
                "id": "A1",
                "title": "台风",
                "paragraphs": [
                    {
                        "id": "A1-1",
                        "context": "台风“海葵”于9月3日在台湾台东登陆，最大风力达到15级。",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "台风海葵在哪里登陆?",
                                "answers": [{"text": "台湾台东", "answer_start": 12}],
                            },
                            {
                                "id": "q2",
                                "question": "台风海葵最大风力达到几级?",
                                "answers": [{"text": "15级", "answer_start": 99}],
                            },
                        ],
                    },
                    {
                        "id": "A1-2",
                        "context": "气象台发布暴雨红色预警，提醒市民减少外出。",
                        "qas": [
                            {
                                "id": "q3",
                                "question": "气象台发布了什么预警?",
                                "answers": [
                                    {"id": "2", "text": "红色预警", "answer_start": 7},
                                    {"id": "1", "text": "暴雨红色预警", "answer_start": 5},
                                ],
                            }
                        ],
                    },
                ],
            },
            {
                "id": "B1",
                "title": "女排",
                "paragraphs": [
                    {
                        "id": "B1-1",
                        "context": "中国女排以三比零战胜对手，晋级世界杯决赛。",
                        "qas": [
                            {
                                "id": "q4",
                                "question": "中国女排以什么比分战胜对手?",
                                "answers": [{"text": "三比零", "answer_start": 5}],
                            }
                        ],
                    }
                ],
            },
        ],
    }


@pytest.fixture()
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_squad.json"
    path.write_text(json.dumps(tiny_squad(), ensure_ascii=False), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return path
