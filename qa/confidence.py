"""Question-level signals of whether the document answers a question at all, for the
calibrated abstention model in ``qa.answer_model``.

A near miss ("RE100 members in 2019", "the IMF forecast for India") retrieves the right slide
with a high cosine; what gives it away is a detail the question names that the best passages
lack (a year, a country, an acronym, a rare term), or the lack of any line of the kind of
answer asked for. These signals are numbers; the weights come from the gold set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.country_names import deck_spelling
from qa.features import QUESTION_TERMS, Candidate, Question, expects_span, line_terms
from qa.line_layout import SOURCE_NOTE
from qa.segmenting import JAPANESE_CHAR, terms, wraps_mid_word
from qa.text import ASIDE, around_span, fold, number_forms, question_numbers

QUESTION_FEATURES = (
    "top_cos", "cos_margin", "sentence_cos", "missing_idf", "missing_idf_best", "missing_numbers",
    "missing_numbers_best", "missing_names", "untranslated", "no_typed_line", "best_untyped",
    "best_score", "score_margin", "bm25_agrees", "span_context",
)
_ACRONYM = r"[A-Za-z][A-Za-z0-9\-&]*[A-Z0-9][A-Za-z0-9\-&]*"  # CBAM, ASEAN5, TSMC, G7, J-Bridge
ACRONYM = re.compile(_ACRONYM)
_NAME = re.compile(rf"{_ACRONYM}|[A-Z][a-z]+")
_NUMERIC_TERM = re.compile(r"^[0-9.,%]+$")


def missing_numbers(question: str, passage_text: str) -> int:
    """Numbers of the question (years, counts) that the passages never write."""
    text = fold(passage_text)
    return sum(1 for n in question_numbers(question) if not any(f in text for f in number_forms(n)))


def missing_names(question: str, passage_text: str, language: str = "ja") -> int:
    """Latin names and acronyms of the question (CBAM, ASEAN5, TSMC) the passages lack. An
    English question's ordinary capitalised words are skipped: only acronyms count there."""
    text = fold(passage_text)
    names = set(_NAME.findall(unicodedata.normalize("NFKC", question)))
    if language == "en":
        names = {n for n in names if sum(c.isupper() or c.isdigit() for c in n) >= 2}
    return sum(1 for n in names if n.lower() not in text)


def missing_idf(groups: tuple[tuple[str, ...], ...], passage_terms: set[str] | frozenset[str],
                idf: dict[str, float]) -> float:
    """IDF mass of the question's content the passages lack. ``groups``: one tuple of terms per
    thing the question names (a Japanese term; an English phrase's translations, any of which
    will do); a group counts when none of its terms occurs, at its rarest term's IDF (a term the
    document never uses counts as the rarest of all)."""
    rare = max(idf.values(), default=1.0)
    return sum(w for g, w in _weighted_groups(groups, idf, rare) if not any(t in passage_terms for t in g))


def term_groups(text: str, query_terms: Sequence[str], synonyms=()) -> tuple[tuple[str, ...], ...]:
    """One group of terms per thing a Japanese question names, any of which will do: a country with
    the deck's name for it (イギリス, 英国), a name with the aside in brackets that restates it
    (「TPP11（環太平洋…協定）」, 「CBPR（越境プライバシールール）」); each other term alone. A word the
    deck writes otherwise (``synonyms``: ファンド, 基金) is found where the deck's word is."""
    deck = {t: d for own, d in synonyms for t in own}
    added = {t for d in deck.values() for t in d}
    groups = _own_groups(text, [t for t in query_terms if t not in added])
    return tuple(tuple(dict.fromkeys(g + tuple(t for w in g for t in deck.get(w, ())))) for g in groups)


def _own_groups(text: str, query_terms: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    canonical = {t: deck_spelling(t, text) or t for t in query_terms}
    merged: list[tuple[str, ...]] = []
    text = unicodedata.normalize("NFKC", text)
    for m in ASIDE.finditer(text):
        before = terms(text[:m.start()])
        merged.append(tuple(dict.fromkeys(before[-1:] + terms(m.group()[1:-1]))))
    taken = {t for g in merged for t in g} | {c for t, c in canonical.items() if c != t}
    alone = [(t, canonical[t]) if canonical[t] != t else (t,) for t in canonical if t not in taken]
    return tuple(g for g in merged + alone if g)


def _weighted_groups(groups: tuple[tuple[str, ...], ...], idf: dict[str, float], rare: float
                     ) -> list[tuple[tuple[str, ...], float]]:
    """Each group's content terms (question words such as 何 or どこ left out) and its weight: its
    rarest term's IDF, where a term the document never uses counts as the rarest of all."""
    out = []
    for group in groups:
        content = tuple(t for t in group if t not in QUESTION_TERMS)
        if not content:
            continue
        known = [idf[t] for t in content if t in idf]
        unknown = any(JAPANESE_CHAR.search(t) or any(ch.isdigit() for ch in t)
                      for t in content if t not in idf)
        out.append((content, max(known + ([rare] if unknown or not known else []))))
    return out


def _label_above(top: Candidate, ranked: Sequence[Candidate]) -> frozenset[str]:
    """The terms of the line above ``top`` when ``top`` holds nothing but its values (「（21年3月）」
    under 「「暫定国家安全保障戦略ガイドライン」」) or is an aside in brackets
    (「（中国：8%→86%、韓国：19%→92%）」 under 「…無税品目の割合…」): it belongs to the line above."""
    rest = top.raw
    for span in sorted(top.spans, key=lambda s: -s.start):
        rest = rest[:span.start] + rest[span.end:]
    if has_content(list(line_terms(rest))) and not ASIDE.fullmatch(top.raw.strip()):
        return frozenset()
    above = _line_next_to(top, ranked, -1)
    while above is not None and SOURCE_NOTE.match(above.text):  # 「（資料）…作成」 or a link: no label
        above = _line_next_to(above, ranked, -1)
    return line_terms(above.raw) if above else frozenset()


def _wrapped_below(top: Candidate, ranked: Sequence[Candidate]) -> frozenset[str]:
    """The terms of the line below ``top`` when the slide broke a word between them: 「類似制度を導入」
    under 「米国では2017年に米国内の産業・雇」 is what the date 2017年 is about."""
    below = _line_next_to(top, ranked, 1)
    return line_terms(below.raw) if below and wraps_mid_word(top.raw, below.raw) else frozenset()


def _line_next_to(top: Candidate, ranked: Sequence[Candidate], step: int) -> Candidate | None:
    return next((c for c in ranked if c.passage.id == top.passage.id and c.position == top.position + step),
                None)


def span_context(question: Question, top: Candidate | None, idf: dict[str, float],
                 ranked: Sequence[Candidate] = ()) -> float:
    """For a question that wants a typed fact: the IDF-weighted share of what the question names
    (its term groups, weighted as ``missing_idf`` weighs them) found within ``SPAN_WINDOW`` characters of
    a span of the asked type in the best line, or in that row's table header (or the line above a
    value-only line, the line below one the slide broke mid-word); the best span
    counts, and a line with no such span scores 0. A near miss often has a figure of the right
    type in a line about something else (「120億ポンド」 for "the budget of Japan's Green Innovation
    Fund"). 1.0 when the question wants no typed fact, and for English questions, whose terms
    are dictionary translations: with them the signal withheld fewer unanswerable questions
    (0.323 -> 0.277 over five reshuffled folds), while Japanese went 0.574 -> 0.794."""
    if question.language == "en" or not expects_span(question.answer_type):
        return 1.0
    if top is None or not top.spans:
        return 0.0
    groups = question.term_groups or tuple((t,) for t in question.terms)
    weighted = _weighted_groups(groups, idf, max(idf.values(), default=1.0))
    total = sum(w for _, w in weighted) or 1.0
    header = line_terms(top.header_text) if top.header_text else _label_above(top, ranked)
    header |= _wrapped_below(top, ranked)
    best = 0.0
    for span in top.spans:
        near = line_terms(around_span(top.raw, span)) | header
        best = max(best, sum(w for g, w in weighted if any(t in near for t in g)) / total)
    return best


def has_content(query_terms: list[str]) -> bool:
    """False for "?", "2021" or an emoji: nothing to look up."""
    return any(t not in QUESTION_TERMS and not _NUMERIC_TERM.match(t) for t in query_terms)


@dataclass(frozen=True)
class Signals:
    """Retrieval evidence about one question, gathered before any answer line is scored."""

    passage_cos: list[float]  # cosines of the top passages with the question
    sentence_cos: float  # the best line's cosine in the whole index
    top_terms: frozenset[str]  # terms of the top 3 passages
    best_terms: frozenset[str]  # terms of the best passage's whole slide
    top_text: str  # text of the top 3 passages (for numbers and names)
    untranslated: float  # share of an English question's content words the lexicon lacks
    bm25_agrees: bool  # the best passage is among BM25's top 5


def question_features(question: Question, signals: Signals, ranked: list[Candidate],
                      scores: np.ndarray, idf: dict[str, float]) -> np.ndarray:
    """The values of ``QUESTION_FEATURES`` for one question; ``ranked``/``scores``: the answer
    candidates and their ranker scores."""
    cos = sorted(signals.passage_cos, reverse=True) + [0.0, 0.0]
    order = np.argsort(-scores) if len(scores) else np.array([], dtype=int)
    best = float(scores[order[0]]) if len(order) else -10.0
    second = float(scores[order[1]]) if len(order) > 1 else best - 1.0
    expects = expects_span(question.answer_type)
    top = ranked[int(order[0])] if len(order) else None
    # a table row is read with its column header ("(%) 2020年 2021年"), which may sit in the passage above
    best_text = f"{top.passage.title} {top.header_text} {top.passage.text}" if top else ""
    values = {
        "top_cos": cos[0], "cos_margin": cos[0] - cos[1], "sentence_cos": signals.sentence_cos,
        "missing_idf": missing_idf(question.term_groups, signals.top_terms, idf),
        "missing_idf_best": missing_idf(question.term_groups, signals.best_terms, idf),
        "missing_numbers": float(missing_numbers(question.text, signals.top_text)),
        "missing_numbers_best": float(missing_numbers(question.text, best_text)),
        "missing_names": float(missing_names(question.text, signals.top_text, question.language)),
        "untranslated": signals.untranslated,
        "no_typed_line": float(expects and not any(c.spans for c in ranked)),
        "best_untyped": float(expects and top is not None and not top.spans),
        "best_score": best, "score_margin": best - second, "bm25_agrees": float(signals.bm25_agrees),
        "span_context": span_context(question, top, idf, ranked),
    }
    return np.array([values[n] for n in QUESTION_FEATURES], dtype=np.float64)
