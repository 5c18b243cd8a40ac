"""Bilingual retrieval-augmented QA over a Japanese trade-policy document."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Answer", "Assistant", "Citation", "Hit", "Passage", "Retriever", "__version__"]


def __getattr__(name: str):
    # Lazy re-exports keep `import qa` (and so `qa --help`) free of heavy imports.
    if name == "Retriever":
        from qa.retrieving import Retriever

        return Retriever
    if name == "Assistant":
        from qa.chain import Assistant

        return Assistant
    if name in {"Answer", "Citation", "Hit", "Passage"}:
        from qa import records

        return getattr(records, name)
    raise AttributeError(name)
