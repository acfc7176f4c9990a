"""Searching an index whose writes left segments without rows (their documents deleted)."""

from __future__ import annotations

from pathlib import Path

from qa import Assistant, AssistantConfig, document_from_text

ARTICLES = Path(__file__).resolve().parents[2] / "corpus" / "articles"


def test_search_after_every_document_of_a_segment_is_deleted(tmp_path: Path) -> None:
    assistant = Assistant.from_paths([ARTICLES], AssistantConfig(model=""))
    assistant.save(tmp_path / "idx")
    ids = []
    for i in range(3):
        doc = document_from_text(
            f"新华社北京电 第{i}期工程今天投入使用,总投资{i}亿元。", source=f"s{i}"
        )
        assistant.add_documents([doc])
        assistant.save(tmp_path / "idx")
        ids.append(doc.id)
    assistant.remove_documents(ids[:2])
    assistant.save(tmp_path / "idx")
    # Merging left segments of no rows, hence no terms: their term table is empty (a
    # lookup there once indexed past its end, a 500 under the service's load test).
    assert any(st.segment.size == 0 for st in assistant.snapshot.states)
    passages = assistant.search("工程投资")
    assert [p.document.id for p in passages][:1] == [ids[2]]
    assert assistant.ask("第2期工程总投资多少?").passages
