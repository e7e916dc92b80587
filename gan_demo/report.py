"""Markdown tables: ``python -m gan_demo.report SWEEP_DIR`` or over CLI runs ``... runs/a runs/b``.

A sweep folder (``python -m gan_demo.sweep``; it holds ``sweep.json``) gives one row per arm: the
number of seeds and, for each categorised metric of the spec's ``[report]`` table, the fraction of
seeds in each category with its 95 % **Wilson score** interval (binomial; it stays inside [0, 1]
and keeps sensible width at 0/n and n/n, where the normal-approximation interval collapses).
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .data import make_dataset
from .metrics import mode_outcome, modes_near


def row(folder: Path, radius: float) -> str:
    s = json.loads((folder / "metrics.json").read_text())
    snaps = np.load(folder / "snapshots.npz", allow_pickle=False)
    mx = s["mixture"]
    mix = make_dataset("custom", centres=mx["centres"], weights=mx["weights"], sigma=mx["sigma"])
    K = mix.n_modes
    strict = np.array(s["final"]["modes_well_covered"])
    loose = modes_near(snaps["samples"][-1], mix, radius)
    a, b = mode_outcome(strict, K), mode_outcome(loose, K)
    algo = s["algorithm"]
    hp = ", ".join(f"{k}={v}" for k, v in algo.items() if k != "name" and v is not None)
    labels = s["cycling"]["label"]
    lab = ", ".join(f"{labels.count(x)} {x}" for x in sorted(set(labels)))

    def pct(d: dict, key: str) -> str:
        return f"{100 * d[key]:.0f} %"

    return (f"| {algo['name']} ({hp}) | {len(strict)} | {s['steps'][-1]} | {pct(a, f'all_{K}')} / "
            f"{pct(a, f'exactly_{K - 1}')} / {pct(a, f'at_most_{K - 2}')} / {pct(a, 'exactly_1')} | "
            f"{pct(b, f'all_{K}')} / {pct(b, f'exactly_{K - 1}')} / {pct(b, f'at_most_{K - 2}')} / "
            f"{pct(b, 'exactly_1')} | {np.mean(s['final']['hq_frac']):.2f} | {lab} |")


#: z for a two-sided 95 % interval
Z95 = 1.959963984540054
_CATEGORY = re.compile(r"^(<=|>=|==|<|>)?\s*(-?\d+(?:\.\d+)?)$")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes out of n (95 % by default); (0, 1) if n = 0."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"k must be in [0, n], got k={k}, n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # the bounds are exactly 0 at k = 0 and 1 at k = n (rounding would leave 1 - 1e-16)
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


def median_run(rows: list[dict], key: Any) -> tuple[dict | None, int | None]:
    """The representative run of a statistic and its 1-based rank: the median of ``rows`` sorted by
    ``(key(row), seed)`` (ties: the lower seed; an even count: the lower middle run); ``(None, None)``
    if there are none. Shown runs are this one, never the best.
    """
    if not rows:
        return None, None
    order = sorted(rows, key=lambda r: (key(r), r["seed"]))
    mid = (len(rows) - 1) // 2
    return order[mid], mid + 1


def category_test(cat: str) -> Any:
    """A predicate from a category string: "4" (equal), "<=2", ">=3", "<1", ">0", "==1"."""
    m = _CATEGORY.match(str(cat).strip())
    if not m:
        raise ValueError(f"category {cat!r}: use a number, optionally after <=, >=, <, > or ==")
    op, v = m.group(1) or "==", float(m.group(2))
    return {"<=": lambda x: x <= v, ">=": lambda x: x >= v, "==": lambda x: x == v, "<": lambda x: x < v,
            ">": lambda x: x > v}[op]


def fraction_cell(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{100 * k / n:.0f} % [{100 * lo:.0f}, {100 * hi:.0f}] ({k}/{n})" if n else "–"


def sweep_rows(out: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Per-seed rows of a sweep folder grouped by arm (arms in the spec's order, seeds sorted)."""
    from .sweep import load_results

    folder = Path(out)
    spec = json.loads((folder / "sweep.json").read_text())
    by_arm: dict[str, list[dict[str, Any]]] = {a["name"]: [] for a in spec["arms"]}
    for rec in load_results(folder):
        by_arm.setdefault(rec["arm"], []).extend(rec["results"])
    for rows in by_arm.values():
        rows.sort(key=lambda r: r["seed"])
    if spec["experiment"] == "gmm":
        _rescore_visual(spec, by_arm)
    return by_arm


def _rescore_visual(spec: dict[str, Any], by_arm: dict[str, list[dict[str, Any]]]) -> None:
    """Recompute ``modes_visual`` from each row's stored final samples with today's criterion.

    The result files keep every sample of the evaluation bank (``keep_samples``), so a change of
    the visual criterion (gan_demo/metrics.py) needs no retraining; the strict count is kept.
    """
    from .metrics import modes_visual

    for arm, rows in by_arm.items():
        params = next(a["params"] for a in spec["arms"] if a["name"] == arm) if rows else {}
        mix = make_dataset(params.get("dataset", "four4"), sigma=params.get("sigma"), radius=params.get("radius"))
        for r in rows:
            pts = np.asarray(r.get("samples") or [], dtype=np.float64)
            if pts.ndim == 2 and len(pts) >= 100:
                r["modes_visual"] = int(modes_visual(np.nan_to_num(pts, nan=1e6), mix)[0])


def sweep_report(out: str | Path, categories: dict[str, list[str]] | None = None,
                 fractions: list[str] | None = None) -> str:
    """Markdown tables for a sweep folder: per arm, each category's share with a 95 % Wilson interval.

    Args:
        out: The sweep folder.
        categories: metric -> category strings (default: the spec's ``[report] categories``).
        fractions: boolean metrics to report the true-share of (default: ``[report] fractions``).

    """
    folder = Path(out)
    spec = json.loads((folder / "sweep.json").read_text())
    rep = spec.get("report", {})
    categories = rep.get("categories", {}) if categories is None else categories
    fractions = rep.get("fractions", []) if fractions is None else fractions
    by_arm = sweep_rows(folder)
    parts = []
    for metric, cats in categories.items():
        tests = [category_test(c) for c in cats]
        lines = [f"**{metric}**: share of seeds, 95 % Wilson interval in brackets", "",
                 "| arm | seeds | " + " | ".join(f"{metric} {c}" for c in cats) + " |",
                 "|---|---|" + "---|" * len(cats)]
        for arm, rows in by_arm.items():
            vals = [r[metric] for r in rows if isinstance(r.get(metric), (int, float))]
            cells = [fraction_cell(sum(1 for v in vals if t(v)), len(vals)) for t in tests]
            lines.append(f"| {arm} | {len(vals)} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    if fractions:
        lines = ["share of seeds where the metric is true, 95 % Wilson interval in brackets", "",
                 "| arm | seeds | " + " | ".join(fractions) + " |", "|---|---|" + "---|" * len(fractions)]
        for arm, rows in by_arm.items():
            cells = [fraction_cell(sum(1 for r in rows if r.get(f) is True), len(rows)) for f in fractions]
            lines.append(f"| {arm} | {len(rows)} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    if not parts:
        from .sweep import summary_table

        parts.append(summary_table(folder))
    return "\n\n".join(parts)


def scatter_grid(out: str | Path, path: str | Path, *, points: int = 400, cols: int = 15,
                 metric: str = "modes_visual", strict: str = "modes_strict") -> Path:
    """A PNG of every seed's final samples, one block of rows per arm, for judging modes by eye.

    Each panel shows the first ``points`` samples on the evaluation bank (the [-1.5, 1.5]² box,
    the true centres as crosses) and is titled ``seed: visual/strict`` mode counts.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    by_arm = {a: r for a, r in sweep_rows(out).items() if r}
    spec = json.loads((Path(out) / "sweep.json").read_text())
    p0 = spec["arms"][0]["params"]
    mix = make_dataset(p0.get("dataset", "four4"), sigma=p0.get("sigma"), radius=p0.get("radius"))
    rows_per_arm = {a: math.ceil(len(r) / cols) for a, r in by_arm.items()}
    n_rows = sum(rows_per_arm.values())
    fig = Figure(figsize=(cols * 0.75, n_rows * 0.82 + 0.2), dpi=90)
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, cols, squeeze=False)
    r0 = 0
    for arm, rows in by_arm.items():
        for i in range(rows_per_arm[arm] * cols):
            ax = axes[r0 + i // cols][i % cols]
            ax.set_xticks([])
            ax.set_yticks([])
            if i >= len(rows):
                ax.set_axis_off()
                continue
            row = rows[i]
            pts = np.asarray(row["samples"][:points], dtype=np.float64).reshape(-1, 2)
            ax.scatter(pts[:, 0], pts[:, 1], s=0.6, c="#1f77b4", alpha=0.6, linewidths=0, rasterized=True)
            ax.scatter(mix.centres[:, 0], mix.centres[:, 1], s=9, marker="x", c="#d62728", linewidths=0.7)
            ax.set_xlim(-1.5, 1.5)
            ax.set_ylim(-1.5, 1.5)
            ax.set_aspect("equal")
            good = row.get(metric) == mix.n_modes
            ax.set_title(f"{row['seed']}: {row.get(metric)}/{row.get(strict)}", fontsize=6, pad=1.5,
                         color="#2ca02c" if good else "black")
            if i % cols == 0:
                ax.set_ylabel(arm, fontsize=6)
        r0 += rows_per_arm[arm]
    fig.suptitle(f"final samples per seed ({points} shown); title: seed: modes visual/strict; x: centres",
                 fontsize=7, y=0.999)
    fig.subplots_adjust(left=0.02, right=0.995, bottom=0.005, top=1 - 0.35 / (n_rows * 0.82 + 0.2), wspace=0.05,
                        hspace=0.3)
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(dest, dpi=90)
    return dest


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and (Path(argv[0]) / "sweep.json").is_file():
        from dynamics.cli import ArgumentParser, front_door, value_type

        def sweep_main(args: list[str]) -> int:
            ap = ArgumentParser(prog="python -m gan_demo.report", description="markdown tables of a sweep folder")
            ap.add_argument("folder", type=Path)
            ap.add_argument("--figure", type=Path, default=None, help="also write a per-seed scatter grid PNG")
            ap.add_argument("--points", type=value_type("int", low=10, high=20000), default=400)
            a = ap.parse_args(args)
            print(sweep_report(a.folder))
            if a.figure is not None:
                print(f"wrote {scatter_grid(a.folder, a.figure, points=a.points)}")
            return 0

        return front_door("python -m gan_demo.report")(sweep_main)(argv)
    if not argv or any(not (Path(a) / "metrics.json").is_file() for a in argv):
        bad = next((a for a in argv if not (Path(a) / "metrics.json").is_file()), "(none)")
        print(f"python -m gan_demo.report: error: {bad}: not a sweep folder (sweep.json) nor a run folder "
              "(metrics.json)", file=sys.stderr)
        return 2
    radius = 0.25
    print(f"| run | seeds | iteration | all / K-1 / ≤K-2 / exactly 1 (3σ, ≥ 0.2·n·π_k) | same, within {radius} of "
          "the centre (visual proxy) | mean HQ | labels |")
    print("|---|---|---|---|---|---|---|")
    for f in argv:
        print(row(Path(f), radius))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
