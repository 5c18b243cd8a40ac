"""The chat page's look and browser-side behaviour: its CSS and the JavaScript run on load.

The script only arranges what the server rendered: it scrolls a new question to the top of the
chat so the start of its answer is in view, copies an answer with its sources, shows the k box's
value clamped to the slider's range, and counts the seconds of a loading status on the page's
own clock. It never runs anything from a message.
"""

from __future__ import annotations

CSS = """
.qa-answer { line-height: 1.7; }
.qa-ref { color: var(--color-accent); font-weight: 600; white-space: nowrap; }
.qa-sources { margin-top: .7em; padding-top: .4em; border-top: 1px solid var(--border-color-primary); }
.qa-h { font-weight: 600; font-size: .9em; opacity: .85; margin-bottom: .2em; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .45em .7em;
  margin: .45em 0; background: var(--background-fill-secondary); }
.qa-card-head { font-size: .92em; }
.qa-sec { margin-right: .2em; }
.qa-meta { font-size: .8em; opacity: .7; margin-left: .3em; }
.qa-passage { font-size: .9em; margin-top: .25em; line-height: 1.6; }
.qa-card mark, .qa-slide mark { background: #ffd43b; color: #111; padding: 0 .1em; border-radius: 2px; }
.qa-card mark.qa-fact { background: #ff922b; font-weight: 700; }
.qa-open summary { cursor: pointer; font-size: .85em; margin-top: .3em; color: var(--color-accent); }
.qa-slide { font-size: .88em; max-height: 26em; overflow-y: auto; margin-top: .3em; }
.qa-slide-head { margin-bottom: .3em; }
.qa-slide-p { margin: .35em 0; }
.qa-slide-p.qa-cited { border-left: 3px solid #fab005; padding-left: .5em; }
.qa-answer-wrap.qa-abstained .qa-answer { display: inline; }
.qa-badge { background: #868e96; color: #fff; border-radius: 4px; padding: .05em .45em; font-size: .8em; }
.qa-notice { font-size: .85em; color: #d9480f; margin: .3em 0; }
.qa-error { color: #e03131; }
.qa-foot { display: flex; align-items: center; gap: .6em; margin-top: .4em; }
.qa-copy { font-size: .8em; padding: .1em .6em; border: 1px solid var(--border-color-primary);
  border-radius: 6px; background: var(--background-fill-primary); cursor: pointer; }
.qa-copy:hover { border-color: var(--color-accent); }
.qa-copy-done, .qa-copy.qa-done .qa-copy-label, .qa-md { display: none; }
.qa-copy.qa-done .qa-copy-done { display: inline; }
.qa-q { white-space: pre-wrap; overflow-wrap: anywhere; }
.qa-fold summary { cursor: pointer; list-style: none; }
.qa-fold summary::-webkit-details-marker { display: none; }
.qa-more, .qa-less { color: var(--color-accent); font-size: .85em; white-space: nowrap; }
.qa-fold[open] .qa-preview, .qa-fold[open] .qa-more, .qa-fold:not([open]) .qa-less { display: none; }
.qa-fold[open] .qa-q { margin-top: .3em; max-height: 60vh; overflow-y: auto; }
#qa-status { font-size: .92em; }
#qa-status [data-testid="status-tracker"] { display: none !important; }  /* the line is the progress */
#qa-feedback-note { font-size: .88em; }
"""

# Run once when the page loads (``launch(js=...)``); Gradio passes no arguments.
JS = r"""
() => {
  const chat = () => document.querySelector('#qa-chatbot');
  // 1. A new question: scroll it to the top of the chat (below the clear button), so its answer
  //    starts in view under it. Tried again as the answer grows, until the question could be
  //    placed or the final answer is there. Gradio's autoscroll is off: it would follow a long
  //    answer down to its last card.
  let questions = 0, target = null;
  const scroller = (el) => {
    for (let p = el.parentElement; p && p.id !== 'qa-chatbot'; p = p.parentElement) {
      if (/(auto|scroll)/.test(getComputedStyle(p).overflowY)) return p;
    }
    return null;
  };
  const place = () => {
    const box = scroller(target);
    if (!box) return true;
    const want = box.scrollTop + target.getBoundingClientRect().top - box.getBoundingClientRect().top - 44;
    box.scrollTop = want;
    return Math.abs(box.scrollTop - want) < 2;
  };
  const follow = () => {
    const root = document.querySelector('#qa-chatbot');
    if (!root) return;
    const asked = root.querySelectorAll('.qa-user');
    if (asked.length > questions) target = asked[asked.length - 1];
    questions = asked.length;
    if (!target) return;
    const row = target.closest('.message-row');
    const next = row && row.nextElementSibling;
    const answered = !!(next && next.querySelector('.qa-reply, .qa-error'));
    if (place() || answered) target = null;
  };
  new MutationObserver(follow).observe(document.body, { childList: true, subtree: true });

  // 2. Copy with sources: the Markdown the server put in the reply's hidden .qa-md element.
  document.addEventListener('click', async (event) => {
    const button = event.target.closest && event.target.closest('.qa-copy');
    const source = button && button.closest('.qa-reply')?.querySelector('.qa-md');
    if (!source) return;
    const text = source.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {  // not a secure context (plain http on another host): the old way
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    button.classList.add('qa-done');
    setTimeout(() => button.classList.remove('qa-done'), 1500);
  });

  // 3. The k box: a typed number outside the slider's range is shown as the value used.
  document.addEventListener('change', (event) => {
    const box = event.target;
    if (!box.matches || !box.matches('#qa-k input[type=number]') || box.value === '') return;
    const value = Math.min(Math.max(Math.round(Number(box.value)), Number(box.min)), Number(box.max));
    if (String(value) !== box.value) {
      box.value = String(value);
      box.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }, true);

  // 4. Loading status: the seconds count on this page's clock. While the model loads, the busy
  //    server delivers its figures late (a figure can arrive seconds after it was computed), so
  //    each figure only moves the estimated start earlier, never later: the count never shows a
  //    stale number and never runs backwards.
  let start = Infinity;
  const counted = new WeakSet();
  setInterval(() => {
    const now = performance.now() / 1000;
    document.querySelectorAll('.qa-elapsed').forEach((el) => {
      if (!counted.has(el)) {
        counted.add(el);
        start = Math.min(start, now - (parseFloat(el.textContent) || 0));
      }
      el.textContent = String(Math.max(0, Math.round(now - start)));
    });
  }, 250);
}
"""
