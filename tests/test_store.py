"""The store interface on both stores (FAISS in process, Milvus through milvus-lite): the same
tiny index searched the same way, BM25 as bm25s scores it, incremental updates, and the Milvus
faults a user meets (unreachable server, missing collection, wrong store, wrong dimension)."""

from __future__ import annotations

import gc
import json
import socket
import threading
import time

import numpy as np
import psutil
import pytest
from support import FakeEmbedder, edit_manifest

from qa.errors import IndexLoadError, StoreError
from qa.indexing import build_index, load_index, read_manifest, update_index
from qa.lexical import LocalBm25, bm25_weights, query_counts, vocabulary
from qa.retrieving import Retriever

QUERIES = ["WTOの紛争解決制度と上級委員会", "デジタル貿易のルール", "世界経済の回復", "What is WTO reform?"]
EXTRA = "# 半導体戦略\n\n半導体の供給網を強化する。先端半導体の製造拠点を国内に誘致する。\n"


def _release(uri) -> None:
    """Stop the milvus-lite server of ``uri`` (one per .db path, kept until released)."""
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(uri))


@pytest.fixture
def milvus_env(monkeypatch, tmp_path):
    """QA_MILVUS_URI at a milvus-lite file in tmp_path; released (and nothing left running) after."""
    for name in ("QA_STORE", "QA_MILVUS_TOKEN", "QA_MILVUS_USER", "QA_MILVUS_PASSWORD",
                 "QA_MILVUS_COLLECTION", "QA_MILVUS_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    uri = tmp_path / "milvus.db"
    monkeypatch.setenv("QA_MILVUS_URI", str(uri))
    threads = threading.active_count()
    yield uri
    _release(uri)
    assert psutil.Process().children(recursive=True) == []  # milvus-lite 3 runs in process
    # its server threads wind down after the release (grpc may keep a poller); a busy 2-core
    # machine can take seconds, so the wait is long and ends as soon as they are gone. The grpc
    # server's idle ThreadPoolExecutor workers exit only once their executor is collected (a CI
    # run kept three for the whole minute): collect while waiting
    deadline = time.monotonic() + 60
    while threading.active_count() > threads + 2 and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert threading.active_count() <= threads + 2, [t.name for t in threading.enumerate()]


@pytest.fixture(params=["faiss", "milvus"])
def store(request, milvus_env):
    return request.param


def _built(tmp_path, corpus, embedder, store, name="index"):
    build_index(corpus, tmp_path / name, embedder, progress=False, store=store)
    return tmp_path / name


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- BM25 as a sparse inner product ---------------------------------------------------------

def test_sparse_inner_product_is_the_bm25s_score():
    import bm25s

    docs = [["世界", "経済", "回復", "経済"], ["WTO", "改革", "紛争", "解決"], [], ["経済", "安全", "保障"],
            ["WTO", "WTO", "交渉", "電子", "商取引", "経済"]]
    vocab = vocabulary(docs)
    weights = bm25_weights(docs, vocab)
    ref = bm25s.BM25()
    ref.index(docs, show_progress=False)
    for query in (["経済"], ["WTO", "経済"], ["経済", "経済", "回復"], ["保障", "未知語"]):
        sparse = query_counts(query, vocab)
        mine = [sum(w.get(t, 0.0) * c for t, c in sparse.items()) for w in weights]
        known = [t for t in query if t in ref.vocab_dict]
        assert np.allclose(mine, ref.get_scores(known), rtol=1e-6, atol=1e-7), query


def test_local_bm25_scores_and_ranks_as_bm25s():
    import bm25s

    docs = [["世界", "経済", "回復", "経済"], ["WTO", "改革", "紛争", "解決"], [], ["経済", "安全", "保障"],
            ["WTO", "WTO", "交渉", "電子", "商取引", "経済"], ["経済"], ["回復", "回復", "世界"]]
    mine = LocalBm25(docs)
    ref = bm25s.BM25()
    ref.index(docs, show_progress=False)
    assert mine.vocab == set(ref.vocab_dict) - {""}
    for query in (["経済"], ["WTO", "経済"], ["経済", "経済", "回復"], ["保障"], ["世界", "回復", "交渉"]):
        expected = ref.get_scores(query)
        assert np.allclose(mine.scores(query), expected, rtol=1e-6, atol=1e-7), query
        order = np.argsort(-expected, kind="stable")
        assert [i for i, _ in mine.top(query, 10)] == [int(i) for i in order if expected[i] > 0], query
    assert mine.top(["未知語"], 5) == [] and not mine.scores(["未知語"]).any()


# --- conformance: both stores -------------------------------------------------------------

def test_store_holds_and_searches_the_passages(store, tmp_path, tiny_corpus, fake_embedder):
    index = load_index(_built(tmp_path, tiny_corpus, fake_embedder, store))
    try:
        s = index.store
        assert index.manifest.store["kind"] == s.kind == store
        assert len(s) == len(index.passages) == index.manifest.n_passages and s.dim == fake_embedder.dim
        vectors = s.vectors()
        assert vectors.shape == (len(s), s.dim)
        for i in range(len(s)):
            assert np.allclose(s.vector(i), vectors[i], atol=1e-6)
            best, score = s.search(vectors[i], 3)[0]
            assert best == i and score == pytest.approx(1.0, abs=1e-5)
        assert len(s.search(vectors[0], 100)) == len(s)  # k beyond the size: every passage once
        lexical = s.lexical(index.terms)
        assert "wto" in lexical.vocab  # Sudachi terms are normalised (lower case)
        top = lexical.top(["wto"], 5)
        assert top and all("WTO" in index.passages[i].text for i, _ in top)
        assert lexical.top(["世界", "世界"], 5)[0][1] > lexical.top(["世界"], 5)[0][1]
    finally:
        index.store.close()


def test_milvus_ranks_exactly_as_faiss_and_bm25s(milvus_env, tmp_path, tiny_corpus, fake_embedder):
    faiss_r = Retriever(load_index(_built(tmp_path, tiny_corpus, fake_embedder, "faiss", "f")),
                        lambda: fake_embedder)
    milvus_r = Retriever(load_index(_built(tmp_path, tiny_corpus, fake_embedder, "milvus", "m")),
                         lambda: fake_embedder)
    try:
        for q in QUERIES:
            for mode in ("dense", "bm25", "hybrid"):
                a, b = faiss_r.search(q, k=5, mode=mode), milvus_r.search(q, k=5, mode=mode)
                assert [h.id for h in a] == [h.id for h in b], (q, mode)
                assert [h.score for h in a] == pytest.approx([h.score for h in b], rel=1e-5)
    finally:
        milvus_r.index.store.close()


def test_incremental_update_adds_and_removes_documents(store, tmp_path, tiny_corpus):
    embedder = FakeEmbedder()
    folder = _built(tmp_path, tiny_corpus, embedder, store)
    calls = embedder.calls
    (tiny_corpus / "chips.md").write_text(EXTRA, encoding="utf-8")
    _, changes = update_index(tiny_corpus, folder, embedder, progress=False)
    assert changes.added == ["chips.md"] and changes.unchanged == ["deck.txt"]
    assert embedder.calls - calls == 4  # passages, sentences, titled sentences, glosses of chips.md only
    r = Retriever(load_index(folder), lambda: embedder)
    try:
        assert r.index.manifest.store["kind"] == store  # QA_STORE unset: the index keeps its store
        assert r.search("半導体の製造拠点", k=1, mode="bm25")[0].document == "chips"
        assert r.search("半導体の製造拠点", k=1, mode="dense")[0].document == "chips"
    finally:
        r.index.store.close()
    (tiny_corpus / "chips.md").unlink()
    _, changes = update_index(tiny_corpus, folder, embedder, progress=False)
    assert changes.removed == ["chips.md"]
    r = Retriever(load_index(folder), lambda: embedder)
    try:
        assert all(h.document == "deck" for h in r.search("半導体の製造拠点", k=10, mode="hybrid"))
    finally:
        r.index.store.close()


def test_milvus_keeps_the_previous_build_and_drops_older_ones(milvus_env, tmp_path, tiny_corpus):
    from pymilvus import MilvusClient

    embedder = FakeEmbedder()
    folder = _built(tmp_path, tiny_corpus, embedder, "milvus")
    names = [read_manifest(folder).store["collection"]]
    for text in (EXTRA, EXTRA + "追記。\n"):
        (tiny_corpus / "chips.md").write_text(text, encoding="utf-8")
        update_index(tiny_corpus, folder, embedder, progress=False)
        names.append(read_manifest(folder).store["collection"])
    client = MilvusClient(str(milvus_env))
    try:
        assert len(set(names)) == 3
        assert set(client.list_collections()) == set(names[1:])  # current + previous
    finally:
        client.close()


# --- faults: one line each, nothing lost --------------------------------------------------

def test_unreachable_milvus_fails_fast_and_keeps_the_index(milvus_env, monkeypatch, tmp_path, tiny_corpus,
                                                           fake_embedder):
    folder = _built(tmp_path, tiny_corpus, fake_embedder, "milvus")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    monkeypatch.setenv("QA_MILVUS_URI", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("QA_MILVUS_TIMEOUT", "3")
    (tiny_corpus / "chips.md").write_text(EXTRA, encoding="utf-8")
    for action in (lambda: load_index(folder), lambda: build_index(tiny_corpus, folder, fake_embedder,
                                                                   progress=False, incremental=False)):
        with pytest.raises(StoreError) as err:
            action()
        message = str(err.value)
        assert message.startswith("cannot reach Milvus at http://127.0.0.1:") and "\n" not in message
        assert "QA_MILVUS_URI" in message
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing lost
    monkeypatch.setenv("QA_MILVUS_URI", str(milvus_env))
    load_index(folder).store.close()  # the old index still loads


def test_missing_collection_and_wrong_store_are_refused(milvus_env, monkeypatch, tmp_path, tiny_corpus,
                                                        fake_embedder):
    from pymilvus import MilvusClient

    folder = _built(tmp_path, tiny_corpus, fake_embedder, "milvus")
    monkeypatch.setenv("QA_STORE", "faiss")
    with pytest.raises(IndexLoadError, match=r"is in the milvus store, but QA_STORE=faiss: unset QA_STORE"):
        load_index(folder)
    monkeypatch.setenv("QA_STORE", "milvus")
    name = read_manifest(folder).store["collection"]
    client = MilvusClient(str(milvus_env))
    client.drop_collection(name)
    client.close()
    with pytest.raises(IndexLoadError, match=rf"Milvus collection '{name}' is missing at .*rebuild with"):
        load_index(folder)


def test_a_faiss_index_is_refused_when_milvus_is_asked_for(milvus_env, monkeypatch, tiny_index):
    monkeypatch.setenv("QA_STORE", "milvus")
    with pytest.raises(IndexLoadError, match="is in the faiss store, but QA_STORE=milvus"):
        load_index(tiny_index)
    monkeypatch.setenv("QA_STORE", "elastic")
    with pytest.raises(Exception, match="unknown store 'elastic'"):
        load_index(tiny_index)


def test_dimension_mismatch_is_refused(milvus_env, tmp_path, tiny_corpus, fake_embedder):
    folder = _built(tmp_path, tiny_corpus, fake_embedder, "milvus")
    edit_manifest(folder, dim=32)
    with pytest.raises(IndexLoadError, match="holds 64-dimensional vectors, the index 32-dimensional"):
        load_index(folder)


def test_missing_pymilvus_names_the_fix(milvus_env, monkeypatch, tmp_path, tiny_corpus, fake_embedder):
    monkeypatch.setitem(__import__("sys").modules, "pymilvus", None)
    with pytest.raises(StoreError, match=r"needs pymilvus: pip install 'qa-trade-policy\[milvus\]'"):
        _built(tmp_path, tiny_corpus, fake_embedder, "milvus")
    assert not (tmp_path / "index").exists()


def test_cli_reports_an_unreachable_milvus_in_one_line(milvus_env, monkeypatch, tmp_path, tiny_corpus,
                                                       fake_embedder):
    from typer.testing import CliRunner

    from qa.cli import app

    folder = _built(tmp_path, tiny_corpus, fake_embedder, "milvus")
    monkeypatch.setenv("QA_EMBED_MODEL", fake_embedder.model_id)
    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    monkeypatch.setenv("QA_MILVUS_URI", f"http://127.0.0.1:{_closed_port()}")
    result = CliRunner().invoke(app, ["search", "WTO改革", "--index", str(folder)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach Milvus at http://127.0.0.1:")
    assert json.loads((folder / "manifest.json").read_text())["store"]["kind"] == "milvus"


def test_cli_index_store_option(milvus_env, monkeypatch, tmp_path, tiny_corpus):
    from typer.testing import CliRunner

    from qa.cli import app

    monkeypatch.setattr("qa.embedding.SentenceTransformerEmbedder", lambda model=None, **kw: FakeEmbedder())
    folder = tmp_path / "idx"
    args = ["index", "--corpus", str(tiny_corpus), "--index", str(folder)]
    result = CliRunner().invoke(app, [*args, "--store", "milvus"])
    assert result.exit_code == 0, result.output
    assert read_manifest(folder).store["kind"] == "milvus"
    result = CliRunner().invoke(app, [*args, "--store", "pinecone"])
    assert result.exit_code == 2 and "unknown store 'pinecone'" in result.output


# --- the real document, once through milvus-lite ------------------------------------------

@pytest.mark.slow
def test_real_document_ranks_the_same_through_milvus(milvus_env, tmp_path, real_assistant):
    """The committed index copied into Milvus (nothing re-embedded) ranks the hand-written
    questions of test_real.py exactly as FAISS + bm25s do, in every mode."""
    import shutil

    from test_real import QUESTIONS

    from qa.config import PROJECT_ROOT

    faiss_r = real_assistant.retriever
    folder = tmp_path / "index"
    shutil.copytree(faiss_r.index.folder, folder)
    _, changes = update_index(PROJECT_ROOT / "corpus", folder, faiss_r.embedder, progress=False,
                              store="milvus")
    assert not changes.full and changes.added == changes.changed == []  # vectors reused, not re-embedded
    milvus_r = Retriever(load_index(folder, PROJECT_ROOT / "corpus"), lambda: faiss_r.embedder)
    try:
        assert milvus_r.index.manifest.store["kind"] == "milvus"
        for question, evidence in QUESTIONS:
            for mode in ("hybrid", "dense", "bm25"):
                a, b = faiss_r.search(question, k=10, mode=mode), milvus_r.search(question, k=10, mode=mode)
                assert [h.id for h in a] == [h.id for h in b], (question, mode)
            needle = "".join(evidence.split())
            assert any(needle in "".join(h.text.split()) for h in milvus_r.search(question, k=5))
    finally:
        milvus_r.index.store.close()
