"""Reports of an evaluation run: report.md (markdown tables, two PNG plots) and the terminal table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qa.metrics import HIT_KS, RANK_DEPTH, hit_at_k

_ANSWERABLE_COLS = [("n", "n"), ("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"),
                    ("hit@10", "hit@10"), ("MRR@10", "mrr@10"), ("nDCG@10", "ndcg@10"),
                    ("accuracy", "accuracy"), ("citation validity", "citation_validity"),
                    ("citation support", "citation_support"),
                    ("support per citation", "citation_support_per_citation")]


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(r) + " |" for r in rows)]


def _mode_section(mode: str, groups: dict, answering: bool) -> list[str]:
    cols = _ANSWERABLE_COLS if answering else _ANSWERABLE_COLS[:7]
    rows = []
    for lang, g in groups.items():
        a, u = g["answerable"], g["unanswerable"]
        rows.append([lang, "answerable"] + [_fmt(a.get(key)) for _, key in cols])
        una = {"n": u["n"], "accuracy": u.get("accuracy"),
               "citation_validity": u.get("citation_validity")}
        rows.append([lang, "unanswerable"] + [_fmt(una.get(key)) for _, key in cols])
    lines = [f"## Mode: {mode}", ""]
    lines += _table(["lang", "subset"] + [name for name, _ in cols], rows)
    lines += ["", "Unanswerable accuracy = share abstained. Retrieval metrics count a passage as "
              "relevant when it holds every evidence string (NFKC, whitespace removed).", ""]
    extra = []
    for lang, g in groups.items():
        ab = g.get("abstention", {})
        lat = g["latency_ms"]
        extra.append([lang, _fmt(ab.get("precision")), _fmt(ab.get("recall")),
                      _ms(lat["retrieve"]["p50"]), _ms(lat["retrieve"]["p95"]),
                      _ms(lat["answer"]["p50"]), _ms(lat["answer"]["p95"]),
                      _fmt(g["answerable"].get("unreachable"))])
    lines += _table(["lang", "abstention P", "abstention R", "retrieve p50 ms", "retrieve p95 ms",
                     "answer p50 ms", "answer p95 ms", "unreachable"], extra)
    return lines + [""]


def hit_curves(results: Sequence[dict]) -> dict[tuple[str, str], list[float]]:
    """{(mode, lang): [hit@1 .. hit@10]} over answerable rows (lang "all" included)."""
    curves: dict[tuple[str, str], list[float]] = {}
    groups: dict[tuple[str, str], list[list[bool]]] = {}
    for r in results:
        if r["answerable"]:
            for lang in ("all", r["lang"]):
                groups.setdefault((r["mode"], lang), []).append(r["relevant"])
    for key, flags in groups.items():
        curves[key] = [sum(hit_at_k(f, k) for f in flags) / len(flags)
                       for k in range(1, RANK_DEPTH + 1)]
    return curves


def _plots(results: Sequence[dict], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    curves = hit_curves(results)
    if curves:
        fig, ax = plt.subplots(figsize=(6, 4))
        styles = {"all": "-", "ja": "--", "en": ":"}
        modes = list(dict.fromkeys(mode for mode, _ in curves))
        langs = list(dict.fromkeys(lang for _, lang in curves))
        for (mode, lang), ys in curves.items():
            # one mode: a colour per language; several: a colour per mode, a style per language
            colour = f"C{modes.index(mode) if len(modes) > 1 else langs.index(lang)}"
            ax.plot(range(1, RANK_DEPTH + 1), ys, styles.get(lang, "-"), color=colour,
                    marker="o", markersize=3, label=f"{mode} / {lang}")
        ax.set(xlabel="k", ylabel="hit@k", ylim=(0, 1.02), xticks=range(1, RANK_DEPTH + 1),
               title="Answerable questions with a relevant passage in the top k")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "hit_at_k.png", dpi=100)
        plt.close(fig)
        names.append("hit_at_k.png")
    series = {key: [r["timings"][key] for r in results if r["timings"].get(key) is not None]
              for key in ("retrieve_ms", "answer_ms")}
    series = {k: v for k, v in series.items() if v}
    if series:
        # one panel per stage: retrieval and answering differ by an order of magnitude
        fig, axes = plt.subplots(1, len(series), figsize=(4 * len(series), 3.2), squeeze=False)
        for ax, (key, values) in zip(axes[0], series.items()):
            ax.hist(values, bins=40, color="C0" if key == "retrieve_ms" else "C1")
            ax.set(xlabel="milliseconds", ylabel="questions", title=key.removesuffix("_ms"))
        fig.suptitle("Latency per question")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=100)
        plt.close(fig)
        names.append("latency.png")
    return names


def write_report(metrics: dict, results: Sequence[dict], out_dir: str | Path) -> Path:
    """Write ``out_dir``/report.md (and its PNGs); return the report's path."""
    out = Path(out_dir)
    run = metrics["run"]
    answering = not run["retrieval_only"]
    lines = ["# Evaluation report", ""]
    lines += [f"- {key}: {value}" for key, value in run.items()]
    lines += ["", f"hit@k for k in {list(HIT_KS)}; MRR and nDCG over the top {RANK_DEPTH}. "
              "`unreachable`: answerable questions whose evidence no single indexed passage holds.",
              ""]
    for mode, groups in metrics["modes"].items():
        lines += _mode_section(mode, groups, answering)
    for name in _plots(results, out):
        lines += [f"![{name}]({name})", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def summary_table(metrics: dict) -> str:
    """A short plain-text table of the headline numbers, one line per mode x language."""
    answering = not metrics["run"]["retrieval_only"]
    head = (f"{'mode':<7}{'lang':<5}{'n ans':>6}{'hit@1':>7}{'hit@5':>7}{'hit@10':>7}{'MRR':>7}"
            f"{'nDCG':>7}")
    if answering:
        head += f"{'acc':>7}{'NA-acc':>7}{'cite-ok':>8}{'support':>8}{'abst-P':>7}{'abst-R':>7}"
    head += f"{'ret p50':>9}{'p95':>7}" + (f"{'ans p50':>9}{'p95':>7}" if answering else "")
    lines = [head]

    def f(v, width=7):
        return f"{'-' if v is None else format(v, '.3f'):>{width}}"

    for mode, groups in metrics["modes"].items():
        for lang, g in groups.items():
            a, u = g["answerable"], g["unanswerable"]
            line = (f"{mode:<7}{lang:<5}{a['n']:>6}{f(a['hit@1'])}{f(a['hit@5'])}"
                    f"{f(a['hit@10'])}{f(a['mrr@10'])}{f(a['ndcg@10'])}")
            if answering:
                ab = g.get("abstention", {})
                line += (f"{f(a.get('accuracy'))}{f(u.get('accuracy'))}"
                         f"{f(a.get('citation_validity'), 8)}{f(a.get('citation_support'), 8)}"
                         f"{f(ab.get('precision'))}{f(ab.get('recall'))}")
            lat = g["latency_ms"]["retrieve"]
            line += f"{_ms_short(lat['p50']):>9}{_ms_short(lat['p95']):>7}"
            if answering:
                ans = g["latency_ms"]["answer"]
                line += f"{_ms_short(ans['p50']):>9}{_ms_short(ans['p95']):>7}"
            lines.append(line)
    return "\n".join(lines)


def _ms_short(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}ms" if v < 10 else f"{v:.0f}ms"
