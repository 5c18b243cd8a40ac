"""HTML of chat messages, pure: answers, citations, abstentions and the slide viewer.

Quoted words are inside <mark>; ``plain_answer`` reads the answer text back out of a message.

Document text and questions are untrusted: everything shown is HTML-escaped here.
"""

from __future__ import annotations

import html
import re

from qa.citations import where
from qa.records import Answer, Citation, Hit, Passage
from qa.text import join_with_map
from qa.ui_text import labels

_REF = re.compile(r"\[(\d{1,2})\]")
_ANSWER_DIV = re.compile(r'<div class="qa-answer">(.*?)</div>', re.S)
_TAG = re.compile(r"<[^>]+>")


def esc(text: str) -> str:
    """HTML-escaped text; carriage returns dropped so no blank line can end the HTML block
    the chat message is (Markdown would then format the rest)."""
    return html.escape(text.replace("\r", ""), quote=True)


def source_html(raw: str, marks: list[tuple[int, int]] = ()) -> str:
    """Escaped HTML of verbatim source text: mid-word line breaks joined, other breaks as
    <br>, and the characters at ``marks`` (offsets into ``raw``) inside <mark>."""
    clean, where = join_with_map(raw)
    out: list[str] = []
    inside = False
    for ch, w in zip(clean, where):
        hit = any(a <= w < b for a, b in marks)
        if hit != inside:
            out.append("<mark>" if hit else "</mark>")
            inside = hit
        out.append("<br>" if ch == "\n" else esc(ch))
    if inside:
        out.append("</mark>")
    return "".join(out)


def answer_html(text: str) -> str:
    """The answer text, escaped, with citation numbers [n] styled."""
    body = esc(text.strip()).replace("\n", "<br>")  # no blank lines: the message stays one HTML block
    return _REF.sub(r'<span class="qa-ref">[\1]</span>', body)


def render_pending(text: str, note: str = "") -> str:
    """A message while the answer streams in (or while waiting for it)."""
    parts = [f'<div class="qa-answer">{answer_html(text)}</div>'] if text else []
    if note:
        parts.append(f'<div class="qa-meta">{esc(note)}</div>')
    return "\n".join(parts)


def render_error(message: str) -> str:
    return f'<div class="qa-error">{esc(message)}</div>'


def _marks_in(passage: Passage | Hit, citations: list[Citation]) -> list[tuple[int, int]]:
    return [(c.start - passage.start, c.end - passage.start) for c in citations
            if passage.start <= c.start and c.end <= passage.end
            and getattr(c, "document", "") == getattr(passage, "document", "")]


def slide_html(section: str, passages: list[Passage], citations: list[Citation], lang: str) -> str:
    """All passages of one slide, in order, with the cited quotes highlighted."""
    if not passages:
        return ""
    cited = {c.id for c in citations}
    paras = []
    for p in passages:
        cls = "qa-slide-p qa-cited" if p.id in cited else "qa-slide-p"
        paras.append(f'<p class="{cls}">{source_html(p.text, _marks_in(p, citations))}</p>')
    head = f'<div class="qa-slide-head"><b>{esc(section)}</b> {esc(passages[0].title)}</div>'
    return f'<div class="qa-slide">{head}{"".join(paras)}</div>'


def _card(head: str, hit: Hit | None, body: str, slide: str, lang: str, n_slide: int) -> str:
    t = labels(lang)
    meta = (f'<span class="qa-meta">{t["rank"]} {hit.rank} · {t["score"]} {hit.score:.4f}</span>'
            if hit else "")
    viewer = (f'<details class="qa-open"><summary>{t["open_slide"]}'
              f' ({t["passages_n"].format(n=n_slide)})</summary>{slide}</details>') if slide else ""
    return (f'<div class="qa-card"><div class="qa-card-head">{head} {meta}</div>'
            f'<div class="qa-passage">{body}</div>{viewer}</div>')


def _section_title(item: Hit | Citation) -> str:
    """Document name and page (PDF), section and title of a card's passage."""
    return (f'<b class="qa-sec">{esc(where(item))}</b> <span class="qa-title">{esc(item.title)}</span>')


def render_answer(answer: Answer, lang: str, retriever=None) -> str:
    """The final chat message: the answer, then its citations (or, for an abstention, the
    closest passages), each with its section, title, rank, score and whole-slide viewer."""
    t = labels(lang)
    hits = {h.id: h for h in answer.passages}
    slides: dict[tuple[str, str], list[Passage]] = {}

    def slide_of(item: Hit | Citation) -> tuple[str, int]:
        """The whole slide, page or section the item is in, from its own document."""
        if retriever is None:
            return "", 0
        key = (item.section, getattr(item, "document", ""))
        if key not in slides:
            slides[key] = (retriever.section_passages(item.section, key[1]) if key[1]
                           else retriever.section_passages(item.section))
        return slide_html(where(item), slides[key], answer.citations, lang), len(slides[key])

    cards = []
    if answer.abstained:
        head = (f'<div class="qa-answer-wrap qa-abstained"><span class="qa-badge">'
                f'{t["not_covered"]}</span> <div class="qa-answer">{answer_html(answer.answer)}</div></div>')
        title = t["closest"]
        for h in answer.passages:
            slide, n = slide_of(h)
            cards.append(_card(_section_title(h), h, source_html(h.text), slide, lang, n))
    else:
        head = f'<div class="qa-answer">{answer_html(answer.answer)}</div>'
        title = t["sources"]
        for c in answer.citations:
            hit = hits.get(c.id)
            source = (retriever.by_id.get(c.id) if retriever is not None else None) or hit
            text, start = (source.text, source.start) if source else (c.quote, c.start)
            body = source_html(text, [(c.start - start, c.end - start)])
            slide, n = slide_of(c)
            label = f'<span class="qa-ref">[{c.n}]</span> {_section_title(c)}'
            cards.append(_card(label, hit, body, slide, lang, n))
    parts = [head]
    if answer.notice:
        parts.append(f'<div class="qa-notice">{t["notice"]}: {esc(answer.notice)}</div>')
    if cards:
        parts.append(f'<div class="qa-sources"><div class="qa-h">{title}</div>{"".join(cards)}</div>')
    total = answer.timings.get("total_ms")
    seconds = f" · {total / 1000:.2f} s" if total is not None else ""
    parts.append(f'<div class="qa-meta">{esc(answer.backend)}{seconds}</div>')
    return "\n".join(parts)


def plain_answer(message: str) -> str:
    """The answer text inside a rendered message (its citations and markup dropped)."""
    m = _ANSWER_DIV.search(message)
    body = m.group(1) if m else message
    return html.unescape(_TAG.sub("", body.replace("<br>", "\n"))).strip()
