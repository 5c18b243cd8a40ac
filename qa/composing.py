"""The wording of an offline answer: the short answer first, then the verbatim quotes, in the
question's language, worded by how confident the answer is.

Nothing here invents content: the short answer is a span of the quoted line (for English, its
rule-based rendering from ``qa.english`` or a dictionary name), and the glossary under an
English answer lists dictionary glosses of the quote's words, labelled as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.citations import display
from qa.country_forms import COUNTRY_OF_SHORT_FORM
from qa.english import to_english
from qa.span_names import list_items
from qa.spans import Span, numeric_spans

GLOSSARY_TERMS = 5
GLOSSARY_LABEL = "Dictionary glosses (JMdict; not a translation)"
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Quote:
    n: int  # citation number
    text: str  # display form of the verbatim quote
    is_header: bool = False  # a table header line, quoted before its row


@dataclass(frozen=True)
class ShortAnswer:
    """The typed fact that opens an answer: the verbatim span and, for English, its rendering."""

    text: str  # verbatim (display form), e.g. ６兆ドル
    english: str = ""  # e.g. USD 6 trillion; "" when no rule or dictionary entry covers it

    def shown(self, language: str) -> str:
        if language == "ja":
            return self.text
        if self.english and self.english != self.text:
            return f"{self.english} ({self.text})"
        return self.text


def short_answer(span: Span, column: str, language: str, lexicon=None, doc_year: int | None = None
                 ) -> ShortAnswer:
    """The short answer for ``span`` (a table cell names its column: 6.0 under 2021年)."""
    text = display(span.text)
    if column:
        text = f"{text}{'％' if span.kind == 'percentage' and '%' not in text else ''}（{column}）"
    if language == "ja":
        return ShortAnswer(text)
    english = to_english(span, doc_year) if span.kind not in ("name", "list") else None
    if english is None and span.kind == "name":
        english = _english_name(span.text, lexicon)
    if english is None and span.kind == "list":
        names = [_english_name(item.text, lexicon) for item in list_items(span)]
        english = ", ".join(names) if names and all(names) else None
    if english and column:
        english = f"{english} ({_column_in_english(column, doc_year)})"
    return ShortAnswer(text, english or "")


def _english_name(text: str, lexicon) -> str | None:
    """A country's one-character form (豪 -> Australia; not the dictionary's 仏 "Buddha"), a
    dictionary name (コーンウォール -> Cornwall) or the text itself when it is Latin."""
    return COUNTRY_OF_SHORT_FORM.get(text.strip()) or (
        lexicon.english_name(text) if lexicon is not None else None) or (
        " ".join(text.split()) if _LATIN.search(text) else None)  # a wrapped title on one line


def _column_in_english(column: str, doc_year: int | None) -> str:
    """A table column in English when it is one date or year (2021年 -> 2021), else as written."""
    spans = numeric_spans(column)
    whole = len(spans) == 1 and display(spans[0].text) == display(column).strip()
    if whole and spans[0].kind in ("date", "year"):
        return to_english(spans[0], doc_year) or column
    return column


def _quotes_text(language: str, quotes: list[Quote]) -> str:
    sep = "" if language == "ja" else " "
    parts: list[str] = []
    for q in quotes:
        if q.is_header:
            parts.append(("表" if language == "ja" else "table ") + f"「{q.text}」{sep}[{q.n}]:")
        elif parts and parts[-1].endswith(":"):
            parts[-1] += f" 「{q.text}」{sep}[{q.n}]"
        else:
            parts.append(f"「{q.text}」{sep}[{q.n}]")
    return ("、" if language == "ja" else " ... ").join(parts)


def glossary(quotes: list[Quote], lexicon, limit: int = GLOSSARY_TERMS) -> str:
    """"Dictionary glosses (...): 経済対策 economic measures; ..." for the quotes' key words."""
    if lexicon is None:
        return ""
    seen: dict[str, str] = {}
    for q in quotes:
        for word, gloss in lexicon.glosses(q.text):
            seen.setdefault(word, gloss)
    items = list(seen.items())[:limit]
    return f"{GLOSSARY_LABEL}: " + "; ".join(f"{w} = {g}" for w, g in items) if items else ""


def compose(language: str, label: str, quotes: list[Quote], short: ShortAnswer | None = None,
            glossary_line: str = "") -> str:
    """The answer text. ``label`` "high": the short answer, then the quotes; "low": a hedge
    that the document does not state it directly, then the closest quotes."""
    body = _quotes_text(language, quotes)
    if language == "ja":
        if label == "low":
            return f"資料に直接の記載は見当たりませんが、関連する記述は次のとおりです：{body}。"
        lead = f"{short.shown('ja')}です。" if short else ""
        return f"{lead}資料には{body}とあります。"
    if label == "low":
        text = f"The document does not state this directly; the closest passages say: {body}"
    else:
        lead = f"{short.shown('en')}. " if short else ""
        text = f"{lead}The document says: {body}"
    return text + (f"\n{glossary_line}" if glossary_line else "")
