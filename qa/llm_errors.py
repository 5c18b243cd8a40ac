"""LLM client failures as one ``LLMError`` sentence naming the server, with secrets redacted.

Works on the exception chain of any client (openai, httpx, ollama, langchain-core), whichever
of them is installed.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qa.config import Config
from qa.errors import LLMError

PLACEHOLDER_KEY = "not-needed"  # local servers accept any key; the client insists on one


def _types(*dotted: str) -> tuple[type, ...]:
    """Exception classes by dotted name, skipping clients that are not installed."""
    out = []
    for name in dotted:
        module, _, attr = name.rpartition(".")
        try:
            out.append(getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError):
            continue
    return tuple(out)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes (explicit or implicit), outermost first."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status(exc: BaseException) -> tuple[int, str] | None:
    """(HTTP status, server's message) when the server answered with an error status."""
    http_errors = _types("httpx.HTTPStatusError", "httpx2.HTTPStatusError")
    for e in _chain(exc):
        code = getattr(e, "status_code", None)  # openai.APIStatusError, ollama.ResponseError
        if isinstance(code, int) and code >= 400:
            text = getattr(e, "error", None) or getattr(e, "message", None) or str(e)
            return code, re.sub(r"^Error code: \d+ - ", "", str(text))
        if isinstance(e, http_errors):  # probe's own httpx call
            return e.response.status_code, _error_text(e.response)
    return None


def _error_text(response: Any) -> str:
    try:
        err = response.json().get("error", "")
        return str(err.get("message", err) if isinstance(err, dict) else err) or response.text
    except Exception:  # noqa: BLE001 - a non-JSON error page is shown as text
        return response.text


# What went wrong, by the exception classes found in the chain; the first row that
# matches wins, so timeouts beat the connection errors that wrap them.
_FAILURES = [
    ("timeout", "did not answer {within}",
     ("openai.APITimeoutError", "httpx.TimeoutException", "httpx2.TimeoutException",
      "langchain_core.exceptions.ModelTimeoutError", "builtins.TimeoutError")),
    ("refused", "refused the connection", ("builtins.ConnectionRefusedError",)),
    ("unreachable", "closed the connection before answering",
     ("httpx.RemoteProtocolError", "httpx2.RemoteProtocolError", "httpx.ReadError",
      "httpx2.ReadError")),
    ("unreachable", "could not be reached ({root})",
     ("openai.APIConnectionError", "httpx.TransportError", "httpx2.TransportError",
      "langchain_core.exceptions.ModelConnectionError", "builtins.ConnectionError")),
    # JSON errors are ValueErrors; a reply missing a field ends as Key/Type/AttributeError.
    ("malformed", "returned a malformed response",
     ("openai.APIResponseValidationError", "httpx.DecodingError", "httpx2.DecodingError",
      "builtins.ValueError", "builtins.KeyError", "builtins.IndexError", "builtins.TypeError",
      "builtins.AttributeError")),
    ("http", "reported an error: {exc}", ("ollama.ResponseError",)),  # inside a stream
]


def to_llm_error(
    exc: BaseException, url: str, timeout_s: float | None, secrets: list[str]
) -> LLMError:
    """One sentence naming the server and what went wrong."""
    where = f"LLM server at {url}"
    chain = _chain(exc)
    if (status := _status(exc)) is not None:
        code, text = status
        msg = f"{where} returned HTTP {code}: {_short(text) or 'no message'}"
        return LLMError(_redact(msg, secrets), "http", url)
    for kind, template, names in _FAILURES:
        if any(isinstance(e, _types(*names)) for e in chain):
            what = template.format(
                within=f"within {timeout_s:g} s" if timeout_s else "in time",
                root=_short(chain[-1], 120),
                exc=_short(exc),
            )
            return LLMError(_redact(f"{where} {what}", secrets), kind, url)
    msg = f"{where} failed: {type(exc).__name__}: {_short(exc)}"
    return LLMError(_redact(msg, secrets), "failed", url)


_BEARER = re.compile(r"(Bearer\s+)\S+|\bsk-[A-Za-z0-9_\-]{6,}", re.IGNORECASE)


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if len(secret) >= 6:
            text = text.replace(secret, "***")
    return _BEARER.sub(lambda m: (m.group(1) or "sk-") + "***", text)


def secrets(*extra: str) -> list[str]:
    """Values never to show: ``extra`` and the API keys in the environment."""
    return [s for s in (*extra, *Config.from_env().secrets) if s and s != PLACEHOLDER_KEY]


def _model_facts(chat_model: Any) -> tuple[str, float | None, list[str]]:
    """(server URL, timeout in seconds, secrets to redact) of a ChatOpenAI or ChatOllama."""
    url = getattr(chat_model, "openai_api_base", None) or getattr(chat_model, "base_url", None)
    timeout = getattr(chat_model, "request_timeout", None)
    if timeout is None:
        timeout = (getattr(chat_model, "client_kwargs", None) or {}).get("timeout")
    key = getattr(chat_model, "openai_api_key", None)
    key = key.get_secret_value() if hasattr(key, "get_secret_value") else ""
    timeout = timeout if isinstance(timeout, int | float) else None
    return str(url or "(unknown URL)"), timeout, secrets(key)


@contextmanager
def llm_errors(chat_model: Any) -> Iterator[None]:
    """Re-raise any client failure as an ``LLMError`` sentence."""
    try:
        yield
    except LLMError:
        raise
    except Exception as exc:
        url, timeout, secrets = _model_facts(chat_model)
        raise to_llm_error(exc, url, timeout, secrets) from exc
