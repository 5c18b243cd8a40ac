"""The fixed reply every answerer (offline or LLM) gives when the document has no answer."""

from __future__ import annotations

NO_ANSWER = {
    "ja": "資料には記載が見つかりませんでした。",
    "en": "The document does not appear to cover this.",
}
