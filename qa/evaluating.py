"""The evaluation runner: every gold question in each mode, written as results and metrics.

It writes results.jsonl, metrics.json and report.md (``qa.report``).

``run_eval`` writes one JSON line per (question, mode) with everything
``qa.metrics.compute_metrics`` needs, so metrics.json can always be recomputed from
results.jsonl.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path

from qa.config import MODES, check_mode
from qa.errors import ModeError, OptionError
from qa.gold import GoldItem, select_split
from qa.metrics import (
    RANK_DEPTH,
    citation_valid,
    compute_metrics,
    evidence_found,
    first_relevant_rank,
    is_relevant,
    normalise,
    row_correct,
)
from qa.question_analysis import answer_type
from qa.report import write_report


def parse_modes(mode: str | Sequence[str]) -> list[str]:
    """"hybrid", "dense,bm25", "all" or a list -> list of modes (order kept)."""
    names = mode.split(",") if isinstance(mode, str) else list(mode)
    names = [m.strip() for m in names if m.strip()]
    if names == ["all"]:
        return list(MODES)
    if not names:
        raise ModeError(f"no mode given: choose from {', '.join(MODES)} or all")
    return [check_mode(m, more="all") for m in dict.fromkeys(names)]


def _passage_texts(retriever) -> dict[str, tuple[str, str]]:
    """{passage id: (text, source file)} for every indexed passage, if the retriever has them."""
    passages = getattr(retriever, "passages", None) or []
    return {p.id: (p.text, getattr(p, "source", "")) for p in passages}


def _load_sources(corpus_dir: str | Path | None) -> dict[str, str]:
    from qa.config import Config
    from qa.corpus import load_corpus

    folder = Path(corpus_dir) if corpus_dir else Config.from_env().corpus_dir
    return {f.name: f.text for f in load_corpus(folder)}


def _citation_row(c, item: GoldItem, passages: dict[str, tuple[str, str]],
                  sources: dict[str, str]) -> dict:
    text, source = passages.get(c.id, (None, ""))
    if source not in sources and len(sources) == 1:
        source = next(iter(sources))
    row = c.to_dict()
    row["valid"] = citation_valid(c.quote, c.start, c.end, sources.get(source), text)
    row["evidence_found"] = evidence_found(text, item.evidence)
    return row


def evaluate_one(item: GoldItem, mode: str, retriever, assistant, k: int,
                 passages: dict[str, tuple[str, str]], norm_passages: list[str] | None,
                 sources: dict[str, str]) -> dict:
    """One results.jsonl row: top-10 retrieval, then (with an assistant) its answer."""
    t0 = time.perf_counter()
    hits = retriever.search(item.question, k=max(RANK_DEPTH, k), mode=mode)[:RANK_DEPTH]
    search_ms = (time.perf_counter() - t0) * 1000
    relevant = [is_relevant(h.text, item.evidence) for h in hits]
    n_rel = None
    if norm_passages is not None:
        ev = [normalise(e) for e in item.evidence]
        n_rel = sum(1 for t in norm_passages if ev and all(e in t for e in ev))
    row = {
        "id": item.id, "lang": item.lang, "question": item.question, "split": item.split,
        "mode": mode, "answerable": item.answerable, "gold_answer": item.answer,
        "answer_keys": list(item.answer_keys), "evidence": list(item.evidence),
        "answer": None, "abstained": None, "correct": None, "citations": [],
        "passages": [{"id": h.id, "section": h.section, "text": h.text,
                      "score": round(float(h.score), 6), "rank": h.rank} for h in hits],
        "relevant": relevant, "first_relevant_rank": first_relevant_rank(relevant),
        "n_relevant_in_index": n_rel,
        "timings": {"search_ms": round(search_ms, 2), "retrieve_ms": round(search_ms, 2)},
    }
    if assistant is not None:
        t0 = time.perf_counter()
        ans = assistant.ask(item.question, k=k, mode=mode)
        total_ms = (time.perf_counter() - t0) * 1000
        timings = ans.timings or {}
        row["answer"], row["abstained"] = ans.answer, bool(ans.abstained)
        row["short_answer"] = ans.short_answer
        row["confidence"], row["confidence_label"] = ans.confidence, ans.confidence_label
        row["answer_type"] = answer_type(item.question, item.lang).kind
        row["citations"] = [_citation_row(c, item, passages, sources) for c in ans.citations]
        row["correct"] = row_correct(row)
        row["timings"].update(
            retrieve_ms=round(float(timings.get("retrieve_ms", search_ms)), 2),
            answer_ms=round(float(timings.get("answer_ms", total_ms)), 2),
            total_ms=round(total_ms, 2))
    return row


def _retriever_info(retriever) -> dict:
    """Which index and fusion settings produced the numbers (when the retriever says)."""
    out: dict = {}
    manifest = getattr(getattr(retriever, "index", None), "manifest", None)
    if manifest is not None:
        out.update(model=manifest.model_id, index_built_at=manifest.built_at,
                   n_passages=manifest.n_passages, chunker=manifest.chunker)
    fusion = getattr(retriever, "fusion", None)
    if is_dataclass(fusion):
        out["fusion"] = asdict(fusion)
    if "torch" in sys.modules:  # on a shared CPU, 2 threads can be 30x slower than 1
        out["torch_threads"] = sys.modules["torch"].get_num_threads()
    return out


def _warm_up(retriever, modes: list[str]) -> None:
    """Load the model and segmenter before timing (the first query is ~10 s cold)."""
    if any(m != "bm25" for m in modes) and hasattr(retriever, "warm_up"):
        retriever.warm_up()
    for m in modes:
        retriever.search("warm up", k=1, mode=m)


def write_results(rows: Sequence[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def read_results(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_eval(gold: Sequence[GoldItem], retriever, assistant=None, k: int = 5,
             mode: str | Sequence[str] = "hybrid", split: str | None = "all",
             retrieval_only: bool = False, out_dir: str | Path = "eval/runs/latest",
             progress: bool = True, corpus_dir: str | Path | None = None,
             info: dict | None = None) -> dict:
    """Evaluate ``gold`` (one ``split``) in each mode; write results.jsonl, metrics.json and
    report.md (+ plots) to ``out_dir`` and return the metrics.

    ``assistant`` needs ``.ask(question, k=, mode=) -> Answer``; without one (or with
    ``retrieval_only``) only retrieval is evaluated. ``info`` is recorded under "run".
    """
    from tqdm import tqdm

    if k < 1:
        raise OptionError("k must be at least 1")
    modes = parse_modes(mode)
    items = select_split(gold, split)
    if retrieval_only:
        assistant = None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    passages = _passage_texts(retriever)
    norm_passages = [normalise(t) for t, _ in passages.values()] if passages else None
    sources = _load_sources(corpus_dir) if assistant is not None else {}

    started = time.time()
    _warm_up(retriever, modes)
    rows: list[dict] = []
    bar = tqdm(total=len(items) * len(modes), desc="eval", unit="q", disable=not progress)
    for m in modes:
        bar.set_postfix_str(m)
        for item in items:
            rows.append(evaluate_one(item, m, retriever, assistant, k, passages, norm_passages,
                                     sources))
            bar.update()
    bar.close()

    metrics = {
        "run": {
            "modes": modes, "k": k, "split": split or "all", "retrieval_only": assistant is None,
            "n_questions": len(items), "rank_depth": RANK_DEPTH,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "elapsed_s": round(time.time() - started, 1), **_retriever_info(retriever),
            **(info or {}),
        },
        "modes": compute_metrics(rows),
    }
    write_results(rows, out / "results.jsonl")
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")
    write_report(metrics, rows, out)
    return metrics
