"""The gold set: ``GoldItem`` records read and validated from JSONL, and their dev/test splits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import GoldError

GOLD_FIELDS = ("id", "lang", "question", "answer", "answer_keys", "evidence", "split")
LANGS = ("ja", "en")


@dataclass(frozen=True)
class GoldItem:
    id: str
    lang: str
    question: str
    answer: str | None  # None: the document does not answer it
    answer_keys: tuple[str, ...]
    evidence: tuple[str, ...]
    split: str

    @property
    def answerable(self) -> bool:
        return self.answer is not None


def _item(obj: object) -> GoldItem:
    """Validate one parsed line; raise ``ValueError`` saying what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    fields = set(obj)
    if fields != set(GOLD_FIELDS):
        problems = []
        if missing := set(GOLD_FIELDS) - fields:
            problems.append(f"missing {', '.join(sorted(missing))}")
        if extra := fields - set(GOLD_FIELDS):
            problems.append(f"unknown {', '.join(sorted(extra))}")
        raise ValueError("fields: " + "; ".join(problems))
    for name in ("id", "question", "split"):
        if not isinstance(obj[name], str) or not obj[name].strip():
            raise ValueError(f"{name!r} must be a non-empty string")
    if obj["lang"] not in LANGS:
        raise ValueError(f"'lang' must be one of {', '.join(LANGS)}, not {obj['lang']!r}")
    for name in ("answer_keys", "evidence"):
        value = obj[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"{name!r} must be a list of non-empty strings")
    answer = obj["answer"]
    if answer is not None and not isinstance(answer, str):
        raise ValueError("'answer' must be a string or null")
    if answer is not None and not (obj["answer_keys"] and obj["evidence"]):
        raise ValueError("an answerable item needs answer_keys and evidence")
    return GoldItem(obj["id"], obj["lang"], obj["question"], answer, tuple(obj["answer_keys"]),
                    tuple(obj["evidence"]), obj["split"])


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a gold JSONL file (blank lines skipped); ``GoldError`` names the bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldError(f"gold file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"cannot read gold file {path}: {exc}") from None
    items: list[GoldItem] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = _item(json.loads(line))
        except ValueError as exc:  # includes json.JSONDecodeError
            raise GoldError(f"{path}, line {n}: {exc}") from None
        if item.id in seen:
            raise GoldError(f"{path}, line {n}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise GoldError(f"gold file {path} has no questions")
    return items


def select_split(gold: Sequence[GoldItem], split: str | None) -> list[GoldItem]:
    """Items of ``split`` ("all" or None: every item); ``GoldError`` if none."""
    if split in (None, "all"):
        return list(gold)
    items = [g for g in gold if g.split == split]
    if not items:
        known = ", ".join(sorted({g.split for g in gold}))
        raise GoldError(f"no gold questions in split {split!r} (splits: {known}, or all)")
    return items
