"""Feedback on answers: 👍/👎 records in a local JSONL file, and the down-voted ones as gold lines.

One record per answer (a new vote or a comment replaces it), written atomically: the file is
rewritten to a temporary file and swapped in, under a lock shared by threads and processes, so
a reader never sees half a line. Records hold the question, the answer, its citations and
confidence, the settings and the vote; never an API key (configured secrets are redacted).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from qa.errors import FeedbackError

FILE_NAME = "feedback.jsonl"
EXPORT_SPLIT = "feedback"  # the gold split exported questions are put in
_LOCK = threading.Lock()


def feedback_record(rid: str, answer, vote: str, ui_language: str, settings: dict,
                    comment: str = "", now: float | None = None) -> dict:
    """The JSON object stored for a vote on ``answer`` (a ``qa.records.Answer``)."""
    data = answer.to_dict()
    passages = data.pop("passages", [])
    data.setdefault("confidence", getattr(answer, "confidence", None))
    data.setdefault("confidence_label", getattr(answer, "confidence_label", None))
    return {
        "id": rid,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "vote": vote,
        "comment": comment.strip(),
        "ui_language": ui_language,
        "settings": dict(settings),
        **data,
        "passages": [{k: p.get(k) for k in ("id", "section", "rank", "score")} for p in passages],
    }


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class FeedbackLog:
    """The feedback file in ``folder`` (created on first write)."""

    def __init__(self, folder: str | Path, secrets: Iterable[str] = ()):
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        self._secrets = tuple(s for s in secrets if s)

    def record(self, rid: str, answer, vote: str, ui_language: str, settings: dict,
               comment: str = "") -> dict:
        """Store (or replace) the vote on reply ``rid``; returns the stored record."""
        record = feedback_record(rid, answer, vote, ui_language, settings, comment)
        line = redact(json.dumps(record, ensure_ascii=False), self._secrets)
        with self._locked():
            lines = [x for x in self._lines() if _id_of(x) != rid]
            self._write([*lines, line])
        return json.loads(line)

    def remove(self, rid: str) -> None:
        """Forget the vote on reply ``rid`` (the user withdrew it)."""
        with self._locked():
            lines = self._lines()
            kept = [x for x in lines if _id_of(x) != rid]
            if len(kept) != len(lines):
                self._write(kept)

    def records(self) -> list[dict]:
        """Every stored record, oldest first (lines that do not parse are skipped)."""
        out = []
        for line in self._lines():
            with contextlib.suppress(ValueError):
                obj = json.loads(line)
                if isinstance(obj, dict):
                    out.append(obj)
        return out

    # file handling
    def _lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise FeedbackError(f"cannot read the feedback file {self.path}: {exc}") from None
        return [line for line in text.splitlines() if line.strip()]

    def _write(self, lines: list[str]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".feedback-", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in lines))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = open(self.folder / ".lock", "a")  # noqa: SIM115 - held for the block below
        except OSError as exc:
            raise FeedbackError(f"cannot write feedback to {self.folder}: {exc}") from None
        with _LOCK, lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def _id_of(line: str) -> str | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj.get("id") if isinstance(obj, dict) else None


def gold_lines(records: Iterable[dict]) -> list[dict]:
    """Down-voted questions as gold-format items (``answer: null``, no keys or evidence) for a
    person to fill in; one per distinct question, in the order they were first voted down."""
    out: dict[str, dict] = {}
    for r in records:
        question = str(r.get("question") or "").strip()
        if r.get("vote") != "down" or not question or question in out:
            continue
        lang = r.get("language") if r.get("language") in ("ja", "en") else "ja"
        out[question] = {"id": f"fb-{r.get('id') or len(out) + 1}", "lang": lang, "question": question,
                         "answer": None, "answer_keys": [], "evidence": [], "split": EXPORT_SPLIT}
    return list(out.values())


def export_gold(folder: str | Path, out: str | Path | None = None) -> tuple[int, str]:
    """Write the down-voted questions of the feedback in ``folder`` as gold JSONL to ``out``
    (None: return the text); returns (number of items, text written)."""
    log = FeedbackLog(folder)
    if not log.path.exists():
        raise FeedbackError(f"no feedback recorded yet in {log.folder}")
    items = gold_lines(log.records())
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    if out is not None:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise FeedbackError(f"cannot write {out}: {exc}") from None
    return len(items), text
