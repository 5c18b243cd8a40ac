"""Reading the gold file: validation errors name the line; splits."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import GOOD, write_lines

from qa.errors import GoldError
from qa.gold import load_gold, select_split

ROOT = Path(__file__).resolve().parents[1]


def test_real_gold_file_loads():
    items = load_gold(ROOT / "eval" / "gold.jsonl")
    assert len(items) == 646
    assert {i.lang for i in items} == {"ja", "en"}
    unanswerable = {lang: sum(not i.answerable and i.lang == lang for i in items) for lang in ("ja", "en")}
    assert unanswerable == {"ja": 76, "en": 75}  # at least 30 a language, near misses included
    assert len(select_split(items, "dev")) + len(select_split(items, "test")) == 646


@pytest.mark.parametrize("bad, message", [
    ("{not json", "line 2"),
    ({**GOOD, "id": "x", "extra": 1}, "unknown extra"),
    ({k: v for k, v in GOOD.items() if k != "evidence"}, "missing evidence"),
    ({**GOOD, "id": "x", "lang": "fr"}, "'lang' must be one of"),
    ({**GOOD, "id": "x", "evidence": []}, "needs answer_keys and evidence"),
    ({**GOOD, "id": "x", "answer_keys": "6.0"}, "'answer_keys' must be a list"),
    ({**GOOD, "id": "x", "answer": 6.0}, "'answer' must be a string or null"),
    ([1, 2], "not a JSON object"),
    (GOOD, "duplicate id 'ja-001'"),
])
def test_schema_errors_name_the_line(tmp_path, bad, message):
    path = write_lines(tmp_path / "gold.jsonl", [GOOD, bad])
    with pytest.raises(GoldError, match="line 2") as err:
        load_gold(path)
    assert message in str(err.value)


def test_missing_and_empty_gold_files(tmp_path):
    with pytest.raises(GoldError, match="not found"):
        load_gold(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(GoldError, match="no questions"):
        load_gold(tmp_path / "empty.jsonl")
    items = load_gold(write_lines(tmp_path / "g.jsonl", [GOOD]))
    with pytest.raises(GoldError, match="no gold questions in split 'test'"):
        select_split(items, "test")


def test_held_out_questions_load_and_stay_out_of_the_gold_set():
    """eval/heldout.jsonl checks what `qa fit` never sees: none of its questions is a gold one."""
    held = load_gold(ROOT / "eval" / "heldout.jsonl")
    assert len(held) == 511 and {i.lang for i in held} == {"ja", "en"}
    gold = {i.question for i in load_gold(ROOT / "eval" / "gold.jsonl")}
    assert not [i.question for i in held if i.question in gold]
