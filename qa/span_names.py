"""Name and list spans in Japanese text: Sudachi proper nouns, Latin names, quoted terms, enumerations.

Offsets are into the original text, as in ``qa.spans`` (whose ``Span`` these return).
"""

from __future__ import annotations

import re
import unicodedata

from qa.country_forms import countries_alone
from qa.spans import Span, numeric_spans
from qa.text import join_with_map

_SUBTYPE = {"地名": "place", "人名": "person", "組織名": "org"}
_DIRECTIONS = frozenset({"東", "西", "南", "北", "東南", "南東", "北東", "南西", "北西", "中央"})
# Latin names: acronyms (RCEP, G7, COP26), hyphenated (J-Bridge, GO-JEK) and multi-word titles
# (Future Tech Forum); at least one capital letter or a letter-digit mix, so plain words stay out.
_LATIN = re.compile(r"(?<![A-Za-z0-9/.:%])[A-Za-z][A-Za-z0-9&'\-]*(?:[ .][A-Za-z0-9][A-Za-z0-9&'\-]*)*")
_NAME_LIKE = re.compile(r"[A-Z]|[A-Za-z]\d")
_URLISH = re.compile(r"https?|www|wiki|\.(?:svg|png|html?)$|^[RH]\d{1,2}$")  # R2, H22: era years
_QUOTE = re.compile(r"「([^「」\n]{1,40})」|『([^『』\n]{1,40})』|“([^“”\n]{1,40})”")
_BRACKETS = re.compile(r"[（(]([^（）()]{3,120})[）)]")  # slides wrap lines inside brackets too
_ITEM_CHAR = r"(?:[^\s、。，,（）()「」『』：:＠@；;※•]|\n(?=[^\s、。]))"  # a wrapped line continues an item
_ITEM = rf"{_ITEM_CHAR}{{1,14}}"
_HIRAGANA = re.compile("[\u3041-\u309f]")
_HIRAGANA_RUN = re.compile("[\u3041-\u309f]*")
_RUN = re.compile(rf"{_ITEM}(?:、{_ITEM}){{2,}}")
_LEAD_CUT = re.compile(r".*(?:は|が|を|に|で|も|と|の|や)")
_TAIL_CUT = re.compile(r"(?:等|など|に関する|における|において|を|が|は|で|に|と|や|も|の).*$")
# between the names of an enumeration: ASEANや中南米、アフリカ; 日本及び米国; 英・仏
_NAME_JOIN = re.compile(r"\s*(?:、|・|や|及び|および|並びに|と|,|，)\s*")
# what may stand right before / after an enumeration of names: not a letter of the same word
# (日EU: the run would start inside a name), only a particle, punctuation, or 等 after it
_WORD_BEFORE = re.compile(r"[\u30a0-\u30ff\u3400-\u9fffA-Za-z0-9・]$")
_WORD_AFTER = re.compile(r"^(?!等|など)[\u30a0-\u30ff\u3400-\u9fffA-Za-z0-9・]")
# a katakana name right before a title is a person: オコンジョ新事務局長, バイデン大統領
_TITLED = re.compile(r"(?<![\u30a0-\u30ff])([\u30a1-\u30fa][\u30a1-\u30fcー・]+)"
                     r"(?=(?:新|前|元|現|次期)?(?:事務局長|大統領|首相|長官|議長|委員長|総裁|氏)"
                     r"(?!令|選|府|制|職|室|候補|補佐))")  # サプライチェーン大統領令 is an executive order


def _proper_noun_spans(text: str) -> list[Span]:
    from qa.segmenting import _tokenizer, pieces

    tok = _tokenizer()
    out: list[Span] = []
    run: list[tuple[int, int, str]] = []
    joined, index = join_with_map(text)  # a slide wraps lines mid-word: 新型コロ\nナ

    def flush() -> None:
        if run:
            start, end = index[run[0][0]], index[run[-1][1] - 1] + 1
            units = {u for _, _, u in run}
            unit = units.pop() if len(units) == 1 else "proper"
            out.append(Span("name", text[start:end], start, end, None, unit))
            run.clear()

    for offset, piece in pieces(joined):
        before = None  # the token before, when it is a compass direction (南 of 南アフリカ)
        for m in tok.tokenize(piece):
            pos = m.part_of_speech()
            start, end = offset + m.begin(), offset + m.end()
            if pos[1] != "固有名詞" or run and run[-1][1] != start:
                flush()
            if pos[1] == "固有名詞":
                unit = _SUBTYPE.get(pos[2], "proper")
                if unit == "person" and m.surface().isascii():
                    unit = "proper"  # Sudachi's 人名 on a Latin word is a given name's entry (GAIA of GAIA-X)
                if not run and unit == "place" and before is not None and before[1] == start:
                    run.append((before[0], before[1], unit))  # mode A splits 南|アフリカ, 東南|アジア
                run.append((start, end, unit))
            before = (start, end) if m.surface() in _DIRECTIONS else None
        flush()
    return out


def _titled_spans(text: str) -> list[Span]:
    return [Span("name", m.group(1), m.start(1), m.end(1), None, "person") for m in _TITLED.finditer(text)]


def _latin_runs(text: str) -> list[tuple[int, str]]:
    """Latin word runs (start, text); a title the slide wraps after a small word is one run
    (「“Uyghurs for\nSale”」)."""
    runs: list[tuple[int, str]] = []
    for m in _LATIN.finditer(text):
        if runs and text[runs[-1][0] + len(runs[-1][1]):m.start()] == "\n" and (
                runs[-1][1].rsplit(" ", 1)[-1].lower() in _SMALL_WORDS):
            runs[-1] = (runs[-1][0], text[runs[-1][0]:m.end()])
        else:
            runs.append((m.start(), m.group()))
    return runs


def _latin_spans(text: str) -> list[Span]:
    out = []
    for start, run in _latin_runs(text):
        word = run.rstrip(".-' ")
        if len(word) < 2 or not _NAME_LIKE.search(word) or all(_URLISH.search(w) for w in word.split()):
            continue
        out.append(Span("name", word, start, start + len(word), None, "latin"))
    return out


def _quote_spans(text: str) -> list[Span]:
    out = []
    for m in _QUOTE.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        out.append(Span("name", m.group(group), m.start(group), m.end(group), None, "quote"))
    return out


_DIGIT = re.compile(r"[0-9０-９]")


def _bracket_spans(text: str) -> list[Span]:
    """A short noun phrase in brackets names what precedes it (新たな貿易政策（開かれた戦略的自律）):
    no digits (dates and figures are numeric spans), no list, no clause."""
    out = []
    for m in _BRACKETS.finditer(text):
        inner = m.group(1)
        if (len(inner) <= 30 and "\n" not in inner and not re.search("[、。「」『』：:]", inner)
                and not _DIGIT.search(inner) and _noun_like(inner, False)):
            out.append(Span("name", inner, m.start(1), m.end(1), None, "quote"))
    return out


def name_spans(text: str) -> list[Span]:
    """Proper-noun runs (unit place/person/org/proper), Latin names (latin), 「quoted」 and
    （bracketed） terms (quote), katakana names before a title (person)."""
    latin = _latin_spans(text)
    out: list[Span] = []
    seen: set[tuple[int, int]] = set()
    for span in (_proper_noun_spans(text) + latin + _quote_spans(text) + _bracket_spans(text)
                 + _titled_spans(text) + _short_country_spans(text)):
        inside_latin = span.unit != "latin" and any(
            w.start <= span.start and span.end <= w.end and (w.start, w.end) != (span.start, span.end)
            for w in latin)
        if (span.start, span.end) not in seen and not inside_latin:
            seen.add((span.start, span.end))
            out.append(span)
    return out


def _short_country_spans(text: str) -> list[Span]:
    """Countries in their one-character form, alone in brackets or a list: 「仏・英などの…」 (unit
    "country": they answer which country, never which fund or company)."""
    return [Span("name", ch, i, i + 1, None, "country") for i, ch in countries_alone(text)]


def _separator(inner: str) -> str:
    return "、" if "、" in inner else "・"


def _noun_like(item: str, last: bool) -> bool:
    """An enumeration item is a noun phrase: it neither starts nor (unless last) ends in hiragana,
    which would make it a clause (「…について、…し、…」) rather than an item."""
    item = item.replace("\n", "").strip()
    return bool(item) and not _HIRAGANA.match(item) and (last or not _HIRAGANA.match(item[-1]))


def _bracket_lists(text: str) -> list[Span]:
    out = []
    for m in _BRACKETS.finditer(text):
        inner = m.group(1)
        sep = _separator(inner)
        items = inner.split(sep)
        limit = 20 if sep == "、" else 8  # ・ also joins words (牛肉・豚肉): only short items count
        if (len(items) >= 2 and "。" not in inner and not re.search("[「」『』]", inner)
                and all(len(i.strip()) <= limit and _noun_like(i, n == len(items) - 1)
                        for n, i in enumerate(items))):
            start = m.start(1) + (inner.rfind("：") + 1)  # （論点例：A、B、C）: the items follow the colon
            out.append(_trimmed(text, start, m.end(1), float(len(items)), sep))
    return out


def _trimmed(text: str, start: int, end: int, n: float, sep: str) -> Span:
    """A list span without the line breaks, spaces or bullets around it."""
    while start < end and text[start] in " \n・•　":
        start += 1
    while end > start and text[end - 1] in " \n　":
        end -= 1
    return Span("list", text[start:end], start, end, n, sep)


def _name_runs(text: str, names: list[Span]) -> list[Span]:
    """Two or more place, organisation or proper names joined only by separators (、・や及びと):
    「ASEANや中南米、アフリカ等」 lists three regions, which one name alone would not answer."""
    usable = sorted((s for s in names if s.unit not in ("quote", "person")), key=lambda s: (s.start, -s.end))
    out: list[Span] = []
    run: list[Span] = []

    def flush() -> None:
        if (len(run) >= 2 and not _WORD_BEFORE.search(text[:run[0].start])
                and not _WORD_AFTER.match(text[run[-1].end:])):
            out.append(Span("list", text[run[0].start:run[-1].end], run[0].start, run[-1].end,
                            float(len(run)), "mixed"))
        run.clear()

    for span in usable:
        if run and span.start < run[-1].end:
            continue  # nested in the previous name
        if run and not _NAME_JOIN.fullmatch(text[run[-1].end:span.start]):
            flush()
        run.append(span)
    flush()
    return out


def list_spans(text: str, names: list[Span] | None = None) -> list[Span]:
    """Enumerations: items separated by 、 or ・ inside brackets (（日、中、韓、豪、NZ）, （日・米・豪・印）),
    and runs of three or more short noun phrases separated by 、 in running text (AI、量子情報、集積回路等).
    The span covers the items only; ``unit`` is the separator; ``list_items`` splits it. With
    ``names`` (``name_spans(text)``), runs of joined names too (``unit`` "mixed")."""
    out = _bracket_lists(text)
    covered = [(s.start, s.end) for s in out]
    for m in _RUN.finditer(text):
        start, end = m.start(), m.end()
        first = m.group().split("、")[0]
        lead = _LEAD_CUT.match(first)
        cut = lead.end() if lead else 0
        cut += len(_HIRAGANA_RUN.match(first[cut:]).group())
        start += cut
        last = m.group().split("、")[-1]
        tail = _TAIL_CUT.search(last[1:])
        if tail:
            end -= len(last) - 1 - tail.start()
        items = text[start:end].split("、")
        while items and _dated(items[0]):  # 「2020年６月以降、A、B」: a time, not an item
            start += len(items.pop(0)) + 1
        if any(s <= start and end <= e for s, e in covered) or start >= end:
            continue
        if len(items) >= 3 and all(_noun_like(i, n == len(items) - 1) for n, i in enumerate(items)):
            out.append(_trimmed(text, start, end, float(len(items)), "、"))
    covered = [(s.start, s.end) for s in out]
    out += [r for r in _name_runs(text, names or [])
            if not any(s <= r.start and r.end <= e for s, e in covered)]
    return out


def _dated(item: str) -> bool:
    return any(s.kind in ("date", "year") for s in numeric_spans(item))


def list_items(span: Span) -> list[Span]:
    """The items of a list span, each with its own offsets (kind "item")."""
    out = []
    pos = span.start
    parts = (_NAME_JOIN.split(span.text) if span.unit == "mixed" else span.text.split(span.unit or "、"))
    for part in parts:
        at = span.text.index(part, pos - span.start)
        lead = len(part) - len(part.lstrip())
        item = part.strip()
        if item:
            out.append(Span("item", item, span.start + at + lead, span.start + at + lead + len(item)))
        pos = span.start + at + len(part)
    return out


def typed_spans(text: str) -> list[Span]:
    """Every typed span of ``text`` (numeric kinds, then names and lists), sorted by start."""
    names = name_spans(text)
    spans = numeric_spans(text) + names + list_spans(text, names)
    return sorted(spans, key=lambda s: (s.start, -(s.end - s.start), s.kind))


_SMALL_WORDS = frozenset({"of", "with", "and", "for", "the", "on", "in", "to", "a", "an", "at", "by"})
_EXPANSION_AFTER = r"\s*[:：]\s*(?P<after>[A-Za-z][A-Za-z\- ]*[A-Za-z]|[^\s、。，,（）()「」:：]{2,40})"
_EXPANSION_BEFORE = r"(?P<before>[^\s、。，,（）()「」『』•→:：]{2,40})[（(]\s*"


def expansion_spans(text: str, acronym: str) -> list[Span]:
    """What ``acronym`` stands for where the text spells it out: 「サプライチェーン強靱化
    イニシアティブ（SCRI)」, 「CBPR: Cross-Border Privacy Rules」, 「J-Bridge：Japan Innovation
    Bridge」, or Latin words whose initials spell it (Data Free Flow with Trust); unit
    "expansion", offsets into ``text``, full-width forms matched too."""
    from qa.spans import normalize

    joined, joined_at = join_with_map(text)  # the deck wraps 「データ・フリー・フロー・ウィズ・\nトラスト」
    norm, norm_at = normalize(joined)
    index = [joined_at[i] for i in norm_at[:-1]]
    acr = re.escape(unicodedata.normalize("NFKC", acronym))
    out = []
    for rx in (rf"(?<![A-Za-z0-9]){acr}(?![A-Za-z0-9]){_EXPANSION_AFTER}",
               rf"{_EXPANSION_BEFORE}{acr}\s*[)）:：]"):
        for m in re.finditer(rx, norm, flags=re.IGNORECASE):
            group = "after" if "after" in m.groupdict() else "before"
            a, b = m.start(group), m.end(group)
            start, end = index[a], index[b - 1] + 1
            if text[start:end].strip():
                out.append(Span("name", text[start:end], start, end, None, "expansion"))
    for latin in _latin_spans(text):  # Data Free Flow with Trust, wherever it stands: DFFT
        if _initials(latin.text) == _letters(acronym) and len(_content_words(latin.text)) > 1:
            out.append(Span("name", latin.text, latin.start, latin.end, None, "expansion"))
    return list({(s.start, s.end): s for s in out}.values())


def _letters(acronym: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", unicodedata.normalize("NFKC", acronym).upper())


def _content_words(latin: str) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", latin) if w and w.lower() not in _SMALL_WORDS]


def _initials(latin: str) -> str:
    return "".join(w[0] for w in _content_words(latin)).upper()


def spelled_in(acronym: str, text: str) -> bool:
    """Whether consecutive words of ``text`` (small words skipped) spell ``acronym`` out:
    "cross-border privacy rules" spells CBPR, so a question written so names CBPR. Three letters
    at least: two words' initials (EC, US) match too often by chance."""
    letters = _letters(acronym)
    words = re.sub(r"[^A-Za-z0-9\s\-]", " ", unicodedata.normalize("NFKC", text))
    return len(letters) >= 3 and letters.isalpha() and letters in _initials(words)
