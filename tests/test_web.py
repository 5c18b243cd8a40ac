"""The Gradio Blocks around a chat service, built without a browser or a model."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _config(service) -> dict:
    from qa import web

    return web.build_demo(service, lang="ja").get_config_file()


def test_thumbs_only_when_feedback_is_kept_and_one_k_limit(tmp_path):
    pytest.importorskip("gradio")
    from qa import web
    from qa.chat_service import MAX_K
    from qa.feedback import FeedbackLog

    def likes(config: dict) -> int:
        return sum(1 for d in config["dependencies"] for _, event in d["targets"] if event == "like")

    plain = ChatService(config=SimpleNamespace(llm="extractive"))
    kept = ChatService(config=SimpleNamespace(llm="extractive"), feedback=FeedbackLog(tmp_path))
    assert likes(_config(plain)) == 0 and likes(_config(kept)) == 1
    (slider,) = [c for c in _config(plain)["components"] if c.get("props", {}).get("elem_id") == "qa-k"]
    assert slider["props"]["maximum"] == MAX_K
    assert web.launch_options()["footer_links"] == []  # Gradio's footer would ignore the switch


def test_server_environment_keeps_gradio_events_from_importing_pyplot(monkeypatch):
    """Gradio wraps every event in a matplotlib backend switch; with the server's default
    backend it no longer imports pyplot on the first question (a user's own setting wins)."""
    pytest.importorskip("gradio")
    pytest.importorskip("matplotlib")
    from qa import web

    monkeypatch.setenv("MPLBACKEND", "TkAgg")
    web.server_environment()
    assert os.environ["MPLBACKEND"] == "TkAgg"
    monkeypatch.delenv("MPLBACKEND")
    web.server_environment()
    assert os.environ["MPLBACKEND"] == "agg"
    event = ("import sys\nfrom gradio.utils import MatplotlibBackendMananger\n"
             "with MatplotlibBackendMananger():\n    pass\n"
             "print('matplotlib' in sys.modules, 'matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", event], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "MPLBACKEND": "agg"})
    assert out.stdout.split() == ["True", "False"], out.stderr[-2000:]
