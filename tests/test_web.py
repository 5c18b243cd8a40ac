"""The Gradio Blocks around a chat service, built without a browser or a model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from qa.chat_service import ChatService


def test_demo_exposes_ask_and_search():
    pytest.importorskip("gradio")
    from qa import web

    service = ChatService(config=SimpleNamespace(llm="extractive"))  # still loading: no model needed
    demo = web.build_demo(service, lang="en")
    names = {d.get("api_name") for d in demo.get_config_file()["dependencies"]}
    assert {"ask", "search"} <= names
    config = str(demo.get_config_file()["components"])
    assert "Settings" in config and "Retrieval mode" in config
