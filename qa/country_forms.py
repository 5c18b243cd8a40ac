"""The one-character forms the deck tags or lists countries with (「…の上乗せ（米）」, 「日、中、韓、豪」)
and the countries they stand for, in English (for answers) and in Japanese (as a question writes
them). Plain data and one pattern: the segmenter reads it, so it imports nothing of ``qa``."""

from __future__ import annotations

import re

# For English answers: 「日・米・豪・印」 is Japan, US, Australia, India (尼 is the deck's form for
# Indonesia; ``country_names.SHORT_FORMS`` is the way from English lemmas to these forms).
COUNTRY_OF_SHORT_FORM = {"日": "Japan", "米": "US", "英": "UK", "中": "China", "韓": "South Korea",
                         "豪": "Australia", "印": "India", "欧": "Europe", "仏": "France", "独": "Germany",
                         "加": "Canada", "露": "Russia", "伊": "Italy", "台": "Taiwan", "尼": "Indonesia"}

# And in Japanese, as the question writes it: 「（日）」 tags a measure as Japan's (日本).
COUNTRY_NAME_OF_SHORT_FORM = {"日": "日本", "米": "米国", "英": "英国", "中": "中国", "韓": "韓国",
                              "豪": "豪州", "印": "インド", "欧": "欧州", "仏": "フランス", "独": "ドイツ",
                              "加": "カナダ", "露": "ロシア", "伊": "イタリア", "台": "台湾",
                              "尼": "インドネシア"}

# One-character forms name countries alone in brackets (「…の上乗せ（米）」) or joined by list
# separators (「仏・英などの…」, 「日、中、韓、豪」); inside a word (日米, 中国, 中・長期) they do not.
_SHORT = f"[{''.join(COUNTRY_OF_SHORT_FORM)}]"
SHORT_FORM_ALONE = re.compile(
    rf"(?<=[（(]){_SHORT}(?=[）)])"
    rf"|(?<![\u3040-\u30ff\u3400-\u9fffA-Za-z]){_SHORT}(?:[・、，,]{_SHORT})+(?![\u30a0-\u30ff\u3400-\u9fffA-Za-z])")


def countries_alone(text: str) -> list[tuple[int, str]]:
    """(offset, character) of each country ``text`` writes in its one-character form alone."""
    return [(m.start() + i, ch) for m in SHORT_FORM_ALONE.finditer(text)
            for i, ch in enumerate(m.group()) if ch in COUNTRY_OF_SHORT_FORM]
