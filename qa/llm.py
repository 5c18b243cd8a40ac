"""LLM answering stage: LangChain chat models for an OpenAI-compatible server or Ollama.

Settings (from ``Config``), the client factory, calls and the reachability probe. The prompts
and reply parsing are in ``qa.prompts``; every client failure surfaces as one ``LLMError``
sentence that names the server (``qa.llm_errors``), so the CLI and UI can show it as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qa.config import LLM_BACKENDS, Config
from qa.errors import LLMError
from qa.llm_errors import PLACEHOLDER_KEY, llm_errors, secrets, to_llm_error
from qa.prompts import clean_condensed, condense_messages

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

DEFAULT_OPENAI_URL = "http://127.0.0.1:8000/v1"
DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_OLLAMA_MODEL = "qwen2.5:7b-instruct"
OLLAMA_NUM_CTX = 8192  # Ollama's small default context would silently cut the system prompt


@dataclass(frozen=True)
class LLMSettings:
    """Where and how to reach the LLM server; the constructors read the key only from env."""

    backend: str  # "openai" | "ollama"
    model: str
    base_url: str
    timeout_s: float = 30.0
    api_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.backend not in LLM_BACKENDS:
            raise LLMError(
                f"Unknown LLM backend {self.backend!r}: set QA_LLM to 'openai' or 'ollama'",
                "config",
            )
        if not self.model:
            raise LLMError(
                f"No model name is set for the LLM server at {self.base_url}: "
                "set QA_LLM_MODEL to a model it serves",
                "config",
                self.base_url,
            )
        if not self.timeout_s > 0:
            raise LLMError(f"The LLM timeout must be positive, not {self.timeout_s}", "config")

    @classmethod
    def from_config(cls, cfg: Config) -> LLMSettings:
        """Settings for ``cfg.llm``; URL and model fall back to the usual variables."""
        backend = cfg.llm
        if backend == "openai":
            url = cfg.llm_base_url or cfg.openai_base_url or DEFAULT_OPENAI_URL
            model = cfg.llm_model
        elif backend == "ollama":
            host = cfg.llm_base_url or cfg.ollama_host or DEFAULT_OLLAMA_URL
            url = _ollama_url(host)
            model = cfg.llm_model or DEFAULT_OLLAMA_MODEL
        else:
            raise LLMError(
                f"QA_LLM is {backend!r}, which is not an LLM server: use 'openai' or 'ollama'",
                "config",
            )
        return cls(backend, model, url.rstrip("/"), cfg.llm_timeout_s,
                   cfg.api_key if backend == "openai" else "")

    @classmethod
    def from_env(cls) -> LLMSettings:
        """Settings from QA_LLM, QA_LLM_MODEL, QA_LLM_BASE_URL, QA_LLM_TIMEOUT and the key."""
        return cls.from_config(Config.from_env())


def _ollama_url(host: str) -> str:
    """OLLAMA_HOST may be ``host``, ``host:port`` or a URL; the clients need a URL."""
    host = host.strip().rstrip("/")
    if "://" in host:
        return host  # a URL keeps its scheme's default port, as the ollama client does
    if not re.search(r":\d+$", host):
        host += ":11434"
    return "http://" + host


def make_chat_model(settings: LLMSettings, streaming: bool = False) -> BaseChatModel:
    """The LangChain chat model for ``settings`` (no network traffic until it is called).

    ``streaming=True`` makes even ``invoke()`` stream (OpenAI backend); ``stream()``
    streams either way. ChatOllama always streams from the server.
    """
    if settings.backend == "openai":
        from langchain_openai import ChatOpenAI

        # An explicit streaming=False would make langchain-core refuse to stream even in
        # .stream(); leaving it unset lets invoke() ask for JSON and stream() for SSE.
        extra = {"streaming": True} if streaming else {}
        return ChatOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or PLACEHOLDER_KEY,
            model=settings.model,
            timeout=settings.timeout_s,
            max_retries=0,  # a retry would double the wait before the user sees the error
            temperature=0,
            # vLLM, llama.cpp and LM Studio only speak Chat Completions; never let a model
            # name route the call to the Responses API.
            use_responses_api=False,
            **extra,
        )
    from langchain_ollama import ChatOllama

    return ChatOllama(
        base_url=settings.base_url,
        model=settings.model,
        temperature=0,
        num_ctx=OLLAMA_NUM_CTX,
        client_kwargs={"timeout": settings.timeout_s},
    )


def condense_question(
    chat_model: BaseChatModel,
    question: str,
    history: list[tuple[str, str]] | None,
    language: str,
) -> str:
    """A standalone version of a follow-up question; the question itself when unsure."""
    if not history:
        return question  # nothing to resolve: save a round trip
    raw = answer(chat_model, condense_messages(question, history, language))
    return clean_condensed(raw, question, language)


def answer(chat_model: BaseChatModel, messages: list[BaseMessage]) -> str:
    """The model's whole reply to ``messages``; failures raise ``LLMError``."""
    with llm_errors(chat_model):
        reply = chat_model.invoke(messages)
    return (reply.text if hasattr(reply, "text") else str(reply)).strip()


def stream_answer(chat_model: BaseChatModel, messages: list[BaseMessage]) -> Iterator[str]:
    """Yield the reply's text pieces as the server sends them; failures raise ``LLMError``."""
    with llm_errors(chat_model):
        for chunk in chat_model.stream(messages):
            piece = chunk.text if hasattr(chunk, "text") else str(chunk)
            if piece:
                yield piece


def probe(settings: LLMSettings, timeout_s: float = 2.0) -> tuple[bool, str]:
    """Whether the server answers its model list quickly; never raises."""
    import httpx

    openai = settings.backend == "openai"
    url = settings.base_url + ("/models" if openai else "/api/tags")
    # The same key the chat model sends, so a server requiring one answers the probe.
    key = settings.api_key or PLACEHOLDER_KEY
    headers = {"Authorization": f"Bearer {key}"} if openai else {}
    where = f"LLM server at {settings.base_url}"
    try:
        resp = httpx.get(url, headers=headers, timeout=timeout_s)
        resp.raise_for_status()
        body = resp.json()
        names = [m.get("id") for m in body["data"]] if openai \
            else [m.get("name") for m in body["models"]]
    except Exception as exc:  # noqa: BLE001 - the UI wants a sentence, not a traceback
        err = to_llm_error(exc, settings.base_url, timeout_s, secrets(settings.api_key))
        return False, str(err)
    if _has_model(names, settings.model, ollama=not openai):
        return True, f"{where} is reachable and serves {settings.model}."
    if openai:  # llama.cpp and some proxies answer for any model name
        return True, f"{where} is reachable but does not list model {settings.model}."
    return False, f"{where} has no model {settings.model}: run `ollama pull {settings.model}`."


def _has_model(names: list[Any], model: str, ollama: bool) -> bool:
    wanted = {model, f"{model}:latest"} if ollama and ":" not in model else {model}
    return any(n in wanted for n in names)
