"""English retrieval with the gloss ranking (qa.gloss_index): its fusion weight x the glosses
read per headword, other weights as shipped; hit@1, hit@5, MRR@10 by split, best MRR@10 over
all English questions first (the protocol of scripts/fusion_grid.py).

Run from the project root: PYTHONPATH=. python scripts/gloss_grid.py
"""
from statistics import mean

from qa.fusion import rrf
from qa.gloss_index import GlossBm25
from qa.gold import load_gold
from qa.metrics import hit_at_k, is_relevant, reciprocal_rank
from qa.retrieving import Retriever

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 1.5)
GLOSSES = (1, 2, 3)

r = Retriever.load()
f = r.fusion
gloss = {n: GlossBm25(r.index.terms, r.index.lexicon, n) for n in GLOSSES}
items = [i for i in load_gold("eval/gold.jsonl") if i.lang == "en" and i.answerable]
data = []
for it in items:
    base = r.rank(it.question, language="en")
    rel = {i for i, p in enumerate(r.passages) if is_relevant(p.text, it.evidence)}
    lists = [[i for i, _ in x] for x in (base.dense, base.bm25, base.sentence)]
    by_n = {n: [i for i, _ in g.top(it.question, f.candidates)] for n, g in gloss.items()}
    data.append((it, lists, by_n, rel))


def score(w: float, n: int, split: str | None) -> tuple[float, float, float]:
    """hit@1, hit@5 and MRR@10 (qa.metrics) of the English questions of ``split`` (None: all)."""
    flags = []
    for it, lists, by_n, rel in data:
        if not split or it.split == split:
            weights = [f.dense_weight["en"], f.bm25_weight["en"], f.sentence_weight["en"], w]
            flags.append([i in rel for i, _ in rrf(lists + [by_n[n]], weights, f.rrf_k)[:10]])
    return (round(mean(hit_at_k(x, 1) for x in flags), 3), round(mean(hit_at_k(x, 5) for x in flags), 3),
            round(mean(reciprocal_rank(x, 10) for x in flags), 3))


rows = [((w, n), score(w, n, None), score(w, n, "dev"), score(w, n, "test"))
        for w in WEIGHTS for n in GLOSSES]
print("(weight, glosses)  all  dev  test   as (hit@1, hit@5, MRR@10)")
for row in sorted(rows, key=lambda x: -x[1][2]):
    print(*row)
