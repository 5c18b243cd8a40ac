"""HTML of chat messages, pure: questions, answers, citations, abstentions and the slide viewer.

Quoted words are inside <mark>; ``plain_answer``, ``plain_question`` and ``reply_id`` read the
answer text, the question as typed and the reply's id back out of a message.

Document text and questions are untrusted: everything shown is HTML-escaped here.
"""

from __future__ import annotations

import html
import re

from qa.citations import display, where
from qa.questions import MAX_QUESTION_CHARS, clean_question
from qa.records import Answer, Citation, Hit, Passage
from qa.text import join_with_map
from qa.ui_text import labels

FOLD_CHARS, FOLD_LINES, PREVIEW_CHARS = 600, 12, 240  # longer questions are shown folded

_REF = re.compile(r"\[(\d{1,2})\]")
_ANSWER_DIV = re.compile(r'<div class="qa-answer">(.*?)</div>', re.S)
_TAG = re.compile(r"<[^>]+>")
_QUESTION_DIV = re.compile(r'<div class="qa-q">(.*?)</div>', re.S)
_REPLY_ID = re.compile(r'<div class="qa-reply" data-qa-id="([0-9a-f]+)">')


def esc(text: str) -> str:
    """HTML-escaped text; carriage returns dropped so no blank line can end the HTML block
    the chat message is (Markdown would then format the rest)."""
    return html.escape(text.replace("\r", ""), quote=True)


_OPEN = {1: "<mark>", 2: '<mark class="qa-fact">'}


def source_html(raw: str, marks: list[tuple[int, int]] = (), fact: tuple[int, int] | None = None) -> str:
    """Escaped HTML of verbatim source text: mid-word line breaks joined, other breaks as
    <br>, the characters at ``marks`` (offsets into ``raw``) inside <mark>, and those of the
    short answer's ``fact`` inside <mark class="qa-fact">."""
    clean, where = join_with_map(raw)
    out: list[str] = []
    state = 0
    for ch, w in zip(clean, where):
        now = 2 if fact and fact[0] <= w < fact[1] else 1 if any(a <= w < b for a, b in marks) else 0
        if now != state:
            out.append(("</mark>" if state else "") + _OPEN.get(now, ""))
            state = now
        out.append("<br>" if ch == "\n" else esc(ch))
    if state:
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


def by_passage(citations: list[Citation]) -> dict[str, list[Citation]]:
    """Citations grouped by the passage they quote, in order of first citation."""
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.id, []).append(c)
    return groups


def _cited_body(cites: list[Citation], source: Passage | Hit | None,
                fact: tuple[int, int] | None = None) -> str:
    """The cited passage with every quote from it marked (the quotes alone if it is unknown),
    and the short answer's span (absolute ``fact`` offsets) marked apart."""
    if source is None:
        return "<br>".join(source_html(c.quote, [(0, len(c.quote))]) for c in cites)
    local = (fact[0] - source.start, fact[1] - source.start) if fact else None
    return source_html(source.text, [(c.start - source.start, c.end - source.start) for c in cites], local)


def render_answer(answer: Answer, lang: str, retriever=None, reply_id: str = "", asked: str = "") -> str:
    """The final chat message: the answer, then one card per cited passage (all its quotes
    marked, all its citation numbers on it) or, for an abstention, the closest passages, each
    with its section, title, rank, score and whole-slide viewer; a copy-with-sources button.

    ``reply_id`` tags the message (for feedback and relabelling); ``asked`` is the question as
    typed, to say in the reply when it was cut to ``MAX_QUESTION_CHARS``.
    """
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
        for pid, cites in by_passage(answer.citations).items():
            hit = hits.get(pid)
            source = (retriever.by_id.get(pid) if retriever is not None else None) or hit
            slide, n = slide_of(cites[0])
            refs = "".join(f'<span class="qa-ref">[{c.n}]</span>' for c in cites)
            label = f'{refs} {_section_title(cites[0])}'
            fact = answer.highlight if answer.highlight and source is not None and \
                source.start <= answer.highlight[0] < source.end else None
            cards.append(_card(label, hit, _cited_body(cites, source, fact), slide, lang, n))
    parts = []
    notice = answer.notice
    asked_chars = len(" ".join(asked.split()))
    if asked_chars > MAX_QUESTION_CHARS:
        parts.append(f'<div class="qa-notice qa-truncated">'
                     f'{esc(t["truncated"].format(n=asked_chars, max=MAX_QUESTION_CHARS))}</div>')
        notice = notice.replace(clean_question(asked).notice, "").strip()
    parts.append(head)
    if notice:
        parts.append(f'<div class="qa-notice">{t["notice"]}: {esc(notice)}</div>')
    if cards:
        parts.append(f'<div class="qa-sources"><div class="qa-h">{title}</div>{"".join(cards)}</div>')
    total = answer.timings.get("total_ms")
    seconds = f" · {total / 1000:.2f} s" if total is not None else ""
    copy = (f'<button type="button" class="qa-copy"><span class="qa-copy-label">{esc(t["copy"])}</span>'
            f'<span class="qa-copy-done">{esc(t["copied"])}</span></button>'
            f'<pre class="qa-md" hidden>{_lines(answer_markdown(answer, lang))}</pre>')
    parts.append(f'<div class="qa-foot"><span class="qa-meta">{esc(answer.backend)}{seconds}</span>'
                 f'{copy}</div>')
    tag = f' data-qa-id="{esc(reply_id)}"' if reply_id else ""
    return f'<div class="qa-reply"{tag}>' + "\n".join(parts) + "</div>"


def answer_markdown(answer: Answer, lang: str) -> str:
    """The answer with its numbered citations (section, title, quote) as Markdown, for copying."""
    t = labels(lang)
    lines = [answer.answer.strip(), ""]
    if answer.citations:
        lines.append(f"**{t['copy_sources']}**")
        lines += [f"- [{c.n}] {c.section} {c.title}: 「{display(c.quote)}」" for c in answer.citations]
    elif answer.passages:
        lines.append(f"**{t['closest']}**")
        lines += [f"- {h.section} {h.title}" for h in answer.passages]
    return "\n".join(lines).strip()


def _lines(text: str) -> str:
    """Escaped ``text`` with its line breaks as character references: no blank line can end the
    HTML block and let Markdown format the rest of the message. (The page's sanitizer drops
    data attributes, so the copy text travels in a hidden element.)"""
    return esc(text).replace("\n", "&#10;")


def user_html(text: str, lang: str) -> str:
    """A question exactly as typed, as text (never HTML or Markdown); a long one folded behind
    a show-all toggle."""
    body = f'<div class="qa-q">{esc(text).replace(chr(10), "<br>")}</div>'
    if len(text) <= FOLD_CHARS and text.count("\n") < FOLD_LINES:
        return f'<div class="qa-user">{body}</div>'
    t = labels(lang)
    preview = esc(" ".join(text[:PREVIEW_CHARS].split()))
    return (f'<div class="qa-user"><details class="qa-fold"><summary><span class="qa-preview">{preview}…'
            f'</span> <span class="qa-more">{esc(t["show_all"].format(n=len(text)))}</span>'
            f'<span class="qa-less">{esc(t["show_less"])}</span></summary>{body}</details></div>')


def plain_question(message: str) -> str:
    """The question as typed inside a rendered user message (a plain string stays as is)."""
    m = _QUESTION_DIV.search(message)
    return html.unescape(m.group(1).replace("<br>", "\n")) if m else message


def plain_answer(message: str) -> str:
    """The answer text inside a rendered message (its citations and markup dropped)."""
    m = _ANSWER_DIV.search(message)
    body = m.group(1) if m else message
    return html.unescape(_TAG.sub("", body.replace("<br>", "\n"))).strip()


def reply_id(message: str) -> str:
    """The id a final answer message was tagged with ("" if none)."""
    m = _REPLY_ID.search(message)
    return m.group(1) if m else ""
