"""The answering chain and the ``Assistant`` that runs it.

question -> language -> follow-up condensing -> retrieval -> answerer -> citation check ->
``Answer``. Offline extractive by default; an LLM server on request. The steps compose as an
LCEL-shaped ``qa.pipeline.Steps`` (LangChain loads only when asked for a Runnable)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa import citations as cites
from qa import prompts
from qa.answer_model import AnswerModel, load_model
from qa.answer_texts import NO_ANSWER
from qa.answering import Extraction, extract, gather, make_question
from qa.config import Config, check_backend
from qa.errors import LLMError
from qa.pipeline import Steps
from qa.questions import clean_question, detect_language, normalise_history
from qa.records import Answer, Citation, Hit
from qa.retrieving import Retriever

History = list[tuple[str, str]]  # (user question, assistant answer), oldest first

_FOLLOW_UP = re.compile(
    r"^(それ|その|これ|この|あれ|同|そこ|では|じゃあ|また|他に|ほかに)|"
    r"\b(it|its|that|this|those|these|they|them|there|and|what about|how about)\b",
    re.I,
)


@dataclass
class Turn:
    """State flowing through the chain."""

    question: str
    history: History
    k: int
    mode: str
    notice: str = ""
    language: str = "ja"
    query: str = ""
    hits: list[Hit] = field(default_factory=list)
    offline: Extraction | None = None  # the offline answer and its calibrated decision
    timings: dict[str, float] = field(default_factory=dict)


def is_follow_up(question: str, language: str) -> bool:
    """A short or anaphoric question that needs the previous turn to make sense."""
    short = len(question) <= 12 if language == "ja" else len(question.split()) <= 5
    return short or bool(_FOLLOW_UP.search(question))


def offline_condense(question: str, history: History, language: str) -> str:
    """Carry the previous question's terms into a follow-up (no LLM needed)."""
    if not history or not is_follow_up(question, language):
        return question
    return f"{history[-1][0]} {question}"


class Assistant:
    """Loads the retriever (and model) once; answers questions with verified citations."""

    def __init__(self, retriever: Retriever, llm: str = "extractive", config: Config | None = None,
                 k: int = 5, mode: str = "hybrid", model: AnswerModel | None = None):
        self.retriever = retriever
        self.backend = check_backend(llm)
        self.config = config or Config.from_env()
        self.k, self.mode = k, mode
        self.model = model or load_model()
        self.sources = self._load_sources()
        self._chat_model = None
        # question -> language -> follow-up condensing -> retrieval (the shared front), then
        # the extractive answerer with its citation check. An LLM answer is streamed token by
        # token after the same front (see _stream_llm). ``.as_runnable()`` gives LCEL chains.
        self._retrieval_chain = Steps(self._prepare, self._condense, self._retrieve)
        self._extractive_chain = self._retrieval_chain | self._extractive

    @classmethod
    def load(cls, index_dir: str | Path | None = None, llm: str | None = None,
             retriever: Retriever | None = None, k: int = 5, mode: str = "hybrid") -> Assistant:
        cfg = Config.from_env(index_dir=Path(index_dir) if index_dir else None, llm=llm)
        retriever = retriever or Retriever.load(index_dir=cfg.index_dir)
        return cls(retriever, cfg.llm, cfg, k, mode)

    def _load_sources(self) -> dict[str, str]:
        """The documents' texts as indexed (a PDF's extracted text), to check quotes at their
        offsets; the index was checked against the corpus files' sha256 when it was loaded."""
        return dict(getattr(self.retriever.index, "texts", {}))

    def warm_up(self) -> None:
        """Load the model, then read every line of the index once (terms and numbers), so
        answering reads cached lines instead of running Sudachi on them."""
        from qa.features import warm_lines

        self.retriever.warm_up()
        warm_lines(self.retriever)

    # --- chain steps -----------------------------------------------------------------

    def _prepare(self, turn: Turn) -> Turn:
        cleaned = clean_question(turn.question)
        turn.question, turn.notice = cleaned.text, cleaned.notice
        turn.language = detect_language(cleaned.text)
        return turn

    def _condense(self, turn: Turn) -> Turn:
        turn.query = turn.question
        if turn.history:
            if self.backend != "extractive" and is_follow_up(turn.question, turn.language):
                from qa import llm

                try:
                    turn.query = llm.condense_question(self.chat_model(), turn.question,
                                                       turn.history, turn.language)
                except LLMError:
                    turn.query = offline_condense(turn.question, turn.history, turn.language)
            else:
                turn.query = offline_condense(turn.question, turn.history, turn.language)
        return turn

    def _retrieve(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        r = self.retriever
        turn.hits, ranked = r.search_with_evidence(turn.query, k=max(turn.k, 1), mode=turn.mode,
                                                   answering=True)
        vec = ranked.query_vec if ranked.query_vec is not None else r.embed_query(turn.query)
        turn.timings["retrieve_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        t1 = time.perf_counter()
        question = make_question(turn.query, turn.language, ranked.query_terms, vec, r.index.lexicon,
                                 r.fusion.bridge_headwords, ranked.synonyms)
        gathered = gather(question, turn.hits, ranked, r)
        turn.offline = extract(gathered, self.model, r.index.lexicon, r.doc_year)
        turn.timings["answer_ms"] = round((time.perf_counter() - t1) * 1000, 2)
        return turn

    def _extractive(self, turn: Turn) -> Answer:
        ex = turn.offline
        checked = cites.check(ex.citations, self.retriever.by_id, self.sources)
        return self._answer(turn, ex.answer, ex.abstained or not checked, checked, "extractive")

    def _answer(self, turn: Turn, text: str, abstained: bool, citations: list[Citation],
                backend: str, notice: str = "") -> Answer:
        if abstained:
            text, citations = NO_ANSWER[turn.language], []
        notice = " ".join(n for n in (turn.notice, notice) if n)
        ex = turn.offline
        offline = backend == "extractive" and ex is not None and not abstained
        return Answer(turn.question, turn.language, text, abstained, citations, turn.hits,
                      dict(turn.timings), backend, notice,
                      confidence=ex.confidence if ex else None,
                      confidence_label="abstain" if abstained else (ex.label if ex else ""),
                      short_answer=ex.short_answer if offline else "",
                      highlight=ex.highlight if offline else None)

    # --- public API --------------------------------------------------------------------

    def ask(self, question: str, history=None, k: int | None = None, mode: str | None = None) -> Answer:
        """Answer ``question`` (Japanese or English), using ``history`` for follow-ups."""
        answer = None
        for item in self.stream(question, history, k, mode):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history=None, k: int | None = None, mode: str | None = None
               ) -> Iterator[str | Answer]:
        """Yield pieces of the answer text as they are produced, then the final ``Answer``."""
        t0 = time.perf_counter()
        turn = Turn(question, normalise_history(history), k or self.k, mode or self.mode)
        if self.backend == "extractive":
            answer = self._extractive_chain.invoke(turn)
            yield from _pieces(answer.answer)
        else:
            answer = yield from self._stream_llm(self._retrieval_chain.invoke(turn))
        answer.timings["total_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        yield answer

    # --- LLM backends ------------------------------------------------------------------

    def chat_model(self):
        if self._chat_model is None:
            from qa import llm

            self._chat_model = llm.make_chat_model(llm.LLMSettings.from_config(self.config),
                                                   streaming=True)
        return self._chat_model

    def _stream_llm(self, turn: Turn):
        from qa import llm

        t0 = time.perf_counter()
        if not turn.hits or turn.offline is None or turn.offline.abstained:
            return self._answer(turn, "", True, [], self.backend)  # no server call needed
        messages = prompts.build_messages(turn.question, turn.language, turn.hits, turn.history)
        pieces: list[str] = []
        try:
            for piece in llm.stream_answer(self.chat_model(), messages):
                pieces.append(piece)
                yield piece
        except LLMError as exc:
            fallback = self._extractive(turn)
            notice = f"{exc} Showing the offline extractive answer instead."
            if pieces:
                yield "\n\n"
            yield from _pieces(fallback.answer)
            return replace(fallback, notice=" ".join(n for n in (turn.notice, notice) if n))
        text = "".join(pieces).strip()
        turn.timings["answer_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        if prompts.says_no_answer(text, turn.language):
            return self._answer(turn, text, True, [], self.backend)
        found = llm_citations(text, turn.hits, self.retriever, len(turn.hits))
        checked = cites.check(found, self.retriever.by_id, self.sources)
        if not checked:
            return self._answer(turn, f"[Unsupported: no verifiable citation] {text}", False, [],
                                self.backend, "unsupported: the LLM answer cites nothing checkable")
        return self._answer(turn, text, False, checked, self.backend)


def _pieces(text: str, size: int = 12) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i:i + size]


_QUOTED = re.compile(r"「([^「」]{2,200})」")


def llm_citations(text: str, hits: list[Hit], retriever: Retriever, n_passages: int) -> list[Citation]:
    """Citations for an LLM answer: for each ``[n]``, the 「quote」 before it if it is in
    passage n, else passage n's sentence sharing most words with the claim."""
    from qa.features import coverage
    from qa.segmenting import terms

    quotes = _QUOTED.findall(text)
    claim = set(terms(text))
    out: list[Citation] = []
    for n in prompts.cited_numbers(text, n_passages):
        p = retriever.by_id[hits[n - 1].id]
        span = next((s for s in (cites.locate(q, p) for q in quotes) if s), None)
        if span is None:
            spans, _ = retriever.units(p.id)
            span = max(spans, key=lambda s: coverage(terms(p.text[s[0] - p.start:s[1] - p.start]),
                                                     claim, retriever.idf), default=None)
        if span:
            out.append(cites.cite(len(out) + 1, p, *span))
    return out
