"""Typed spans in Japanese text: amounts, percentages, dates, years, counts, names and lists.

Patterns run over an NFKC-normalised copy (full-width digits, ％, ～ fold to ASCII), but every
``Span`` carries offsets into the ORIGINAL text, so ``text[span.start:span.end] == span.text``.
Numeric kinds never overlap each other (the longest reading wins); names and lists are separate
layers that may overlap them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.country_names import PLACE_ACRONYMS

if TYPE_CHECKING:
    from qa.question_analysis import AnswerType

NUMERIC_KINDS = ("amount", "percentage", "date", "year", "count", "number")


@dataclass(frozen=True)
class Span:
    """A typed piece of the text. ``value`` is the number in base units (6兆 -> 6e12; a year -> 2020.0;
    a percentage -> 30.0 for ３割), ``unit`` its canonical unit (ドル, %, か国, 年度; 第 for an
    ordinal; 同年 for a date in the year of the date before it, whose year is then ``value``; for
    names the Sudachi subtype place/person/org/proper, or latin/quote; for lists the
    separator), ``scale`` the Japanese scale word as written (兆, 億, 万, 割)."""

    kind: str
    text: str
    start: int
    end: int
    value: float | None = None
    unit: str = ""
    scale: str = ""


_FOLD = str.maketrans({"〜": "~", "−": "-", "‐": "-", "–": "-", "―": "-", "､": "、", "･": "・"})


def normalize(text: str) -> tuple[str, list[int]]:
    """NFKC per character, plus dash/tilde folding; returns the copy and, for each of its
    characters, the index of the original character it came from (with a final sentinel)."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = ch if "\u2460" <= ch <= "\u24ff" else unicodedata.normalize("NFKC", ch).translate(_FOLD)
        out.append(folded)
        index.extend([i] * len(folded))
    index.append(len(text))
    return "".join(out), index


def _wrapped(word: str) -> str:
    """A regex for ``word`` that tolerates a line break between its characters (slides wrap mid-word)."""
    return "\n?".join(re.escape(c) for c in word)


def _alts(words: list[str]) -> str:
    return "|".join(_wrapped(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SCALES = {"兆": 1e12, "億": 1e8, "万": 1e4, "千": 1e3}
_CURRENCY = {"米ドル": "ドル", "ドル": "ドル", "円": "円", "ユーロ": "ユーロ", "人民元": "元", "元": "元",
             "ポンド": "ポンド", "ルピア": "ルピア", "ウォン": "ウォン", "ルピー": "ルピー"}
_COUNT_UNITS = {
    "か国・地域": "か国", "カ国・地域": "か国", "か国": "か国", "カ国": "か国", "ヶ国": "か国",
    "ケ国": "か国",
    "品目": "品目", "社": "社", "企業": "社", "件": "件", "人": "人", "名": "人", "機関": "機関",
    "分野": "分野", "項目": "項目", "本": "本", "エコノミー": "エコノミー", "か所": "か所", "カ所": "か所",
    "倍": "倍", "つ": "つ", "回": "回", "か月": "か月", "ヶ月": "か月", "カ月": "か月", "日間": "日",
    "日": "日", "週間": "週", "年間": "年", "カ年": "年", "か年": "年", "地域": "地域", "団体": "団体",
    "種類": "種類", "段階": "段階"}
_QUALIFIER = r"超|以上|以下|未満|程度|前後|強|弱|余り|以内|規模"
_PRE = r"(?:約|計|総計|最大|最低|およそ)\n?"
_NO_LATIN = r"(?<![A-Za-z\d.,])"  # not the 7 of G7 nor the 2 of CO2

_AMOUNT = re.compile(
    rf"(?P<pre>{_PRE})?{_NO_LATIN}(?P<n1>{_NUM})(?P<s1>[兆億万千])?(?:(?P<n2>{_NUM})(?P<s2>[億万千]))?"
    rf"(?:~(?P<n3>{_NUM})(?P<s3>[兆億万千])?)?\n?(?P<cur>{_alts(list(_CURRENCY))})(?P<post>{_QUALIFIER})?")
_PERCENT = re.compile(
    rf"(?P<pre>{_PRE})?{_NO_LATIN}(?P<sign>-)?(?P<n>{_NUM})(?:~-?{_NUM})? ?%"
    rf"(?P<post>減少|増加|減|増|{_QUALIFIER})?")
_WARI = re.compile(rf"(?P<pre>{_PRE})?(?P<n>\d+|[一二三四五六七八九])割(?![り合引])(?:(?P<bu>\d)分)?"
                   rf"(?P<post>{_QUALIFIER})?")
_QUAL_DATE = r"以降|以来|まで(?:に)?|から|中|末|初め|半ば|頃|前半|後半"
_YEAR = r"(?:19|20)\d{2}"
_FULL_DATE = re.compile(
    rf"(?<!\d)(?P<y>{_YEAR})年(?P<fy>度)?(?:(?P<m>1[0-2]|0?[1-9])月(?:(?P<d>\d{{1,2}})日)?)?"
    rf"(?:~(?:(?P<y2>{_YEAR})年度?)?(?:(?P<m2>\d{{1,2}})月)?(?:(?P<d2>\d{{1,2}})日)?)?"
    rf"(?P<season>春|夏|秋|冬)?(?P<q>{_QUAL_DATE})?")
_SHORT_DATE = re.compile(
    rf"(?<![\d.])(?P<sy>\d{{2}})年(?:(?P<m>1[0-2]|0?[1-9])月(?:(?P<d>\d{{1,2}})日)?|(?P<season>春|夏|秋|冬))"
    rf"(?P<q>{_QUAL_DATE})?")
_MONTH_DAY = re.compile(
    r"(?<![\d.])(?P<m>1[0-2]|0?[1-9])月(?:(?P<d>\d{1,2})日)?(?:~(?:(?P<m2>1[0-2]|0?[1-9])月)?(?P<d2>\d{1,2})日)?"
    rf"(?P<q>{_QUAL_DATE})?")
_DOT_DATE = re.compile(rf"(?<![\d.])(?P<y>{_YEAR})\.(?P<m>1[0-2]|0?[1-9])(?:\.(?P<d>\d{{1,2}}))?(?![\d.])"
                       rf"(?:~{_YEAR}\.\d{{1,2}}(?:\.\d{{1,2}})?)?")
_RELATIVE_DATE = re.compile(  # 本年半ば, 本年9月, 昨年末: dates relative to the document's year
    rf"(?:本年|今年|昨年|前年|来年|翌年)度?(?:(?:1[0-2]|0?[1-9])月(?:\d{{1,2}}日)?)?(?:{_QUAL_DATE})?")
_SAME_YEAR = re.compile(  # 「20年9月ドイツが、同年11月オランダが」: the year of the date before it
    rf"同年度?(?:1[0-2]|0?[1-9])月(?:\d{{1,2}}日)?(?:{_QUAL_DATE})?")
_ERA = re.compile(  # R2年度, 令和３年度; a bare "R1" (a chart axis) is not taken
    r"(?<![A-Za-z])(?:(?P<era>令和|平成)(?P<n>\d{1,2})年?|(?P<latin>[RH])(?P<ln>\d{1,2})年)(?P<fy>度)?(?![\d%])")
_ERA_BASE = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_CLIPPED_YEAR = re.compile(r"(?<![\w’'‘])[’'‘](?P<n>\d{2})(?:年(?P<fy>度)?)?(?![\d%])")  # ’14, ’19年
_COUNT = re.compile(
    rf"(?P<pre>{_PRE})?{_NO_LATIN}(?<!第)(?P<n>{_NUM})(?P<s>[億万千])?\n?(?P<unit>{_alts(list(_COUNT_UNITS))})"
    rf"(?P<post>{_QUALIFIER}|後)?")
# A bare number is a quantity, not a label: not a section number (Ⅶ－１①, １．, （２）) or a note's
# (※1), not the head of a word (21世紀型, 5G, 14次): no letter or kanji may follow it.
_NUMBER = re.compile(
    rf"{_NO_LATIN}(?<![A-Za-z]-)(?<![(※])(?P<sign>-)?(?P<n>{_NUM})(?![\d年月日])(?P<s>[兆億万千])?"
    rf"(?:(?P<n2>{_NUM})(?P<s2>[億万千]))?(?![\dA-Za-z\u3400-\u9fff々①-⑳).])")
# a line break inside a date (2020年12\n月, 2020年\n12月), never between two digits (table columns)
_WRAPPED_DATE = re.compile(r"(?<=[\d０-９])\n(?=[年月日])|(?<=[年月])\n(?=[\d０-９])")
_ORDINAL = re.compile(rf"(?<=第)(?P<n>{_NUM})")  # 第12回: which meeting, not how many of anything
_SPAN_OF_YEARS = re.compile(  # 過去10年, 1年以内, 3年後: a duration, not a year
    rf"(?:(?<=過去)|(?<=直近)|(?<=今後)|(?<=最近)|(?<=向こう))(?P<n>\d{{1,3}})年(?P<post>{_QUALIFIER}|間)?"
    rf"|(?<![\d.’'‘])(?P<m>\d{{1,2}})年(?P<after>以内|以上|未満|超|後|ぶり)")
_KANJI_DIGIT = {k: i + 1 for i, k in enumerate("一二三四五六七八九十")}
_KANJI_COUNT = re.compile(r"(?<![一-龥])(?P<k>[一二三四五六七八九十])つ")  # 三つに分類: three
_PRIORITY = {"amount": 0, "percentage": 1, "date": 2, "year": 3, "count": 4, "number": 5}


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _amount(m: re.Match) -> tuple[str, float, str, str]:
    scale = m["s1"] or m["s3"] or ""  # 1~2兆円: the scale after a range applies to both ends
    value = _num(m["n1"]) * _SCALES.get(scale, 1.0)  # a range's value is its lower end
    if m["n2"]:
        value += _num(m["n2"]) * _SCALES[m["s2"]]  # 2億5000万
    return "amount", value, _CURRENCY[m["cur"].replace("\n", "")], scale


def _date_kind(m: re.Match) -> str:
    has = m.groupdict()
    if has.get("m") or has.get("season") or has.get("q") or has.get("m2") or has.get("y2") or has.get("fy"):
        return "date"
    return "year"


def _numeric_candidates(norm: str) -> list[tuple[int, int, str, float | None, str, str]]:
    found: list[tuple[int, int, str, float | None, str, str]] = []
    for m in _AMOUNT.finditer(norm):
        kind, value, unit, scale = _amount(m)
        found.append((m.start(), m.end(), kind, value, unit, scale))
    for m in _PERCENT.finditer(norm):
        value = _num(m["n"]) * (-1 if m["sign"] else 1)
        found.append((m.start(), m.end(), "percentage", value, "%", ""))
    for m in _WARI.finditer(norm):
        tenth = _KANJI_DIGIT.get(m["n"]) or int(m["n"])
        found.append((m.start(), m.end(), "percentage", tenth * 10.0 + int(m["bu"] or 0), "%", "割"))
    for rx in (_FULL_DATE, _DOT_DATE):
        for m in rx.finditer(norm):
            kind = "date" if rx is _DOT_DATE else _date_kind(m)
            unit = "年度" if m.groupdict().get("fy") else ""
            found.append((m.start(), m.end(), kind, float(m["y"]), unit, ""))
    for m in _SHORT_DATE.finditer(norm):
        found.append((m.start(), m.end(), "date", None, "", ""))
    for m in _MONTH_DAY.finditer(norm):
        found.append((m.start(), m.end(), "date", None, "", ""))
    for m in _RELATIVE_DATE.finditer(norm):
        if m.end() - m.start() > 2 or not re.fullmatch(r"今年|本年|昨年|来年|前年|翌年", m.group()):
            found.append((m.start(), m.end(), "date", None, "relative", ""))
    for m in _ERA.finditer(norm):
        year = _ERA_BASE[m["era"] or m["latin"]] + int(m["n"] or m["ln"])
        kind, unit = ("date", "年度") if m["fy"] else ("year", "")
        found.append((m.start(), m.end(), kind, float(year), unit, ""))
    for m in _CLIPPED_YEAR.finditer(norm):  # ’19 is 2019, ’98 is 1998
        year = int(m["n"]) + (2000 if int(m["n"]) < 50 else 1900)
        kind, unit = ("date", "年度") if m["fy"] else ("year", "")
        found.append((m.start(), m.end(), kind, float(year), unit, ""))
    for m in _SAME_YEAR.finditer(norm):
        if (year := _year_before(norm, found, m.start())) is not None:
            found.append((m.start(), m.end(), "date", year, "同年", ""))
    for m in _COUNT.finditer(norm):
        value = _num(m["n"]) * _SCALES.get(m["s"] or "", 1.0)
        unit = _COUNT_UNITS[m["unit"].replace("\n", "")]
        found.append((m.start(), m.end(), "count", value, unit, m["s"] or ""))
    for m in _KANJI_COUNT.finditer(norm):
        found.append((m.start(), m.end(), "count", float(_KANJI_DIGIT[m["k"]]), "つ", ""))
    for m in _SPAN_OF_YEARS.finditer(norm):
        found.append((m.start(), m.end(), "count", float(m["n"] or m["m"]), "年", ""))
    for m in _NUMBER.finditer(norm):
        value = _num(m["n"]) * _SCALES.get(m["s"] or "", 1.0) * (-1 if m["sign"] else 1)
        if m["n2"]:
            value += _num(m["n2"]) * _SCALES[m["s2"]]
        found.append((m.start(), m.end(), "number", value, "", m["s"] or ""))
    for m in _ORDINAL.finditer(norm):
        found.append((m.start(), m.end(), "number", _num(m["n"]), "第", ""))
    return found


def _year_before(norm: str, found: list, at: int) -> float | None:
    """The year of the last date found before ``at`` (20年 is 2020, as ’20 is)."""
    dates = [c for c in found if c[1] <= at and c[2] in ("date", "year") and c[4] != "relative"]
    if not dates:
        return None
    s, e, _, value, _, _ = max(dates, key=lambda c: c[1])
    written = re.match(r"(\d{2,4})年", norm[s:e])
    if not written:
        return value
    year = int(written[1])
    return float(year if year > 99 else year + (2000 if year < 50 else 1900))


def numeric_spans(text: str) -> list[Span]:
    """Amounts, percentages, dates, years, counts and bare numbers, non-overlapping."""
    kept = [i for i in range(len(text)) if not _WRAPPED_DATE.match(text, i)]  # 「2020年12\n月」
    norm, norm_at = normalize("".join(text[i] for i in kept))
    index = [kept[i] for i in norm_at[:-1]]
    chosen: list[tuple[int, int, str, float | None, str, str]] = []
    taken = [False] * len(norm)
    for cand in sorted(_numeric_candidates(norm), key=lambda c: (c[0] - c[1], _PRIORITY[c[2]], c[0])):
        s, e = cand[0], cand[1]
        if any(taken[s:e]):
            continue
        taken[s:e] = [True] * (e - s)
        chosen.append(cand)
    out = []
    for s, e, kind, value, unit, scale in sorted(chosen):
        start, end = index[s], index[e - 1] + 1
        out.append(Span(kind, text[start:end], start, end, value, unit, scale))
    return out


_TYPE_KINDS = {
    "amount": {"amount"},
    "percentage": {"percentage"},
    "date": {"date", "year", "count"},  # counts only as durations: 100日以内, 18か月後
    "year": {"year", "date"},
    "count": {"count", "number"},
    "place": {"name", "list"},
    "name": {"name", "list"},
    "list": {"list"},
}


_BARE_YEAR = re.compile(_YEAR)  # a unit-less number that reads as a year
_DURATIONS = frozenset({"日", "週", "か月", "年"})
_ALL_CAPS = re.compile(r"[A-Z][A-Z0-9&\-]+")


def matches(answer_type: AnswerType | str, span: Span) -> bool:
    """Whether ``span`` can answer a question of ``answer_type`` (an ``AnswerType`` or its kind).

    Untyped kinds (definition, yesno, other) match nothing: such questions want a sentence. A unit
    hint, when the question gives one, must agree with the span's unit (か国 vs 社, ドル vs 円)."""
    kind = getattr(answer_type, "kind", answer_type)
    if span.kind not in _TYPE_KINDS.get(kind, set()):
        return False
    if kind == "year" and span.kind == "date" and span.value is None:
        return False
    if kind == "count" and span.kind == "number" and _BARE_YEAR.fullmatch(span.text):
        return False  # 「2050カーボンニュートラル」: a year used as a word, not a count of anything
    if kind == "date" and span.kind == "count" and span.unit not in _DURATIONS:
        return False
    if kind == "place" and span.unit in ("person", "quote"):
        return False
    if kind != "place" and span.unit == "country":
        return False  # 「（日）」 says whose measure a line is; it names no fund or programme
    # Sudachi tags WTO (and ＷＴＯ) a proper noun: an acronym is a place only if it names countries
    latin = unicodedata.normalize("NFKC", span.text)
    if kind == "place" and _ALL_CAPS.fullmatch(latin) and latin not in PLACE_ACRONYMS:
        return False  # "which countries signed RCEP" is not answered by the GDP of 「世界のGDP」
    hint = getattr(answer_type, "unit", "")
    if hint == "person" and span.unit != "person":
        return False  # the prime minister is a person, not the EPA the line names
    if hint == "org" and span.unit in ("place", "person", "country"):
        return False  # "which brand stopped…" is not answered by 「ウイグル」, where it stopped buying
    if kind == "count" and not hint and span.unit in _DURATIONS:
        return False  # "how many measures": 「過去10年」 counts years, which the question would have said
    if hint and span.kind in ("amount", "count", "percentage", "number") and span.unit and hint != span.unit:
        return False
    return True


@dataclass(frozen=True)
class Cell:
    """One value of a table row: its row label, its column header and the number as a ``Span``
    (offsets into the row string)."""

    label: str
    column: str
    span: Span


_UNIT_HEAD = re.compile(r"^[(（]([^()（）]{1,6})[)）]$")
_CELL = re.compile(rf"^[-+]?{_NUM}%?$")


def _header_groups(header: str) -> tuple[list[list[str]], str]:
    """Column groups of a header; a unit marker such as ``(%)`` opens a new group."""
    groups: list[list[str]] = []
    unit = ""
    for token in normalize(header)[0].split():
        head = _UNIT_HEAD.match(token)
        if head:
            unit = unit or head.group(1)
            groups.append([])
        elif groups:
            groups[-1].append(token)
        else:
            groups.append([token])
    return [g for g in groups if g], unit


def table_cells(row: str, header: str) -> list[Cell]:
    """Pair each number of a table row with its row label and column header.

    ``table_cells("世界 -3.3 6.0", "(%) 2020年 2021年")`` gives (世界, 2020年, -3.3) and (世界, 2021年, 6.0).
    A row holding several labelled groups (``先進国 -4.7 5.1 新興国・発展途上国 -2.2 6.7``) under a
    header repeating its columns maps each group onto the columns in turn. Under a ``(%)`` header the
    cells are percentages, otherwise numbers. Cells beyond the header's columns are dropped."""
    groups, unit = _header_groups(header)
    if not groups:
        return []
    norm, index = normalize(row)
    kind = "percentage" if unit == "%" else "number"
    cells: list[Cell] = []
    label: list[str] = []
    column = 0
    group = -1
    for m in re.finditer(r"\S+", norm):
        token = m.group()
        if not _CELL.match(token):
            if column or not label:
                label, column = [], 0
                group += 1
            label.append(token)
            continue
        columns = groups[group % len(groups)] if group >= 0 else groups[0]
        if not label or column >= len(columns):
            continue
        start, end = index[m.start()], index[m.end() - 1] + 1
        value = float(token.rstrip("%"))
        span = Span(kind, row[start:end], start, end, value, "%" if kind == "percentage" else unit)
        cells.append(Cell(" ".join(label), columns[column], span))
        column += 1
    return cells
