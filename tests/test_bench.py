"""The benchmark's baseline (chunk-size matching, LangChain FAISS) and a full run with fakes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from typer.testing import CliRunner

from qa.bench import format_bench, quality, run_bench
from qa.bench_baseline import build_baseline, langchain_embeddings, match_chunk_size, mean_chars, split_corpus
from qa.gold import GoldItem

ROOT = Path(__file__).resolve().parents[1]

PARAGRAPHS = [
    "半導体の供給不足が世界の自動車生産に影響した。各国は半導体の国内生産を支援している。",
    "脱炭素に向けて、各国がグリーン投資を拡大している。日本は二〇五〇年の脱炭素を目標とする。",
    "デジタル貿易のルール作りがWTOで進む。電子商取引の共同声明イニシアティブが交渉中である。",
    "サプライチェーンの強靭化が課題となった。特定国への依存を減らし、調達先を多元化する。",
    "人権デューディリジェンスへの関心が高まっている。企業は供給網の人権尊重を求められる。",
    "通商政策は経済安全保障と一体で考える必要がある。輸出管理と投資審査を強化する。",
]
CORPUS = "\n".join(
    f" {n}．話題{n}\n" + "\n".join(p for _ in range(3)) + "\n"
    for n, p in enumerate(PARAGRAPHS, start=1)
)
KEYWORDS = [("半導体", "semiconductor"), ("脱炭素", "decarbon"), ("WTO", "wto"),
            ("サプライチェーン", "supply chain"), ("人権", "human rights"), ("輸出管理", "export")]


class KeywordEmbedder:
    """A deterministic one-hot keyword embedder following ``qa.embedding.Embedder``."""

    model_id = "test:keywords"
    dim = len(KEYWORDS) + 1
    query_prefix, passage_prefix = "query: ", "passage: "

    def __init__(self):
        self.seen: list[str] = []

    def fingerprint(self) -> str:
        return "keywords-v1"

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        rows = []
        for t in texts:
            self.seen.append(prefix + t)
            low = t.lower()
            v = [float(low.count(ja.lower()) + low.count(en)) for ja, en in KEYWORDS] + [0.05]
            rows.append(v)
        arr = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return arr / np.linalg.norm(arr, axis=1, keepdims=True)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)


def gold_item(id_, lang, question, evidence, answerable=True):
    return GoldItem(id_, lang, question, "x" if answerable else None,
                    ("x",) if answerable else (), tuple(evidence), "test")


GOLD = [
    gold_item("ja-001", "ja", "半導体の国内生産は？", ["各国は半導体の国内生産を支援している"]),
    gold_item("ja-002", "ja", "輸出管理はどうする？", ["輸出管理と投資審査を強化する"]),
    gold_item("en-001", "en", "What about human rights in supply networks?",
              ["供給網の人権尊重"]),
    gold_item("en-002", "en", "Which WTO talks cover e-commerce?", ["電子商取引の共同声明"]),
    gold_item("en-na-001", "en", "What is the 2030 semiconductor budget?", [], answerable=False),
]


@pytest.fixture(scope="module")
def real_text() -> dict[str, str]:
    path = ROOT / "corpus" / "trade_policy_2021.txt"
    return {path.name: path.read_text(encoding="utf-8")}


@pytest.mark.parametrize("target", [120.0, 258.0])
def test_chunk_size_matches_mean_length_on_the_real_text(real_text, target):
    size, mean = match_chunk_size(real_text, target)
    assert abs(mean - target) <= 0.05 * target
    docs = split_corpus(real_text, size)
    assert mean_chars([d.page_content for d in docs]) == pytest.approx(mean)
    assert all(len(d.page_content) <= size for d in docs)
    # keep_separator="end": a sentence's 。 stays with it instead of opening the next chunk
    assert not any(d.page_content.startswith("。") for d in docs)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_baseline_with_deterministic_fake_embedding(tmp_path, monkeypatch):
    from langchain_community.vectorstores import FAISS

    def no_pickle(*args, **kwargs):
        raise AssertionError("the baseline must never pickle its store")

    monkeypatch.setattr(FAISS, "save_local", no_pickle)
    texts = {"doc.txt": CORPUS}
    store, docs = build_baseline(texts, 60, DeterministicFakeEmbedding(size=8))
    assert len(docs) > 5 and store.index.ntotal == len(docs)
    assert docs[0].metadata["source"] == "doc.txt"
    found = store.similarity_search(docs[3].page_content, k=2)
    assert found[0].page_content == docs[3].page_content  # same text, same fake vector


def test_langchain_adapter_adds_the_same_prefixes():
    emb = KeywordEmbedder()
    lc = langchain_embeddings(emb)
    vec = lc.embed_query("semiconductor supply")
    assert np.allclose(vec, emb.encode_queries(["semiconductor supply"])[0])
    lc.embed_documents(["半導体"])
    assert "query: semiconductor supply" in emb.seen and "passage: 半導体" in emb.seen


def test_quality_ignores_unanswerable_items():
    flags = [[True], [False, True], [False], [True], [True]]
    q = quality(GOLD, flags)
    assert q["hit_at_1"] == {"ja": 0.5, "en": 0.5}
    assert q["mrr_at_10"] == {"ja": 0.75, "en": 0.5}


def test_run_bench_side_by_side_with_a_keyword_embedder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_text(CORPUS, encoding="utf-8")
    r = run_bench(corpus, GOLD, split="all", embedder=KeywordEmbedder(), progress=False)
    assert r["n_queries"] == 5 and r["n_answerable"] == {"ja": 2, "en": 2}
    assert r["index_build_s"] > 0 and r["index_bytes"] > 0 and r["peak_rss_mb"] > 0
    assert set(r["latency_ms"]) == {"hybrid", "dense", "bm25"}
    assert all(set(v) == {"p50", "p95"} for v in r["latency_ms"].values())
    for metric in ("hit_at_1", "hit_at_5", "mrr_at_10"):
        for side in ("project", "baseline"):
            assert set(r[metric][side]) == {"ja", "en"}
            assert all(0 <= v <= 1 for v in r[metric][side].values())
    b = r["baseline"]
    assert b["index_build_s"] >= 0 and b["latency_ms"]["dense"]["p50"] > 0
    assert b["chunk_overlap"] == round(b["chunk_size"] * 0.1)
    assert abs(b["mean_chars"] - r["project"]["mean_chars"]) <= 0.05 * r["project"]["mean_chars"]
    # the keyword embedder ranks the passage with the question's keyword first
    assert r["hit_at_1"]["project"]["ja"] == 1.0
    json.dumps(r)  # --json must be able to print it
    table = format_bench(r)
    assert "hit_at_1 ja" in table and "baseline" in table


def test_cli_bench_missing_gold_is_a_user_error(tmp_path):
    from qa.cli import app

    result = CliRunner().invoke(app, ["bench", "--gold", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "gold file not found" in result.output
