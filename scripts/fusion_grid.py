"""English fusion grid: BM25 weight x bridge headwords x sentence weight, retrieval only.

Run from the project root: PYTHONPATH=. python scripts/fusion_grid.py
"""
from dataclasses import replace

from qa.fusion import rrf
from qa.gold import load_gold
from qa.metrics import is_relevant
from qa.retrieving import Retriever

r = Retriever.load()
items = [i for i in load_gold("eval/gold.jsonl") if i.lang == "en" and i.answerable]
data = []
for it in items:
    base = r.rank(it.question, language="en")
    bm = {}
    for n in (1, 2, 3, 5):
        r.fusion = replace(r.fusion, bridge_headwords=n)
        rk = r.rank(it.question, need_dense=False, language="en")
        bm[n] = [i for i, _ in rk.bm25]
    rel = {i for i, p in enumerate(r.passages) if is_relevant(p.text, it.evidence)}
    data.append((it, [i for i, _ in base.dense], [i for i, _ in base.sentence], bm, rel))
def score(w_bm, n, w_s, split):
    """hit@1, hit@5, MRR@10 of the English questions of ``split`` (None: all)."""
    h1 = h5 = mrr = 0.0
    cnt = 0
    for it, dense, sent, bm, rel in data:
        if split and it.split != split:
            continue
        fused = [i for i, _ in rrf([dense, bm[n], sent], [1.0, w_bm, w_s], 5)][:10]
        ranks = [k for k, i in enumerate(fused, 1) if i in rel]
        cnt += 1
        h1 += bool(ranks and ranks[0] == 1)
        h5 += bool(ranks and ranks[0] <= 5)
        mrr += 1 / ranks[0] if ranks else 0
    return round(h1 / cnt, 3), round(h5 / cnt, 3), round(mrr / cnt, 3)


print("current (0.1, N=1, s=1.0): dev", score(0.1, 1, 1.0, "dev"), "test", score(0.1, 1, 1.0, "test"))
res = []
for w in (0.1, 0.5, 1.0, 1.5, 2.0, 3.0):
    for n in (1, 2, 3, 5):
        for ws in (0.5, 1.0):
            res.append(((w, n, ws), score(w, n, ws, "dev"), score(w, n, ws, "test"), score(w, n, ws, None)))
for row in sorted(res, key=lambda x: -x[3][2])[:12]:
    print(row)
