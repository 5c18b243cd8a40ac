"""BM25-only retrieval of the English gold questions through the lexicon bridge.

A standalone experiment (no existing module changed): loads ``index/passages.jsonl`` (its
Sudachi ``terms``), builds bm25s as ``qa/retrieving.py`` does, and scores each English
question's ``Lexicon.query_terms`` for several settings, per split. Also reports how the
unanswerable English questions translate (a signal for abstention).

    PYTHONPATH=. python scripts/lexicon_bm25_eval.py [--lexicon PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.evaluating import first_relevant_rank, is_relevant, load_gold
from qa.lexicon import TranslateParams, build_lexicon, english_words, load_lexicon, save_lexicon
from qa.segmenting import terms

DEPTH = 10


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
    ap.add_argument("--lexicon", type=Path, default=Path("/tmp/lexicon.json"))
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--gold", type=Path, default=Path("eval/gold.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    import bm25s

    if not args.lexicon.exists():
        t0 = time.perf_counter()
        texts_in = [p.read_text(encoding="utf-8") for p in sorted(args.corpus.glob("*.txt"))]
        save_lexicon(build_lexicon(texts_in), args.lexicon)
        print(f"built {args.lexicon} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    lex = load_lexicon(args.lexicon)
    texts, passage_terms = load_passages(args.index)
    bm25 = bm25s.BM25()
    bm25.index(passage_terms, show_progress=False)
    vocab = set(bm25.vocab_dict) - {""}

    gold = [g for g in load_gold(args.gold) if g.lang == "en"]
    answerable = {s: [g for g in gold if g.answerable and g.split == s] for s in ("dev", "test")}
    settings: dict[str, object] = {"raw English words (terms())": terms}
    base = TranslateParams()
    for plain_latin in (True, False):
        for common_only in (False, True):
            for n in (1, 2, 3, 5):
                p = replace(base, max_headwords_per_phrase=n, common_only=common_only,
                            plain_latin=plain_latin)
                name = f"N={n} common_only={common_only} plain_latin={plain_latin}"
                settings[name] = lambda q, p=p: lex.query_terms(q, params=p)
    for rank_by in (("sense", "common", "occurrences"), ("common", "sense", "occurrences"),
                    ("occurrences", "sense")):
        for n in (1, 2, 3):
            p = replace(base, max_headwords_per_phrase=n, rank_by=rank_by + ("length",))
            settings[f"N={n} rank_by={','.join(rank_by)}"] = lambda q, p=p: lex.query_terms(q, params=p)
    results = {name: {s: score(items, texts, bm25, vocab, fn) for s, items in answerable.items()}
               for name, fn in settings.items()}

    unanswerable = []
    for g in (g for g in gold if not g.answerable):
        words = english_words(g.question)
        matches = lex.translate(g.question)
        covered = sum(len(english_words(g.question[m.start:m.end])) for m in matches)
        ts = list(dict.fromkeys(t for m in matches for t in m.terms))
        unanswerable.append({"id": g.id, "split": g.split, "question": g.question,
                             "content_words": len(words), "translated_words": covered,
                             "terms": len(ts), "terms_in_corpus": sum(t in vocab for t in ts),
                             "untranslated": [w for w, s, e in words
                                              if not any(m.start <= s < m.end for m in matches)]})
    if args.json:
        print(json.dumps({"bm25": results, "unanswerable": unanswerable}, ensure_ascii=False, indent=1))
        return
    print(f"{'setting':55} {'dev h@1 h@5 mrr':>22} {'test h@1 h@5 mrr':>22}")
    for name, r in results.items():
        d, t = r["dev"], r["test"]
        print(f"{name:55} {d['hit@1']:6.3f}{d['hit@5']:7.3f}{d['mrr@10']:7.3f}   "
              f"{t['hit@1']:6.3f}{t['hit@5']:7.3f}{t['mrr@10']:7.3f}")
    print(f"(answerable English questions: dev {len(answerable['dev'])}, test {len(answerable['test'])})")
    print("\nunanswerable English questions: content words translated, translated terms in the corpus")
    for u in unanswerable:
        print(f"  {u['id']:10} {u['split']:4} words {u['translated_words']}/{u['content_words']}  "
              f"terms in corpus {u['terms_in_corpus']}/{u['terms']}  untranslated {u['untranslated']}")
    tw = sum(u["translated_words"] for u in unanswerable)
    cw = sum(u["content_words"] for u in unanswerable)
    ti = sum(u["terms_in_corpus"] for u in unanswerable)
    tt = sum(u["terms"] for u in unanswerable)
    print(f"  total: {tw}/{cw} content words translated; {ti}/{tt} translated terms occur in the index")


if __name__ == "__main__":
    main()
