"""Question hygiene, language detection, chat-history parsing and the acronym a question asks
to spell out, shared by every stage."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from qa.country_names import ALIASES, SHORT_FORMS
from qa.errors import QuestionError

MAX_QUESTION_CHARS = 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")
# Interrogatives and generic question nouns: absent from a passage even when it answers.
QUESTION_TERMS = frozenset(
    "何 誰 いつ どこ どの どのような どんな どう どれ 幾ら 幾つ 何故 なぜ 主 主な "
    "内容 名前 名称 額 規模 対象 物 事 方 居る 有る 為る 成る 言う 呼ぶ "
    "教える 挙げる 示す 説明 理由 目的 狙い 意味 例 具体 的 "
    "what which who when where why how much many name names".split()
)


@dataclass(frozen=True)
class CleanQuestion:
    text: str
    notice: str = ""  # set when the question was changed (truncated)


def clean_question(question: str | None, max_chars: int = MAX_QUESTION_CHARS) -> CleanQuestion:
    """Drop control characters, fold whitespace, truncate over-long input with a notice."""
    if question is None:
        raise QuestionError("the question is empty")
    text = _CONTROL.sub(" ", str(question))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("the question is empty: type a question about the document")
    if len(text) > max_chars:
        notice = f"The question was {len(text):,} characters; only the first {max_chars:,} were used."
        return CleanQuestion(text[:max_chars], notice)
    return CleanQuestion(text)


def detect_language(text: str) -> str:
    """``ja`` when Japanese script makes up a real share of the letters, else ``en``."""
    text = unicodedata.normalize("NFKC", text)
    ja = len(_JAPANESE.findall(text))
    latin = len(_LATIN.findall(text))
    if ja == 0:
        return "en"
    # Japanese words count more than Latin letters: 「WTO改革とは」 is Japanese.
    return "ja" if ja * 3 >= latin else "en"


def message_text(content) -> str:
    """Plain text of a chat message's content: a string, or Gradio 6 / OpenAI-style typed
    parts (``[{"type": "text", "text": ...}]``)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "") if content.get("type", "text") == "text" else ""
    if isinstance(content, list | tuple):
        return "".join(message_text(part) for part in content)
    return ""


def _turn_text(value) -> str:
    return message_text(value) if value is None or isinstance(value, str | dict | list | tuple) \
        else str(value)


def normalise_history(history, answer_text: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """Chat history as (question, answer) pairs, oldest first.

    Accepts pairs, or Gradio/OpenAI-style ``{"role", "content"}`` messages: consecutive user
    messages are joined, assistant messages with ``metadata`` (Gradio's thoughts and tool
    notes) are skipped. ``answer_text`` turns a stored answer into plain text (the UI strips
    its HTML).
    """
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for item in history or []:
        if isinstance(item, dict):
            text = message_text(item.get("content"))
            if item.get("role") == "user":
                pending = text if pending is None else f"{pending} {text}"
            elif item.get("role") == "assistant" and pending is not None and not item.get("metadata"):
                pairs.append((pending, answer_text(text)))
                pending = None
        elif isinstance(item, list | tuple) and len(item) == 2:
            pairs.append((_turn_text(item[0]), answer_text(_turn_text(item[1]))))
    return pairs


_EXPANSION_CUE = re.compile(r"\b(?:stand|stands|short) for\b|\babbreviat|\bacronym\b|\bfull (?:name|form)\b"
                            r"|何の略|略称|正式(?:名称|名)|何を略")
_ASKED_ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9\-&]*[A-Z][A-Za-z0-9\-&]*")


def asked_acronym(question: str) -> str | None:
    """The acronym whose expansion the question asks for ("What does CBPR stand for?",
    「SCRIとは何の略称ですか」), or None."""
    q = unicodedata.normalize("NFKC", question)
    if not _EXPANSION_CUE.search(q):
        return None
    found = [m.group() for m in _ASKED_ACRONYM.finditer(q) if (sum(ch.isupper() for ch in m.group()) >= 2
             or "-" in m.group()) and not _countries(m.group())]
    return found[0] if len(found) == 1 else None


def _countries(token: str) -> bool:
    """"Japan-US", "EU-China": a pair of countries, not an acronym to spell out."""
    parts = [p.lower() for p in token.split("-")]
    return len(parts) > 1 and all(ALIASES.get(p, p) in SHORT_FORMS for p in parts)
