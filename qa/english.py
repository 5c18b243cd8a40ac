"""Render a typed Japanese span (``qa.spans.Span``) in English, by rule, never by guess.

Amounts (６兆ドル -> "USD 6 trillion"), percentages (３割 -> "30%"), dates and periods
(２０２０年１０月 -> "October 2020", 6月11日～13日 -> "11–13 June"), years and counts
(15か国 -> "15 countries"). No dictionary: Japanese names and terms are not translated.
``to_english`` returns None whenever a rule does not cover the span exactly.
"""

from __future__ import annotations

import re
from decimal import Decimal

from qa.spans import Span, normalize

_CURRENCY = {"ドル": "USD", "円": "JPY", "ユーロ": "EUR", "ポンド": "GBP", "元": "CNY", "ルピア": "IDR",
             "ウォン": "KRW", "ルピー": "INR"}
_SCALE_WORDS = [(Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")]
_JA_SCALE = {"兆": Decimal(10) ** 12, "億": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(10) ** 3}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_SEASONS = {"春": "spring", "夏": "summer", "秋": "autumn", "冬": "winter"}
# (singular, plural); None where the counter word has no safe English noun (本: executive orders? bills?)
_COUNTERS = {"か国": ("country", "countries"), "品目": ("item", "items"), "社": ("company", "companies"),
             "件": ("case", "cases"), "人": ("person", "people"), "機関": ("organisation", "organisations"),
             "分野": ("field", "fields"), "項目": ("item", "items"), "エコノミー": ("economy", "economies"),
             "か所": ("location", "locations"), "回": ("time", "times"), "か月": ("month", "months"),
             "日": ("day", "days"), "週": ("week", "weeks"), "年": ("year", "years"),
             "地域": ("region", "regions"), "団体": ("organisation", "organisations"),
             "種類": ("type", "types"), "段階": ("level", "levels")}
# Japanese qualifier -> English template around the rendered quantity
_QUANT_QUAL = {"約": "about {}", "およそ": "about {}", "程度": "about {}", "前後": "about {}",
               "規模": "around {}",
               "超": "over {}", "余り": "over {}", "強": "just over {}", "弱": "just under {}",
               "以上": "at least {}", "最低": "at least {}", "最大": "up to {}", "未満": "less than {}",
               "以下": "at most {}", "以内": "within {}", "計": "a total of {}", "総計": "a total of {}",
               "後": "after {}"}
_DATE_QUAL = {"以降": "from {}", "以来": "since {}", "まで": "until {}", "までに": "by {}", "から": "from {}",
              "中": "during {}", "末": "the end of {}", "初め": "the beginning of {}", "半ば": "mid-{}",
              "頃": "around {}", "前半": "the first half of {}", "後半": "the second half of {}"}

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_QUANT = re.compile(
    rf"^(?P<pre>約|およそ|計|総計|最大|最低)?(?P<n1>{_NUM})(?P<s1>[兆億万千])?(?:(?P<n2>{_NUM})(?P<s2>[億万千]))?"
    rf"(?:~(?P<n3>{_NUM})(?P<s3>[兆億万千])?)?(?P<unit>[^\d~]*?)"
    r"(?P<post>超|以上|以下|未満|程度|前後|強|弱|余り|以内|規模|後)?$")
_PCT = re.compile(rf"^(?P<pre>約|最大|最低)?(?P<sign>-)?(?P<n>{_NUM})(?:~(?P<n2>-?{_NUM}))? ?%"
                  r"(?P<post>減少|増加|減|増|超|以上|以下|未満|程度|前後|強|弱|余り|以内)?$")
_WARI = re.compile(r"^(?P<pre>約|最大|最低)?(?P<n>\d+|[一二三四五六七八九])割(?:(?P<bu>\d)分)?"
                   r"(?P<post>超|以上|以下|未満|程度|前後|強|弱|余り)?$")
_YMD = r"(?:(?P<{p}y>\d{{2}}|\d{{4}})年(?P<{p}fy>度)?)?(?:(?P<{p}m>\d{{1,2}})月)?(?:(?P<{p}d>\d{{1,2}})日)?"
_DATE = re.compile("^" + _YMD.format(p="a") + "(?:~" + _YMD.format(p="b") + r")?(?P<season>春|夏|秋|冬)?"
                   r"(?P<q>以降|以来|までに|まで|から|中|末|初め|半ば|頃|前半|後半)?$")
_DOT = re.compile(r"^(?P<ay>\d{4})\.(?P<am>\d{1,2})(?:\.(?P<ad>\d{1,2}))?"
                  r"(?:~(?P<by>\d{4})\.(?P<bm>\d{1,2})(?:\.(?P<bd>\d{1,2}))?)?$")
_RELATIVE = re.compile(r"^(?P<rel>本年|今年|昨年|前年|来年|翌年)(?P<fy>度)?"
                       r"(?:(?P<am>\d{1,2})月(?:(?P<ad>\d{1,2})日)?)?"
                       r"(?P<q>以降|以来|までに|まで|から|中|末|初め|半ば|頃|前半|後半)?$")
_RELATIVE_YEAR = {"本年": (0, "this year"), "今年": (0, "this year"), "昨年": (-1, "last year"),
                  "前年": (-1, "the previous year"), "来年": (1, "next year"),
                  "翌年": (1, "the following year")}
_ERA = re.compile(r"^(?P<era>令和|平成|R|H)(?P<n>\d{1,2})年?(?P<fy>度)?$")
_ERA_BASE = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_CLIPPED = re.compile(r"^[’'‘](?P<n>\d{2})年?(?P<fy>度)?$")  # ’19年
_KANJI_DIGIT = {k: i + 1 for i, k in enumerate("一二三四五六七八九")}


def _plain(text: str) -> str:
    return normalize(text)[0].replace("\n", "").strip()


def _fmt(number: Decimal) -> str:
    """1,234.5 style: thousands separators, no trailing zeros."""
    text = f"{number.normalize():f}"
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "") if whole.lstrip("-").isdigit() else text


def _big(value: Decimal) -> str:
    """7.5e11 -> '750 billion'; below a million, the digits."""
    for size, word in _SCALE_WORDS:
        if abs(value) >= size:
            return f"{_fmt(value / size)} {word}"
    return _fmt(value)


def _quantity(m: re.Match) -> Decimal:
    scale = _JA_SCALE.get(m["s1"] or m["s3"] or "", Decimal(1))
    value = Decimal(m["n1"].replace(",", "")) * scale
    if m["n2"]:
        value += Decimal(m["n2"].replace(",", "")) * _JA_SCALE[m["s2"]]
    return value


def _qualify(text: str, *quals: str | None) -> str:
    for qual in quals:
        if qual:
            text = _QUANT_QUAL[qual].format(text)
    return text


def _amount(text: str) -> str | None:
    m = _QUANT.match(text)
    currency = m["unit"].removeprefix("米").removeprefix("人民") if m else ""
    if currency not in _CURRENCY:
        return None
    code = _CURRENCY[currency]
    low = _quantity(m)
    if m["n3"]:
        high = Decimal(m["n3"].replace(",", "")) * _JA_SCALE.get(m["s3"] or m["s1"] or "", Decimal(1))
        low_words, high_words = _big(low).split(" "), _big(high).split(" ")
        if len(low_words) != len(high_words) or low_words[1:] != high_words[1:]:
            return None
        rendered = f"{code} {low_words[0]}–{' '.join(high_words)}"
    else:
        rendered = f"{code} {_big(low)}"
    return _qualify(rendered, m["post"], m["pre"])


def _percentage(text: str) -> str | None:
    m = _PCT.match(text)
    if m:
        number = ("-" if m["sign"] else "") + m["n"].replace(",", "")
        rendered = f"{number}–{m['n2']}%" if m["n2"] else f"{number}%"
        post = m["post"]
        if post in ("減", "減少"):
            return f"a {rendered} cut"
        if post in ("増", "増加"):
            return f"a {rendered} increase"
        return _qualify(rendered, post, m["pre"])
    m = _WARI.match(text)
    if m:
        tenths = _KANJI_DIGIT.get(m["n"]) or int(m["n"])
        return _qualify(f"{tenths * 10 + int(m['bu'] or 0)}%", m["post"], m["pre"])
    return None


def _year(raw: str | None, doc_year: int | None) -> int | None:
    if raw is None or len(raw) == 4:
        return int(raw) if raw else None
    if doc_year is None:
        return None  # 20年: 2020 or 1920? only a reference year settles the century
    year = doc_year // 100 * 100 + int(raw)
    return year - 100 if year > doc_year + 10 else year


def _one_date(y: int | None, fy: bool, m: str | None, d: str | None) -> str | None:
    if m and not 1 <= int(m) <= 12:
        return None
    parts = [str(int(d))] if d else []
    if m:
        parts.append(_MONTHS[int(m) - 1])
    if y:
        parts.append(f"FY{y}" if fy else str(y))
    return " ".join(parts) or None


def _date(text: str, doc_year: int | None) -> str | None:
    m = _ERA.match(text)
    if m:
        year = _ERA_BASE[m["era"]] + int(m["n"])
        return f"FY{year}" if m["fy"] else str(year)
    m = _RELATIVE.match(text)
    if m:
        return _relative(m, doc_year)
    m = _CLIPPED.match(text)
    if m:
        year = _year(m["n"], doc_year)
        return None if year is None else f"FY{year}" if m["fy"] else str(year)
    m = _DOT.match(text) or _DATE.match(text)
    if not m or not any(m.groupdict().get(k) for k in ("ay", "am", "ad")):
        return None
    g = m.groupdict()
    ay, by = _year(g["ay"], doc_year), _year(g.get("by"), doc_year)
    if (g["ay"] and ay is None) or (g.get("by") and by is None):
        return None
    if g.get("season"):
        if g["am"] or g["ad"] or g.get("bm") or not ay:
            return None
        rendered = f"{_SEASONS[g['season']]} {ay}"
    elif g.get("bm") or g.get("bd") or g.get("by"):
        if g.get("bd") and not g.get("bm") and not g.get("by") and g["ad"]:  # 6月11日～13日
            tail = _one_date(ay, bool(g.get("afy")), g["am"], None)
            rendered = f"{int(g['ad'])}–{int(g['bd'])} {tail}" if tail else None
        else:
            start = _one_date(ay if by else None if g["am"] else ay, bool(g.get("afy")), g["am"], g["ad"])
            end = _one_date(by or ay, bool(g.get("bfy")), g.get("bm"), g.get("bd"))
            rendered = f"{start} – {end}" if start and end else None
    else:
        rendered = _one_date(ay, bool(g.get("afy")), g["am"], g["ad"])
    return _date_qualified(rendered, g.get("q"))


def _date_qualified(rendered: str | None, qual: str | None) -> str | None:
    if not rendered or not qual:
        return rendered
    if qual == "半ば" and not rendered[0].isdigit():
        return f"the middle of {rendered}"
    return _DATE_QUAL[qual].format(rendered)


def _relative(m: re.Match, doc_year: int | None) -> str | None:
    """本年9月 -> "September this year" ("September 2021" when the document's year is known)."""
    shift, words = _RELATIVE_YEAR[m["rel"]]
    if m["fy"] and doc_year is None:
        words = words.replace("year", "fiscal year")
    year = f"{'FY' if m['fy'] else ''}{doc_year + shift}" if doc_year else words
    if m["am"] and not 1 <= int(m["am"]) <= 12:
        return None
    parts = [str(int(m["ad"]))] if m["ad"] else []
    parts += [_MONTHS[int(m["am"]) - 1]] if m["am"] else []
    parts.append(year)
    return _date_qualified(" ".join(parts), m["q"])


def _count(text: str, unit: str) -> str | None:
    m = _QUANT.match(text)
    if not m or m["n3"]:
        return None
    number = _big(_quantity(m))
    if unit == "つ":
        return _qualify(number, m["post"], m["pre"])
    if unit == "倍":
        return _qualify(f"{number} times", m["post"], m["pre"])
    nouns = _COUNTERS.get(unit)
    if nouns is None:
        return None
    noun = nouns[0] if number == "1" else nouns[1]
    if m["post"] == "以上":
        return _qualify(f"{number} or more {noun}", m["pre"])
    return _qualify(f"{number} {noun}", m["post"], m["pre"])


def to_english(span: Span, doc_year: int | None = None) -> str | None:
    """English for ``span``, or None when no rule covers it exactly.

    ``doc_year`` (the document's own year, e.g. 2021) lets two-digit years (20年7月) take a century;
    without it they are not rendered."""
    text = _plain(span.text)
    if span.kind == "amount":
        return _amount(text)
    if span.kind == "percentage":
        if span.unit == "%" and re.fullmatch(rf"-?{_NUM}", text):  # a table cell under a (%) header
            text += "%"
        return _percentage(text)
    if span.kind in ("date", "year"):
        if span.unit == "同年" and span.value is not None:  # the year of the date before it
            text = text.replace("同年", f"{int(span.value)}年", 1)
        return _date(text, doc_year)
    if span.kind == "count":
        if span.unit == "つ" and span.value is not None and not any(ch.isdigit() for ch in text):
            return str(int(span.value))  # 三つ -> 3
        return _count(text, span.unit)
    if span.kind == "number":
        if re.fullmatch(rf"-?{_NUM}", text):
            return text  # as written: 6.0 stays 6.0
        m = _QUANT.match(text)
        if m and not (m["unit"] or m["n3"] or m["post"] or m["pre"]):
            return _big(_quantity(m))
        return None
    if span.kind == "name" and span.unit == "latin":
        return span.text
    return None
