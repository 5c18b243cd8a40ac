"""LangChain adapter: a ``BaseRetriever`` that maps hits to ``Document``s."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class LangChainRetriever(BaseRetriever):
    retriever: Any
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun
                                ) -> list[Document]:
        return [
            Document(page_content=h.text, id=h.id, metadata={
                "id": h.id, "section": h.section, "title": h.title, "score": h.score,
                "start": h.start, "end": h.end, "rank": h.rank,
            })
            for h in self.retriever.search(query, k=self.k, mode=self.mode)
        ]
