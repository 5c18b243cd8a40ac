"""The evaluation runner end to end with fakes, the tiny index and the real model; ``qa eval``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from support import GOOD, write_lines
from typer.testing import CliRunner

from qa.evaluating import parse_modes, read_results, run_eval
from qa.gold import load_gold
from qa.metrics import (
    compute_metrics,
    is_relevant,
)
from qa.records import Answer, Citation, Hit, Passage
from qa.report import summary_table

ROOT = Path(__file__).resolve().parents[1]


def test_parse_modes():
    assert parse_modes("hybrid") == ["hybrid"]
    assert parse_modes("all") == ["hybrid", "dense", "bm25"]
    assert parse_modes("bm25, dense") == ["bm25", "dense"]
    with pytest.raises(ValueError, match="unknown mode"):
        parse_modes("sparse")


SOURCE = ("第一節 世界の成長率は 6.0 です。\n"
          "第二節 日本の成長率は 3.3 です。\n"
          "第三節 米国の成長率は 6.4 です。\n")


LINES = SOURCE.splitlines()


PASSAGES = []


for n, line in enumerate(LINES, start=1):
    start = SOURCE.index(line)
    PASSAGES.append(Passage(f"P{n}", f"S{n}", f"節{n}", line, start, start + len(line), "doc.txt"))


GOLD_ROWS = [
    GOOD,
    {"id": "en-001", "lang": "en", "question": "Japan growth?", "answer": "3.3%",
     "answer_keys": ["3.3"], "evidence": ["日本の成長率は3.3"], "split": "dev"},
    {"id": "ja-na-001", "lang": "ja", "question": "火星の成長率は？", "answer": None,
     "answer_keys": [], "evidence": [], "split": "dev"},
    {"id": "en-002", "lang": "en", "question": "US growth?", "answer": "6.4%",
     "answer_keys": ["6.4"], "evidence": ["米国の成長率"], "split": "test"},
]


# question -> ranking (passage ids): ranks of the relevant passage are 1, 2, -, none
RANKING = {"世界の成長率は？": ["P1", "P2", "P3"], "Japan growth?": ["P1", "P2", "P3"],
           "火星の成長率は？": ["P3", "P1", "P2"], "US growth?": ["P1", "P2"]}


class FakeRetriever:
    passages = PASSAGES

    def __init__(self):
        self.calls = []

    def search(self, query, k=5, mode="hybrid"):
        self.calls.append((query, k, mode))
        ranking = RANKING.get(query, [])
        ids = ranking if mode != "bm25" else list(reversed(ranking))
        by_id = {p.id: p for p in PASSAGES}
        return [Hit(p.id, p.section, p.title, p.text, 1.0 / r, p.start, p.end, r)
                for r, p in enumerate((by_id[i] for i in ids[:k]), start=1)]


class FakeAssistant:
    """Answers with its top passage and cites its first six characters; abstains on 火星.

    The citation for "Japan growth?" has its offsets shifted by one, so it is invalid."""

    def __init__(self, retriever):
        self.retriever = retriever

    def ask(self, question, history=None, k=5, mode="hybrid"):
        hits = self.retriever.search(question, k, mode)
        if "火星" in question:
            return Answer(question, "ja", "文書に記載がありません。", True, [], hits,
                          {"retrieve_ms": 1.0, "answer_ms": 2.0})
        top = hits[0]
        shift = 1 if question == "Japan growth?" else 0
        cite = Citation(1, top.id, top.section, top.title, top.text[:6], top.start + shift,
                        top.start + shift + 6)
        return Answer(question, "ja", top.text, False, [cite], hits,
                      {"retrieve_ms": 1.0, "answer_ms": 2.0})


@pytest.fixture
def setup(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_text(SOURCE, encoding="utf-8")
    gold = load_gold(write_lines(tmp_path / "gold.jsonl", GOLD_ROWS))
    retriever = FakeRetriever()
    return corpus, gold, retriever, FakeAssistant(retriever)


def test_run_eval_end_to_end_known_metrics(tmp_path, setup):
    corpus, gold, retriever, assistant = setup
    out = tmp_path / "run"
    metrics = run_eval(gold, retriever, assistant, k=5, mode="hybrid", split="all",
                       retrieval_only=False, out_dir=out, progress=False, corpus_dir=corpus)
    for name in ("results.jsonl", "metrics.json", "report.md", "hit_at_k.png", "latency.png"):
        assert (out / name).is_file(), name
    assert {q for q, k, _ in retriever.calls if k == 10} == set(RANKING)  # top 10 internally

    m = metrics["modes"]["hybrid"]
    a, u = m["all"]["answerable"], m["all"]["unanswerable"]
    assert a["n"] == 3 and u["n"] == 1
    assert a["hit@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert a["hit@3"] == a["hit@10"] == pytest.approx(2 / 3, abs=1e-4)
    assert a["mrr@10"] == 0.5
    assert a["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 3, abs=1e-4)
    assert a["accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert a["citation_validity"] == pytest.approx(2 / 3, abs=1e-4)
    assert a["citation_support"] == pytest.approx(1 / 3, abs=1e-4)
    assert a["citation_support_per_citation"] == pytest.approx(1 / 3, abs=1e-4)
    assert u["accuracy"] == 1.0
    assert m["all"]["abstention"]["precision"] == 1.0 and m["all"]["abstention"]["recall"] == 1.0
    assert m["en"]["answerable"]["mrr@10"] == 0.25  # ranks [2, none]
    assert m["ja"]["answerable"]["hit@1"] == 1.0
    assert m["all"]["latency_ms"]["answer"] == {"p50": 2.0, "p95": 2.0}

    # metrics.json is what was returned, and every figure is recomputable from results.jsonl
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == metrics
    rows = read_results(out / "results.jsonl")
    assert compute_metrics(rows) == metrics["modes"]
    for row in rows:
        assert row["relevant"] == [is_relevant(p["text"], row["evidence"]) for p in row["passages"]]
        assert {"id", "section", "text", "score", "rank"} <= set(row["passages"][0])
    jp = next(r for r in rows if r["id"] == "en-001")
    assert jp["citations"][0]["n"] == 1 and jp["citations"][0]["valid"] is False

    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| en | answerable | 2 | 0.000 | 0.500 |" in report
    assert "![hit_at_k.png](hit_at_k.png)" in report


def test_run_eval_retrieval_only_several_modes_and_split(tmp_path, setup):
    corpus, gold, retriever, assistant = setup
    out = tmp_path / "run"
    metrics = run_eval(gold, retriever, assistant, k=3, mode="all", split="dev",
                       retrieval_only=True, out_dir=out, progress=False)
    assert list(metrics["modes"]) == ["hybrid", "dense", "bm25"]
    assert metrics["run"]["retrieval_only"] is True and metrics["run"]["n_questions"] == 3
    rows = read_results(out / "results.jsonl")
    assert len(rows) == 9 and all(r["answer"] is None for r in rows)
    # bm25 (reversed rankings in the fake) puts P1 third for the Japanese question
    assert metrics["modes"]["bm25"]["ja"]["answerable"]["mrr@10"] == pytest.approx(1 / 3, abs=1e-4)
    assert "accuracy" not in metrics["modes"]["dense"]["all"]["answerable"]
    assert "bm25" in summary_table(metrics) and "## Mode: bm25" in (out / "report.md").read_text()


def test_run_eval_with_the_real_retriever_and_assistant_on_a_tiny_index(
        tmp_path, monkeypatch, tiny_corpus, tiny_index, fake_embedder):
    """The real ``Retriever`` and ``Assistant`` (fake embedder): the interface run_eval uses."""
    from qa.chain import Assistant
    from qa.retrieving import Retriever

    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    retriever = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
    assistant = Assistant.load(index_dir=tiny_index, llm="extractive", retriever=retriever)
    gold = load_gold(write_lines(tmp_path / "gold.jsonl", [
        {"id": "ja-001", "lang": "ja", "question": "WTOの上級委員会はどうなっていますか。",
         "answer": "機能停止", "answer_keys": ["機能停止"], "evidence": ["上級委員会の機能停止"],
         "split": "dev"},
        {"id": "en-001", "lang": "en", "question": "How many countries join the e-commerce talks?",
         "answer": "86", "answer_keys": ["86"], "evidence": ["86か国が参加"], "split": "dev"},
        {"id": "ja-na-001", "lang": "ja", "question": "火星の人口は何人ですか。", "answer": None,
         "answer_keys": [], "evidence": [], "split": "dev"},
    ]))
    out = tmp_path / "run"
    metrics = run_eval(gold, retriever, assistant, k=3, out_dir=out, progress=False,
                       corpus_dir=tiny_corpus)
    rows = read_results(out / "results.jsonl")
    assert len(rows) == 3 and all(r["abstained"] is not None for r in rows)
    assert compute_metrics(rows) == metrics["modes"]
    a = metrics["modes"]["hybrid"]["all"]["answerable"]
    assert a["n"] == 2 and a["hit@10"] == 1.0  # three slides: the evidence is always retrieved
    # the assistant verifies its quotes, so every citation it gives must check out here too
    assert all(c["valid"] for r in rows for c in r["citations"])


def test_cli_eval_missing_or_bad_gold_is_a_user_error(tmp_path):
    from qa.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["eval", "--gold", str(tmp_path / "missing.jsonl"),
                                 "--retrieval-only"])
    assert result.exit_code == 2
    assert "gold file not found" in result.output
    assert "Traceback" not in result.output

    bad = write_lines(tmp_path / "bad.jsonl", [GOOD, "{oops"])
    result = runner.invoke(app, ["eval", "--gold", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output

    result = runner.invoke(app, ["eval", "--gold", str(bad), "--split", "nope"])
    assert result.exit_code == 2


def test_cli_eval_json_with_fake_retriever(tmp_path, monkeypatch, setup):
    from qa.cli import app
    from qa.retrieving import Retriever

    corpus, _, retriever, _ = setup
    gold = write_lines(tmp_path / "gold.jsonl", GOLD_ROWS)
    monkeypatch.setattr(Retriever, "load", classmethod(lambda cls, **kw: retriever))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", "--gold", str(gold), "--retrieval-only", "--json",
                                      "--split", "dev", "--mode", "dense", "--out", str(out)])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["modes"]["dense"]["all"]["answerable"]["n"] == 2
    assert (out / "report.md").is_file()

    result = CliRunner().invoke(app, ["eval", "--gold", str(gold), "--retrieval-only",
                                      "--mode", "sparse", "--out", str(out)])
    assert result.exit_code == 2 and "unknown mode" in result.output


@pytest.mark.slow
def test_real_retrieval_only_eval_on_dev(tmp_path, real_assistant):
    """The committed index and the real model: hybrid finds most dev evidence in the top 10."""
    gold = load_gold(ROOT / "eval" / "gold.jsonl")
    metrics = run_eval(gold, real_assistant.retriever, None, mode="hybrid", split="dev",
                       retrieval_only=True, out_dir=tmp_path, progress=False)
    a = metrics["modes"]["hybrid"]["all"]["answerable"]
    assert a["n"] == 248
    assert a["hit@10"] >= 0.8
