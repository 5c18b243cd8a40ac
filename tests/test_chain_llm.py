"""The answering chain with an LLM backend, against a local OpenAI-compatible stand-in."""

from __future__ import annotations

import pytest
from llm_standins import OpenAIStandin, closed_port_url
from support import never_abstaining

from qa.answer_model import load_model
from qa.answer_texts import NO_ANSWER
from qa.chain import Assistant
from qa.config import Config
from qa.retrieving import Retriever

QUESTION = "電子商取引の交渉には何か国が参加していますか？"


@pytest.fixture
def make_assistant(tiny_index, tiny_corpus, fake_embedder, monkeypatch):
    for name in ("QA_LLM_API_KEY", "OPENAI_API_KEY", "QA_LLM", "QA_LLM_MODEL", "QA_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def make(base_url: str, timeout_s: float = 2.0, never_abstain: bool = True) -> Assistant:
        retriever = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
        cfg = Config.from_env(index_dir=tiny_index, corpus_dir=tiny_corpus, llm="openai",
                              llm_model="standin-model", llm_base_url=base_url, llm_timeout_s=timeout_s)
        model = load_model()
        if never_abstain:  # the fake embedder's cosines are not calibrated like e5's
            model = never_abstaining(model)
        return Assistant(retriever, "openai", cfg, model=model)

    return make


def test_llm_answer_streams_and_its_quote_is_verified(make_assistant, tiny_corpus):
    reply = "電子商取引に関する交渉には「86か国が参加」しています[1]。"
    with OpenAIStandin(reply) as server:
        items = list(make_assistant(server.base_url).stream(QUESTION))
        prompt = server.last_messages[-1]["content"]
    answer = items[-1]
    assert "".join(i for i in items[:-1] if isinstance(i, str)) == reply
    assert answer.backend == "openai" and not answer.abstained and answer.answer == reply
    source = (tiny_corpus / "deck.txt").read_text(encoding="utf-8")
    assert answer.citations and all(source[c.start:c.end] == c.quote for c in answer.citations)
    assert "86か国が参加" in answer.citations[0].quote
    assert QUESTION in prompt and '<passage n="1"' in prompt


def test_llm_saying_not_covered_is_an_abstention(make_assistant):
    with OpenAIStandin(NO_ANSWER["ja"]) as server:
        answer = make_assistant(server.base_url).ask(QUESTION)
    assert answer.abstained and answer.answer == NO_ANSWER["ja"]
    assert answer.passages and not answer.citations


def test_llm_answer_without_checkable_citation_is_flagged_unsupported(make_assistant):
    with OpenAIStandin("火星には86の基地がある。") as server:  # no [n]: nothing to check
        answer = make_assistant(server.base_url).ask(QUESTION)
    assert answer.answer.startswith("[Unsupported") and not answer.citations
    assert "unsupported" in answer.notice


def test_dead_server_gives_a_clear_notice_and_the_offline_answer(make_assistant):
    answer = make_assistant(closed_port_url()).ask(QUESTION)
    assert answer.backend == "extractive" and "refused the connection" in answer.notice
    assert "Showing the offline extractive answer instead." in answer.notice


def test_slow_server_times_out_within_the_limit(make_assistant):
    with OpenAIStandin("late", fault="slow", delay_s=5) as server:
        answer = make_assistant(server.base_url, timeout_s=1.0).ask(QUESTION)
    assert answer.backend == "extractive" and "did not answer within 1 s" in answer.notice


def test_low_retrieval_confidence_abstains_without_calling_the_server(make_assistant):
    with OpenAIStandin("should not be asked") as server:
        answer = make_assistant(server.base_url, never_abstain=False).ask("源氏物語の作者は誰ですか。")
        assert server.chat_requests == []
    assert answer.abstained
