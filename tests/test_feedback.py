"""Feedback on chat answers: the JSONL file (one valid line per vote, atomic, no API keys), its
export as gold lines that ``qa eval --gold`` reads, and the ``qa feedback export`` command."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from typer.testing import CliRunner

from qa.cli import app
from qa.config import PROJECT_ROOT, Config
from qa.feedback import FeedbackLog, export_gold
from qa.gold import load_gold, select_split
from qa.records import Answer, Citation, Hit

SECRET = "sk-test-0123456789abcdef"


def _answer(question: str = "G7サミットはどこで開催された？", language: str = "ja") -> Answer:
    hit = Hit("Ⅱ-2#2", "Ⅱ-2", "EUの動向", "G7サミット：6月11日～13日＠コーンウォール", 0.4, 10, 33, 1)
    cite = Citation(1, hit.id, hit.section, hit.title, hit.text, hit.start, hit.end)
    return Answer(question, language, f"「{hit.text}」[1]。", False, [cite], [hit], {"total_ms": 40.0})


SETTINGS = {"mode": "hybrid", "k": 5, "answerer": "extractive"}


def _lines(log: FeedbackLog) -> list[dict]:
    return [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]


def test_a_vote_is_one_line_with_the_answer_its_citations_and_settings(tmp_path):
    log = FeedbackLog(tmp_path / "fb")
    log.record("r1", _answer(), "up", "ja", SETTINGS)
    (line,) = _lines(log)
    assert line["id"] == "r1" and line["vote"] == "up" and line["time"].endswith("Z")
    assert line["question"] == "G7サミットはどこで開催された？" and line["language"] == "ja"
    assert line["answer"].startswith("「G7サミット") and line["citations"][0]["section"] == "Ⅱ-2"
    assert line["settings"] == SETTINGS and line["ui_language"] == "ja"
    assert "confidence" in line and "confidence_label" in line  # None until the answerer sets them
    assert line["passages"] == [{"id": "Ⅱ-2#2", "section": "Ⅱ-2", "rank": 1, "score": 0.4}]


def test_a_new_vote_or_comment_replaces_the_line_and_withdrawing_removes_it(tmp_path):
    log = FeedbackLog(tmp_path)
    log.record("r1", _answer(), "up", "ja", SETTINGS)
    log.record("r2", _answer("RCEPとは？"), "down", "ja", SETTINGS)
    log.record("r1", _answer(), "down", "ja", SETTINGS, comment="  wrong slide  ")
    assert [(x["id"], x["vote"], x["comment"]) for x in _lines(log)] == [
        ("r2", "down", ""), ("r1", "down", "wrong slide")]
    log.remove("r2")
    assert [x["id"] for x in _lines(log)] == ["r1"]
    assert not list(tmp_path.glob(".feedback-*.tmp"))  # no temporary file left behind


def test_api_keys_never_reach_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    config = Config.from_env()
    log = FeedbackLog(tmp_path, config.secrets)
    log.record("r1", _answer(f"my key is {SECRET}, what is RCEP?", "en"), "down", "en", SETTINGS,
               comment=f"key {SECRET}")
    text = log.path.read_text(encoding="utf-8")
    assert SECRET not in text and "[redacted]" in text
    assert SECRET not in repr(config)


def test_concurrent_votes_all_land_as_valid_lines(tmp_path):
    log = FeedbackLog(tmp_path)
    args = [(f"r{i}", _answer(f"質問{i}"), "down", "ja", SETTINGS) for i in range(16)]
    threads = [threading.Thread(target=log.record, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(x["id"] for x in _lines(log)) == sorted(f"r{i}" for i in range(16))


def test_down_votes_export_as_gold_lines_that_eval_reads(tmp_path):
    log = FeedbackLog(tmp_path / "fb")
    log.record("a1", _answer("What is CBAM?", "en"), "down", "en", SETTINGS)
    log.record("a2", _answer("What is CBAM?", "en"), "down", "ja", SETTINGS)  # same question again
    log.record("a3", _answer(), "up", "ja", SETTINGS)
    log.record("a4", _answer("DFFTとは何ですか。"), "down", "ja", SETTINGS)
    out = tmp_path / "gold.jsonl"
    n, _ = export_gold(log.folder, out)
    items = load_gold(out)
    assert n == 2 and [(g.id, g.lang, g.question) for g in items] == [
        ("fb-a1", "en", "What is CBAM?"), ("fb-a4", "ja", "DFFTとは何ですか。")]
    assert all(g.answer is None and g.split == "feedback" for g in items)
    assert select_split(items, "all") == items  # what `qa eval --gold FILE` (default split) takes


def test_qa_feedback_export_command(tmp_path):
    FeedbackLog(tmp_path / "fb").record("a1", _answer(), "down", "ja", SETTINGS)
    out = tmp_path / "gold.jsonl"
    result = CliRunner().invoke(app, ["feedback", "export", "--dir", str(tmp_path / "fb"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 down-voted question(s) written to" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["answer"] is None
    printed = CliRunner().invoke(app, ["feedback", "export", "--dir", str(tmp_path / "fb")])
    assert json.loads(printed.stdout.splitlines()[0])["question"] == "G7サミットはどこで開催された？"
    missing = CliRunner().invoke(app, ["feedback", "export", "--dir", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no feedback recorded yet" in missing.output
    assert "Traceback" not in missing.output


def test_the_feedback_folder_is_configurable_and_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.delenv("QA_FEEDBACK_DIR", raising=False)
    default = Config.from_env().feedback_dir
    assert PROJECT_ROOT not in default.parents and default.name == "feedback"
    monkeypatch.setenv("QA_FEEDBACK_DIR", str(tmp_path / "votes"))
    assert Config.from_env().feedback_dir == Path(tmp_path / "votes")
