r"""Experiment 1 (Smoothed / Double SGDA on MNIST) over seeds: collect the runs, pick the representative, ship.

The claim (github.com/ojus1/SmoothedGradientDescentAscent, qualitative, sample grids only): GDA and
SGDA mode-collapse on MNIST, Double SGDA does not. Here every run is judged by the frozen classifier
on N = 2,000 samples from the fixed noise bank every ``fid_every`` iterations (classes covered, KL
to uniform, FID against the real floor, mean top-class probability), and a run counts as
**collapsed** at an evaluation when at most ``COLLAPSE_WELL_COVERED`` = 5 of the 10 digits are
*well covered* (each at least 0.2 N / 10 = 40 of the 2,000 samples): half the modes or more are
missing. The statistic is the number of collapsed runs at the last iteration, with a 95 % Wilson
interval (few seeds on CPU: the interval is wide and says so).

The shown run of each arm is its **median run by KL to uniform at the last iteration** (ties: the
lower seed; with an even count, the lower middle run), never the best one.

Commands (one training run per arm and seed, then one collect; gan_demo/MNIST.md has the table)::

    python -m gan_demo.mnist.train --preset exp1-gda --seeds 1 --out runs/mnist/exp1/gda-s1 \
        --ship runs/mnist/exp1/ship/exp1_gda_seed1
    python -m gan_demo.mnist.exp1 --ship-dir runs/mnist/exp1/ship --to checkpoints/mnist
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any, Optional

from dynamics import cli

from ..report import median_run, wilson
from .shipped import EXP1_RESULTS_FORMAT as RESULTS_FORMAT  # one spelling, read by the app
from .shipped import EXP1_RESULTS_NAME as RESULTS_NAME

#: arm -> the training preset that defines it (same settings but the algorithm, order or penalty)
ARMS = {"gda": "exp1-gda", "sgda": "exp1-sgda", "double_sgda": "exp1-double_sgda",
        "double_sgda_simultaneous": "exp1-double_sgda-simultaneous"}
#: how each arm is named in tables
ARM_LABELS = {"gda": "GDA (Adam, G then D)", "sgda": "SGDA (repo's SGDA.py)",
              "double_sgda": "Double SGDA (G then D, per-tensor penalty)",
              "double_sgda_simultaneous": "Double SGDA (simultaneous, one global norm)"}
#: a run is collapsed when at most this many of the 10 digits are well covered (>= 0.2 N / 10 samples)
COLLAPSE_WELL_COVERED = 5
_SHIP_NAME = re.compile(r"^exp1_(?P<arm>[a-z_]+?)_seed(?P<seed>\d+)$")


def collapsed(well_covered: int) -> bool:
    """The counting rule: at most ``COLLAPSE_WELL_COVERED`` digits with >= 0.2 N / 10 samples."""
    return int(well_covered) <= COLLAPSE_WELL_COVERED


def run_row(arm: str, seed: int, meta: dict) -> dict[str, Any]:
    """One run's metrics over training, read from its shipped sidecar (one seed per file)."""
    h, m = meta["history"], meta["metrics"]
    fm = [v[0] for v in h["fid_metrics"]]  # (evaluations,) one dict each
    final = m["per_seed"][0]
    row = {"arm": arm, "seed": int(seed), "steps": list(h["fid_steps"]),
           "fid": [round(float(d["fid"]), 2) for d in fm],
           "classes_covered": [int(d["classes_covered"]) for d in fm],
           "well_covered": [int(d["classes_well_covered"]) for d in fm],
           "kl": [round(float(d["rev_kl"]), 4) for d in fm],
           "top_prob": [round(float(d["mean_top_prob"]), 4) for d in fm],
           "fid_floor": round(float(m["real_floor"]["fid"]), 2),
           "final": {"step": int(meta["step"]), "fid": round(float(final["fid"]), 2),
                     "classes_covered": int(final["classes_covered"]),
                     "well_covered": int(final["classes_well_covered"]), "kl": round(float(final["rev_kl"]), 4),
                     "top_prob": round(float(final.get("mean_top_prob", fm[-1]["mean_top_prob"])), 4),
                     "largest_share": round(max(final["class_hist"]), 4)},
           "train_seconds": round(float(meta["train_seconds"]), 1)}
    row["collapsed"] = collapsed(row["final"]["well_covered"])
    return row


def summarize(rows: list[dict], arm: str) -> dict[str, Any]:
    """Collapsed k of n at the last iteration, its Wilson interval, medians and the median run."""
    mine = sorted((r for r in rows if r["arm"] == arm), key=lambda r: r["seed"])
    n = len(mine)
    k = sum(bool(r["collapsed"]) for r in mine)
    lo, hi = wilson(k, n)
    median, rank = median_run(mine, lambda r: r["final"]["kl"])

    def med(key: str) -> Optional[float]:
        return statistics.median(r["final"][key] for r in mine) if n else None

    return {"arm": arm, "n": n, "k_collapsed": k, "wilson95": (lo, hi),
            "median_seed": None if median is None else median["seed"],
            "median_rank": rank, "median_kl": med("kl"), "median_fid": med("fid"),
            "median_top_prob": med("top_prob"), "median_well_covered": med("well_covered"),
            "seeds": [r["seed"] for r in mine]}


def represents_text(s: dict, row: dict) -> str:
    """What the sidecar of a shown run says about how typical it is."""
    arm = ARM_LABELS.get(s["arm"], s["arm"])
    even = "; the lower middle run for an even count" if s["n"] % 2 == 0 else ""
    return (f"Collapsed at {row['final']['step']:,} (at most {COLLAPSE_WELL_COVERED} of 10 digits well covered): "
            f"{s['k_collapsed']} of {s['n']} {arm} runs. This is run {row['seed']}, the median run by KL to "
            f"uniform at {row['final']['step']:,} (rank {s['median_rank']} of {s['n']}{even}): KL "
            f"{row['final']['kl']:.2f}, {row['final']['well_covered']} digits well covered, FID "
            f"{row['final']['fid']:.0f} (real floor {row['fid_floor']:.1f}), mean top-class probability "
            f"{row['final']['top_prob']:.2f}.")


def scan(ship_dir: Path) -> list[tuple[str, int, Path]]:
    """``(arm, seed, path without suffix)`` of every ``exp1_<arm>_seed<k>.json`` in ``ship_dir``."""
    out = []
    for js in sorted(Path(ship_dir).glob("exp1_*_seed*.json")):
        m = _SHIP_NAME.match(js.stem)
        if m and m["arm"] in ARMS:
            out.append((m["arm"], int(m["seed"]), js.with_suffix("")))
    return out


def collect(ship_dir: Path, out_dir: Path, command: str = "") -> dict[str, Any]:
    """Write ``exp1_runs.json`` and each arm's median run as ``exp1_<arm>`` into ``out_dir``."""
    from . import checkpoint as ckpt

    found = scan(ship_dir)
    if not found:
        raise cli.UsageError(f"no exp1_<arm>_seed<k>.json files in {ship_dir}")
    metas = {(arm, seed): ckpt.load(path) for arm, seed, path in found}
    rows = [run_row(arm, seed, meta) for (arm, seed), (_, meta) in sorted(metas.items())]
    summary = {}
    for arm in ARMS:
        s = summarize(rows, arm)
        if not s["n"]:
            continue
        summary[arm] = s
        tensors, meta = metas[(arm, s["median_seed"])]
        row = next(r for r in rows if r["arm"] == arm and r["seed"] == s["median_seed"])
        lo, hi = s["wilson95"]
        meta["represents"] = {
            "statistic": f"collapsed at the last iteration (at most {COLLAPSE_WELL_COVERED} of 10 digits with "
                         ">= 0.2 N / 10 of N = 2,000 classifier-judged samples)",
            "k": s["k_collapsed"], "n": s["n"], "wilson95": [round(lo, 4), round(hi, 4)], "seed": s["median_seed"],
            "rank": s["median_rank"], "text": represents_text(s, row)}
        ckpt.save(Path(out_dir) / f"exp1_{arm}", tensors, meta)
    data = {"format": RESULTS_FORMAT, "kind": "exp1_runs", "collapse_well_covered": COLLAPSE_WELL_COVERED,
            "interval": "Wilson score, 95 %", "arm_labels": ARM_LABELS, "command": command,
            "summary": summary, "rows": rows}
    (Path(out_dir) / f"{RESULTS_NAME}.json").write_text(json.dumps(data, indent=0) + "\n")
    return data


PROG = "python -m gan_demo.mnist.exp1"


@cli.front_door(PROG)
def main(argv: Optional[list[str]] = None) -> int:
    """Collect experiment 1's runs: a bad argument is one line on stderr and exit code 2."""
    ap = cli.ArgumentParser(prog=PROG, description="Collect experiment 1's runs (one shipped file per arm and "
                            "seed) into exp1_runs.json and each arm's median run.")
    ap.add_argument("--ship-dir", type=Path, default=Path("runs/mnist/exp1/ship"),
                    help="folder of exp1_<arm>_seed<k>.{json,safetensors} (train.py --ship)")
    ap.add_argument("--to", type=Path, default=Path("checkpoints/mnist"), help="where to write")
    args = ap.parse_args(argv)
    if not args.ship_dir.is_dir():
        raise cli.UsageError(f"--ship-dir {args.ship_dir} is not a folder")
    cli.check_writable(args.to, is_dir=True, what="--to")
    command = f"{PROG} --ship-dir {args.ship_dir} --to {args.to}"
    data = collect(args.ship_dir, args.to, command=command)
    for arm, s in data["summary"].items():
        lo, hi = s["wilson95"]
        print(f"{arm}: collapsed in {s['k_collapsed']} of {s['n']} runs (Wilson 95 % [{lo:.2f}, {hi:.2f}]), "
              f"median KL {s['median_kl']:.2f}, median FID {s['median_fid']:.0f}, median top-class probability "
              f"{s['median_top_prob']:.2f}; shown: seed {s['median_seed']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
