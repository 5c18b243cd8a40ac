"""Entry point for the chat page: ``python app.py`` (the same as ``qa chat``); see ``qa.web``."""

from __future__ import annotations

import argparse

from qa.chat_service import start_service

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Chat UI for the trade-policy QA assistant")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="Create a public gradio.live link")
    parser.add_argument("--llm", default=None, help="extractive | openai | ollama")
    parser.add_argument("--no-feedback", action="store_true", help="Do not keep 👍/👎 on answers")
    args = parser.parse_args()
    service = start_service(llm=args.llm, feedback=not args.no_feedback, head_start_s=10.0)
    from qa.web import serve

    serve(args.host, args.port, args.share, service=service)
