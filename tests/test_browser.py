"""The chat page in headless Chromium, as a new user meets it: a question gets a streamed, cited
answer whose first line is in view; one card per cited passage; questions appear exactly as
typed and nothing in them runs or loads; empty sends add nothing; long pastes fold; the page
opens in the browser's language, relabels on a switch, copies an answer with its sources and
records a 👍 as one line.

Set QA_SCREENSHOT_DIR=docs to also save the README screenshots (screenshot.png, screenshot-en.png).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support import running_app

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 60_000  # generous: a shared 2-core CI machine can stall a page for many seconds

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),  # pandas deprecations inside gradio
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs /usr/bin/chromium: apt-get install -y chromium fonts-noto-cjk"),
]

# Where the first line of reply n (1-based) sits, against the chat's visible area and the window.
FIRST_LINE = """n => {
  const reply = document.querySelectorAll('#qa-chatbot .qa-reply')[n - 1];
  const line = reply.querySelector('.qa-answer-wrap, .qa-answer').getBoundingClientRect();
  const chat = document.querySelector('#qa-chatbot [role=log]').getBoundingClientRect();
  return {top: line.top, bottom: Math.min(line.bottom, line.top + 30), chatTop: chat.top,
          chatBottom: chat.bottom, window: window.innerHeight};
}"""
# The element on top at the centre of reply n's first child: is anything covering it?
UNCOVERED = """n => {
  const reply = document.querySelectorAll('#qa-chatbot .qa-reply')[n - 1];
  const first = reply.querySelector('.qa-badge, .qa-answer');
  const box = first.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + 4, box.top + box.height / 2);
  return first.contains(top);
}"""
# Texts of the passage cards of each reply.
CARDS = """() => [...document.querySelectorAll('#qa-chatbot .qa-reply')].map(
  r => [...r.querySelectorAll('.qa-card .qa-passage')].map(p => p.innerText))"""


@pytest.fixture(scope="module")
def served(real_assistant, tmp_path_factory):
    """The real app, keeping feedback in a temporary folder: (url, feedback folder)."""
    from qa.chat_service import ChatService
    from qa.feedback import FeedbackLog

    folder = tmp_path_factory.mktemp("feedback")
    with running_app(ChatService(assistant=real_assistant, feedback=FeedbackLog(folder))) as url:
        yield url, folder


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def open_page(browser, url: str, locale: str):
    """A fresh page in a browser whose language is ``locale``; it records dialogs and requests."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.dialogs, page.requests = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(url, wait_until="domcontentloaded")  # networkidle never fires on Gradio
    page.wait_for_selector("#qa-input textarea")
    return page


@pytest.fixture
def page(browser, served):
    page = open_page(browser, served[0], "ja-JP")
    page.wait_for_selector("#qa-status:has-text('準備完了')")
    yield page
    page.context.close()


@pytest.fixture
def english_page(browser, served):
    page = open_page(browser, served[0], "en-US")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield page
    page.context.close()


def ask(page, question: str, n: int) -> None:
    """Type ``question``, send it, and wait for the ``n``-th final answer."""
    page.fill("#qa-input textarea", question)
    page.press("#qa-input textarea", "Enter")
    page.locator("#qa-chatbot .qa-reply").nth(n - 1).wait_for()
    page.wait_for_function("() => !document.querySelector('#qa-input .stop-button')")  # answer done


def assert_first_line_in_view(page, n: int) -> None:
    box = page.evaluate(FIRST_LINE, n)
    assert box["chatTop"] <= box["top"] and box["bottom"] <= box["chatBottom"], box
    assert 0 <= box["top"] and box["bottom"] <= box["window"], box
    assert page.evaluate(UNCOVERED, n), "something covers the start of the answer"


def save_screenshot(page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("QA_SCREENSHOT_DIR"):
        target = Path(os.environ["QA_SCREENSHOT_DIR"]) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)


def test_japanese_question_gets_a_cited_highlighted_answer_in_view(page, tmp_path):
    ask(page, "G7サミットはどこで開催された？", 1)
    answer = page.locator("#qa-chatbot .qa-answer").first
    assert "コーンウォール" in answer.inner_text()
    assert_first_line_in_view(page, 1)
    card = page.locator("#qa-chatbot .qa-card").first
    assert card.locator("mark").first.is_visible()
    # the quoted line is marked; a confident answer also marks its short answer apart (a hedged
    # one has none: the fitted hedge threshold decides which this refit gives)
    assert "コーンウォール" in "".join(card.locator("mark").all_inner_texts())
    facts = card.locator("mark.qa-fact").all_inner_texts()
    assert facts in ([], ["コーンウォール"])
    head = card.locator(".qa-card-head").inner_text()
    assert "Ⅱ-2" in head and "EUの動向" in head and "順位" in head and "スコア" in head
    save_screenshot(page, tmp_path, "screenshot.png")

    ask(page, "Where was the G7 summit held?", 2)  # English follows in the same conversation
    assert "コーンウォール" in page.locator("#qa-chatbot .qa-sources").nth(1).inner_text()
    assert_first_line_in_view(page, 2)

    opener = card.locator("details.qa-open")  # the source viewer: the whole slide, in order
    opener.locator("summary").click()
    slide = opener.locator(".qa-slide")
    slide.wait_for()
    assert slide.locator(".qa-slide-p").count() >= 2
    assert slide.locator(".qa-cited mark").first.is_visible()


def test_a_long_reply_starts_in_view_not_at_its_last_card(page):
    ask(page, "G7サミットはどこで開催された？", 1)
    ask(page, "How do I bake sourdough bread?", 2)  # not covered: five closest passages follow
    assert page.locator("#qa-chatbot .qa-reply").nth(1).locator(".qa-badge").is_visible()
    assert_first_line_in_view(page, 2)


def test_one_card_per_cited_passage(page):
    questions = ["CBAMとは何ですか？", "DFFTとは何ですか。", "RCEPは世界のGDPのどのくらいを占めますか。",
                 "それはいつ発効しましたか？"]  # the repeats, a follow-up last
    for n, question in enumerate(questions, 1):
        ask(page, question, n)
    for cards in page.evaluate(CARDS):
        assert len(cards) == len(set(cards)), cards
    answered = "#qa-chatbot .qa-reply:not(:has(.qa-abstained))"  # withheld ones show closest passages
    refs = page.locator(f"{answered} .qa-card-head .qa-ref").count()
    assert refs >= page.locator(f"{answered} .qa-card").count()  # every citation number shown


def test_questions_appear_exactly_as_typed_and_nothing_runs(page):
    typed = ["<script>alert(1)</script>",
             "<img src=x onerror=\"alert(2);window.pwned=1\"> RCEPとは？",
             "**太字** _斜体_ [link](/x-link)\n# 見出し\n- 項目"]
    for n, question in enumerate(typed, 1):
        ask(page, question, n)
    assert page.locator("#qa-chatbot .qa-q").all_inner_texts() == typed
    sizes = page.evaluate("() => [...document.querySelectorAll('#qa-chatbot .qa-user')]"
                          ".map(e => e.offsetWidth * e.offsetHeight)")
    assert len(sizes) == 3 and all(s > 0 for s in sizes)  # no question vanished
    user = page.locator("#qa-chatbot .qa-user")
    for tag in ("img", "script", "strong", "em", "a", "h1", "li"):
        assert user.locator(tag).count() == 0, tag
    assert page.dialogs == [] and page.evaluate("() => window.pwned") is None
    assert not [u for u in page.requests if u.endswith("/x") or "x-link" in u]  # nothing loaded


def test_empty_sends_add_nothing(page):
    rows = page.locator("#qa-chatbot .message-row")
    page.press("#qa-input textarea", "Enter")
    page.fill("#qa-input textarea", "   \n  ")
    page.press("#qa-input textarea", "Enter")
    page.locator("#qa-input button.submit-button").click()
    ask(page, "G7サミットはどこで開催された？", 1)
    assert rows.count() == 2  # the question and its answer, nothing before them
    assert page.locator("#qa-chatbot .qa-error").count() == 0


def test_a_long_paste_is_folded_and_the_reply_says_it_was_cut(page):
    ask(page, "RCEPとは？ " + "あ" * 4992, 1)  # 5,000 characters
    bubble = page.locator("#qa-chatbot .qa-user").first
    assert bubble.bounding_box()["height"] < 250
    assert "すべて表示（5,000 文字）" in bubble.inner_text()
    assert "最初の 1,000 文字だけで回答しました" in page.locator("#qa-chatbot .qa-truncated").inner_text()
    bubble.locator("summary").click()
    assert bubble.bounding_box()["height"] > 300  # "show all" shows all of it


def test_the_k_box_shows_the_value_used(page):
    box = page.locator("#qa-k input[type=number]")
    box.fill("50")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#qa-k input[type=number]').value === '10'")
    assert page.locator("#qa-k input[type=range]").input_value() == "10"


def test_language_switch_relabels_the_page_and_earlier_answers(page):
    placeholder = page.locator("#qa-input textarea")
    assert "質問を入力" in (placeholder.get_attribute("placeholder") or "")
    assert page.get_by_text("検索方式").first.is_visible()
    ask(page, "G7サミットはどこで開催された？", 1)
    page.locator("#qa-ui-lang label", has_text="English").click()
    page.wait_for_selector("#qa-input textarea[placeholder^='Type a question']")
    assert page.get_by_text("Retrieval mode").first.is_visible()
    assert page.locator("#qa-status:has-text('Ready')").is_visible()
    page.wait_for_selector("#qa-chatbot .qa-h:has-text('Sources')")  # the earlier answer, relabelled
    assert "rank" in page.locator("#qa-chatbot .qa-card-head").first.inner_text()
    assert page.locator("footer").filter(has_text="Gradio").count() == 0  # no untranslated footer


def test_english_browser_opens_in_english_copies_with_sources_and_records_a_like(english_page, served,
                                                                                 tmp_path):
    page, folder = english_page, served[1]
    page.wait_for_selector("#qa-input textarea[placeholder^='Type a question']")
    page.wait_for_selector("#qa-status:has-text('Ready')")
    assert page.locator("#qa-ui-lang input[value='English']").is_checked()
    ask(page, "Where was the G7 summit held?", 1)
    assert "Sources" in page.locator("#qa-chatbot .qa-h").first.inner_text()
    assert_first_line_in_view(page, 1)
    save_screenshot(page, tmp_path, "screenshot-en.png")

    page.locator("#qa-chatbot .qa-copy").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    # the answer as shown, then its sources: its English lead when confident, else the hedge (the
    # fitted hedge threshold decides; test_bridge_real checks both renderings with it fixed)
    leads = ("Cornwall (コーンウォール). The document says", "The document does not state this directly")
    assert copied.startswith(leads) and "コーンウォール" in copied and "**Sources**" in copied, copied[:80]
    assert "Ⅱ-2 EUの動向: 「G7サミット" in copied

    before = folder.joinpath("feedback.jsonl").read_text(encoding="utf-8").splitlines() \
        if folder.joinpath("feedback.jsonl").exists() else []
    page.locator("#qa-chatbot button[aria-label='Like']").first.click()
    page.wait_for_selector("#qa-feedback-note:has-text('Thank you')")
    lines = folder.joinpath("feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    record = json.loads(lines[-1])
    assert record["vote"] == "up" and record["question"] == "Where was the G7 summit held?"
    assert record["citations"] and record["ui_language"] == "en"

    page.locator("#qa-ui-lang label", has_text="日本語").click()  # the switch stays
    page.wait_for_selector("#qa-chatbot .qa-h:has-text('出典')")
