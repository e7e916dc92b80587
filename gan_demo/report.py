"""Mode-coverage table over CLI runs: ``python -m gan_demo.report runs/a runs/b ...`` (markdown)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


def main(argv: list[str]) -> int:
    radius = 0.25
    print(f"| run | seeds | iteration | all / K-1 / ≤K-2 / exactly 1 (3σ, ≥ 0.2·n·π_k) | same, within {radius} of "
          "the centre (visual proxy) | mean HQ | labels |")
    print("|---|---|---|---|---|---|---|")
    for f in argv:
        print(row(Path(f), radius))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
