"""The offline extractive answerer: rank the lines of the retrieved passages with the fitted
model, decide how sure the answer is, and quote the best line(s) verbatim with citations.

Steps: the question's expected answer type (``qa.question_analysis``); every line of the top
passages as a ``Candidate`` with its features (``qa.features``); the ranker's scores; the
question-level signals and the calibrated probability that the document does not answer
(``qa.confidence``, ``qa.answer_model``); then the answer: withheld, hedged or confident, led
by the typed fact when the question wants one and the best line holds it (``qa.composing``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.answer_model import AnswerModel, LanguageModel, probability
from qa.answer_texts import NO_ANSWER
from qa.citations import cite, display
from qa.composing import Quote, ShortAnswer, compose, glossary, short_answer
from qa.confidence import Signals, has_content, question_features, term_groups
from qa.features import Candidate, Question, candidates, expects_span
from qa.question_analysis import answer_type
from qa.questions import asked_acronym
from qa.records import Citation, Hit
from qa.segmenting import wraps_mid_word
from qa.span_choice import asks_for, label_answers, named_labels, names_whole, pick_span
from qa.span_names import expansion_spans
from qa.spans import Span
from qa.text import ASIDE

MAX_EXTRA_LINES = {"list": 2, "also": 1}  # a list may need its next lines; a two-part question one
HEADING_CHARS = 25
LINE_GAP = 4  # characters between two passages that continue one another: line breaks, an indent
_CLAUSE = re.compile("[。、，,]")
# a line with fewer letters than this (「世界」, 「RCEP」, 「（自由化）」) cannot answer in words
MIN_ANSWER_LETTERS = 5
_LETTER = re.compile(r"[A-Za-z0-9\u3040-\u30ff\u3400-\u9fff]")
_CUT_END = re.compile("[をにがはのとでやへも、，,]$")


@dataclass(frozen=True)
class Extraction:
    answer: str
    citations: list[Citation]
    abstained: bool
    confidence: float  # 1 - P(the document does not answer), calibrated on the gold set
    label: str  # "high" | "low" | "abstain"
    short_answer: str = ""  # the typed fact the answer opens with, as shown
    highlight: tuple[int, int] | None = None  # its absolute source offsets (inside citation 1)


@dataclass(frozen=True)
class Gathered:
    """Everything the answer model needs about one question."""

    question: Question
    candidates: list[Candidate]
    signals: Signals
    idf: dict[str, float]  # the index's Lucene idf of every term


def make_question(text: str, language: str, query_terms: list[str], vector, lexicon=None,
                  headwords: int = 5, synonyms=()) -> Question:
    """The question as the answerer sees it; an English one also keeps its content words and
    its phrases' translations (``headwords`` a phrase, as retrieval used them), a Japanese one the
    deck's words for those it writes otherwise (``Ranked.synonyms``)."""
    english = frozenset()
    groups = term_groups(text, query_terms, synonyms)
    untranslated = None
    if language == "en" and lexicon is not None:
        from qa.lexicon import english_words

        matches = lexicon.translate(text, headwords)  # once: groups and coverage both come from it
        english = frozenset(w for w, _, _ in english_words(text) if not w.isdigit())
        groups = tuple(m.terms for m in matches if m.terms)
        covered = [(m.start, m.end) for m in matches]
        words = lexicon.content_words(text)  # as translate read them: GAIA-X as GAIA and X
        missing = [w for w, a, b in words if not any(s <= a and b <= e for s, e in covered)]
        untranslated = len(missing) / len(words) if words else 1.0
    return Question(text, language, list(query_terms), vector, answer_type(text, language), english,
                    groups, untranslated, frozenset(t for _, deck in synonyms for t in deck))


def untranslated_share(question: Question, idf: dict[str, float]) -> float:
    """English: content words no lexicon phrase covers (from ``make_question``); otherwise the
    share of content terms the corpus never uses (a word it writes otherwise still counts)."""
    if question.untranslated is not None:
        return question.untranslated
    content = [t for t in question.terms if has_content([t]) and t not in question.deck_synonyms]
    return sum(t not in idf for t in content) / len(content) if content else 1.0


def gather(question: Question, hits: list[Hit], ranked, retriever, top_passages: int = 5) -> Gathered:
    """The question's candidate lines and retrieval signals from the loaded ``retriever``."""
    cands = candidates(question, hits, retriever.lines, retriever.idf, top_passages, retriever.previous,
                       retriever.hubness, retriever.following)
    vec = question.vector
    top = hits[:3]
    cos = [float(vec @ retriever.passage_vector(h.id)) for h in top] if vec is not None else [0.0]
    top_terms = frozenset(t for h in top for t in retriever.terms_of(h.id))
    best_terms = frozenset(t for p in retriever.section_passages(hits[0].section)
                           for t in retriever.terms_of(p.id)) if hits else frozenset()
    bm25_top = {i for i, _ in ranked.bm25[:5]}
    signals = Signals(
        passage_cos=cos, sentence_cos=ranked.sentence[0][1] if ranked.sentence  # BM25 mode: none
        else retriever.best_line_cos(vec) if vec is not None else 0.0,
        top_terms=top_terms, best_terms=best_terms,
        top_text=" ".join(f"{h.title} {h.text}" for h in top),
        untranslated=untranslated_share(question, retriever.idf),
        bm25_agrees=bool(hits) and retriever.position(hits[0].id) in bm25_top)
    return Gathered(question, cands, signals, retriever.idf)


def lead_scores(g: Gathered, ranker, spelled: dict[int, Span] | None = None) -> np.ndarray:
    """The ranker's line scores with the reading rules applied (a named table row, a line that
    spells out the asked acronym, no fragment for an answer in words): what both the answer and
    the abstention model see, at answering time and when fitting."""
    q = g.question
    if spelled is None:
        acronym = asked_acronym(q.text)
        spelled = spelled_out(g.candidates, acronym, q.language) if acronym else {}
    scores = ranker.score(np.stack([c.x for c in g.candidates]))
    scores = prefer_expansion(prefer_named_row(g.candidates, scores, q), spelled, q.language)
    return demote_fragments(g.candidates, scores, q)


def decide(lm: LanguageModel, p_unanswerable: float, line_cos: float = 1.0, untranslated: float = 0.0) -> str:
    """Withheld, hedged or confident; an off-topic question (``LanguageModel.off_topic``: its best
    line's cosine, its share of words unknown to the document) is withheld."""
    if p_unanswerable >= lm.abstain_at or lm.off_topic(line_cos, untranslated):
        return "abstain"
    return "low" if p_unanswerable >= lm.hedge_at else "high"


def choose_lines(cands: list[Candidate], scores: np.ndarray, question: Question,
                 lm: LanguageModel) -> list[Candidate]:
    """The best line, plus for a list (or a two-part question) the next best lines within the
    model's margin; for an answer in words (what, how, why), the line right below or above it when
    it scores within that margin; the line under it when it is only a heading or breaks off
    mid-sentence, and the heading above it when the question names that heading; lines of one
    passage are kept in reading order."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    best = cands[order[0]]
    kind = question.answer_type
    extra = MAX_EXTRA_LINES["list"] if kind.kind == "list" else MAX_EXTRA_LINES["also"] if kind.also else 0
    chosen = [best]
    for i in order[1:]:
        if len(chosen) > extra or scores[i] < scores[order[0]] - lm.second_margin:
            break
        if cands[i].text != best.text:
            chosen.append(cands[i])
    next_to = [_neighbour(cands, best, step) for step in (1, -1)]  # the line below, the line above
    below, above = (cands[i] if i is not None else None for i in next_to)
    if len(chosen) == 1 and kind.kind != "list" and not expects_span(kind):
        # a slide splits one statement over two lines: the line the question echoes, and the next
        # one that answers it (「欧州気候法案」に大筋合意し… / 2030年排出目標を…55%減に深掘り。)
        close = [i for i in next_to if i is not None and scores[i] >= scores[order[0]] - lm.second_margin]
        chosen += [cands[i] for i in close[:1]]
    if (is_heading(best, question) or is_cut(best) or wraps_into(best, below)) and below is not None \
            and below not in chosen:
        chosen.append(below)
        after = _neighbour(cands, below, 1)
        if ASIDE.fullmatch(below.text.strip()) and after is not None and cands[after] not in chosen:
            chosen.append(cands[after])  # under the heading only its date 「（21年4月）」: its text is next
    if above is not None and above not in chosen and (is_heading(above) and names_whole(
            above.text, set(question.terms)) or label_answers(above, best, question)):
        chosen.append(above)  # the label the value sits under (「日英EPA」 over 「・2021年１月発効」)
    return sorted(chosen, key=lambda c: (c.rank, c.start)) if len(chosen) > 1 else chosen


def prefer_named_row(cands: list[Candidate], scores: np.ndarray, question: Question) -> np.ndarray:
    """Read a table as a table: when the best line is a row and another row of the same table
    has a label the question names (世界, 中国; "Japan" through its translation 日本), that row
    is the one asked about and takes the lead."""
    best = int(np.argmax(scores)) if len(scores) else -1
    if best < 0 or cands[best].header is None:
        return scores
    asked = set(question.terms)
    rows = [i for i, c in enumerate(cands) if c.header == cands[best].header]
    named = max(rows, key=lambda i: (named_labels(cands[i].text, asked), scores[i]))
    if named_labels(cands[named].text, asked) <= named_labels(cands[best].text, asked):
        return scores
    out = scores.copy()
    out[named] = scores[best] + 1e-6
    return out


def demote_fragments(cands: list[Candidate], scores: np.ndarray, question: Question) -> np.ndarray:
    """An answer in words (what, how, why) is not a fragment: a line of fewer than
    ``MIN_ANSWER_LETTERS`` letters (a table label 「世界」, a heading 「RCEP」) never leads it while a
    longer line was found. Five reshuffles: accuracy en 0.662 -> 0.668, ja 0.775 -> 0.778."""
    if expects_span(question.answer_type):
        return scores
    short = np.array([len(_LETTER.findall(c.text)) < MIN_ANSWER_LETTERS for c in cands], bool)
    if short.all() or not short.any():
        return scores
    return np.where(short, scores - (np.ptp(scores) + 1.0), scores)


def expansion_of(c: Candidate, acronym: str, language: str) -> Span | None:
    """What the line spells ``acronym`` out as, in the question's script when it can: an English
    reader gets 「Cross-Border Privacy Rules」 before 「APEC越境プライバシールール」."""
    spans = expansion_spans(c.raw, acronym)
    spans.sort(key=lambda s: s.text.isascii() != (language == "en"))
    return spans[0] if spans else None


def spelled_out(cands: list[Candidate], acronym: str, language: str) -> dict[int, Span]:
    """The candidates (by index) that spell ``acronym`` out, with what they spell it out as."""
    found = {i: expansion_of(c, acronym, language) for i, c in enumerate(cands)}
    return {i: s for i, s in found.items() if s is not None}


def prefer_expansion(scores: np.ndarray, spelled: dict[int, Span], language: str) -> np.ndarray:
    """"What does CBPR stand for?": a line that spells the acronym out (``spelled_out``) takes the
    lead (one in the question's script first), however the ranker placed it."""
    if not spelled:
        return scores
    lead = max(spelled, key=lambda i: (spelled[i].text.isascii() == (language == "en"), scores[i]))
    out = scores.copy()
    out[lead] = float(np.max(scores)) + 1e-6
    return out


def _neighbour(cands: list[Candidate], c: Candidate, step: int) -> int | None:
    """The index of the candidate ``step`` lines below (or above) ``c`` in its passage, if it is one;
    below a passage's last line, the first line of the next passage when it is a candidate too
    (「• 国家科学技術プロジェクト」 ends one passage, 「→AI、量子情報、集積回路、…」 starts the next)."""
    same = next((i for i, x in enumerate(cands) if x.passage.id == c.passage.id
                 and x.position == c.position + step), None)
    if same is not None or step != 1:
        return same
    return next((i for i, x in enumerate(cands) if x.passage.id != c.passage.id and x.position == 0
                 and 0 <= x.start - c.end <= LINE_GAP and x.passage.section == c.passage.section), None)


def is_heading(c: Candidate, question: Question | None = None) -> bool:
    """A short label with no typed span the question asks for (「＜NECの取り組み(実証中)＞」,
    「医療アクセスへの格差」; 「＜RE100＞」 for "Who runs RE100?", whose only name is the one
    asked about): it names a topic; the line under it says what about it. Measured over five
    reshuffled fold assignments: accuracy ja 0.695 -> 0.709, en 0.625 -> 0.637."""
    text = c.text.strip()
    answers = [s for s in c.spans if question is None or not asks_for(s, question)]
    return not answers and not c.header_text and len(text) <= HEADING_CHARS and not _CLAUSE.search(text)


def is_cut(c: Candidate) -> bool:
    """A line the slide broke mid-sentence (「→半導体関連技術に計５兆円を」 / 「超える大規模投資」): it ends
    in a particle or a comma, and the next line goes on. Five reshuffles: ja accuracy 0.709 ->
    0.718 (every assignment up), en unchanged. So is a line that ends in a list's 「・」 or leaves a
    bracket open (「地方コーディネーター（名古屋・大阪・」 / 「福岡）」)."""
    text = c.text.strip()
    opened = text.count("（") + text.count("(") - text.count("）") - text.count(")")
    return not c.header_text and (bool(_CUT_END.search(text)) or text.endswith("・") or opened > 0)


def wraps_into(c: Candidate, below: Candidate | None) -> bool:
    """The slide broke a word of ``c`` onto the line below (「• 米国では2017年に米国内の産業・雇」 /
    「用を守る観点から類似制度を導入済。」): the statement goes on there. Five reshuffles, with
    ``span_context`` reading it too: ja 0.776 / 0.740 / 0.912 / withheld 0.897 -> 0.780 / 0.760 /
    0.914 / 0.903, en unchanged."""
    return below is not None and below.passage.id == c.passage.id and wraps_mid_word(c.raw, below.raw)


def _runs(chosen: list[Candidate]) -> list[list[Candidate]]:
    """Chosen lines that follow one another in a passage (not table rows) as runs, each quoted
    once: 「→半導体関連技術に計５兆円を超える大規模投資」, not 「…計５兆円を」[1] … 「超える…」[2]."""
    runs: list[list[Candidate]] = []
    for c in chosen:
        last = runs[-1][-1] if runs else None
        if (last is not None and not c.header and not last.header and c.passage.id == last.passage.id
                and c.position == last.position + 1):
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def answering_span(best: Candidate, chosen: list[Candidate], question: Question
                   ) -> tuple[Candidate, int | None]:
    """The line and index of the span the answer opens with: the best line's, else, for a figure
    or a date when the best line holds only the question's own (「外国子会社の実効税負担率10％」), the
    line quoted right next to it (「→15-10=5％分を親会社で課税」). Names and lists come from the best
    line only (a list in another line is another list), or a name from the label over it."""
    i = pick_span(best, question)
    if i is not None or asked_acronym(question.text):
        return best, i
    beside = [c for c in chosen if c.passage.id == best.passage.id and abs(c.position - best.position) == 1
              and (question.answer_type.typed or label_answers(c, best, question))]
    return next(((c, j) for c in beside if (j := pick_span(c, question)) is not None), (best, None))


def _run_text(run: list[Candidate]) -> str:
    """A run's lines as one quote, its line breaks read as ``display`` reads them, but a word the
    slide broke across lines whole (「…産業・雇用を守る…」, not 「…産業・雇 用を守る…」)."""
    text = run[0].text
    for prev, c in zip(run, run[1:]):
        gap = c.passage.text[prev.end - c.passage.start:c.start - c.passage.start]
        between = "" if wraps_mid_word(prev.raw, c.raw) else display(prev.raw[-1:] + gap + c.raw[:1])[1:-1]
        text += between + c.text
    return text


def _citations(chosen: list[Candidate]) -> tuple[list[Citation], list[Quote]]:
    cites: list[Citation] = []
    quotes: list[Quote] = []
    headers_done: set[tuple[int, int]] = set()
    for run in _runs(chosen):
        c = run[0]
        if c.header and c.header not in headers_done:  # a row is quoted with its header line
            headers_done.add(c.header)
            cites.append(cite(len(cites) + 1, c.header_passage or c.passage, *c.header))
            quotes.append(Quote(len(cites), c.header_text, True))
        cites.append(cite(len(cites) + 1, c.passage, c.start, run[-1].end))
        quotes.append(Quote(len(cites), _run_text(run)))
    return cites, quotes


def extract(g: Gathered, model: AnswerModel, lexicon=None, doc_year: int | None = None) -> Extraction:
    """Rank, decide and compose the answer for a gathered question."""
    q = g.question
    lm = model.for_language(q.language)
    if not g.candidates or not has_content(q.terms or []) and not q.english_words:
        return Extraction(NO_ANSWER[q.language], [], True, 0.0, "abstain")
    acronym = asked_acronym(q.text)
    spelled = spelled_out(g.candidates, acronym, q.language) if acronym else {}
    scores = lead_scores(g, lm.ranker, spelled)
    p = probability(lm.abstention, question_features(q, g.signals, g.candidates, scores, g.idf))
    label = decide(lm, p, g.signals.sentence_cos, g.signals.untranslated)
    if acronym and not spelled:
        label = "abstain"  # asked what RCEP stands for, and no line the search found spells it out
    if label == "abstain":
        return Extraction(NO_ANSWER[q.language], [], True, 1.0 - p, label)
    chosen = choose_lines(g.candidates, scores, q, lm)
    cites, quotes = _citations(chosen)
    best = chosen[0] if len(chosen) == 1 else g.candidates[int(np.argmax(scores))]
    short, highlight = None, None
    best, i = answering_span(best, chosen, q) if label == "high" else (best, None)
    expansion = expansion_of(best, acronym, q.language) if acronym and label == "high" else None
    if expansion is not None or i is not None:
        span = expansion or best.spans[i]
        short = short_answer(span, "" if expansion else best.columns[i], q.language, lexicon, doc_year)
        highlight = (best.start + span.start, best.start + span.end)
    gloss = glossary(quotes, lexicon) if q.language == "en" else ""
    text = compose(q.language, label, quotes, short, gloss)
    shown = short.shown(q.language) if isinstance(short, ShortAnswer) else ""
    return Extraction(text, cites, False, 1.0 - p, label, shown, highlight)

