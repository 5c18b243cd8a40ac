"""The LangChain-tutorial baseline that ``qa bench`` compares the project against.

Recursive character chunks (Japanese-aware separators, chunk size matched to the project's
mean passage length, 10% overlap), the same embedding model behind a LangChain ``Embeddings``
adapter, and an in-memory ``langchain_community`` FAISS store. Nothing is pickled.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence

JA_SEPARATORS = ["\n\n", "\n", "。", ""]
OVERLAP_SHARE = 0.10


def baseline_splitter(chunk_size: int):
    """A tutorial splitter with Japanese-aware separators; ``。`` stays at the sentence end."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=round(chunk_size * OVERLAP_SHARE),
        separators=JA_SEPARATORS, keep_separator="end", add_start_index=True,
    )


def split_corpus(texts: dict[str, str], chunk_size: int) -> list:
    """LangChain ``Document``s of every corpus file (metadata: source, start_index)."""
    names = list(texts)
    splitter = baseline_splitter(chunk_size)
    return splitter.create_documents([texts[n] for n in names], [{"source": n} for n in names])


def mean_chars(chunks: Sequence[str]) -> float:
    return statistics.fmean(len(c) for c in chunks) if chunks else 0.0


def match_chunk_size(texts: dict[str, str], target_mean: float, tolerance: float = 0.05
                     ) -> tuple[int, float]:
    """The chunk_size whose mean chunk length is closest to ``target_mean``.

    Bisection (the mean grows with chunk_size, though not strictly), then a scan of the
    neighbourhood when the bisection lands outside ``tolerance``.
    """
    cache: dict[int, float] = {}

    def mean_for(size: int) -> float:
        if size not in cache:
            cache[size] = mean_chars([d.page_content for d in split_corpus(texts, size)])
        return cache[size]

    lo, hi = max(2, int(target_mean / 4)), max(4, int(target_mean * 4))
    while lo < hi:
        mid = (lo + hi) // 2
        if mean_for(mid) < target_mean:
            lo = mid + 1
        else:
            hi = mid
    for size in (lo - 1, lo, lo + 1):
        if size >= 2:
            mean_for(size)
    best = min(cache, key=lambda s: abs(cache[s] - target_mean))
    if abs(cache[best] - target_mean) > tolerance * target_mean:
        for size in range(max(2, int(best * 0.8)), int(best * 1.2) + 2):
            mean_for(size)
        best = min(cache, key=lambda s: abs(cache[s] - target_mean))
    return best, cache[best]


def langchain_embeddings(embedder):
    """Our embedder as a LangChain ``Embeddings`` (it adds the query:/passage: prefixes)."""
    from langchain_core.embeddings import Embeddings

    class ProjectEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.encode_passages(list(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.encode_queries([text])[0].tolist()

    return ProjectEmbeddings()


def build_baseline(texts: dict[str, str], chunk_size: int, embeddings):
    """(in-memory LangChain FAISS store, its chunks)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community is sunsetting
        from langchain_community.vectorstores import FAISS

    docs = split_corpus(texts, chunk_size)
    return FAISS.from_documents(docs, embeddings), docs


def baseline_bytes(store, docs: Sequence) -> int:
    """What the baseline would take on disk without pickle: FAISS bytes + chunks as JSONL."""
    import faiss

    text = "".join(json.dumps({"text": d.page_content, **d.metadata}, ensure_ascii=False) + "\n"
                   for d in docs)
    return int(faiss.serialize_index(store.index).nbytes) + len(text.encode("utf-8"))
