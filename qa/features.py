"""Answer candidates and their features: every sentence or table row of the top passages,
described by numbers a fitted linear model can weigh (``qa.answer_model``).

The features say how close a candidate is to the question (its vector, alone and after its
slide title; the question's terms it and its neighbours hold), whether it holds the kind of
answer asked for (an amount, a date, a name), whether it adds anything beyond the question
(a label line that repeats the question's words answers nothing; the line after it often
does), and what kind of line it is (a title, a caption, a table row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qa.citations import display
from qa.country_names import row_names_country
from qa.hubness import CROSS_LINGUAL_WEIGHT
from qa.line_layout import (
    LINK,
    TABLE_HEADER,
    header_above,
    is_heading_like,
    is_table_row,
    labels_above,
    line_text,
    with_continuations,
)
from qa.question_analysis import AnswerType
from qa.questions import QUESTION_TERMS
from qa.records import Hit, Passage
from qa.segmenting import JAPANESE_CHAR, terms
from qa.span_names import typed_spans
from qa.spans import Span, matches, numeric_spans, table_cells
from qa.text import around_span, numbers_written, question_numbers

_CAPTION = re.compile(r"^(（資料）|\(資料\)|出典|※|https?://|www\.)|\.(svg|png|jpg|html?)\b")
_ASKS_SOURCE = re.compile(r"資料|出典|出所|データ|source|data|taken from|according to which", re.I)
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z\-]+")
NEIGHBOURS = 2  # lines above a candidate that may be its label ("重点6分野", "＜IHIの取り組み＞")
NO_NEIGHBOUR_COS = -0.1  # relative cosine of a missing neighbour (a passage's first line)

FEATURES = (
    "cos", "titled_cos", "prev_cos", "first", "lex", "prev_lex", "context_lex", "title_lex",
    "novelty", "answer_like", "label_like", "type_match", "type_missing", "inv_rank", "row",
    "header", "heading", "caption", "latin", "length", "doc_english", "row_lex", "numbers", "span_near",
)


@dataclass(frozen=True)
class Candidate:
    """One sentence or table row of a retrieved passage, with its features."""

    passage: Passage
    rank: int  # the passage's retrieval rank (1-based)
    position: int  # index of the line in its passage
    start: int  # absolute source offsets of the line
    end: int
    text: str  # display form (line breaks folded)
    header: tuple[int, int] | None  # a table row's header line (absolute offsets)
    header_text: str
    header_passage: Passage | None  # the passage holding that header (this one or one above)
    raw: str  # the line's verbatim source text (``spans`` offsets are into it)
    spans: tuple[Span, ...]  # typed spans of the line that match the question's answer type
    columns: tuple[str, ...]  # for a table row, each span's column header ("2021年"), else ""
    x: np.ndarray = field(repr=False)  # values of FEATURES

    @property
    def context(self) -> str:
        """What the line says with its table header."""
        return f"{self.header_text} {self.text}" if self.header_text else self.text


@dataclass(frozen=True)
class Question:
    """What the features need to know of the question."""

    text: str
    language: str
    terms: list[str]  # BM25 terms (an English question's are its translations)
    vector: np.ndarray | None
    answer_type: AnswerType
    english_words: frozenset[str] = frozenset()  # lemmas of an English question's content words
    # what the question names, as groups of alternative terms: each Japanese term alone, or an
    # English phrase's translations (any one of them found means the phrase is found)
    term_groups: tuple[tuple[str, ...], ...] = ()
    untranslated: float | None = None  # English: share of content words no lexicon phrase covers
    deck_synonyms: frozenset[str] = frozenset()  # terms added for words the deck writes otherwise


@dataclass(frozen=True)
class TermWeights:
    """The IDF of a question's content terms that the index knows, computed once a question."""

    weights: dict[str, float]
    total: float

    @classmethod
    def of(cls, query_terms: list[str], idf: dict[str, float]) -> TermWeights:
        weights = {t: idf[t] for t in set(query_terms) if t in idf and t not in QUESTION_TERMS}
        return cls(weights, sum(weights.values()))

    def coverage(self, unit_terms: frozenset[str] | set[str]) -> float:
        """IDF-weighted share of the question's terms that the unit contains."""
        if self.total <= 0:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in unit_terms) / self.total


def coverage(query_terms: list[str], unit_terms: set[str] | frozenset[str], idf: dict[str, float]) -> float:
    """IDF-weighted share of the query's known content terms that the unit contains."""
    return TermWeights.of(query_terms, idf).coverage(unit_terms)


def novelty(query_terms: list[str] | set[str], unit_terms: frozenset[str], idf: dict[str, float]) -> float:
    """IDF-weighted share of the unit's terms that the question does not already say."""
    known = [(idf[t], t not in query_terms) for t in unit_terms if t in idf]
    total = sum(w for w, _ in known)
    return sum(w for w, new in known if new) / total if total > 0 else 0.0


@lru_cache(maxsize=8192)
def line_terms(text: str) -> frozenset[str]:
    """Sudachi terms of a line (cached: passages do not change while the index is loaded)."""
    return frozenset(terms(text))


@lru_cache(maxsize=8192)
def line_spans(text: str, with_names: bool) -> tuple[Span, ...]:
    """Typed spans of a line; names and lists (Sudachi) only when the question wants them."""
    return tuple(typed_spans(text) if with_names else numeric_spans(text))


def warm_lines(retriever) -> None:
    """Fill the line caches for every passage of a loaded retriever (a chat server does this
    once after loading, so answering does not segment lines on the user's time)."""
    for p in retriever.passages:
        _, spans, _, _ = retriever.lines(p.id)
        for a, b in spans:
            raw = p.text[a - p.start:b - p.start]
            line_terms(display(raw))
            line_spans(raw, False)
        line_terms(p.title)


def japanese_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return len(JAPANESE_CHAR.findall(text)) / len(letters) if letters else 0.0


def doc_english(question: Question, text: str) -> float:
    """Share of an English question's content words that the line's own Latin words carry
    (the document's English wording: "Data Free Flow with Trust", "Build Back Better")."""
    if not question.english_words:
        return 0.0
    from qa.lexicon import lemma

    found = {lemma(w) for w in _LATIN_WORD.findall(text)}
    return len(found & question.english_words) / len(question.english_words)


def _wants_names(answer_type: AnswerType) -> bool:
    return bool({answer_type.kind, *answer_type.also} & {"place", "name", "list"})


def candidates(question: Question, hits: list[Hit], lines, idf: dict[str, float],
               top_passages: int = 5, previous=lambda passage_id: None, hubness=None,
               following=lambda passage_id: None) -> list[Candidate]:
    """Every line of the top passages (and of the passage a table or heading of theirs runs on
    into) with its features. ``lines(passage_id)`` gives a passage, its line spans and their
    vectors (plain, and embedded after the slide title); ``previous`` / ``following(passage_id)``
    the passage above / below it in the same slide, or None; ``hubness(passage_id)`` its lines' hubness,
    plain and titled (``qa.hubness``), for English questions' cosines."""
    def cosines(passage_id: str, vecs: np.ndarray, tvecs: np.ndarray, q) -> tuple[np.ndarray, np.ndarray]:
        if q is None or not len(vecs):
            return np.zeros(len(vecs)), np.zeros(len(vecs))
        cos, tcos = vecs @ q, tvecs @ q
        if hubness is not None and question.language == "en":
            hub, thub = hubness(passage_id)
            cos, tcos = cos - CROSS_LINGUAL_WEIGHT * hub, tcos - CROSS_LINGUAL_WEIGHT * thub
        return cos, tcos

    raw: list[dict] = []
    weights = TermWeights.of(question.terms, idf)
    asked = set(question.terms)
    names = _wants_names(question.answer_type)
    asks_source = bool(_ASKS_SOURCE.search(question.text))
    asked_numbers = question_numbers(question.text)
    # not for English, whose lines are scored through translation: worse there (eval/README "Round 9")
    for hit_id, rank, continued in with_continuations(hits[:top_passages], lines, following,
                                                      question.language == "ja"):
        passage, spans, vecs, tvecs = lines(hit_id)
        q = question.vector
        cos, tcos = cosines(hit_id, vecs, tvecs, q)
        texts = [line_text(passage, span) for span in spans]
        # the lines that may label a line run on into the passage above (「CPTPP」 over 「・2018年12月発効」)
        above_texts, above_cos = _lines_above(hit_id, lines, previous, cosines, q)
        context_texts, context_cos = above_texts + texts, above_cos + [float(x) for x in cos]
        title_terms = line_terms(passage.title)
        header: tuple[int, int] | None = None
        header_passage: Passage | None = None
        header_text, header_raw, header_cos = "", "", (0.0, 0.0)
        above = header_above(passage, lines, previous) if any(is_table_row(t) for t in texts) else None
        if above is not None:  # a table continued from the passage above
            header_passage, ha, hb, header_text, hj = above
            header = (ha, hb)
            if q is not None:
                _, _, hv, htv = lines(header_passage.id)
                hcos, htcos = cosines(header_passage.id, hv, htv, q)
                header_cos = (float(hcos[hj]), float(htcos[hj]))
            header_raw = header_passage.text[ha - header_passage.start:hb - header_passage.start]
        for j, ((a, b), text) in enumerate(zip(spans, texts)):
            row = is_table_row(text)
            is_header = bool(TABLE_HEADER.search(text)) and not row
            if is_header:
                header, header_text, header_cos = (a, b), text, (float(cos[j]), float(tcos[j]))
                header_raw, header_passage = passage.text[a - passage.start:b - passage.start], passage
            own_header = header if row and header else None
            ctx = f"{header_text} {text}" if own_header else text
            c, tc = float(cos[j]), float(tcos[j])
            if own_header:  # a row's own vector says little ("世界 -3.3 6.0"): it borrows its header's
                c, tc = max(c, header_cos[0]), max(tc, header_cos[1])
            above_j = labels_above(context_texts, len(above_texts) + j, NEIGHBOURS)
            prev_terms = frozenset().union(*(line_terms(context_texts[i]) for i in above_j))
            ctx_terms = line_terms(ctx)
            raw_line = passage.text[a - passage.start:b - passage.start]
            if own_header:
                pairs = [(cell.span, cell.column) for cell in table_cells(raw_line, header_raw)
                         if row_names_country(cell.label, tuple(question.terms))]
            else:
                pairs = [(s, "") for s in line_spans(raw_line, names) if not LINK.match(text)]  # id=94
            pairs = [(s, col) for s, col in pairs if matches(question.answer_type, s)]
            found = tuple(s for s, _ in pairs)
            raw.append(dict(
                passage=passage, rank=rank, position=j, start=a, end=b, text=text, header=own_header,
                header_text=header_text if own_header else "", raw=raw_line, spans=found,
                header_passage=header_passage if own_header else None,
                columns=tuple(col for _, col in pairs),
                cos=c, titled_cos=tc,
                prev_cos=max((context_cos[i] for i in above_j), default=None),
                first=float(j == 0 and not continued),  # a continuation's first line is mid-table
                **_lexical(weights, asked, ctx_terms, prev_terms, title_terms, idf),
                type_match=float(bool(found)),
                type_missing=float(expects_span(question.answer_type) and not found),
                inv_rank=1.0 / rank, row=float(row), header_line=float(is_header),
                heading=float(is_heading_like(text, passage.title)),
                caption=float(bool(_CAPTION.search(text)) and not asks_source),
                latin=float(japanese_share(text) < 0.3 and not row),
                length=min(len(text), 200) / 200,
                doc_english=doc_english(question, text),
                # what names a table row (its label, not its header): 中国 in 「米国 -3.5 6.4 中国 2.3 8.4」
                row_lex=weights.coverage(line_terms(text)) if row else 0.0,
                numbers=numbers_written(asked_numbers, ctx),
                # the value next to the question's words (「1980年採択」); not English (eval/README "Round 6")
                span_near=0.0 if question.language == "en" else max(
                    (weights.coverage(line_terms(around_span(raw_line, s))) for s in found), default=0.0),
            ))
    if not raw:
        return []
    best = max(r["cos"] for r in raw)
    best_titled = max(r["titled_cos"] for r in raw)
    out = []
    for r in raw:
        prev = r["prev_cos"] - best if r["prev_cos"] is not None else NO_NEIGHBOUR_COS
        values = dict(r, cos=r["cos"] - best, titled_cos=r["titled_cos"] - best_titled, prev_cos=prev,
                      header=r["header_line"])
        x = np.array([values[name] for name in FEATURES], dtype=np.float64)
        out.append(Candidate(r["passage"], r["rank"], r["position"], r["start"], r["end"], r["text"],
                             r["header"], r["header_text"], r["header_passage"], r["raw"], r["spans"],
                             r["columns"], x))
    return out


def _lines_above(passage_id: str, lines, previous, cosines, q) -> tuple[list[str], list[float]]:
    """The last ``NEIGHBOURS`` lines of the passage above in the slide, and their cosines."""
    above = previous(passage_id)
    if above is None:
        return [], []
    passage, spans, vecs, tvecs = lines(above.id)
    cos, _ = cosines(above.id, vecs, tvecs, q)
    return [line_text(passage, span) for span in spans[-NEIGHBOURS:]], [float(c) for c in cos[-NEIGHBOURS:]]


def _lexical(weights: TermWeights, asked: set[str], line: frozenset[str], prev: frozenset[str],
             title: frozenset[str], idf: dict[str, float]) -> dict[str, float]:
    """The term features of a line: coverage of the question by the line, its neighbours, its
    context and its title; how much it adds; and two interactions, a line that adds new words
    in a context matching the question (an answer) or one that only repeats them (a label)."""
    lex, context = weights.coverage(line), weights.coverage(line | prev | title)
    new = novelty(asked, line, idf)
    return {"lex": lex, "prev_lex": weights.coverage(prev), "context_lex": context,
            "title_lex": weights.coverage(title), "novelty": new, "answer_like": new * context,
            "label_like": lex * (1 - new)}


def expects_span(answer_type: AnswerType) -> bool:
    """Whether a short span (a number, a date, a name) can answer this kind of question."""
    return answer_type.typed or answer_type.kind in ("place", "name")
