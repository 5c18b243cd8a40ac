"""The scaling benchmark's outputs: a table (markdown and terminal), a plot and the JSON figures."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from qa.config import check_store
from qa.errors import CorpusError, OptionError


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise OptionError(f"--sizes must be whole numbers separated by commas, not {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise OptionError("--sizes must be at least 1")
    return sizes


def table(result: dict) -> str:
    """One markdown row per corpus size."""
    head = ("| size | docs | passages | sentences | index MB | RSS MB | structure build s | "
            "full build s (est.) | add 50-page doc s (est.) | add / full | "
            "dense p50/p95 ms | BM25 p50/p95 ms | hybrid p50/p95 ms | "
            "hybrid scanning all sentences p50/p95 ms |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for n, r in result["sizes"].items():
        q = r["query"]
        lines.append(
            f"| {n}x | {r['documents']} | {r['passages']} | {r['sentences']} | {r['index_mb']} | "
            f"{r['rss_loaded_mb']} | {r['structure_build_s']} | {r['full_build_s_est']} | "
            f"{r.get('add_one_doc_s_est', '-')} | {r.get('add_vs_full_rebuild', '-')} | "
            + " | ".join(f"{q[m]['p50_ms']} / {q[m]['p95_ms']}" if m in q else "(same)"
                         for m in ("dense", "bm25", "hybrid", "hybrid_full_scan")) + " |")
    return "\n".join(lines)


def store_table(result: dict) -> str:
    """FAISS + bm25s in process against Milvus, per size: wall-clock query times (Milvus works in
    its server, not the querying thread), build and load, memory."""
    lines = ["| size | store | passages | write s | load s | serving process: RSS growth MB | "
             "child RSS MB | dense p50/p95 ms | BM25 p50/p95 ms | hybrid p50/p95 ms |", "|" + "---|" * 10]
    for n, r in result["sizes"].items():
        for kind, row in (("faiss", r), ("milvus", r.get("milvus"))):
            if row is None:
                continue
            q = row["query"]
            lines.append(f"| {n}x | {kind} | {r['passages']} | {row['write_s']} | {row['load_s']} | "
                         f"{row.get('serving_rss_mb', '-')} | "
                         f"{row.get('child_rss_mb', 0.0)} | "
                         + " | ".join(f"{q[m]['wall_p50_ms']} / {q[m].get('wall_p95_ms', '-')}"
                                      for m in ("dense", "bm25", "hybrid")) + " |")
    return "\n".join(lines)


def ann_table(ann: dict) -> str:
    lines = ["| vectors | n | method | recall@10 vs exact | results scoring >= exact 10th | p50 ms "
             "| build s |",
             "|---|---|---|---|---|---|---|"]
    for label, rows in ann.items():
        for name, r in rows.items():
            if name != "n":
                lines.append(f"| {label} | {rows['n']} | {name} | {r['recall_at_10']} | "
                             f"{r.get('score_recall_at_10', '-')} | {r['p50_ms']} | "
                             f"{r['build_s']} |")
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(n) for n in result["sizes"]]
    rows = list(result["sizes"].values())
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(14, 4))
    for mode in ("dense", "bm25", "hybrid"):
        a.plot(sizes, [r["query"][mode]["p50_ms"] for r in rows], marker="o", label=f"{mode} p50")
    a.set(xscale="log", yscale="log", xlabel="corpus size (x deck)", ylabel="ms per query",
          title="query time")
    a.legend()
    b.plot(sizes, [r["full_build_s_est"] for r in rows], marker="o", label="full build (est.)")
    b.plot(sizes, [r["structure_build_s"] for r in rows], marker="o", label="index structures (measured)")
    added = [(n, r["add_one_doc_s_est"]) for n, r in zip(sizes, rows) if "add_one_doc_s" in r]
    if added:
        b.plot(*zip(*added), marker="o", label="add one 50-page doc (est.)")
    b.set(xscale="log", yscale="log", xlabel="corpus size (x deck)", ylabel="seconds", title="build")
    b.legend()
    c.plot(sizes, [r["index_mb"] for r in rows], marker="o", label="index on disk")
    c.plot(sizes, [r["rss_loaded_mb"] for r in rows], marker="o", label="RSS of the loaded index")
    c.set(xscale="log", yscale="log", xlabel="corpus size (x deck)", ylabel="MB", title="size")
    c.legend()
    fig.suptitle("Scaling on synthetic corpora derived from the deck (see eval/scale/README.md)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _deck(corpus_dir: Path) -> Path:
    texts = sorted(Path(corpus_dir).glob("*.txt"))
    if not texts:
        raise CorpusError(f"no .txt slide deck in {corpus_dir} to derive synthetic documents from")
    return texts[0]


def run_and_report(corpus_dir: Path, questions: list[str], sizes: str, real_model: bool,
                   as_json: bool, out_dir: Path | None = None, stores: str = "faiss") -> dict:
    """Run ``qa.bench_scale.run_scale`` and write scale.json, scale.md and scale.png to ``out_dir``
    (default: eval/scale)."""
    from qa.bench_scale import make_add_doc, run_scale
    from qa.config import PROJECT_ROOT

    sizes_list = parse_sizes(sizes)
    store_list = [check_store(s.strip()) for s in stores.split(",") if s.strip()]
    out_dir = Path(out_dir or PROJECT_ROOT / "eval" / "scale")
    deck = _deck(corpus_dir)
    with tempfile.TemporaryDirectory(prefix="qa-scale-") as tmp:
        add = make_add_doc(deck, Path(tmp) / "added_50_pages.pdf")
        log = (lambda s: None) if as_json else (lambda s: print(s, file=sys.stderr, flush=True))
        result = run_scale(deck, questions, Path(tmp) / "work", sizes_list, real_model, add, log=log,
                           stores=store_list)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scale.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    biggest = result["sizes"][str(max(sizes_list))]
    md = table(result)
    if "ann" in biggest:
        md += "\n\nAt the largest size:\n\n" + ann_table(biggest["ann"])
    if "milvus" in store_list:
        md += "\n\nStores (wall-clock query times):\n\n" + store_table(result)
    (out_dir / "scale.md").write_text(md + "\n", encoding="utf-8")
    plot(result, out_dir / "scale.png")
    print(json.dumps(result, ensure_ascii=False, indent=2) if as_json else md)
    return result
