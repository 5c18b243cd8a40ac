"""Scaling benchmark (``qa bench --scale``): how build, incremental add, size, memory and queries grow.

Corpora of 1x, 10x, 100x and 1,000x the bundled deck: the deck itself plus SYNTHETIC documents
derived from it, each the deck's sections in a shuffled order with its digits permuted (so numbers
change) and its vectors the deck's plus Gaussian noise (cosine ~0.85 to the original), not model
embeddings. The real model embeds the deck once (at 1x) and the 50-page document added; a full
build at N x is then N x (chunking + embedding one deck with the real model, measured) + the
index-structure work (FAISS, files, BM25 at load), which is measured at every size. Query times
exclude the query's embedding (constant in corpus size; its time is reported at 1x). With
``stores`` holding "milvus", each size is also written to and queried from Milvus (``qa.bench_store``).
"""

from __future__ import annotations

import gc
import json
import random
import shutil
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.chunking import ChunkParams
from qa.corpus import CorpusFile, read_corpus_file, sha256_bytes
from qa.doc_index import DocumentData, embed_documents
from qa.structure import document_sections

SIZES = (1, 10, 100, 1000)
MODES = ("dense", "bm25", "hybrid")
ADD_UP_TO = 100  # the incremental add rewrites the whole index: at 1,000x that needs ~12 GB here
NOISE = 0.045  # per dimension (384): |noise| ~0.9, cosine to the deck vector ~0.75-0.9


class SyntheticLabel:
    """The model identity written into synthetic indexes (vectors come from ``vectors_of``)."""

    def __init__(self, dim: int, encode=None):
        self.model_id, self.dim = "synthetic:deck-vectors-plus-noise", dim
        self.query_prefix = self.passage_prefix = ""
        self._encode = encode

    def fingerprint(self) -> str:
        return f"synthetic-{self.dim}"

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


def hashed_ngrams(dim: int = 384):
    """A cheap deterministic embedder: character 1-3-grams hashed (crc32) into ``dim`` buckets
    through a fixed random sign projection, L2-normalised. Used where the real model is not."""
    import zlib

    def encode(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for n in (1, 2, 3):
                for j in range(len(t) - n + 1):
                    h = zlib.crc32(t[j:j + n].encode())
                    out[i, h % dim] += 1.0 if h & 0x80000000 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    return encode


def synthetic_document(base: DocumentData, k: int, rng: np.random.Generator) -> DocumentData:
    """The deck's sections shuffled, its digits permuted, its vectors perturbed: document ``k``."""
    doc = base.doc
    sections = [ps.section for ps in document_sections(doc)]
    order = rng.permutation(len(sections))
    digits = "".join(str(d) for d in rng.permutation(10))
    table = str.maketrans("0123456789", digits)
    name = f"synthetic_{k:04d}.txt"
    stem = name[:-4]
    text_parts, shift, pos = [], {}, 0
    for i in order:
        s = sections[i]
        text_parts.append(doc.text[s.start:s.end].translate(table))
        shift[s.id] = pos - s.start
        pos += s.end - s.start
    text = "".join(text_parts)
    new = CorpusFile(name, text, sha256_bytes(text.encode("utf-8")))
    rows = sorted(range(len(base.passages)), key=lambda r: list(order).index(
        next(j for j, s in enumerate(sections) if s.id == base.passages[r].section)))
    passages, units = [], []
    for r in rows:
        p, d = base.passages[r], shift[base.passages[r].section]
        passages.append(replace(p, id=f"{stem}/{p.id.split('/', 1)[1]}", text=p.text.translate(table),
                                start=p.start + d, end=p.end + d, source=name, document=stem))
        units.append([(a + d, b + d) for a, b in base.units[r]])
    starts = np.cumsum([0] + [len(u) for u in base.units])
    urows = np.concatenate([np.arange(starts[r], starts[r + 1]) for r in rows])
    return DocumentData(new, passages, [[t.translate(table) for t in base.terms[r]] for r in rows],
                        units, _noisy(base.vectors[rows], rng), _noisy(base.unit_vectors[urows], rng),
                        _noisy(base.titled_vectors[urows], rng))


def _noisy(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = v + rng.normal(0, NOISE, v.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())


def _timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def _query_times(retriever, queries: list[str], qvecs: dict[str, np.ndarray], k: int = 10) -> dict:
    """p50/p95 ms per mode; where the sentence pool is in use, also hybrid scanning every sentence."""
    from qa import retrieving

    retriever.embed_query = qvecs.__getitem__  # query embedding is not what grows with the corpus
    out = {}
    pooled = len(retriever.index.unit_vectors) > retrieving.SENTENCE_SCAN_LIMIT
    for mode in MODES + (("hybrid_full_scan",) if pooled else ()):
        limit = retrieving.SENTENCE_SCAN_LIMIT
        if mode == "hybrid_full_scan":
            retrieving.SENTENCE_SCAN_LIMIT = 10**12
        try:
            out[mode] = _times(retriever, queries, mode.split("_")[0], k)
        finally:
            retrieving.SENTENCE_SCAN_LIMIT = limit
    return out


def _times(retriever, queries: list[str], mode: str, k: int) -> dict:
    """Per query: this thread's CPU ms (what a busy neighbour on a shared CPU disturbs least:
    the p50/p95 reported) and wall-clock ms."""
    cpu, wall = [], []
    for q in queries:
        c0, t0 = time.thread_time(), time.perf_counter()
        retriever.search(q, k=k, mode=mode)
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    cpu.sort()
    wall.sort()
    return {"p50_ms": round(statistics.median(cpu), 2), "p95_ms": round(cpu[int(0.95 * (len(cpu) - 1))], 2),
            "wall_p50_ms": round(statistics.median(wall), 2),
            "wall_p95_ms": round(wall[int(0.95 * (len(wall) - 1))], 2)}


def run_scale(deck: Path, queries: list[str], work: Path, sizes=SIZES, real_model: bool = True,
              add_doc: Path | None = None, ann: bool = True, log=print, stores=("faiss",)) -> dict:
    """The table of figures per size (see the module docstring); work files go under ``work``."""
    from qa.bench import PeakRss
    from qa.bench_store import measure_milvus, serving_rss_mb, write_milvus
    from qa.indexing import load_index, update_index, write_parts
    from qa.retrieving import Retriever

    params = ChunkParams()
    deck_doc = read_corpus_file(deck)
    encode = hashed_ngrams()
    cheap = SyntheticLabel(384, encode)
    result: dict = {"sizes": {}, "notes": __doc__.split("\n\n", 1)[1].strip()}
    chunk_s, base = _timed(embed_documents, [deck_doc], cheap, params)  # chunking + terms, cheap vectors
    base = base[0]
    deck_real_s, add_real_s, query_embed_ms = None, None, None
    add = read_corpus_file(add_doc) if add_doc else None
    add_cheap_s = _timed(embed_documents, [add], cheap, params)[0] if add else 0.0
    if real_model:
        from qa.embedding import SentenceTransformerEmbedder

        model = SentenceTransformerEmbedder()
        deck_real_s, real = _timed(embed_documents, [deck_doc], model, params)
        base = replace(real[0])
        if add is not None:
            add_real_s, _ = _timed(embed_documents, [add], model, params)
        t0 = time.perf_counter()
        qv = model.encode_queries(queries)
        query_embed_ms = round((time.perf_counter() - t0) * 1000 / len(queries), 1)
        cheap = SyntheticLabel(model.dim, encode)
    else:
        qv = encode(queries)
    qvecs = dict(zip(queries, qv))
    per_deck_s = deck_real_s if deck_real_s is not None else chunk_s
    result["full_build_per_deck"] = ("real model" if deck_real_s is not None
                                     else "cheap hashed n-gram embedder")
    result.update({"deck_chunk_terms_s": round(chunk_s, 2), "deck_real_model_s": _r(deck_real_s),
                   "add_doc": add.name if add else None, "add_doc_pages": len(add.pages) if add else None,
                   "add_doc_real_model_s": _r(add_real_s), "add_doc_cheap_s": _r(add_cheap_s),
                   "query_embedding_ms_real_model": query_embed_ms})
    for n in sorted(sizes):
        parts = [replace(base, doc=deck_doc)] + [synthetic_document(base, k, np.random.default_rng(k))
                                                 for k in range(1, n)]
        folder = work / f"x{n}"
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "corpus").mkdir(parents=True)
        for d in parts:
            (folder / "corpus" / d.doc.name).write_text(d.doc.text, encoding="utf-8")
        write_s, manifest = _timed(write_parts, folder / "index", parts, cheap, params,
                                   time.perf_counter(), [], False, None, "faiss")  # no lexicon: see README
        milvus = write_milvus(folder / "index_milvus", parts, cheap, params) if "milvus" in stores else None
        del parts
        gc.collect()
        with PeakRss() as peak:
            with PeakRss() as rss:
                load_s, retriever = _timed(lambda: Retriever(load_index(folder / "index"), lambda: cheap))
            query = _query_times(retriever, queries, qvecs)
        row = {"documents": n, "passages": manifest.n_passages,
               "sentences": int(retriever.index.unit_vectors.shape[0]),
               "structure_build_s": round(write_s + load_s, 2), "write_s": round(write_s, 2),
               "load_s": round(load_s, 2),
               "full_build_s_est": round(full_s := n * per_deck_s + write_s + load_s, 1),
               "index_mb": round(_dir_bytes(folder / "index") / 2**20, 1),
               "rss_loaded_mb": round(rss.peak_mb - rss.start_mb, 1),
               "rss_peak_mb": round(peak.peak_mb - peak.start_mb, 1), "query": query}
        if ann and n == max(sizes):
            row["ann"] = ann_comparison(retriever.index.store.vectors(), retriever.index.unit_vectors, qv)
        del retriever
        gc.collect()
        if milvus is not None:
            row["serving_rss_mb"] = serving_rss_mb(folder / "index", queries)
            row["milvus"] = measure_milvus(folder / "index_milvus", *milvus, cheap, queries, qvecs,
                                           _query_times)
        if add is not None and n <= ADD_UP_TO:
            shutil.copy(add_doc, folder / "corpus" / add.name)
            inc_s, (_, changes) = _timed(update_index, folder / "corpus", folder / "index", cheap,
                                         params, False, True, False)
            # the measured add embedded with the cheap embedder: swap in the real model's time
            est = inc_s - add_cheap_s + (add_real_s if add_real_s is not None else add_cheap_s)
            row.update({"add_one_doc_s": round(inc_s, 2), "add_one_doc_s_est": round(est, 1),
                        "add_vs_full_rebuild": round(est / full_s, 4) if full_s > 0 else None,
                        "add_changes": changes.summary()})
        result["sizes"][str(n)] = row
        log(json.dumps({n: {k: v for k, v in row.items() if k not in ("ann", "milvus")}}, ensure_ascii=False))
        if "milvus" in row:
            log(json.dumps({f"{n} milvus": row["milvus"]}, ensure_ascii=False))
        shutil.rmtree(folder, ignore_errors=True)
    return result


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def ann_comparison(vectors: np.ndarray, sentences: np.ndarray, queries: np.ndarray, k: int = 10) -> dict:
    """Exact inner product vs HNSW and IVF in faiss: build time, recall@10 against exact, latency."""
    import faiss

    out = {}
    for label, data in (("passages", vectors), ("sentences", sentences)):
        data = np.ascontiguousarray(data, dtype=np.float32)
        d, n = data.shape[1], data.shape[0]
        exact = faiss.IndexFlatIP(d)
        exact.add(data)
        truth_scores, truth = exact.search(queries, k)
        nlist = max(1, min(n // 4, max(16, int(np.sqrt(n)))))
        quant = faiss.IndexFlatIP(d)
        configs = {"exact": (exact, None, 0.0)}
        t0 = time.perf_counter()
        ivf = faiss.IndexIVFFlat(quant, d, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = data[np.random.default_rng(0).choice(n, min(n, 30 * nlist), replace=False)]
        ivf.train(sample)
        ivf.add(data)
        ivf_s = time.perf_counter() - t0
        for nprobe in (8, 32):
            configs[f"ivf{nlist}_nprobe{nprobe}"] = (ivf, ("nprobe", nprobe), ivf_s)
        if label == "passages" or n <= 300_000:
            t0 = time.perf_counter()
            hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 80
            hnsw.add(data)
            hnsw_s = time.perf_counter() - t0
            for ef in (64, 128, 512):
                configs[f"hnsw32_ef{ef}"] = (hnsw, ("efSearch", ef), hnsw_s)
        rows = {}
        for name, (index, knob, build_s) in configs.items():
            if knob:
                target = index.hnsw if knob[0] == "efSearch" else index
                setattr(target, knob[0], knob[1])
            times, found, scores = [], [], []
            for q in queries:
                t0 = time.perf_counter()
                s, f = index.search(q.reshape(1, -1), k)
                times.append((time.perf_counter() - t0) * 1000)
                found.append(f[0])
                scores.append(s[0])
            recall = np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)])
            # near-duplicates tie: also count a result as good if it scores as high as the
            # exact 10th result (to 1e-4)
            score_recall = np.mean([np.mean(s >= t[-1] - 1e-4) for s, t in zip(scores, truth_scores)])
            rows[name] = {"recall_at_10": round(float(recall), 3),
                          "score_recall_at_10": round(float(score_recall), 3),
                          "p50_ms": round(statistics.median(times), 3), "build_s": round(build_s, 1)}
        out[label] = {"n": n, **rows}
    return out


def make_add_doc(deck: Path, out: Path, pages: int = 50) -> Path:
    """A ``pages``-page PDF of deck slides (shuffled), printed by Chromium; a Markdown file of the
    same text if Chromium is missing (the figure then says so by the file name)."""
    import html
    import subprocess

    doc = read_corpus_file(deck)
    sections = [ps.section for ps in document_sections(doc)]
    random.Random(1).shuffle(sections)
    texts = [doc.text[s.start:s.end].strip() for s in (sections * 2)[:pages]]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        md = out.with_suffix(".md")
        md.write_text("\n\n".join(f"# page {i + 1}\n\n{t}" for i, t in enumerate(texts)), encoding="utf-8")
        return md
    body = "".join('<section style="page-break-after: always; font-size: 9pt">'
                   + "".join(f"<p>{html.escape(ln)}</p>" for ln in t.split("\n") if ln.strip())
                   + "</section>" for t in texts)
    page = out.with_suffix(".html")
    page.write_text(f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>', encoding="utf-8")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", page.as_uri()], check=True, capture_output=True, timeout=300)
    return out
