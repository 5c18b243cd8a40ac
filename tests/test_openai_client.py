"""The OpenAI-compatible routes through the official ``openai`` SDK against the running server:
plain and streamed completions in Japanese and English with verbatim citations, the models
list, 4xx errors, and the bearer token (``QA_API_KEY``)."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from api_clients import G7_EN, G7_JA, assert_verbatim, source_text
from support import running_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source() -> str:
    return source_text()


@pytest.fixture(scope="module")
def client(app_url):
    from openai import OpenAI

    return OpenAI(base_url=app_url + "v1", api_key="unused-on-loopback", max_retries=0, timeout=120)


def extra(obj, name: str):
    return (obj.model_extra or {})[name]


def test_models_are_the_answerers(client):
    assert [m.id for m in client.models.list()] == ["extractive"]


@pytest.mark.parametrize(("question", "language"), [(G7_JA, "ja"), (G7_EN, "en")])
def test_completion_has_markers_and_verbatim_citations(client, source, question, language):
    out = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": question}])
    text = out.choices[0].message.content
    citations, qa = extra(out, "citations"), extra(out, "qa")
    assert out.choices[0].finish_reason == "stop" and out.model == "extractive"
    assert "[1]" in text and qa["language"] == language and qa["abstained"] is False
    assert qa["question"] == question and qa["answer"] == text
    assert any("コーンウォール" in c["quote"] for c in citations)
    assert_verbatim(citations, source)


@pytest.mark.parametrize(("question", "language"), [(G7_JA, "ja"), (G7_EN, "en")])
def test_streamed_completion_ends_with_the_citations(client, source, question, language):
    stream = client.chat.completions.create(model="extractive", stream=True,
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "system", "content": "Answer briefly."},
                                                      {"role": "user", "content": question}])
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(pieces) >= 2 and len(final) == 1
    qa = extra(final[0], "qa")
    assert "".join(pieces) == qa["answer"] and qa["language"] == language and "[1]" in qa["answer"]
    assert_verbatim(extra(final[0], "citations"), source)
    assert chunks[-1].usage is not None


def test_follow_up_uses_the_history(client):
    first = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": G7_JA}])
    follow = client.chat.completions.create(model="extractive", extra_body={"k": 3}, messages=[
        {"role": "user", "content": G7_JA},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "それはいつ？"}])
    assert not extra(follow, "qa")["abstained"] and len(extra(follow, "qa")["passages"]) == 3
    assert any(c["section"] == "Ⅱ-2" for c in extra(follow, "citations"))


def test_bad_requests_get_clear_4xx(client, app_url):
    import openai

    user = [{"role": "user", "content": G7_JA}]
    with pytest.raises(openai.NotFoundError, match="unknown model 'gpt-4o'"):
        client.chat.completions.create(model="gpt-4o", messages=user)
    with pytest.raises(openai.BadRequestError, match="messages is required"):
        client.chat.completions.create(model="extractive", messages=[])
    with pytest.raises(openai.BadRequestError, match="question is empty"):
        client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": "   "}])
    with pytest.raises(openai.BadRequestError, match="question is empty"):
        client.chat.completions.create(model="extractive", stream=True,
                                       messages=[{"role": "user", "content": ""}])
    with pytest.raises(openai.BadRequestError, match="unknown mode"):
        client.chat.completions.create(model="extractive", messages=user, extra_body={"mode": "fuzzy"})
    url = app_url + "v1/chat/completions"
    bad_json = httpx.post(url, content=b'{"model": "extractive", "messages": [', timeout=30)
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    huge = httpx.post(url, content=b"x" * (600 * 1024), timeout=30)
    assert huge.status_code == 413 and "larger than" in huge.json()["error"]["message"]
    assert httpx.get(url, timeout=30).status_code == 405
    assert "Traceback" not in bad_json.text + huge.text


def test_qa_api_key_is_required_when_set(real_assistant, monkeypatch):
    import openai

    from qa.chat_service import ChatService
    from qa.config import Config

    monkeypatch.setenv("QA_API_KEY", "s3cret")
    config = replace(real_assistant.config, server_key=Config.from_env().server_key)
    service = ChatService(assistant=real_assistant, config=config)
    with running_app(service) as url:
        anonymous = openai.OpenAI(base_url=url + "v1", api_key="wrong", max_retries=0, timeout=60)
        with pytest.raises(openai.AuthenticationError, match="API key"):
            anonymous.chat.completions.create(model="extractive",
                                              messages=[{"role": "user", "content": G7_EN}])
        no_header = httpx.get(url + "v1/models", timeout=30)
        assert no_header.status_code == 401 and no_header.headers["www-authenticate"] == "Bearer"
        assert httpx.post(url + "mcp", json={}, timeout=30).status_code == 401
        keyed = openai.OpenAI(base_url=url + "v1", api_key="s3cret", max_retries=0, timeout=60)
        out = keyed.chat.completions.create(model="extractive", messages=[{"role": "user", "content": G7_EN}])
        assert extra(out, "citations")
