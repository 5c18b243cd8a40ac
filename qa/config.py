"""One frozen configuration, built from CLI flags and environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


@dataclass(frozen=True)
class Config:
    index_dir: Path
    corpus_dir: Path
    model: str | None = None  # None: QA_EMBED_MODEL or the bundled e5
    llm: str = "extractive"  # extractive | openai | ollama
    llm_model: str = ""
    llm_base_url: str = ""
    llm_timeout_s: float = 30.0

    @classmethod
    def from_env(cls, **overrides) -> Config:
        cfg = cls(
            index_dir=_env_path("QA_INDEX_DIR", PROJECT_ROOT / "index"),
            corpus_dir=_env_path("QA_CORPUS_DIR", PROJECT_ROOT / "corpus"),
            model=os.environ.get("QA_EMBED_MODEL") or None,
            llm=os.environ.get("QA_LLM", "extractive"),
            llm_model=os.environ.get("QA_LLM_MODEL", ""),
            llm_base_url=os.environ.get("QA_LLM_BASE_URL", ""),
            llm_timeout_s=float(os.environ.get("QA_LLM_TIMEOUT", "30")),
        )
        return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
