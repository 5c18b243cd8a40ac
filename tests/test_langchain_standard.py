"""LangChain's own conformance suite (``langchain-tests``) against the real retriever adapter."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from qa.lc_retriever import LangChainRetriever

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_retriever(real_assistant):
    return real_assistant.retriever


class TestRealRetriever(RetrieversIntegrationTests):
    """The five standard tests: ``k`` in the constructor and in ``invoke``, sync and async,
    and ``Document`` results."""

    @pytest.fixture(autouse=True)
    def _use_the_real_retriever(self, real_retriever):
        self._retriever = real_retriever

    @property
    def retriever_constructor(self) -> type[LangChainRetriever]:
        return LangChainRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"retriever": self._retriever}

    @property
    def retriever_query_example(self) -> str:
        return "G7サミットはどこで開催された？"


def test_invoke_keywords_override_k_and_mode(real_retriever):
    lc = real_retriever.as_langchain(k=5)
    docs = lc.invoke("EUの復興パッケージ", k=2, mode="bm25")
    assert [d.id for d in docs] == [h.id for h in real_retriever.search("EUの復興パッケージ", 2, "bm25")]
    assert [d.metadata["rank"] for d in docs] == [1, 2]
    assert set(docs[0].metadata) == {"id", "section", "title", "score", "start", "end", "rank"}
