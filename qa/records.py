"""Typed records passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qa.text import join_lines


@dataclass(frozen=True)
class Passage:
    """A chunk of the source document; ``text`` is ``source[start:end]`` verbatim."""

    id: str
    section: str  # normalised slide id, e.g. "Ⅳ-3②"
    title: str
    text: str
    start: int
    end: int
    source: str = ""  # corpus file name
    document: str = ""  # the document's name (its file stem), shown in citations
    page: int = 0  # 1-based PDF page, 0 when the document has no pages

    @property
    def clean_text(self) -> str:
        """Text with mid-word line breaks joined: what is embedded and shown."""
        return join_lines(self.text)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its score and rank (1-based)."""

    id: str
    section: str
    title: str
    text: str
    score: float
    start: int
    end: int
    rank: int = 0
    document: str = ""
    page: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A verbatim quote from a passage; ``quote == source[start:end]``."""

    n: int
    id: str
    section: str
    title: str
    quote: str
    start: int
    end: int
    document: str = ""
    page: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    language: str  # "ja" | "en"
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    backend: str = "extractive"
    notice: str = ""  # e.g. "question truncated", "LLM unreachable: offline answer"
    confidence: float | None = None  # 1 - P(the document does not answer), calibrated on gold
    confidence_label: str = ""  # "high" | "low" (hedged wording) | "abstain"
    short_answer: str = ""  # the typed fact the answer opens with ("６兆ドル", "USD 6 trillion (６兆ドル)")
    highlight: tuple[int, int] | None = None  # source offsets of that fact inside citation 1

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [h.to_dict() for h in self.passages],
            "timings": self.timings,
            "backend": self.backend,
            "notice": self.notice,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "confidence_label": self.confidence_label,
            "short_answer": self.short_answer,
            "highlight": list(self.highlight) if self.highlight else None,
        }
