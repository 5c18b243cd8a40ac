"""Evaluation metrics as pure functions, and ``compute_metrics`` over results.jsonl rows.

Relevance by evidence, hit@k, MRR, nDCG, answer accuracy, citation validity and support,
latency percentiles.

Matching is done on ``normalise``d text (NFKC, then all whitespace removed) on both sides,
so line breaks inside the flattened slides never hide a match. A passage is relevant when
it contains every evidence string of the question.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

from qa.gold import LANGS
from qa.question_analysis import TYPED

HIT_KS = (1, 3, 5, 10)
RANK_DEPTH = 10  # retrieval metrics always look at the top 10
_SPACE = re.compile(r"\s+")


def normalise(s: str) -> str:
    """NFKC, then remove all whitespace (including newlines and U+3000)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", s))


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
    out["accuracy"] = _mean(float(row_correct(r)) for r in answered)
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
    out["false_abstention"] = _ratio(out["abstained"], len(answered))
    typed = [r for r in answered if r.get("answer_type") in TYPED]
    out["short_answer_accuracy"] = _mean(float(_short_correct(r)) for r in typed)
    out["hedged"] = _ratio(sum(r.get("confidence_label") == "low" for r in given), len(given))
    lengths = [len(r["answer"]) for r in given if r["answer"]]
    out["median_answer_chars"] = float(np.median(lengths)) if lengths else None
    return out


def _short_correct(row: dict) -> bool:
    """The short answer the reply opens with holds an answer key."""
    short = normalise(row.get("short_answer") or "")
    return bool(short) and not row["abstained"] and any(normalise(k) in short for k in row["answer_keys"])


def _supported(row: dict) -> bool:
    """Every evidence string occurs in at least one of the answer's cited passages."""
    cites = row["citations"]
    n_ev = len(row["evidence"])
    return bool(cites) and n_ev > 0 and all(any(c["evidence_found"][j] for c in cites)
                                            for j in range(n_ev))


def row_correct(row: dict) -> bool:
    """Whether a results.jsonl row's answer is right (see ``answer_correct``)."""
    return answer_correct(row["answer"], row["abstained"], row["answer_keys"], row["answerable"])


def _unanswerable_metrics(rows: list[dict]) -> dict:
    out: dict = {"n": len(rows)}
    answered = [r for r in rows if r["abstained"] is not None]
    if answered:
        out["accuracy"] = _mean(float(row_correct(r)) for r in answered)  # = abstention rate
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
