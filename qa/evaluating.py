"""Evaluation against a gold set: pure metric functions and a runner.

Matching is done on ``normalise``d text (NFKC, then all whitespace removed) on both sides,
so line breaks inside the flattened slides never hide a match. A passage is relevant when
it contains every evidence string of the question. ``run_eval`` writes one JSON line per
(question, mode) with everything ``compute_metrics`` needs, so metrics.json can always be
recomputed from results.jsonl.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path

import numpy as np

GOLD_FIELDS = ("id", "lang", "question", "answer", "answer_keys", "evidence", "split")
LANGS = ("ja", "en")
HIT_KS = (1, 3, 5, 10)
RANK_DEPTH = 10  # retrieval metrics always look at the top 10
_SPACE = re.compile(r"\s+")


class GoldError(ValueError):
    """The gold file is missing or malformed (message names the line)."""


@dataclass(frozen=True)
class GoldItem:
    id: str
    lang: str
    question: str
    answer: str | None  # None: the document does not answer it
    answer_keys: tuple[str, ...]
    evidence: tuple[str, ...]
    split: str

    @property
    def answerable(self) -> bool:
        return self.answer is not None


# ---------------------------------------------------------------- gold file


def normalise(s: str) -> str:
    """NFKC, then remove all whitespace (including newlines and U+3000)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", s))


def _item(obj: object) -> GoldItem:
    """Validate one parsed line; raise ``ValueError`` saying what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    fields = set(obj)
    if fields != set(GOLD_FIELDS):
        problems = []
        if missing := set(GOLD_FIELDS) - fields:
            problems.append(f"missing {', '.join(sorted(missing))}")
        if extra := fields - set(GOLD_FIELDS):
            problems.append(f"unknown {', '.join(sorted(extra))}")
        raise ValueError("fields: " + "; ".join(problems))
    for name in ("id", "question", "split"):
        if not isinstance(obj[name], str) or not obj[name].strip():
            raise ValueError(f"{name!r} must be a non-empty string")
    if obj["lang"] not in LANGS:
        raise ValueError(f"'lang' must be one of {', '.join(LANGS)}, not {obj['lang']!r}")
    for name in ("answer_keys", "evidence"):
        value = obj[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"{name!r} must be a list of non-empty strings")
    answer = obj["answer"]
    if answer is not None and not isinstance(answer, str):
        raise ValueError("'answer' must be a string or null")
    if answer is not None and not (obj["answer_keys"] and obj["evidence"]):
        raise ValueError("an answerable item needs answer_keys and evidence")
    return GoldItem(obj["id"], obj["lang"], obj["question"], answer, tuple(obj["answer_keys"]),
                    tuple(obj["evidence"]), obj["split"])


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a gold JSONL file (blank lines skipped); ``GoldError`` names the bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldError(f"gold file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"cannot read gold file {path}: {exc}") from None
    items: list[GoldItem] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = _item(json.loads(line))
        except ValueError as exc:  # includes json.JSONDecodeError
            raise GoldError(f"{path}, line {n}: {exc}") from None
        if item.id in seen:
            raise GoldError(f"{path}, line {n}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise GoldError(f"gold file {path} has no questions")
    return items


def select_split(gold: Sequence[GoldItem], split: str | None) -> list[GoldItem]:
    """Items of ``split`` ("all" or None: every item); ``GoldError`` if none."""
    if split in (None, "all"):
        return list(gold)
    items = [g for g in gold if g.split == split]
    if not items:
        known = ", ".join(sorted({g.split for g in gold}))
        raise GoldError(f"no gold questions in split {split!r} (splits: {known}, or all)")
    return items


# ---------------------------------------------------------------- metrics


def is_relevant(passage_text: str, evidence: Iterable[str]) -> bool:
    """True when every evidence string occurs in the passage (normalised); False if none."""
    evidence = [normalise(e) for e in evidence]
    text = normalise(passage_text)
    return bool(evidence) and all(e in text for e in evidence)


def first_relevant_rank(flags: Sequence[bool], k: int = RANK_DEPTH) -> int | None:
    """1-based rank of the first relevant result within the top ``k``."""
    return next((r for r, f in enumerate(flags[:k], start=1) if f), None)


def hit_at_k(flags: Sequence[bool], k: int) -> float:
    return float(any(flags[:k]))


def reciprocal_rank(flags: Sequence[bool], k: int = RANK_DEPTH) -> float:
    rank = first_relevant_rank(flags, k)
    return 1.0 / rank if rank else 0.0


def mrr(ranks: Sequence[int | None], k: int = RANK_DEPTH) -> float:
    """Mean reciprocal rank of first-relevant ranks (None or > k counts 0)."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r and r <= k) / len(ranks)


def ndcg_at_k(flags: Sequence[bool], k: int = RANK_DEPTH, n_relevant: int | None = None) -> float:
    """Binary-relevance nDCG@k. The ideal ranking holds ``n_relevant`` relevant passages (the
    count in the whole index when known), else as many as the retrieved list holds."""
    dcg = sum(1.0 / math.log2(i + 2) for i, f in enumerate(flags[:k]) if f)
    ideal_n = sum(bool(f) for f in flags) if n_relevant is None else n_relevant
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(ideal_n, k)))
    return dcg / idcg if idcg else 0.0


def answer_correct(answer: str | None, abstained: bool, answer_keys: Sequence[str],
                   answerable: bool) -> bool:
    """Answerable: not abstained and some key occurs in the answer. Else: abstained."""
    if not answerable:
        return bool(abstained)
    if abstained or not answer:
        return False
    text = normalise(answer)
    return any(normalise(k) in text for k in answer_keys)


def citation_valid(quote: str, start: int, end: int, source_text: str | None,
                   passage_text: str | None) -> bool:
    """The quote is ``source[start:end]`` verbatim and occurs verbatim in the cited passage."""
    if not quote.strip() or source_text is None or passage_text is None:
        return False
    return 0 <= start <= end <= len(source_text) and source_text[start:end] == quote \
        and quote in passage_text


def evidence_found(passage_text: str | None, evidence: Sequence[str]) -> list[bool]:
    """For each evidence string, whether it occurs in the passage (normalised)."""
    if passage_text is None:
        return [False] * len(evidence)
    text = normalise(passage_text)
    return [normalise(e) in text for e in evidence]


def percentiles(values: Iterable[float | None]) -> dict[str, float | None]:
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return {"p50": None, "p95": None}
    p50, p95 = np.percentile(np.asarray(vals), [50, 95])
    return {"p50": round(float(p50), 2), "p95": round(float(p95), 2)}


def _mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return round(sum(vals) / len(vals), 4) if vals else None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _answerable_metrics(rows: list[dict]) -> dict:
    flags = [r["relevant"] for r in rows]
    out: dict = {"n": len(rows)}
    for k in HIT_KS:
        out[f"hit@{k}"] = _mean(hit_at_k(f, k) for f in flags)
    out["mrr@10"] = _mean(reciprocal_rank(f) for f in flags)
    out["ndcg@10"] = _mean(ndcg_at_k(f, RANK_DEPTH, r["n_relevant_in_index"])
                           for f, r in zip(flags, rows))
    # Questions whose evidence no single indexed passage holds: no ranking can hit them.
    out["unreachable"] = sum(1 for r in rows if r["n_relevant_in_index"] == 0)
    answered = [r for r in rows if r["abstained"] is not None]
    if not answered:
        return out
    out["accuracy"] = _mean(float(_row_correct(r)) for r in answered)
    out["abstained"] = sum(1 for r in answered if r["abstained"])
    cites = [c for r in answered for c in r["citations"]]
    out["citations"] = len(cites)
    out["citation_validity"] = _ratio(sum(c["valid"] for c in cites), len(cites))
    given = [r for r in answered if not r["abstained"]]
    out["citation_support"] = _mean(float(_supported(r)) for r in given)
    out["citation_support_per_citation"] = _ratio(
        sum(all(c["evidence_found"]) and bool(c["evidence_found"])
            for r in given for c in r["citations"]),
        sum(len(r["citations"]) for r in given))
    return out


def _supported(row: dict) -> bool:
    """Every evidence string occurs in at least one of the answer's cited passages."""
    cites = row["citations"]
    n_ev = len(row["evidence"])
    return bool(cites) and n_ev > 0 and all(any(c["evidence_found"][j] for c in cites)
                                            for j in range(n_ev))


def _row_correct(row: dict) -> bool:
    return answer_correct(row["answer"], row["abstained"], row["answer_keys"], row["answerable"])


def _unanswerable_metrics(rows: list[dict]) -> dict:
    out: dict = {"n": len(rows)}
    answered = [r for r in rows if r["abstained"] is not None]
    if answered:
        out["accuracy"] = _mean(float(_row_correct(r)) for r in answered)  # = abstention rate
        cites = [c for r in answered for c in r["citations"]]
        out["citations"] = len(cites)
        out["citation_validity"] = _ratio(sum(c["valid"] for c in cites), len(cites))
    return out


def _group_metrics(rows: list[dict]) -> dict:
    answered = [r for r in rows if r["abstained"] is not None]
    out = {
        "answerable": _answerable_metrics([r for r in rows if r["answerable"]]),
        "unanswerable": _unanswerable_metrics([r for r in rows if not r["answerable"]]),
        "latency_ms": {
            "retrieve": percentiles(r["timings"].get("retrieve_ms") for r in rows),
            "answer": percentiles(r["timings"].get("answer_ms") for r in rows),
        },
    }
    if answered:
        tp = sum(1 for r in answered if r["abstained"] and not r["answerable"])
        flagged = sum(1 for r in answered if r["abstained"])
        truth = sum(1 for r in answered if not r["answerable"])
        out["abstention"] = {"precision": _ratio(tp, flagged), "recall": _ratio(tp, truth),
                             "abstained": flagged, "unanswerable": truth}
    return out


def compute_metrics(rows: Sequence[dict]) -> dict[str, dict]:
    """{mode: {"all" | "ja" | "en": group metrics}} from results.jsonl rows."""
    out: dict[str, dict] = {}
    for mode in dict.fromkeys(r["mode"] for r in rows):
        mine = [r for r in rows if r["mode"] == mode]
        out[mode] = {"all": _group_metrics(mine)}
        for lang in LANGS:
            if any(r["lang"] == lang for r in mine):
                out[mode][lang] = _group_metrics([r for r in mine if r["lang"] == lang])
    return out


# ---------------------------------------------------------------- runner


def parse_modes(mode: str | Sequence[str]) -> list[str]:
    """"hybrid", "dense,bm25", "all" or a list -> list of modes (order kept)."""
    from qa.retrieving import MODES, ModeError

    names = mode.split(",") if isinstance(mode, str) else list(mode)
    names = [m.strip() for m in names if m.strip()]
    if names == ["all"]:
        return list(MODES)
    bad = [m for m in names if m not in MODES]
    if bad or not names:
        raise ModeError(f"unknown mode {', '.join(bad) or '(none)'}: choose from "
                        f"{', '.join(MODES)} or all")
    return list(dict.fromkeys(names))


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
        row["citations"] = [_citation_row(c, item, passages, sources) for c in ans.citations]
        row["correct"] = _row_correct(row)
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

    from qa.report import write_report

    if k < 1:
        raise ValueError("k must be at least 1")
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


def summary_table(metrics: dict) -> str:
    """A short plain-text table of the headline numbers, one line per mode x language."""
    answering = not metrics["run"]["retrieval_only"]
    head = (f"{'mode':<7}{'lang':<5}{'n ans':>6}{'hit@1':>7}{'hit@5':>7}{'hit@10':>7}{'MRR':>7}"
            f"{'nDCG':>7}")
    if answering:
        head += f"{'acc':>7}{'NA-acc':>7}{'cite-ok':>8}{'support':>8}{'abst-P':>7}{'abst-R':>7}"
    head += f"{'ret p50':>9}{'p95':>7}" + (f"{'ans p50':>9}{'p95':>7}" if answering else "")
    lines = [head]

    def f(v, width=7):
        return f"{'-' if v is None else format(v, '.3f'):>{width}}"

    for mode, groups in metrics["modes"].items():
        for lang, g in groups.items():
            a, u = g["answerable"], g["unanswerable"]
            line = (f"{mode:<7}{lang:<5}{a['n']:>6}{f(a['hit@1'])}{f(a['hit@5'])}"
                    f"{f(a['hit@10'])}{f(a['mrr@10'])}{f(a['ndcg@10'])}")
            if answering:
                ab = g.get("abstention", {})
                line += (f"{f(a.get('accuracy'))}{f(u.get('accuracy'))}"
                         f"{f(a.get('citation_validity'), 8)}{f(a.get('citation_support'), 8)}"
                         f"{f(ab.get('precision'))}{f(ab.get('recall'))}")
            lat = g["latency_ms"]["retrieve"]
            line += f"{_ms(lat['p50']):>9}{_ms(lat['p95']):>7}"
            if answering:
                ans = g["latency_ms"]["answer"]
                line += f"{_ms(ans['p50']):>9}{_ms(ans['p95']):>7}"
            lines.append(line)
    return "\n".join(lines)


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}ms" if v < 10 else f"{v:.0f}ms"
