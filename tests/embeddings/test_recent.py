"""The byte-bounded cache of recently used values (decoded documents, prepared sentences)."""

from __future__ import annotations

import pytest

from embeddings.recent import Recent


def test_the_cache_holds_its_byte_budget_and_drops_the_least_recent() -> None:
    recent: Recent[str, str] = Recent(100)
    recent.put("a", "A", 40)
    recent.put("b", "B", 40)
    assert recent.get("a") == "A"  # now the most recent
    recent.put("c", "C", 40)  # over budget: "b", the least recently used, goes
    assert recent.get("b") is None
    assert (recent.get("a"), recent.get("c")) == ("A", "C")
    assert recent.used == 80 and len(recent) == 2
    recent.put("a", "A2", 10)  # a key put again counts once
    assert recent.used == 50 and recent.get("a") == "A2"


def test_a_value_larger_than_the_budget_is_returned_but_not_kept() -> None:
    recent: Recent[str, str] = Recent(100)
    recent.put("a", "A", 60)
    assert recent.put("big", "BIG", 101) == "BIG"
    assert recent.get("big") is None and recent.get("a") == "A" and recent.used == 60
    with pytest.raises(ValueError, match="budget"):
        Recent(-1)
