"""``qa fit``: gather the gold set, fit and cross-validate the answer model per language,
write the weights with their provenance, and tabulate the figures."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from qa.answer_model import MODEL_FILE, AnswerModel, save_model
from qa.fitting import collect, dev_to_test, fit_language
from qa.gold import GoldItem

COLUMNS = ("accuracy", "short_answer_accuracy", "citation_support", "abstention_recall",
           "false_abstention", "abstention_precision", "hedged", "median_answer_chars")


def run_fit(items: list[GoldItem], index_dir: Path | None = None, out: Path | None = None,
            write: bool = True) -> dict:
    from qa.retrieving import Retriever

    t0 = time.perf_counter()
    retriever = Retriever.load(index_dir=index_dir)
    examples = collect(items, retriever)
    languages, report = {}, {"cv": {}, "dev_to_test": {}, "settings": {}}
    for lang in ("ja", "en"):
        mine = [e for e in examples if e.item.lang == lang]
        if not mine:
            continue
        lm, settings, cv = fit_language(mine)
        languages[lang] = lm
        report["settings"][lang], report["cv"][lang] = settings, cv
        dev = [e for e in mine if e.item.split == "dev"]
        test = [e for e in mine if e.item.split == "test"]
        if dev and test:
            report["dev_to_test"][lang] = dev_to_test(dev, test)
    gold_text = "\n".join(f"{i.id}:{i.question}:{i.answer_keys}" for i in items)
    gold_sha = hashlib.sha256(gold_text.encode()).hexdigest()
    provenance = {"fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "gold_questions": len(items), "gold_sha256": gold_sha[:16],
                  "index_model": retriever.index.manifest.model_id, "settings": report["settings"],
                  "cross_validated": report["cv"], "fit_on_dev_test_on_test": report["dev_to_test"]}
    model = AnswerModel(languages, provenance)
    if write and languages:
        report["written"] = str(save_model(model, out or MODEL_FILE))
    report["elapsed_s"] = round(time.perf_counter() - t0, 1)
    report["table"] = table(report)
    return report


def table(report: dict) -> str:
    head = f"{'':<14}{'lang':<5}" + "".join(f"{c[:12]:>13}" for c in COLUMNS)
    lines = [head]
    for name, key in (("cross-val", "cv"), ("dev->test", "dev_to_test")):
        for lang, m in report[key].items():
            cells = "".join(f"{_cell(m.get(c), c):>13}" for c in COLUMNS)
            lines.append(f"{name:<14}{lang:<5}{cells}")
    for lang, s in report["settings"].items():
        lines.append(f"{lang}: ranker C={s['ranker_C']}, second-line margin={s['second_margin']}, "
                     f"{s['questions']} questions, {s['folds']} folds by slide")
    if report.get("written"):
        lines.append(f"Wrote {report['written']}")
    return "\n".join(lines)


def _cell(value, column: str) -> str:
    if value is None:
        return "-"
    return format(value, ".0f" if column == "median_answer_chars" else ".3f")
