"""Local stand-ins for an OpenAI-compatible server and an Ollama server.

Each stand-in is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a
background thread, speaking the real wire protocol, so tests can run the real LangChain
clients against it: chat.completion JSON and ``chat.completion.chunk`` server-sent events
for OpenAI; JSON and NDJSON for Ollama. Replies are scripted by the test, every request
is recorded, and a fault mode makes the server misbehave on purpose::

    with OpenAIStandin(["canned reply"]) as server:
        ChatOpenAI(base_url=server.base_url, ...).invoke("hi")
        server.requests[-1]["json"]["messages"]

Faults: ``http_error`` (``status`` with the server's JSON error body), ``malformed``
(200 with invalid JSON or a broken stream), ``slow`` (no answer for ``delay_s``),
``stall`` (streams one piece, then goes quiet for ``delay_s``), ``hangup`` (closes the
connection without an answer, or after one streamed piece, as a crashing server does).
``closed_port_url()`` gives an address that refuses connections.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = str | list[str] | Callable[[list[dict]], str]
FAULTS = (None, "http_error", "malformed", "slow", "stall", "hangup")


def closed_port_url(scheme: str = "http") -> str:
    """An address on 127.0.0.1 where nothing listens, so connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The socket is closed and never listened: the kernel answers with RST.
    return f"{scheme}://127.0.0.1:{port}"


def pieces(text: str, size: int = 3) -> list[str]:
    """Split a reply into the small pieces a server streams (a few characters each)."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as real servers do
    timeout = 5  # idle keep-alive connections end instead of lingering
    server: _Server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # keep pytest output clean

    def do_GET(self) -> None:  # noqa: N802 - stdlib hook name
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib hook name
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        standin = self.server.standin
        standin._record(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        try:
            standin._handle(self, method, self.path.split("?")[0], body or {})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing left to say

    # Helpers the stand-ins call to write a response.
    def send_json(self, status: int, obj: object) -> None:
        self.send_bytes(status, "application/json", json.dumps(obj).encode())

    def send_bytes(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a fault never blocks shutdown
    standin: _Standin


class _Standin:
    """Shared machinery: thread, scripted replies, request log, faults."""

    _stall_after = 1  # chunks sent before a ``stall`` fault goes quiet

    def __init__(
        self,
        reply: Reply = "OK",
        *,
        fault: str | None = None,
        status: int = 500,
        error_message: str = "standin failure: the model crashed",
        delay_s: float = 5.0,
        chunk_delay_s: float = 0.0,
        model: str = "standin-model",
        models: list[str] | None = None,
    ) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; use one of {FAULTS}")
        self.reply = reply
        self.fault = fault
        self.status = status
        self.error_message = error_message
        self.delay_s = delay_s
        self.chunk_delay_s = chunk_delay_s
        self.model = model
        self.models = models if models is not None else [model]
        self.requests: list[dict] = []
        self.stream_done_at: float | None = None  # monotonic time the last piece was sent
        self._replies_used = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._url = ""
        self._thread: threading.Thread | None = None

    # Lifecycle -----------------------------------------------------------------------
    def start(self) -> _Standin:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self._url = f"http://{host}:{port}"  # kept after stop() for messages and asserts
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping in a slow/stall fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._url, "start the stand-in first"
        return self._url

    # Requests and replies ------------------------------------------------------------
    @property
    def chat_requests(self) -> list[dict]:
        """Bodies of the chat requests received, oldest first."""
        return [r["json"] for r in self.requests if r["method"] == "POST"]

    @property
    def last_messages(self) -> list[dict]:
        """The ``messages`` list of the latest chat request."""
        return self.chat_requests[-1]["messages"]

    def _record(self, method: str, path: str, headers: dict, body: object) -> None:
        with self._lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "json": body})

    def _next_reply(self, messages: list[dict]) -> str:
        if callable(self.reply):
            return self.reply(messages)
        if isinstance(self.reply, str):
            return self.reply
        with self._lock:  # a list is consumed in order; the last reply then repeats
            i = min(self._replies_used, len(self.reply) - 1)
            self._replies_used += 1
        return self.reply[i]

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _stream(self, h: _Handler, chunks: Iterator[bytes]) -> None:
        """Write each chunk as it is produced, honouring ``chunk_delay_s`` and ``stall``."""
        for i, data in enumerate(chunks):
            if i and self.chunk_delay_s:
                self._sleep(self.chunk_delay_s)
            h.write_chunk(data)
            if self.fault in ("stall", "hangup") and i + 1 == self._stall_after:
                if self.fault == "stall":
                    self._sleep(self.delay_s)
                h.close_connection = True  # no terminating chunk: the stream is cut
                return
        self.stream_done_at = time.monotonic()
        h.end_chunked()

    def _handle(self, h: _Handler, method: str, path: str, body: dict) -> None:
        raise NotImplementedError


class OpenAIStandin(_Standin):
    """OpenAI-compatible server: ``POST /v1/chat/completions``, ``GET /v1/models``."""

    _stall_after = 2  # the role-only opening chunk, then one piece of text

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def _handle(self, h: _Handler, method: str, path: str, body: dict) -> None:
        if method == "GET" and path == "/v1/models":
            self._faulty_or(h, lambda: h.send_json(200, self._models()))
        elif method == "POST" and path == "/v1/chat/completions":
            self._faulty_or(h, lambda: self._chat(h, body), stream=bool(body.get("stream")))
        else:
            h.send_json(404, _openai_error(f"no route for {method} {path}", "not_found"))

    def _faulty_or(self, h: _Handler, ok: Callable[[], None], stream: bool = False) -> None:
        if self.fault == "http_error":
            h.send_json(self.status, _openai_error(self.error_message, "server_error"))
        elif self.fault == "hangup" and not stream:
            h.close_connection = True  # drop the request unanswered
        elif self.fault == "slow" or (self.fault == "stall" and not stream):
            self._sleep(self.delay_s)
        elif self.fault == "malformed" and not stream:
            h.send_bytes(200, "application/json", b'{"id": "chatcmpl-standin", "choices": [{"mes')
        else:
            ok()

    def _models(self) -> dict:
        data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "standin"}
                for m in self.models]
        return {"object": "list", "data": data}

    def _chat(self, h: _Handler, body: dict) -> None:
        text = self._next_reply(body.get("messages", []))
        model = body.get("model", self.model)
        cid, created = f"chatcmpl-standin{len(self.requests)}", int(time.time())
        n = len(text)
        usage = {"prompt_tokens": 42, "completion_tokens": n, "total_tokens": 42 + n}
        if not body.get("stream"):
            h.send_json(200, {
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "system_fingerprint": None,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": usage,
            })
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        h.start_chunked("text/event-stream")
        self._stream(h, self._sse(cid, created, model, text, usage if include_usage else None))

    def _sse(self, cid: str, created: int, model: str, text: str,
             usage: dict | None) -> Iterator[bytes]:
        def chunk(delta: dict, finish: str | None = None, choices: bool = True) -> bytes:
            obj = {"id": cid, "object": "chat.completion.chunk", "created": created,
                   "model": model, "system_fingerprint": None,
                   "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                "finish_reason": finish}] if choices else []}
            if not choices:
                obj["usage"] = usage
            return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode()

        yield chunk({"role": "assistant", "content": ""})
        for piece in pieces(text):
            yield chunk({"content": piece})
            if self.fault == "malformed":  # one good piece, then garbage
                yield b'data: {"id": "chatcmpl-standin", "choices": [{"delta": \n\n'
                return
        yield chunk({}, "stop")
        if usage is not None:
            yield chunk({}, choices=False)
        yield b"data: [DONE]\n\n"


class OllamaStandin(_Standin):
    """Ollama server: ``POST /api/chat`` (NDJSON stream or one JSON), ``GET /api/tags``."""

    def __init__(self, reply: Reply = "OK", **kwargs) -> None:
        kwargs.setdefault("model", "qwen2.5:7b-instruct")
        super().__init__(reply, **kwargs)

    @property
    def base_url(self) -> str:
        return self.url

    def _handle(self, h: _Handler, method: str, path: str, body: dict) -> None:
        if method == "GET" and path == "/api/tags":
            self._faulty_or(h, lambda: h.send_json(200, self._tags()))
        elif method == "POST" and path == "/api/chat":
            stream = body.get("stream", True)  # Ollama streams unless told not to
            self._faulty_or(h, lambda: self._chat(h, body, stream), stream=stream)
        else:
            h.send_bytes(404, "text/plain", b"404 page not found")

    def _faulty_or(self, h: _Handler, ok: Callable[[], None], stream: bool = False) -> None:
        if self.fault == "http_error":
            h.send_json(self.status, {"error": self.error_message})
        elif self.fault == "hangup" and not stream:
            h.close_connection = True  # drop the request unanswered
        elif self.fault == "slow" or (self.fault == "stall" and not stream):
            self._sleep(self.delay_s)
        elif self.fault == "malformed" and not stream:
            h.send_bytes(200, "application/json", b'{"model": "x", "message": {"role": ')
        else:
            ok()

    def _tags(self) -> dict:
        models = [{"name": m, "model": m, "modified_at": _now(), "size": 4683087332,
                   "digest": "0" * 64,
                   "details": {"format": "gguf", "family": "qwen2", "parameter_size": "7.6B",
                               "quantization_level": "Q4_K_M"}}
                  for m in self.models]
        return {"models": models}

    def _chat(self, h: _Handler, body: dict, stream: bool) -> None:
        text = self._next_reply(body.get("messages", []))
        model = body.get("model", self.model)
        final = {"model": model, "created_at": _now(),
                 "message": {"role": "assistant", "content": "" if stream else text},
                 "done": True, "done_reason": "stop", "total_duration": 4_935_886_791,
                 "load_duration": 534_986_708, "prompt_eval_count": 26,
                 "prompt_eval_duration": 107_345_000, "eval_count": len(text),
                 "eval_duration": 4_289_432_000}
        if not stream:
            h.send_json(200, final)
            return
        h.start_chunked("application/x-ndjson")
        self._stream(h, self._ndjson(model, text, final))

    def _ndjson(self, model: str, text: str, final: dict) -> Iterator[bytes]:
        def line(obj: dict) -> bytes:
            return (json.dumps(obj, ensure_ascii=False) + "\n").encode()

        for piece in pieces(text):
            yield line({"model": model, "created_at": _now(),
                        "message": {"role": "assistant", "content": piece}, "done": False})
            if self.fault == "malformed":
                yield b'{"model": "x", "message": {"role": \n'
                return
        yield line(final)


def _openai_error(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
