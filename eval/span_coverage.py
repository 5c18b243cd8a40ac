"""How often "short answer first" can work: typed questions vs typed spans in their gold evidence.

Run: PYTHONPATH=. python eval/span_coverage.py [--show]
For every answerable gold question whose answer type is typed (amount, percentage, date, year,
count), it checks whether the evidence strings hold a span of the matching type, and whether some
span's text contains an answer key (NFKC, whitespace removed). Table rows are read with the header
line found above them in the corpus (``table_cells``).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from qa.question_analysis import answer_type
from qa.span_names import typed_spans
from qa.spans import matches, table_cells

ROOT = Path(__file__).resolve().parents[1]
HEADER = re.compile(r"^\s*[(（][^()（）]{1,6}[)）]\s+\S")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def table_spans(corpus_lines: list[str], evidence: str) -> list:
    """Cells of the corpus table row holding ``evidence`` (a whole row or one labelled group of it),
    read with the header line above it; only the cells inside the evidence are kept."""
    for i, line in enumerate(corpus_lines):
        at = line.find(evidence.strip())
        if at < 0 or not evidence.strip():
            continue
        for back in range(i - 1, max(i - 30, -1), -1):
            if HEADER.match(corpus_lines[back]):
                cells = table_cells(line, corpus_lines[back])
                end = at + len(evidence.strip())
                return [c.span for c in cells if at <= c.span.start and c.span.end <= end]
        return []
    return []


def spans_of(evidence: str, corpus_lines: list[str]) -> list:
    return typed_spans(evidence) + table_spans(corpus_lines, evidence)


def main(show: bool = False) -> None:
    corpus_lines = (ROOT / "corpus" / "trade_policy_2021.txt").read_text(encoding="utf-8").splitlines()
    stats: Counter = Counter()
    for line in (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row["answer_keys"]:
            continue
        at = answer_type(row["question"], row["lang"])
        if not at.typed:
            continue
        lang = row["lang"]
        spans = [s for ev in row["evidence"] for s in spans_of(ev, corpus_lines)]
        typed = [s for s in spans if matches(at, s)]
        keys = [squash(k) for k in row["answer_keys"]]
        key_in_typed = any(k in squash(s.text) for s in typed for k in keys)
        key_in_any = any(k in squash(s.text) for s in spans for k in keys)
        stats[lang, "questions"] += 1
        stats[lang, "typed span in evidence"] += bool(typed)
        stats[lang, "key inside a matching span"] += key_in_typed
        stats[lang, "key inside any span"] += key_in_any
        stats[lang, "key inside the first matching span"] += bool(typed) and any(
            k in squash(typed[0].text) for k in keys)
        stats[lang, "several matching spans"] += len(typed) > 1
        if show and not key_in_typed:
            print(row["id"], at.kind, at.unit, row["answer_keys"], [(s.kind, s.text) for s in spans][:8])
    for lang in ("ja", "en"):
        n = stats[lang, "questions"]
        print(f"{lang}: {n} typed answerable questions")
        for what in ("typed span in evidence", "key inside a matching span", "key inside any span",
                     "key inside the first matching span", "several matching spans"):
            print(f"  {what}: {stats[lang, what]}/{n}")


if __name__ == "__main__":
    main(show="--show" in sys.argv)
