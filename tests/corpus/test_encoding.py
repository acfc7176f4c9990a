"""decode_bytes: UTF-8 first, GB18030 and Big5 told apart, junk rejected."""

from __future__ import annotations

import codecs
import random

import pytest

from corpus import UnreadableFileError, decode_bytes

TRADITIONAL = (
    "中新網杭州11月1日電，以創新協同長三角、發展新質生產力為主題的第六屆長三角地區國資國企"
    "聯席會議在浙江杭州召開。會上舉行了長三角國資百企聯盟創新子聯盟成立儀式，發布了倡議書，"
    "為構建合作發展大格局注入新動力。"
)
SIMPLIFIED = (
    "新华社北京3月5日电，十四届全国人大二次会议在人民大会堂开幕。国务院总理作政府工作报告，"
    "回顾过去一年的工作，提出今年经济社会发展的主要预期目标和重点任务，并就加快发展新质生产力"
    "作出部署。"
)
SHORT = ["長三角", "你好嗎？", "国务院", "聯盟成立儀式。"]


@pytest.mark.parametrize("text", [TRADITIONAL, SIMPLIFIED, *SHORT])
def test_utf8_with_and_without_bom(text: str) -> None:
    assert decode_bytes(text.encode("utf-8"), "a.txt") == text
    assert decode_bytes(codecs.BOM_UTF8 + text.encode("utf-8"), "a.txt") == text


@pytest.mark.parametrize("text", [TRADITIONAL, SIMPLIFIED, *SHORT])
def test_gb18030(text: str) -> None:
    assert decode_bytes(text.encode("gb18030"), "gb.txt") == text


@pytest.mark.parametrize("text", [TRADITIONAL, "長三角", "你好嗎？", "聯盟成立儀式。"])
def test_big5(text: str) -> None:
    assert decode_bytes(text.encode("big5"), "big5.txt") == text


def test_utf16_with_bom() -> None:
    assert decode_bytes(TRADITIONAL.encode("utf-16"), "u16.txt") == TRADITIONAL


@pytest.mark.parametrize("data", [b"", b"   \n\t ", "  \n".encode("utf-8-sig")])
def test_empty_is_rejected(data: bytes) -> None:
    with pytest.raises(UnreadableFileError, match=r"empty\.txt.*empty"):
        decode_bytes(data, "empty.txt")


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(50), bytes(range(1, 9)) * 20 + b"abc"],
)
def test_binary_is_rejected(data: bytes) -> None:
    with pytest.raises(UnreadableFileError, match=r"pic\.png.*binary"):
        decode_bytes(data, "pic.png")


def test_undetectable_is_rejected() -> None:
    rng = random.Random(7)
    data = bytes(rng.randrange(0x80, 0x100) for _ in range(400))
    with pytest.raises(UnreadableFileError, match=r"noise\.txt.*encoding.*UTF-8"):
        decode_bytes(data, "noise.txt")


def test_latin1_is_rejected_with_advice() -> None:
    with pytest.raises(UnreadableFileError, match="re-save the file as UTF-8"):
        decode_bytes("café naïve résumé déjà vu".encode("latin-1"), "fr.txt")
