"""Structural and grounding checks for the evaluation gold set (eval/gold.jsonl).

Depends only on the standard library and pytest; it does not import the project.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "trade_policy_2021.txt"
GOLD = ROOT / "eval" / "gold.jsonl"

FIELDS = {"id", "lang", "question", "answer", "answer_keys", "evidence", "split"}
ID_RE = re.compile(r"^(ja|en)(-na)?-\d{3}$")
PARTS = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "Ⅶ"]
# A part or slide heading: a part numeral at the start of a line followed by a
# separator, e.g. "Ⅰ．…", "Ⅰｰ1．…", "Ⅳ－３②．…", "Ⅳー２. …".
HEADING_RE = re.compile(r"^\s*([ⅠⅡⅢⅣⅤⅥⅦ])\s*[．.ｰー－\-]")


def norm(text: str) -> str:
    """NFKC-normalise and drop all whitespace (incl. newlines and U+3000)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def corpus_lines():
    return CORPUS.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def corpus_index(corpus_lines):
    """Normalised corpus text plus, per raw line, its start offset and current part."""
    text_parts, starts, parts = [], [], []
    offset, part = 0, None
    for line in corpus_lines:
        m = HEADING_RE.match(line)
        if m:
            part = m.group(1)
        n = norm(line)
        starts.append(offset)
        parts.append(part)
        text_parts.append(n)
        offset += len(n)
    return "".join(text_parts), starts, parts


@pytest.fixture(scope="module")
def raw_lines():
    return GOLD.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def items(raw_lines):
    return [json.loads(line) for line in raw_lines if line.strip()]


def answerable(item):
    return item["answer"] is not None


def test_files_exist():
    assert CORPUS.is_file(), CORPUS
    assert GOLD.is_file(), GOLD


def test_every_line_parses(raw_lines):
    assert raw_lines, "gold file is empty"
    for i, line in enumerate(raw_lines, 1):
        assert line.strip(), f"blank line {i}"
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {i} is not a JSON object"


def test_exact_fields(items):
    for item in items:
        assert set(item) == FIELDS, (item.get("id"), sorted(item))


def test_field_types_and_values(items):
    for item in items:
        iid = item["id"]
        assert isinstance(iid, str) and ID_RE.match(iid), iid
        assert item["lang"] in {"ja", "en"}, iid
        assert iid.startswith(item["lang"] + "-"), iid
        assert item["split"] in {"dev", "test"}, iid
        assert isinstance(item["question"], str) and item["question"].strip(), iid
        assert isinstance(item["answer_keys"], list), iid
        assert isinstance(item["evidence"], list), iid
        assert all(isinstance(k, str) and k.strip() for k in item["answer_keys"]), iid
        assert all(isinstance(e, str) and e.strip() for e in item["evidence"]), iid
        # "-na-" ids are exactly the unanswerable ones
        assert ("-na-" in iid) == (item["answer"] is None), iid


def test_unique_ids(items):
    ids = [item["id"] for item in items]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, dupes


def test_unique_questions(items):
    qs = [item["question"].strip() for item in items]
    dupes = {q for q in qs if qs.count(q) > 1}
    assert not dupes, dupes


def test_answerable_items_complete(items):
    for item in filter(answerable, items):
        assert isinstance(item["answer"], str) and item["answer"].strip(), item["id"]
        assert item["answer_keys"], item["id"]
        assert 1 <= len(item["evidence"]) <= 3, item["id"]


def test_unanswerable_items_empty(items):
    for item in items:
        if item["answer"] is None:
            assert item["answer_keys"] == [], item["id"]
            assert item["evidence"] == [], item["id"]


def test_evidence_occurs_in_corpus(items, corpus_index):
    text = corpus_index[0]
    missing = [
        (item["id"], ev)
        for item in filter(answerable, items)
        for ev in item["evidence"]
        if norm(ev) not in text
    ]
    assert not missing, missing


def test_evidence_strings_are_close_together(items, corpus_index):
    """All evidence of an item must fit in one short retrieved passage."""
    text = corpus_index[0]
    far = []
    for item in filter(answerable, items):
        if len(item["evidence"]) < 2:
            continue
        # Choose, for each string, the occurrence that minimises the spread.
        occs = []
        for ev in item["evidence"]:
            e = norm(ev)
            occs.append([m.start() for m in re.finditer(re.escape(e), text)])
        best = None
        for anchor in occs[0]:
            ends = [anchor + len(norm(item["evidence"][0]))]
            starts = [anchor]
            for ev, positions in zip(item["evidence"][1:], occs[1:]):
                p = min(positions, key=lambda x: abs(x - anchor))
                starts.append(p)
                ends.append(p + len(norm(ev)))
            span = max(ends) - min(starts)
            best = span if best is None else min(best, span)
        if best is None or best > 400:
            far.append((item["id"], best))
    assert not far, far


def test_answer_keys_grounded(items, corpus_index):
    """Japanese keys are copied from the document; every answerable item
    (including English ones) has at least one key in the document's surface form."""
    text = corpus_index[0]
    problems = []
    for item in filter(answerable, items):
        keys = [norm(k) for k in item["answer_keys"]]
        if not any(k in text for k in keys):
            problems.append((item["id"], "no key in corpus", item["answer_keys"]))
        if item["lang"] == "ja":
            for raw_key, k in zip(item["answer_keys"], keys):
                if k not in text:
                    problems.append((item["id"], "ja key not in corpus", raw_key))
    assert not problems, problems


def test_reference_answer_contains_a_key(items):
    bad = []
    for item in filter(answerable, items):
        ans = unicodedata.normalize("NFKC", item["answer"]).lower()
        if not any(unicodedata.normalize("NFKC", k).lower() in ans for k in item["answer_keys"]):
            bad.append(item["id"])
    assert not bad, bad


def test_counts(items):
    ja = [i for i in items if i["lang"] == "ja" and answerable(i)]
    en = [i for i in items if i["lang"] == "en" and answerable(i)]
    na = [i for i in items if not answerable(i)]
    assert len(ja) >= 60, len(ja)
    assert len(en) >= 60, len(en)
    assert len(na) >= 25, len(na)
    # unanswerable questions are split roughly evenly between the languages
    na_ja = sum(1 for i in na if i["lang"] == "ja")
    assert abs(na_ja - (len(na) - na_ja)) <= max(4, len(na) // 5), (na_ja, len(na))


def test_split_balance(items):
    groups = {
        "ja answerable": [i for i in items if i["lang"] == "ja" and answerable(i)],
        "en answerable": [i for i in items if i["lang"] == "en" and answerable(i)],
        "unanswerable": [i for i in items if not answerable(i)],
    }
    for name, group in groups.items():
        dev = sum(1 for i in group if i["split"] == "dev")
        share = dev / len(group)
        assert 0.4 <= share <= 0.6, (name, dev, len(group))


def _part_of(item, corpus_index):
    text, starts, parts = corpus_index
    pos = text.find(norm(item["evidence"][0]))
    if pos < 0:
        return None
    # last line whose normalised start offset is <= pos
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return parts[lo]


def test_every_part_covered(items, corpus_index):
    covered = {}
    for item in filter(answerable, items):
        part = _part_of(item, corpus_index)
        assert part is not None, item["id"]
        covered.setdefault(part, set()).add(item["lang"])
    missing = [p for p in PARTS if p not in covered]
    assert not missing, missing
    # each part has both Japanese and English questions
    mono = {p: sorted(langs) for p, langs in covered.items() if langs != {"ja", "en"}}
    assert not mono, mono


def test_every_part_in_both_splits(items, corpus_index):
    seen = {}
    for item in filter(answerable, items):
        seen.setdefault(_part_of(item, corpus_index), set()).add(item["split"])
    assert all(seen.get(p) == {"dev", "test"} for p in PARTS), seen
