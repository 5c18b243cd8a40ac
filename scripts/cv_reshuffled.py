"""`qa fit`'s cross-validation repeated over reshuffled assignments of slides to folds.

One grouped 5-fold split moves answer figures by 0.02-0.03 between refits on nearly the same
data, so choices in eval/README.md ("Round 3") compare the means over several reshuffles. The
procedure is `qa fit`'s (settings chosen inside each run, folds grouped by slide); only the
assignment of slides to folds changes with the seed. Nothing is written.

Run from the project root:
    PYTHONPATH=. python scripts/cv_reshuffled.py --lang en --seeds 0,1,2,3,4
    PYTHONPATH=. python scripts/cv_reshuffled.py --lang en --hubness-weight 0   # without the correction
"""
import argparse

import numpy as np

import qa.features
from qa import fitting
from qa.fitting import shuffled_folds
from qa.gold import load_gold
from qa.retrieving import Retriever

METRICS = ("accuracy", "short_answer_accuracy", "citation_support", "abstention_recall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("ja", "en"), required=True)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--hubness-weight", type=float, default=None,
                        help="English lines' hubness correction (default: the shipped weight)")
    args = parser.parse_args()
    if args.hubness_weight is not None:
        qa.features.CROSS_LINGUAL_WEIGHT = args.hubness_weight
    items = [i for i in load_gold("eval/gold.jsonl") if i.lang == args.lang]
    examples = fitting.collect(items, Retriever.load())
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        fitting._folds = shuffled_folds(seed)
        _, settings, cv = fitting.fit_language(examples)
        rows.append([cv[m] for m in METRICS])
        print(args.lang, f"seed {seed}", dict(zip(METRICS, rows[-1])), f"ranker C {settings['ranker_C']}")
    print(args.lang, "mean", dict(zip(METRICS, np.round(np.mean(rows, axis=0), 3).tolist())))


if __name__ == "__main__":
    main()
