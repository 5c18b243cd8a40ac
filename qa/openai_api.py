"""The OpenAI chat-completions wire format: parse a request, build replies and errors (pure).

No web framework here: ``qa.api_routes`` serves these bodies. The answer text keeps its
``[n]`` markers; the citations travel in the extra top-level field ``citations`` and the rest
of the ``Answer`` (abstained, language, confidence, passages, ...) in the extra field ``qa``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from qa.errors import LLMError, LoadError, QuestionError, UserError
from qa.questions import clean_question, message_text, normalise_history

MAX_BODY_BYTES = 512 * 1024  # a long chat history is ~100 KB
MAX_MESSAGES = 400
OWNER = "qa-trade-policy"
ROLES = ("system", "developer", "user", "assistant", "tool")


class ApiError(Exception):
    """An HTTP error reply in OpenAI's format: status, message, type, param, code."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code

    def body(self) -> dict:
        return error_body(self.message, self.kind, self.param, self.code)


def error_body(message: str, kind: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def from_user_error(exc: UserError) -> ApiError:
    """The HTTP error for a user error: 503 while loading, 502 for a dead LLM server, else 400."""
    if isinstance(exc, LoadError):
        return ApiError(503, str(exc), "server_error", code="not_ready")
    if isinstance(exc, LLMError):
        return ApiError(502, str(exc), "server_error", code="llm_unavailable")
    code = "empty_question" if isinstance(exc, QuestionError) else None
    return ApiError(400, str(exc), param="messages" if code else None, code=code)


@dataclass(frozen=True)
class ChatRequest:
    """What the assistant needs from a chat-completions request."""

    model: str
    question: str
    history: tuple[tuple[str, str], ...] = ()
    stream: bool = False
    include_usage: bool = False
    k: object = 5  # checked by the chat service (1..20)
    mode: object = "hybrid"


def parse_request(raw: bytes, models: Iterable[str]) -> ChatRequest:
    """Check a request body; ``ApiError`` (4xx) says what is wrong with it.

    The question is the last message, which must be the user's; earlier user/assistant turns
    are the history; system messages are ignored. Extra keys ``k`` and ``mode`` choose the
    number of passages and the retrieval mode; other OpenAI options are accepted and ignored.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes", code="too_large")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the request body is not valid JSON", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object", code="invalid_json")
    models = list(models)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, f"model is required: one of {', '.join(models)}", param="model")
    if model not in models:
        raise ApiError(404, f"unknown model {model!r}: choose one of {', '.join(models)}",
                       param="model", code="model_not_found")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages is required: a non-empty list of {role, content} objects",
                       param="messages")
    if len(messages) > MAX_MESSAGES:
        raise ApiError(400, f"too many messages ({len(messages)} > {MAX_MESSAGES})", param="messages")
    if not all(isinstance(m, dict) and m.get("role") in ROLES for m in messages):
        raise ApiError(400, f"each message must be an object with a role ({', '.join(ROLES)})",
                       param="messages")
    if messages[-1]["role"] != "user":
        raise ApiError(400, "the last message must be the user's question", param="messages")
    try:
        question = clean_question(message_text(messages[-1].get("content"))).text
    except QuestionError as exc:
        raise from_user_error(exc) from None
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise ApiError(400, "stream must be true or false", param="stream")
    options = body.get("stream_options") or {}
    return ChatRequest(model, question, tuple(normalise_history(messages[:-1])), stream,
                       isinstance(options, dict) and bool(options.get("include_usage")),
                       body.get("k", 5), body.get("mode", "hybrid"))


def models_body(models: Iterable[str]) -> dict:
    """``GET /v1/models``: one model per answerer."""
    return {"object": "list",
            "data": [{"id": m, "object": "model", "created": 0, "owned_by": OWNER} for m in models]}


def new_id() -> tuple[str, int]:
    """A completion id and its creation time (seconds)."""
    return f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())


def extras(answer: dict) -> dict:
    """The documented extra fields: ``citations`` and ``qa`` (the rest of the Answer)."""
    return {"citations": answer.get("citations", []),
            "qa": {k: v for k, v in answer.items() if k != "citations"}}


def usage() -> dict:
    return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}  # no tokenizer here


def completion_body(answer: dict, model: str, cid: str, created: int) -> dict:
    """A non-streamed ``chat.completion`` for an ``Answer.to_dict()``."""
    return {"id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer["answer"]},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": usage(), **extras(answer)}


def chunk_body(cid: str, created: int, model: str, delta: dict, finish: str | None = None,
               **extra) -> dict:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra}


def sse(data: dict | str) -> str:
    """One server-sent event."""
    return f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n"


def stream_events(items: Iterable[str | dict], model: str, cid: str, created: int,
                  include_usage: bool = False) -> Iterator[str]:
    """The SSE events of a streamed completion from text pieces then the final answer dict.

    The final chunk carries ``finish_reason: "stop"`` and the extra fields. Should the final
    text differ from what was streamed (an LLM answer replaced by the offline one, or marked
    unsupported), a last delta adds the final text after a blank line; ``qa.answer`` always
    holds the final text.
    """
    yield sse(chunk_body(cid, created, model, {"role": "assistant", "content": ""}))
    sent = ""
    for item in items:
        if isinstance(item, str):
            if item:
                sent += item
                yield sse(chunk_body(cid, created, model, {"content": item}))
            continue
        final = item["answer"]
        rest = final[len(sent):] if final.startswith(sent) else ("\n\n" if sent else "") + final
        if rest:
            yield sse(chunk_body(cid, created, model, {"content": rest}))
        yield sse(chunk_body(cid, created, model, {}, "stop", **extras(item)))
        if include_usage:
            yield sse({**chunk_body(cid, created, model, {}), "choices": [], "usage": usage()})
        yield sse("[DONE]")
        return


def stream_error(exc: ApiError) -> str:
    """An error met after the stream started, as the event the OpenAI SDK raises on."""
    return sse(exc.body())
