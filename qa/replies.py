"""Answers shown in the chat, remembered by id: re-rendered on a language switch, voted on.

A final answer message carries its reply id; the last ``KEEP_REPLIES`` answers are kept in
memory with the question as typed and the settings, so a 👍/👎 can be recorded with the full
answer (citations, confidence) and old messages can be relabelled.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from qa.questions import message_text
from qa.records import Answer
from qa.render import plain_question, render_answer, reply_id, user_html
from qa.ui_text import labels

KEEP_REPLIES = 500


@dataclass(frozen=True)
class Reply:
    answer: Answer
    asked: str  # the question as typed
    settings: dict = field(default_factory=dict)  # mode, k, answerer


class Replies:
    """A bounded, thread-safe store of recent replies, and what is done with them."""

    def __init__(self, keep: int = KEEP_REPLIES):
        self._keep = keep
        self._items: OrderedDict[str, Reply] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, reply: Reply) -> str:
        """Keep ``reply``; returns its new id."""
        rid = uuid.uuid4().hex[:16]
        with self._lock:
            self._items[rid] = reply
            while len(self._items) > self._keep:
                self._items.popitem(last=False)
        return rid

    def get(self, rid: str) -> Reply | None:
        return self._items.get(rid)

    def relabel(self, history, lang: str, retriever=None) -> list[dict]:
        """Chat messages re-rendered in ``lang``: questions, and the answers still remembered
        (others, e.g. error lines, stay as they are)."""
        out = []
        for item in history or []:
            role, text = item.get("role"), message_text(item.get("content"))
            rid = reply_id(text)
            if role == "user":
                text = user_html(plain_question(text), lang)
            elif (reply := self.get(rid)) is not None:
                text = render_answer(reply.answer, lang, retriever, rid, reply.asked)
            out.append({"role": role, "content": text})
        return out

    def vote(self, feedback, rid: str, liked, lang: str, comment: str = "") -> str:
        """Record a 👍 (``liked`` True) or 👎 (False) on reply ``rid`` in ``feedback`` (a
        ``qa.feedback.FeedbackLog`` or None), or withdraw it (anything else); returns the line
        to show the user."""
        t = labels(lang)
        if feedback is None:
            return t["feedback_off"]
        reply = self.get(rid)
        if reply is None:
            return t["feedback_gone"]
        if liked is not True and liked is not False:
            feedback.remove(rid)
            return ""
        feedback.record(rid, reply.answer, "up" if liked else "down", lang, reply.settings, comment)
        return t["feedback_saved"] if comment.strip() else t["feedback_up" if liked else "feedback_down"]
