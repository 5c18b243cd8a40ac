"""Smoke test of the scaling benchmark on a tiny deck (the full run is `qa bench --scale`)."""

from __future__ import annotations

from support import TINY_DECK

from qa.bench_scale import run_scale
from qa.scale_report import ann_table, table


def test_scale_benchmark_runs_on_tiny_sizes(tmp_path):
    deck = tmp_path / "deck.txt"
    deck.write_text(TINY_DECK, encoding="utf-8")
    extra = tmp_path / "extra.md"
    extra.write_text("# 追加の文書\n\n半導体の供給網を強化する。\n", encoding="utf-8")
    questions = ["WTO改革とは？", "デジタル貿易のルールは？", "What is the growth forecast?"]
    result = run_scale(deck, questions, tmp_path / "work", sizes=(1, 3), real_model=False,
                       add_doc=extra, log=lambda s: None)
    one, three = result["sizes"]["1"], result["sizes"]["3"]
    assert three["documents"] == 3 and three["passages"] == 3 * one["passages"]
    assert three["add_changes"].startswith("added extra.md (3 unchanged")
    assert set(three["query"]) == {"dense", "bm25", "hybrid"}
    assert three["ann"]["passages"]["exact"]["recall_at_10"] == 1.0
    assert "| 3x | 3 |" in table(result) and "hnsw32_ef64" in ann_table(three["ann"])
    assert not (tmp_path / "work" / "x3").exists()  # work files are removed


def test_large_corpora_rank_sentences_within_a_pool_of_near_passages(tiny_index, fake_embedder, monkeypatch):
    from qa.indexing import load_index
    from qa.retrieving import Retriever

    r = Retriever(load_index(tiny_index), lambda: fake_embedder)
    vec = r.embed_query("WTOの紛争解決制度")
    everything = list(range(len(r.passages)))
    full, pooled = r._sentence_ranking(vec, 50), r._sentence_ranking(vec, 50, everything)
    assert [i for i, _ in full] == [i for i, _ in pooled]
    assert [round(s, 5) for _, s in full] == [round(s, 5) for _, s in pooled]
    before = [h.id for h in r.search("WTOの紛争解決制度", k=3)]
    monkeypatch.setattr("qa.retrieving.SENTENCE_SCAN_LIMIT", 0)  # treat the tiny deck as large
    assert [h.id for h in r.search("WTOの紛争解決制度", k=3)] == before


def test_scale_benchmark_compares_the_milvus_store(tmp_path, monkeypatch):
    from qa.scale_report import store_table

    for name in ("QA_STORE", "QA_MILVUS_URI", "QA_MILVUS_COLLECTION"):
        monkeypatch.delenv(name, raising=False)  # milvus-lite files in the work folder
    deck = tmp_path / "deck.txt"
    deck.write_text(TINY_DECK, encoding="utf-8")
    result = run_scale(deck, ["WTO改革とは？", "What is the growth forecast?"], tmp_path / "work", sizes=(2,),
                       real_model=False, ann=False, log=lambda s: None, stores=("faiss", "milvus"))
    row = result["sizes"]["2"]
    assert set(row["milvus"]["query"]) == {"dense", "bm25", "hybrid"} and row["milvus"]["write_s"] > 0
    assert row["serving_rss_mb"] > 0 and row["milvus"]["serving_rss_mb"] > 0
    assert "| 2x | faiss |" in store_table(result) and "| 2x | milvus |" in store_table(result)
    assert not (tmp_path / "work" / "x2").exists()
