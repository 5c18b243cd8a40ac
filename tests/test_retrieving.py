"""Retrieval on the tiny deck with the fake embedder: modes, fusion, the LangChain adapter."""

from __future__ import annotations

import pytest

from qa.errors import ModeError
from qa.fusion import rrf
from qa.retrieving import Retriever


def test_rrf_rewards_agreement_and_respects_weights():
    fused = rrf([[1, 2, 3], [3, 2]], [1.0, 1.0], k=5)
    assert [d for d, _ in fused][:2] == [2, 3] or [d for d, _ in fused][0] in (2, 3)
    only_dense = rrf([[1, 2], [2, 1]], [1.0, 0.0], k=5)
    assert only_dense[0][0] == 1


def test_retriever_modes_and_langchain_adapter(tiny_index, tiny_corpus, fake_embedder):
    r = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
    for mode in ("hybrid", "dense", "bm25"):
        hits = r.search("WTOの紛争解決制度", k=2, mode=mode)
        assert hits[0].section == "Ⅱ-1", mode
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1)) and len(hits) <= 2
    with pytest.raises(ModeError):
        r.search("WTO", mode="fuzzy")
    docs = r.as_langchain(k=1).invoke("WTOの紛争解決制度")
    assert docs[0].metadata["section"] == "Ⅱ-1" and docs[0].metadata["start"] >= 0


def test_english_query_is_not_drowned_by_bm25(tiny_index, tiny_corpus, fake_embedder):
    r = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
    ranked = r.rank("what about the digital trade rules")
    assert ranked.bm25 == [] or len(ranked.matched_terms) <= len(ranked.query_terms)
    assert r.search("what about the digital trade rules", k=3)  # dense still answers


def test_a_link_is_no_sentence_for_the_best_sentence_ranking(tmp_path, fake_embedder):
    from qa.indexing import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deck.txt").write_text(
        "Ⅰ．気候\n Ⅰ－１．気候変動\n 各国はカーボンニュートラルを表明した。\n"
        "https://climateaction.unfccc.int/views/details.html?id=94\n\n"
        " Ⅰ－２．貿易\n 気候変動と貿易のルール作りが進む。\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    r = Retriever.load(index_dir=tmp_path / "index", embedder=fake_embedder, corpus_dir=corpus)
    link = "https://climateaction.unfccc.int/views/details.html?id=94"
    ranking = r.rank(link).sentence  # the link's own words, as a query
    lines = {r.passages[i].section: cos for i, cos in ranking}
    assert lines["Ⅰ-1"] < 0.99  # the slide is ranked by its sentence, not by the link below it
    assert r.best_line_cos(r.embed_query(link)) < 0.99
