"""BM25-only retrieval of the English gold questions through the lexicon bridge.

A standalone experiment (no existing module changed): loads ``index/passages.jsonl`` (its
Sudachi ``terms``), builds bm25s as ``qa/retrieving.py`` does, and scores each English
question's ``Lexicon.query_terms`` for several settings, per split. Also reports how the
unanswerable English questions translate (a signal for abstention).

    PYTHONPATH=. python scripts/lexicon_bm25_eval.py [--lexicon PATH | --save PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from qa.evaluating import first_relevant_rank, is_relevant, load_gold
from qa.lexicon import TranslateParams, english_words, load_lexicon, save_lexicon
from qa.lexicon_build import build_lexicon
from qa.segmenting import terms

DEPTH = 10
RANKINGS = [("common", "occurrences", "sense", "length"), ("sense", "common", "occurrences", "length"),
            ("common", "sense", "occurrences", "length"), ("occurrences", "sense", "length")]


def load_passages(index_dir: Path) -> tuple[list[str], list[list[str]]]:
    rows = [json.loads(line) for line in (index_dir / "passages.jsonl").open(encoding="utf-8")]
    return [r["text"] for r in rows], [r["terms"] for r in rows]


def bm25_ranking(bm25, vocab: set[str], query: list[str]) -> list[int]:
    matched = [t for t in query if t in vocab]
    if not matched:
        return []
    scores = bm25.get_scores(matched)
    order = np.argsort(-scores, kind="stable")[:DEPTH]
    return [int(i) for i in order if scores[i] > 0]


def score(items, texts, bm25, vocab, make_query) -> dict:
    h1 = h5 = rr = 0.0
    for item in items:
        ranking = bm25_ranking(bm25, vocab, make_query(item.question))
        rank = first_relevant_rank([is_relevant(texts[i], item.evidence) for i in ranking], DEPTH)
        h1 += rank == 1
        h5 += rank is not None and rank <= 5
        rr += 1 / rank if rank else 0.0
    n = len(items)
    return {"n": n, "hit@1": round(h1 / n, 3), "hit@5": round(h5 / n, 3), "mrr@10": round(rr / n, 3)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lexicon", type=Path, help="a saved lexicon (default: build one from --corpus)")
    ap.add_argument("--save", type=Path, help="also save the built lexicon here")
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--gold", type=Path, default=Path("eval/gold.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    import bm25s

    if args.lexicon:
        lex = load_lexicon(args.lexicon)
    else:
        t0 = time.perf_counter()
        lex = build_lexicon([p.read_text(encoding="utf-8") for p in sorted(args.corpus.glob("*.txt"))])
        print(f"built the lexicon in {time.perf_counter() - t0:.1f} s: {lex.meta['counts']}", file=sys.stderr)
        if args.save:
            save_lexicon(lex, args.save)
    texts, passage_terms = load_passages(args.index)
    bm25 = bm25s.BM25()
    bm25.index(passage_terms, show_progress=False)
    vocab = set(bm25.vocab_dict) - {""}

    gold = [g for g in load_gold(args.gold) if g.lang == "en"]
    answerable = {s: [g for g in gold if g.answerable and g.split == s] for s in ("dev", "test")}
    settings: dict[str, object] = {"raw English words (terms())": terms}
    for rank_by in RANKINGS:
        for plain_latin in (True, False):
            for common_only in (False, True):
                for n in (1, 2, 3, 5):
                    p = TranslateParams(max_headwords_per_phrase=n, common_only=common_only,
                                        plain_latin=plain_latin, rank_by=rank_by)
                    name = (f"N={n} common_only={common_only:d} plain_latin={plain_latin:d} "
                            f"{','.join(rank_by)}")
                    settings[name] = lambda q, p=p: lex.query_terms(q, params=p)
    results = {name: {s: score(items, texts, bm25, vocab, fn) for s, items in answerable.items()}
               for name, fn in settings.items()}

    coverage = {kind: translation_coverage(
        lex, vocab, [g for g in gold if g.answerable == (kind == "answerable")])
                for kind in ("answerable", "unanswerable")}
    signal = abstention_signal(lex, bm25, vocab, passage_terms, gold)

    def dev_key(name: str) -> tuple[float, float, float]:
        d = results[name]["dev"]
        return d["mrr@10"], d["hit@1"], d["hit@5"]

    dev_best = max((n for n in results if n.startswith("N=")), key=dev_key)
    if args.json:
        print(json.dumps({"bm25": results, "chosen_on_dev": dev_best, "coverage": coverage,
                          "abstention_signal": signal},
                         ensure_ascii=False, indent=1))
        return
    print(f"{'setting':70} {'dev h@1 h@5 mrr':>22} {'test h@1 h@5 mrr':>22}")
    for name, r in results.items():
        d, t = r["dev"], r["test"]
        print(f"{name:70} {d['hit@1']:6.3f}{d['hit@5']:7.3f}{d['mrr@10']:7.3f}   "
              f"{t['hit@1']:6.3f}{t['hit@5']:7.3f}{t['mrr@10']:7.3f}")
    print(f"(answerable English questions: dev {len(answerable['dev'])}, test {len(answerable['test'])})")
    print(f"chosen on dev (MRR@10, then hit@1, hit@5): {dev_best}: {results[dev_best]}")
    for kind, c in coverage.items():
        print(f"\n{kind} English questions: {c['translated_words']}/{c['content_words']} content words "
              f"translated; {c['fully_translated']}/{c['questions']} questions fully translated; "
              f"{c['terms_in_index']}/{c['terms']} translated terms in the index")
        if kind == "unanswerable":
            for u in c["rows"]:
                print(f"  {u['id']:10} {u['split']:4} words {u['translated_words']}/{u['content_words']}  "
                      f"terms in index {u['terms_in_index']}/{u['terms']}  untranslated {u['untranslated']}")

    print("\nshare of a question's translated phrases found in its top BM25 passage (default params):")
    for split, r in signal.items():
        print(f"  {split:4} answerable mean {r['answerable_mean']:.3f} (n={r['n_answerable']}), "
              f"unanswerable mean {r['unanswerable_mean']:.3f} (n={r['n_unanswerable']}), "
              f"AUC (answerable higher) {r['auc']:.3f}")


def abstention_signal(lex, bm25, vocab, passage_terms, gold) -> dict:
    """Per split: the share of matched phrases with at least one headword whose terms are all
    in the top BM25 passage, for answerable vs unanswerable questions, and the AUC."""
    out = {}
    for split in ("dev", "test"):
        scores: dict[bool, list[float]] = {True: [], False: []}
        for g in (g for g in gold if g.split == split):
            matches = [m for m in lex.translate(g.question) if m.headwords]
            ranking = bm25_ranking(bm25, vocab, list(dict.fromkeys(t for m in matches for t in m.terms)))
            if not matches or not ranking:
                scores[g.answerable].append(0.0)
                continue
            top = set(passage_terms[ranking[0]])
            found = sum(any(set(lex.entries[h].terms) <= top for h in m.headwords) for m in matches)
            scores[g.answerable].append(found / len(matches))
        pos, neg = scores[True], scores[False]
        auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
        out[split] = {"answerable_mean": sum(pos) / len(pos), "unanswerable_mean": sum(neg) / len(neg),
                      "n_answerable": len(pos), "n_unanswerable": len(neg), "auc": auc}
    return out


def translation_coverage(lex, vocab: set[str], items) -> dict:
    """How many content words of each question got a translation, and whether its terms are
    in the index (by construction they nearly always are: the lexicon is the corpus's)."""
    rows = []
    for g in items:
        words = english_words(g.question)
        matches = lex.translate(g.question)
        hit = [any(m.start <= s < m.end for m in matches) for _, s, _ in words]
        ts = list(dict.fromkeys(t for m in matches for t in m.terms))
        rows.append({"id": g.id, "split": g.split, "content_words": len(words),
                     "translated_words": sum(hit), "terms": len(ts),
                     "terms_in_index": sum(t in vocab for t in ts),
                     "untranslated": [w for (w, _, _), h in zip(words, hit, strict=True) if not h]})
    return {"questions": len(rows), "content_words": sum(r["content_words"] for r in rows),
            "translated_words": sum(r["translated_words"] for r in rows),
            "fully_translated": sum(r["translated_words"] == r["content_words"] for r in rows),
            "terms": sum(r["terms"] for r in rows), "terms_in_index": sum(r["terms_in_index"] for r in rows),
            "rows": rows}

if __name__ == "__main__":
    main()
