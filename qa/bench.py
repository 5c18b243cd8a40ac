"""Side-by-side benchmark: this project's pipeline vs a LangChain-tutorial baseline.

Both sides run in one process with ONE loaded embedding model. The baseline
(``qa.bench_baseline``) is what a tutorial builds: ``RecursiveCharacterTextSplitter`` over
the raw text (Japanese-aware separators, chunk size searched so its mean chunk length
matches the project's mean passage length, 10% overlap), the same model behind a LangChain
``Embeddings`` adapter, and an in-memory ``langchain_community`` FAISS store: no BM25, no
slide structure. Nothing is pickled. Relevance is ``is_relevant`` on either side's chunk text.
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from qa.bench_baseline import (
    OVERLAP_SHARE,
    baseline_bytes,
    build_baseline,
    langchain_embeddings,
    match_chunk_size,
    mean_chars,
)
from qa.config import MODES
from qa.gold import LANGS, GoldItem, select_split
from qa.metrics import RANK_DEPTH, hit_at_k, is_relevant, percentiles, reciprocal_rank

# ---------------------------------------------------------------- measuring


class PeakRss:
    """Samples this process's RSS in a thread; ``peak_mb`` / ``start_mb`` after the block."""

    def __init__(self, interval_s: float = 0.005):
        import psutil

        self._proc = psutil.Process()
        self._interval = interval_s
        self._stop = threading.Event()
        self.start_mb = self.peak_mb = 0.0

    def _rss(self) -> float:
        return self._proc.memory_info().rss / 2**20

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak_mb = max(self.peak_mb, self._rss())

    def __enter__(self) -> PeakRss:
        self.start_mb = self.peak_mb = self._rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss())


def process_max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def timed_round_robin(searches: dict[str, Callable[[str], list[str]]],
                      items: Sequence[GoldItem]) -> tuple[dict, dict, dict]:
    """Wall-clock ms, process CPU ms and top-10 relevance flags per search.

    Every question runs through every search, in an order rotated per question, so a
    busy neighbour on a shared CPU slows all of them alike; CPU time is what a busy
    neighbour disturbs least.
    """
    names = list(searches)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    flags: dict[str, list[list[bool]]] = {n: [] for n in names}
    for i, item in enumerate(items):
        for name in names[i % len(names):] + names[:i % len(names)]:
            c0, t0 = time.process_time(), time.perf_counter()
            texts = searches[name](item.question)
            wall[name].append((time.perf_counter() - t0) * 1000)
            cpu[name].append((time.process_time() - c0) * 1000)
            flags[name].append([is_relevant(t, item.evidence) for t in texts[:RANK_DEPTH]])
    return wall, cpu, flags


def quality(items: Sequence[GoldItem], flags: Sequence[list[bool]]) -> dict[str, dict]:
    """{"hit_at_1" | "hit_at_5" | "mrr_at_10": {lang: value}} over answerable items."""
    out: dict[str, dict] = {"hit_at_1": {}, "hit_at_5": {}, "mrr_at_10": {}}
    for lang in LANGS:
        mine = [f for item, f in zip(items, flags) if item.answerable and item.lang == lang]
        if not mine:
            continue
        out["hit_at_1"][lang] = round(statistics.fmean(hit_at_k(f, 1) for f in mine), 4)
        out["hit_at_5"][lang] = round(statistics.fmean(hit_at_k(f, 5) for f in mine), 4)
        out["mrr_at_10"][lang] = round(statistics.fmean(reciprocal_rank(f) for f in mine), 4)
    return out


def reachable(items: Sequence[GoldItem], chunks: Sequence[str]) -> float:
    """Share of answerable items whose evidence one chunk holds in full (the hit@∞ ceiling)."""
    answerable = [i for i in items if i.answerable]
    ok = sum(any(is_relevant(c, i.evidence) for c in chunks) for i in answerable)
    return round(ok / len(answerable), 4) if answerable else 0.0


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


# ---------------------------------------------------------------- the run


def _build_project(corpus_dir: Path, embedder, work: Path):
    """(figures, retriever) for a fresh build of this project's index in ``work``."""
    from qa.indexing import build_index
    from qa.retrieving import Retriever

    with PeakRss() as rss:
        t0 = time.perf_counter()
        manifest = build_index(corpus_dir, work / "index", embedder, progress=False)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        retriever = Retriever.load(index_dir=work / "index", embedder=embedder,
                                   corpus_dir=corpus_dir)
        load_s = time.perf_counter() - t0
    files = {p.name: p.stat().st_size for p in sorted((work / "index").iterdir()) if p.is_file()}
    figures = {
        "index_build_s": round(build_s, 2), "index_load_s": round(load_s, 2),
        "index_bytes": sum(files.values()), "index_files": files,
        "peak_rss_mb": round(rss.peak_mb, 1), "rss_start_mb": round(rss.start_mb, 1),
        "n_passages": manifest.n_passages,
        "mean_chars": round(mean_chars([p.text for p in retriever.passages]), 1),
    }
    return figures, retriever


def _build_baseline_side(texts: dict[str, str], target_mean: float, embeddings):
    """(figures, store, chunks) for the tutorial baseline."""
    t0 = time.perf_counter()
    chunk_size, matched_mean = match_chunk_size(texts, target_mean)
    search_s = time.perf_counter() - t0
    with PeakRss() as rss:
        t0 = time.perf_counter()
        store, docs = build_baseline(texts, chunk_size, embeddings)
        build_s = time.perf_counter() - t0
    figures = {
        "index_build_s": round(build_s, 2), "index_bytes": baseline_bytes(store, docs),
        "index_bytes_note": "in memory; FAISS serialised + chunks as JSONL",
        "peak_rss_mb": round(rss.peak_mb, 1), "rss_start_mb": round(rss.start_mb, 1),
        "chunk_size": chunk_size, "chunk_overlap": round(chunk_size * OVERLAP_SHARE),
        "chunk_size_search_s": round(search_s, 3), "n_chunks": len(docs),
        "mean_chars": round(matched_mean, 1),
        "mean_matched": abs(matched_mean - target_mean) <= 0.05 * target_mean,
    }
    return figures, store, [d.page_content for d in docs]


def run_bench(corpus_dir: str | Path, gold: Sequence[GoldItem], split: str | None = "test",
              embedder=None, progress: bool = True) -> dict:
    """Benchmark both pipelines on the gold ``split``; return the figures (see module doc).

    ``embedder`` follows ``qa.embedding.Embedder``; by default the configured model loads
    once here and serves both sides. Unanswerable items count for latency, not quality.
    """
    import os

    from qa.corpus import load_corpus

    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr, flush=True)

    corpus_dir = Path(corpus_dir)
    items = select_split(gold, split)
    texts = {f.name: f.text for f in load_corpus(corpus_dir)}
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    if embedder is None:
        from qa.embedding import SentenceTransformerEmbedder

        say("Loading the embedding model ...")
        embedder = SentenceTransformerEmbedder()
    model_load_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        say("Project: building a fresh index (chunk, Sudachi terms, embed, FAISS) ...")
        project, retriever = _build_project(corpus_dir, embedder, Path(tmp))
        gc.collect()
        say(f"Baseline: chunk size for a mean of {project['mean_chars']:.0f} chars, building ...")
        baseline, store, chunks = _build_baseline_side(texts, project["mean_chars"],
                                                       langchain_embeddings(embedder))
        searches: dict[str, Callable[[str], list[str]]] = {
            mode: (lambda q, m=mode: [h.text for h in retriever.search(q, k=RANK_DEPTH, mode=m)])
            for mode in MODES
        }
        searches["baseline"] = lambda q: [d.page_content
                                          for d in store.similarity_search(q, k=RANK_DEPTH)]
        retriever.warm_up()
        for search in searches.values():
            search("warm up")
        say(f"Timing {len(items)} questions x {len(searches)} searches, round-robin ...")
        with PeakRss(interval_s=0.02) as rss:
            latency, cpu, flags = timed_round_robin(searches, items)
        project["reachable"] = reachable(items, [p.text for p in retriever.passages])
    baseline["reachable"] = reachable(items, chunks)
    project["latency_ms"] = {m: percentiles(latency[m]) for m in MODES}
    project["cpu_ms"] = {m: percentiles(cpu[m]) for m in MODES}
    project["quality_by_mode"] = {m: quality(items, flags[m]) for m in MODES}
    baseline["latency_ms"] = {"dense": percentiles(latency["baseline"])}
    baseline["cpu_ms"] = {"dense": percentiles(cpu["baseline"])}
    baseline["quality"] = quality(items, flags["baseline"])
    p_quality = project["quality_by_mode"]["hybrid"]
    result = {
        "split": split or "all", "n_queries": len(items),
        "n_answerable": {lang: sum(1 for i in items if i.answerable and i.lang == lang)
                         for lang in LANGS},
        "model": getattr(embedder, "model_id", type(embedder).__name__),
        "model_load_s": round(model_load_s, 2),
        "index_build_s": project["index_build_s"], "index_bytes": project["index_bytes"],
        "peak_rss_mb": project["peak_rss_mb"], "latency_ms": project["latency_ms"],
        **{metric: {"project": p_quality[metric], "baseline": baseline["quality"][metric]}
           for metric in ("hit_at_1", "hit_at_5", "mrr_at_10")},
        "project": project, "baseline": baseline,
        "query_phase_peak_rss_mb": round(rss.peak_mb, 1),
        "process_max_rss_mb": round(process_max_rss_mb(), 1),
        "load_avg_1min": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
        "torch_threads": sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None,
    }
    result["ratios"] = {
        "index_build_s": _ratio(project["index_build_s"], baseline["index_build_s"]),
        "index_bytes": _ratio(project["index_bytes"], baseline["index_bytes"]),
        "peak_rss_mb": _ratio(project["peak_rss_mb"], baseline["peak_rss_mb"]),
        **{f"latency_p50_{m}": _ratio(project["latency_ms"][m]["p50"],
                                      baseline["latency_ms"]["dense"]["p50"]) for m in MODES},
    }
    result["total_s"] = round(time.perf_counter() - started, 1)
    return result


def format_bench(r: dict) -> str:
    """A readable table: project | baseline | project/baseline."""
    p, b = r["project"], r["baseline"]
    rows: list[tuple[str, float | None, float | None]] = [
        ("index build (s)", p["index_build_s"], b["index_build_s"]),
        ("index size (KB)", p["index_bytes"] / 1024, b["index_bytes"] / 1024),
        ("peak RSS during build (MB)", p["peak_rss_mb"], b["peak_rss_mb"]),
        ("RSS growth during build (MB)", p["peak_rss_mb"] - p["rss_start_mb"],
         b["peak_rss_mb"] - b["rss_start_mb"]),
        ("chunks", p["n_passages"], b["n_chunks"]),
        ("mean chunk chars", p["mean_chars"], b["mean_chars"]),
    ]
    for mode, lat in p["latency_ms"].items():
        for q in ("p50", "p95"):
            rows.append((f"latency {q} ms ({mode} vs dense)", lat[q],
                         b["latency_ms"]["dense"][q]))
    for mode, lat in p["cpu_ms"].items():
        rows.append((f"CPU p50 ms ({mode} vs dense)", lat["p50"], b["cpu_ms"]["dense"]["p50"]))
    for metric in ("hit_at_1", "hit_at_5", "mrr_at_10"):
        for lang in LANGS:
            if lang in r[metric]["project"]:
                rows.append((f"{metric} {lang}", r[metric]["project"][lang],
                             r[metric]["baseline"].get(lang)))
    rows.append(("evidence in one chunk", p["reachable"], b["reachable"]))

    def f(v):
        return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) and v < 10 else
                                      f"{v:,.0f}" if isinstance(v, float) else f"{v:,}")

    width = max(len(name) for name, _, _ in rows) + 2
    lines = [f"Split {r['split']}: {r['n_queries']} questions ({r['n_answerable']['ja']} ja + "
             f"{r['n_answerable']['en']} en answerable); model {r['model']} loaded once in "
             f"{r['model_load_s']} s. Quality: project hybrid vs baseline dense.",
             f"Baseline: RecursiveCharacterTextSplitter chunk_size={b['chunk_size']} "
             f"overlap={b['chunk_overlap']}, in-memory LangChain FAISS.",
             "",
             f"{'':<{width}}{'project':>10}{'baseline':>10}{'ratio':>8}"]
    for name, pv, bv in rows:
        ratio = _ratio(pv, bv)
        lines.append(f"{name:<{width}}{f(pv):>10}{f(bv):>10}{f(ratio):>8}")
    lines.append("")
    files = ", ".join(f"{k} {v / 1024:,.0f} KB" for k, v in p["index_files"].items())
    lines.append(f"Project index files: {files}.")
    lines.append(f"Total {r['total_s']} s; process max RSS {r['process_max_rss_mb']} MB; "
                 f"1-min load average {r['load_avg_1min']['start']} -> "
                 f"{r['load_avg_1min']['end']}, torch threads {r.get('torch_threads')} "
                 "(on a shared CPU every timing varies).")
    return "\n".join(lines)
