"""The OpenAI wire format without a server: request checks, replies, the streamed events; and
the access rule (loopback, QA_API_KEY) and MCP section lookup."""

from __future__ import annotations

import json

import pytest

from qa import openai_api as oa
from qa.api_routes import access_for, check_access
from qa.errors import LLMError, LoadError, SectionError
from qa.mcp_server import ask_result, find_section

MODELS = ["extractive", "openai"]
ANSWER = {"question": "G7は？", "language": "ja", "answer": "「コーンウォール」[1]", "abstained": False,
          "citations": [{"n": 1, "id": "Ⅱ-2#3", "section": "Ⅱ-2", "title": "EUの動向",
                         "quote": "コーンウォール", "start": 10, "end": 17}],
          "passages": [], "timings": {}, "backend": "extractive", "notice": ""}


def body(**fields) -> bytes:
    return json.dumps({"model": "extractive", "messages": [{"role": "user", "content": "G7は？"}],
                       **fields}).encode()


def status(raw: bytes) -> tuple[int, str]:
    with pytest.raises(oa.ApiError) as info:
        oa.parse_request(raw, MODELS)
    return info.value.status, info.value.message


def test_a_chat_request_keeps_question_history_and_options():
    messages = [{"role": "system", "content": "be brief"},
                {"role": "user", "content": "G7サミットはどこ？"},
                {"role": "assistant", "content": "英国 [1]"},
                {"role": "user", "content": [{"type": "text", "text": "それはいつ？"}]}]
    req = oa.parse_request(body(messages=messages, stream=True, stream_options={"include_usage": True},
                                k=3, mode="bm25", temperature=0.2), MODELS)
    assert (req.model, req.question, req.stream, req.include_usage, req.k, req.mode) == \
        ("extractive", "それはいつ？", True, True, 3, "bm25")
    assert req.history == (("G7サミットはどこ？", "英国 [1]"),)


@pytest.mark.parametrize(("raw", "code", "says"), [
    (b"{not json", 400, "not valid JSON"),
    (b"\xff\xfe", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(), 400, "model is required"),
    (body(model="gpt-9"), 404, "unknown model 'gpt-9'"),
    (body(messages=[]), 400, "messages is required"),
    (body(messages="hello"), 400, "messages is required"),
    (body(messages=[{"content": "no role"}]), 400, "role"),
    (body(messages=[{"role": "assistant", "content": "hi"}]), 400, "last message must be the user's"),
    (body(messages=[{"role": "user", "content": " \u200b "}]), 400, "question is empty"),
    (body(stream="yes"), 400, "stream must be"),
    (b" " * (oa.MAX_BODY_BYTES + 1), 413, "larger than"),
])
def test_bad_requests_get_a_4xx_that_says_what_is_wrong(raw, code, says):
    got, message = status(raw)
    assert got == code and says in message


def test_user_errors_map_to_status_codes():
    assert oa.from_user_error(LoadError("still loading")).status == 503
    assert oa.from_user_error(LLMError("server down")).status == 502
    assert oa.from_user_error(SectionError("unknown section")).status == 400


def test_completion_carries_markers_and_citations_in_documented_fields():
    out = oa.completion_body(ANSWER, "extractive", "chatcmpl-1", 1)
    assert out["choices"][0]["message"]["content"] == "「コーンウォール」[1]"
    assert out["citations"] == ANSWER["citations"]
    assert out["qa"]["abstained"] is False and "citations" not in out["qa"]


def events(items, include_usage=False) -> list:
    out = []
    for event in oa.stream_events(items, "extractive", "c", 1, include_usage):
        assert event.startswith("data: ") and event.endswith("\n\n")
        data = event[6:-2]
        out.append(data if data == "[DONE]" else json.loads(data))
    return out


def test_stream_sends_role_pieces_then_stop_with_citations_then_done():
    got = events(["「コーンウ", "ォール」[1]", ANSWER], include_usage=True)
    assert got[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in got[:-1] if e.get("choices"))
    assert text == ANSWER["answer"]
    stop = [e for e in got[:-1] if e.get("choices") and e["choices"][0]["finish_reason"] == "stop"]
    assert len(stop) == 1 and stop[0]["citations"] == ANSWER["citations"]
    assert got[-2]["usage"] == oa.usage() and got[-1] == "[DONE]"


def test_stream_adds_the_final_text_when_it_differs_from_what_was_streamed():
    got = events(["an LLM draft", {**ANSWER, "answer": "the offline answer"}])
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in got[:-1])
    assert text == "an LLM draft\n\nthe offline answer"


def test_loopback_needs_no_key_elsewhere_the_api_is_off_without_one():
    assert check_access(access_for("127.0.0.1", ""), None) is None
    off = check_access(access_for("0.0.0.0", ""), "Bearer anything")
    assert off.status == 403 and "QA_API_KEY" in off.message
    assert check_access(access_for("127.0.0.1", "", share=True), None).status == 403
    keyed = access_for("0.0.0.0", "s3cret")
    assert check_access(keyed, None).status == 401
    assert check_access(keyed, "Bearer wrong").status == 401
    assert check_access(keyed, "Bearer s3cret") is None


def test_sections_are_found_across_widths_and_numerals():
    sections = ["Ⅱ-2", "Ⅳ-3②", "Ⅶ-4⑥"]
    assert find_section("Ⅱ-2", sections) == "Ⅱ-2"
    assert find_section("II－2", sections) == "Ⅱ-2"
    with pytest.raises(SectionError, match="unknown section 'Ⅸ-9'"):
        find_section("Ⅸ-9", sections)


def test_ask_result_always_has_confidence():
    assert ask_result(ANSWER)["confidence"] is None
    assert ask_result({**ANSWER, "confidence": 0.8})["confidence"] == 0.8
    assert "passages" not in ask_result(ANSWER)


def test_building_the_mcp_server_leaves_the_apps_logging_alone(monkeypatch):
    import logging

    from qa.chat_service import ChatService
    from qa.mcp_server import build_server

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in `qa chat`: no handler, library DEBUG unseen
    level = root.level
    build_server(ChatService())
    assert root.handlers == [] and root.level == level
