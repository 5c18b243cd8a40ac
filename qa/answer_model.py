"""The fitted answer model: linear weights that rank answer lines and decide abstention.

The weights live in ``qa/answer_model.json``, a small reviewed JSON file written by ``qa fit``
(``qa.fitting``) from the gold set with cross-validation; nothing is pickled. Scoring is a dot
product over standardised features, so answering needs numpy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.confidence import QUESTION_FEATURES
from qa.errors import AnswerModelError
from qa.features import FEATURES

MODEL_FILE = Path(__file__).with_name("answer_model.json")
FORMAT = "qa-answer-model"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class LinearModel:
    """``score(x) = ((x - mean) / scale) . coef + intercept`` over named features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float = 0.0

    def score(self, x: np.ndarray) -> np.ndarray:
        """Scores of the rows of ``x`` (or of one feature vector)."""
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef + self.intercept

    def to_json(self) -> dict:
        return {"features": list(self.features), "mean": _round(self.mean), "scale": _round(self.scale),
                "coef": _round(self.coef), "intercept": round(float(self.intercept), 6)}

    @classmethod
    def from_json(cls, data: dict, features: tuple[str, ...]) -> LinearModel:
        if tuple(data["features"]) != features:
            raise ValueError(f"its features {data['features']} are not this version's {list(features)}")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(features),) for a in arrays) or not np.all(arrays[1] > 0):
            raise ValueError("weights of the wrong shape")
        return cls(features, *arrays, float(data.get("intercept", 0.0)))


def _round(a: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in a]


@dataclass(frozen=True)
class LanguageModel:
    """One language's line ranker, abstention model and decision thresholds."""

    ranker: LinearModel
    abstention: LinearModel  # logistic: P(the document does not answer)
    abstain_at: float  # P(unanswerable) at or above which the answer is withheld
    hedge_at: float  # ... at or above which the answer is shown as low-confidence
    second_margin: float  # a second line is quoted only within this ranker margin (lists, two parts)
    # a question farther from the document (the cosine of its best line) than every answerable
    # gold question is off topic: withheld
    confident_cos: float = 0.0
    # a question more of whose words the document never uses than any answerable gold question's
    # (``untranslated_share``) is off topic too: withheld
    max_untranslated: float = 1.0

    def off_topic(self, line_cos: float, untranslated: float) -> bool:
        """Farther from the document, or in more words it never uses, than every answerable gold
        question: no answerable question, gold or new, lies there (eval/README Rounds 11, 12)."""
        return line_cos < self.confident_cos or untranslated > self.max_untranslated


@dataclass(frozen=True)
class AnswerModel:
    languages: dict[str, LanguageModel]
    provenance: dict = field(default_factory=dict)

    def for_language(self, language: str) -> LanguageModel:
        return self.languages.get(language) or self.languages["ja"]

    def to_json(self) -> dict:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "provenance": self.provenance,
                "languages": {lang: {"ranker": m.ranker.to_json(), "abstention": m.abstention.to_json(),
                                     "abstain_at": round(m.abstain_at, 6), "hedge_at": round(m.hedge_at, 6),
                                     "second_margin": round(m.second_margin, 6),
                                     "confident_cos": round(m.confident_cos, 6),
                                     "max_untranslated": round(m.max_untranslated, 6)}
                              for lang, m in sorted(self.languages.items())}}

    @classmethod
    def from_json(cls, data: dict) -> AnswerModel:
        if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"not a {FORMAT} file of version {FORMAT_VERSION}")
        languages = {}
        for lang, m in data["languages"].items():
            languages[lang] = LanguageModel(
                LinearModel.from_json(m["ranker"], FEATURES),
                LinearModel.from_json(m["abstention"], QUESTION_FEATURES),
                float(m["abstain_at"]), float(m["hedge_at"]), float(m["second_margin"]),
                float(m.get("confident_cos", 0.0)), float(m.get("max_untranslated", 1.0)))
        if "ja" not in languages:
            raise ValueError("no Japanese model")
        return cls(languages, data.get("provenance", {}))


def save_model(model: AnswerModel, path: Path = MODEL_FILE) -> Path:
    path = Path(path)
    path.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> AnswerModel:
    """The answer model at ``path`` (cached); a missing or malformed file is a clear error."""
    try:
        return AnswerModel.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise AnswerModelError(f"the answer model {path} is missing: reinstall, or run `qa fit`") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnswerModelError(f"the answer model {path} is unusable ({exc}): run `qa fit`") from None


def probability(model: LinearModel, x: np.ndarray) -> float:
    """The logistic model's probability for one feature vector."""
    z = float(model.score(x))
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))
