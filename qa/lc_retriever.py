"""LangChain adapter: a ``BaseRetriever`` that maps hits to ``Document``s.

``invoke(query, k=3, mode="bm25")`` overrides the adapter's own ``k`` and ``mode`` for one call.
Each ``Document`` has ``id`` = the passage id and ``page_content`` = the verbatim passage text;
its metadata holds ``id``, ``section``, ``title``, ``score``, ``start``, ``end`` (character
offsets into the source file) and ``rank`` (1-based).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class LangChainRetriever(BaseRetriever):
    retriever: Any
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        k = kwargs.get("k", self.k)
        mode = kwargs.get("mode", self.mode)
        return [
            Document(page_content=h.text, id=h.id, metadata={
                "id": h.id, "section": h.section, "title": h.title, "score": h.score,
                "start": h.start, "end": h.end, "rank": h.rank,
            })
            for h in self.retriever.search(query, k=k, mode=mode)
        ]
