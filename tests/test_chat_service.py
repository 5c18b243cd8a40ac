"""The chat service: streaming chat function, API handlers, loading and answerers, with a
deterministic fake assistant (no model, no browser)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from qa.answer_texts import NO_ANSWER
from qa.chat_service import ChatService, history_pairs
from qa.errors import IndexLoadError, LoadError, QuestionError
from qa.records import Answer, Citation, Hit, Passage
from qa.render import plain_answer, render_answer, user_html
from qa.ui_text import TEXT, browser_language, labels, mode_choices, ui_language


def _passages() -> list[Passage]:
    texts = [
        ("Ⅱ-2#1", "Ⅱ-2", "EUの動向", "• 復興と次世代への準備のための7,500億\nユーロの対策パッケージを策定。"),
        ("Ⅱ-2#2", "Ⅱ-2", "EUの動向", "G7サミット：6月11日～13日＠コーンウォール\nCOP26：11月＠グラスゴー"),
        ("Ⅴ-3#1", "Ⅴ-3", "デジタル <b>課題</b>", "データ流通 <img src=x onerror=alert(1)> & 信頼性の確保。"),
    ]
    out, pos = [], 0
    for pid, section, title, text in texts:
        out.append(Passage(pid, section, title, text, pos, pos + len(text), "deck.txt"))
        pos += len(text) + 2
    return out


class FakeRetriever:
    def __init__(self):
        self.passages = _passages()
        self.by_id = {p.id: p for p in self.passages}

    def section_passages(self, section: str) -> list[Passage]:
        return [p for p in self.passages if p.section == section]

    def hits(self, ids: list[str]) -> list[Hit]:
        return [Hit(p.id, p.section, p.title, p.text, 0.05 - r / 100, p.start, p.end, r)
                for r, p in enumerate((self.by_id[i] for i in ids), start=1)]

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        return self.hits(["Ⅱ-2#2", "Ⅱ-2#1", "Ⅴ-3#1"])[:k]


class FakeAssistant:
    """Answers G7 questions with a citation of Ⅱ-2#2, abstains on anything else; streams in
    4-character pieces and records the history it was given."""

    backend = "extractive"
    k, mode = 5, "hybrid"

    def __init__(self):
        self.retriever = FakeRetriever()
        self.config = SimpleNamespace(llm="extractive")
        self.calls: list[dict] = []

    def _answer(self, question: str) -> Answer:
        language = "en" if question.isascii() else "ja"
        if "G7" not in question:
            hits = self.retriever.hits(["Ⅴ-3#1", "Ⅱ-2#1"])
            return Answer(question, language, NO_ANSWER[language], True, [], hits, {"total_ms": 12.0})
        p = self.retriever.by_id["Ⅱ-2#2"]
        a = p.text.index("コーンウォール")
        quote = p.text[:a + len("コーンウォール")]
        cite = Citation(1, p.id, p.section, p.title, quote, p.start, p.start + len(quote))
        text = f"資料によると、「{quote}」[1]。"
        hits = self.retriever.hits(["Ⅱ-2#2", "Ⅱ-2#1"])
        return Answer(question, language, text, False, [cite], hits, {"total_ms": 34.0})

    def stream(self, question, history=None, k=None, mode=None):
        if not question.strip():
            raise QuestionError("the question is empty")
        self.calls.append({"question": question, "history": history, "k": k, "mode": mode})
        answer = self._answer(question)
        for i in range(0, len(answer.answer), 4):
            yield answer.answer[i:i + 4]
        yield answer

    def ask(self, question, history=None, k=None, mode=None):
        return [x for x in self.stream(question, history, k, mode) if isinstance(x, Answer)][0]


@pytest.fixture
def assistant() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def service(assistant) -> ChatService:
    return ChatService(assistant=assistant)


def chat(service, question, history=(), lang="日本語", mode="hybrid", k=5, answerer="extractive"):
    return list(service.respond(question, list(history), lang, mode, k, answerer))


def test_answer_streams_in_pieces_then_shows_citations(service):
    messages = chat(service, "G7サミットはどこで開催された？")
    streamed = [m for m in messages if "qa-answer" in m and "qa-sources" not in m]
    assert len(streamed) >= 4  # the answer grows piece by piece
    texts = [plain_answer(m) for m in streamed]
    assert all(b.startswith(a) for a, b in zip(texts, texts[1:]))
    final = messages[-1]
    assert "コーンウォール" in plain_answer(final) and '<span class="qa-ref">[1]</span>' in final
    assert "<mark>G7サミット：6月11日～13日＠コーンウォール</mark>" in final  # the quote, line break folded
    assert "Ⅱ-2" in final and "EUの動向" in final
    assert "順位 1" in final and "スコア 0.0400" in final  # rank and score of the cited passage
    assert "出典" in final


def test_citation_opens_the_whole_slide_in_order(service):
    final = chat(service, "G7サミットはどこで開催された？")[-1]
    slide = final[final.index('<details class="qa-open">'):]
    assert "スライド全体を開く" in slide and "2 箇所" in slide
    first, second = slide.index("7,500億"), slide.index("グラスゴー")
    assert first < second  # all passages of Ⅱ-2, in document order
    assert '<p class="qa-slide-p qa-cited">' in slide and "<mark>" in slide


def test_abstention_is_shown_with_the_closest_passages(service):
    final = chat(service, "日本の首相の好きな食べ物は？")[-1]
    assert NO_ANSWER["ja"] in final
    assert '<span class="qa-badge">記載なし</span>' in final
    assert "最も近い箇所" in final and "Ⅴ-3" in final and "Ⅱ-2" in final
    assert "<mark>" not in final.split('<details')[0]  # nothing is quoted as support
    english = chat(service, "What is the capital of France?", lang="English")[-1]
    assert NO_ANSWER["en"] in english
    assert "Not covered" in english and "Closest passages" in english


def test_document_text_and_questions_are_escaped(service, assistant):
    abstained = chat(service, "<script>alert(1)</script>")[-1]
    assert "<script" not in abstained and "<img" not in abstained and "<b>課題" not in abstained
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; 信頼性" in abstained
    assert "デジタル &lt;b&gt;課題&lt;/b&gt;" in abstained
    text = "<b>bold</b> [1]\r\n\r\n# not a heading"
    echoed = render_answer(Answer("q", "en", text, False, [], [], {}), "en")
    assert "&lt;b&gt;bold&lt;/b&gt;" in echoed and "<b>bold" not in echoed
    assert "\n\n" not in echoed and "\r" not in echoed  # one HTML block: Markdown cannot take over


def test_ui_language_switch_changes_labels(service):
    assert labels("日本語")["settings"] == "設定" and labels("English")["settings"] == "Settings"
    assert ui_language("English") == "en" and ui_language("日本語") == "ja"
    assert mode_choices("English")[0] == ("Hybrid", "hybrid")
    assert set(TEXT["ja"]) == set(TEXT["en"])  # every label exists in both languages
    final = chat(service, "G7サミットはどこで開催された？", lang="English")[-1]
    assert "Sources" in final and "rank 1" in final and "Open the whole slide" in final
    assert "出典" not in final
    assert "Ready" in service.status("English") and "準備完了" in service.status("日本語")


def test_follow_up_gets_the_plain_history(service, assistant):
    first = chat(service, "G7サミットはどこで開催された？")[-1]
    history = [  # as Gradio 6 passes it: content is a list of typed parts
        {"role": "user", "content": [{"type": "text", "text": "G7サミットはどこで開催された？"}]},
        {"role": "assistant", "content": [{"type": "text", "text": first}], "metadata": None},
    ]
    chat(service, "それはいつ？ G7", history)
    (question, answer), = assistant.calls[-1]["history"]
    assert question == "G7サミットはどこで開催された？"
    assert answer.startswith("資料によると") and "<" not in answer and "出典" not in answer


def test_settings_are_passed_and_checked(service, assistant):
    chat(service, "G7?", mode="bm25", k=3.0)
    assert assistant.calls[-1]["mode"] == "bm25" and assistant.calls[-1]["k"] == 3
    assert "k must be between 1 and 10" in chat(service, "G7?", k=11)[-1]  # the slider's limit
    assert "unknown mode" in chat(service, "G7?", mode="magic")[-1]
    assert "unknown answerer" in chat(service, "G7?", answerer="gpt")[-1]
    assert "&#x27;ollama&#x27; is not configured here" in chat(service, "G7?", answerer="ollama")[-1]
    assert "質問を入力してください" in chat(service, "   ")[-1]
    assert "Please type a question." in chat(service, "   ", lang="English")[-1]


def test_questions_wait_for_the_model_with_a_progress_message(assistant):
    release = threading.Event()

    def loader(report):
        report("warm", "")
        release.wait(5)
        return assistant

    service = ChatService(loader).start()
    messages = service.respond("G7サミットはどこで開催された？", [], "日本語", "hybrid", 5, None)
    first = next(messages)
    assert "準備中です" in first and "埋め込みモデルを読み込み中" in first
    assert "準備中" in service.status("日本語")
    release.set()
    assert "<mark>" in list(messages)[-1]
    assert service.ready and "準備完了" in service.status("日本語")


def test_failed_load_is_reported(assistant):
    def loader(report):
        raise IndexLoadError("index folder is missing: run `qa index`")

    service = ChatService(loader).start(background=False)
    assert "index folder is missing" in service.status("English")
    assert "index folder is missing" in list(service.respond("G7?", [], "English"))[-1]
    with pytest.raises(LoadError):
        service.ask("G7?")


def test_a_bug_while_loading_shows_a_generic_message(assistant, capsys):
    def loader(report):
        raise KeyError("passages")  # not a user error: a bug

    service = ChatService(loader).start(background=False)
    assert "internal error" in service.status("English") and "passages" not in service.status("English")
    assert "KeyError: 'passages'" in capsys.readouterr().err  # the terminal gets the traceback


def test_api_handlers_return_json_dicts(service):
    answer = service.ask("G7サミットはどこで開催された？", k=3, mode="dense")
    assert set(answer) >= {"question", "language", "answer", "abstained", "citations", "passages"}
    assert answer["citations"][0]["section"] == "Ⅱ-2"
    hits = service.search("G7", k=2)
    assert [h["rank"] for h in hits] == [1, 2] and hits[0]["id"] == "Ⅱ-2#2"


def test_answerers_and_probe_status(assistant):
    plain = ChatService(assistant=assistant)
    assert plain.answerers() == ["extractive"]
    assert "抽出型" in plain.answerer_status("extractive", "日本語")
    calls = []

    def probe(config, backend):
        calls.append(backend)
        return False, "LLM server at http://127.0.0.1:9/v1 refused the connection"

    made = []
    llm = ChatService(assistant=assistant, config=SimpleNamespace(llm="openai"), probe=probe,
                         make_variant=lambda base, backend: made.append(backend) or base)
    assert llm.answerers() == ["extractive", "openai"] and llm.default_answerer() == "openai"
    status = llm.answerer_status("openai", "English")
    assert "refused" in status and "extractive answerer" in status
    llm.answerer_status("openai", "日本語")
    assert calls == ["openai"]  # the probe result is cached for a few seconds
    chat(llm, "G7?", answerer="openai")
    assert made == ["openai"]


def test_history_pairs_accepts_tuples_and_strings():
    pairs = history_pairs([("q1", '<div class="qa-answer">a &amp; b<br>c</div><div>cites</div>'),
                              {"role": "user", "content": "q2"}, {"role": "assistant", "content": "plain"}])
    assert pairs == [("q1", "a & b\nc"), ("q2", "plain")]


def test_a_vote_on_a_reply_is_recorded_with_its_settings(assistant, tmp_path):
    from qa.feedback import FeedbackLog
    from qa.render import reply_id

    service = ChatService(assistant=assistant, feedback=FeedbackLog(tmp_path))
    final = chat(service, "G7サミットはどこで開催された？", mode="bm25", k=3)[-1]
    rid = reply_id(final)
    assert rid and service.replies.get(rid).asked == "G7サミットはどこで開催された？"
    assert service.replies.vote(service.feedback, rid, False, "ja") == "👎 記録しました。"
    (line,) = service.feedback.records()
    assert line["vote"] == "down" and line["settings"] == {"mode": "bm25", "k": 3, "answerer": "extractive"}
    assert line["citations"][0]["quote"].endswith("コーンウォール")
    assert service.replies.vote(service.feedback, rid, True, "en", "good") == "Comment saved."
    assert [(x["vote"], x["comment"]) for x in service.feedback.records()] == [("up", "good")]
    assert service.replies.vote(service.feedback, rid, "", "en") == ""  # withdrawn
    assert service.feedback.records() == []
    assert "no longer known" in service.replies.vote(service.feedback, "feedbeef", True, "en")
    assert "not recorded" in ChatService(assistant=assistant).replies.vote(None, rid, True, "en")


def test_a_language_switch_relabels_earlier_messages(service):
    typed = "<b>G7</b> サミットは **どこ**？"
    final = chat(service, typed)[-1]
    history = [{"role": "user", "content": [{"type": "text", "text": user_html(typed, "ja")}]},
               {"role": "assistant", "content": [{"type": "text", "text": final}]},
               {"role": "assistant", "content": "<div class=\"qa-error\">エラー: x</div>"}]
    english = service.replies.relabel(history, "en", service.assistant.retriever)
    assert "Sources" in english[1]["content"] and "出典" not in english[1]["content"]
    assert "Open the whole slide" in english[1]["content"]
    assert english[0]["content"] == user_html(typed, "en") and english[2] == history[2]
    (question, _), = history_pairs(history[:2])
    assert question == typed  # the question as typed goes back to the answerer


def test_the_page_opens_in_the_browsers_language():
    assert browser_language("en-US,en;q=0.9,ja;q=0.8") == "en"
    assert browser_language("ja,en-US;q=0.9") == "ja"
    assert browser_language("fr-FR,en;q=0.5") == "ja"  # English only when it is preferred
    assert browser_language("de;q=0.2, en-GB;q=0.8") == "en"
    assert browser_language("") == "ja" and browser_language(None) == "ja"


def test_the_loading_line_counts_seconds_the_page_can_keep_counting(assistant):
    service = ChatService(lambda report: assistant)  # not started: still loading
    assert '<span class="qa-elapsed">' in service.status("日本語") and "秒経過" in service.status("日本語")


@pytest.mark.slow
def test_qa_chat_answers_its_first_ask_with_the_model_loaded_before_gradio():
    """``qa chat`` as a user starts it: the assistant starts loading before Gradio is imported
    (``start_service``), the page is served and its first /ask gets a real answer."""
    from qa.bench_startup import chat_first_answer

    first = chat_first_answer("G7サミットはどこで開催された？", timeout_s=240)
    assert first["page_s"] <= first["first_answer_s"]
    assert first["peak_rss_mb"] > 0


def test_an_unusable_answer_model_is_reported_without_rebuilding_the_index(monkeypatch):
    """Only an index error rebuilds the index; a broken answer model file is the user's to fix
    (the committed index loads; its model is never loaded here)."""
    import qa.chain
    import qa.indexing
    from qa.chat_service import load_assistant
    from qa.errors import AnswerModelError

    def broken(*args, **kwargs):
        raise AnswerModelError("the answer model is unusable (its features ...): run `qa fit`")

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the index must not be rebuilt for an answer model error")

    monkeypatch.setattr(qa.chain, "load_model", broken)
    monkeypatch.setattr(qa.indexing, "build_index", no_rebuild)
    with pytest.raises(AnswerModelError, match="qa fit"):
        load_assistant()
