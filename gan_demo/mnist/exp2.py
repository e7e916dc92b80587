r"""Experiment 2 (Mangoubi et al., 0-1 MNIST) as a statistic over seeds: GDA versus greedy min-max.

The published claim (Mangoubi et al. 2020; the authors' blog post of 2020-07-06, see gan_demo/MNIST.md): at
iteration 1000, both digits are generated in 86 % of runs with greedy min-max and in 23 % with GDA
(judged visually). Here a run "has both digits" at iteration ``at`` when the frozen classifier, on
``eval_n`` samples from the fixed noise bank, gives each of 0 and 1 a share of at least
``threshold`` (default 0.10; the argmax restricted to the digits 0 and 1):
$$ \text{both}(r) = [\min(f_0, f_1) \ge 0.10], \qquad f_1 = 1 - f_0 . $$
The fraction of runs with both digits gets a 95 % Wilson score interval (:func:`wilson`).

:func:`run_seeds` is the sweep contract's experiment function (registered as ``"mnist_exp2"`` in
``gan_demo.sweep``): one plain training run per seed (one row each, so a seed's numbers do not
depend on which seeds run with it), one flat JSON-able dict of metrics per seed.

Command line (writes one JSON line per seed, and optionally a shipped checkpoint per seed)::

    python -m gan_demo.mnist.exp2 --arm greedy_minmax --seeds 0-19 --out runs/mnist/exp2
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Optional

import torch

from dynamics import cli

from ..report import median_run, wilson  # one Wilson interval and one median run for every table
from .data import MNISTSplit, load_split
from .report import digit_switches
from .train import PRESETS, TrainConfig, Trainer

#: the two arms and the presets that define them (same settings but the algorithm)
ARMS = {"gda": "exp2-gda", "greedy_minmax": "exp2-greedy_minmax"}
#: the published fractions (Mangoubi et al. 2020, visual judgement at iteration 1000)
PUBLISHED = {"greedy_minmax": 0.86, "gda": 0.23}
#: the parameters :func:`run_seeds` accepts, with their defaults
DEFAULTS: dict[str, Any] = {"arm": "greedy_minmax", "steps": 1000, "at": 1000, "threshold": 0.10,
                            "eval_every": 10, "eval_n": 500, "batch_size": 128, "acceptance": "fresh"}


def both_present(frac_one: float, threshold: float = DEFAULTS["threshold"]) -> bool:
    """Both digits present: the smaller of the two shares is at least ``threshold``.

    (A 1e-9 tolerance keeps 1 - 0.9 = 0.0999... on the right side: shares are counts / N.)
    """
    return min(frac_one, 1.0 - frac_one) >= threshold - 1e-9


def trace_metrics(steps: list[int], ones: list[float], at: int, threshold: float) -> dict[str, Any]:
    """The per-run statistic from a trace of 1-fractions ``ones`` measured at ``steps``."""
    if at not in steps:
        raise ValueError(f"iteration {at} was not evaluated (evaluated: {steps[0]}..{steps[-1]})")
    f1 = ones[steps.index(at)]
    both = [both_present(f, threshold) for f in ones]
    return {"frac_one_at": round(f1, 4), "both_at": both_present(f1, threshold),
            "min_share_at": round(min(f1, 1 - f1), 4), "switches": digit_switches(ones),
            "both_frac_over_training": round(sum(both) / len(both), 4)}


def summarize(rows: list[dict], arm: str) -> dict[str, Any]:
    """K of n runs with both digits at the statistic's iteration, the Wilson interval, the median run.

    The representative run is the median of ``min_share_at`` (ties: the lower seed), so a shipped
    run shows what a typical run does, never the best one.
    """
    mine = sorted((r for r in rows if r["arm"] == arm), key=lambda r: r["seed"])
    k, n = sum(bool(r["both_at"]) for r in mine), len(mine)
    lo, hi = wilson(k, n)
    median, rank = median_run(mine, lambda r: r["min_share_at"])
    return {"arm": arm, "k": k, "n": n, "frac": k / n if n else float("nan"), "wilson95": (lo, hi),
            "published": PUBLISHED.get(arm), "median_seed": None if median is None else median["seed"],
            "median_rank": rank}


def config_for(params: dict, seed: int) -> TrainConfig:
    """The training configuration of one run (an arm's preset with ``params`` applied)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown mnist_exp2 parameters {sorted(unknown)}; accepted: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    if p["arm"] not in ARMS:
        raise ValueError(f"arm {p['arm']!r} is not one of {sorted(ARMS)}")
    base = dict(PRESETS[ARMS[p["arm"]]])
    base.update(steps=int(p["steps"]), eval_every=int(p["eval_every"]), eval_n=int(p["eval_n"]),
                batch_size=int(p["batch_size"]), acceptance=p["acceptance"], seeds=(int(seed),))
    return TrainConfig(**base)


def run_seeds(params: dict, seeds: list[int], device: str = "cpu", save_dir: Optional[str | Path] = None,
              split: Optional[MNISTSplit] = None) -> list[dict]:
    """Train one run per seed and return one flat dict of metrics per seed (the sweep contract).

    Args:
        params: keys of :data:`DEFAULTS` (``arm`` picks GDA or greedy min-max).
        seeds: one run each; a seed's result depends only on (params, seed).
        device: only ``"cpu"`` is supported by the MNIST trainer.
        save_dir: if given, each run's shipped checkpoint goes to ``save_dir/<arm>_seed<seed>``.
        split: the MNIST split (loaded from ``$SADDLE_MNIST_DIR`` when omitted).

    Returns:
        ``[{"seed", "arm", "frac_one_at", "both_at", "min_share_at", "switches",
        "both_frac_over_training", "eval_every", "frac_ones"}, ...]`` (``frac_ones``: the fraction of
        1s at every ``eval_every``-th iteration from 0 to ``steps``).

    """
    if device != "cpu":
        raise ValueError(f"device {device!r}: the MNIST trainer runs on cpu only")
    p = {**DEFAULTS, **params}
    split = load_split() if split is None else split
    out = []
    for seed in seeds:
        cfg = config_for(params, seed)
        trainer = Trainer(cfg, split=split)
        trainer.run(cfg.steps, progress=False)
        steps = trainer.history["eval_steps"]
        ones = [round(float(h[0][1]), 4) for h in trainer.history["class_hist"]]
        row = {"seed": int(seed), "arm": p["arm"], **trace_metrics(steps, ones, int(p["at"]), float(p["threshold"])),
               "eval_every": cfg.eval_every, "frac_ones": ones}
        if save_dir is not None:
            trainer.command = (f"python -m gan_demo.mnist.exp2 --arm {p['arm']} --seeds {seed} "  # type: ignore[attr-defined]
                               f"--ship-dir {save_dir}")
            trainer.finish()  # FID, KL, classes on N held-out-sized samples (what the tab's metrics show)
            trainer.final_metrics["exp2"] = row  # type: ignore[attr-defined]
            trainer.save_shipped(Path(save_dir) / f"{p['arm']}_seed{seed}")
        out.append(row)
    return out


def collect(rows: list[dict], ship_dir: Path, out_dir: Path, params: Optional[dict] = None,
            command: str = "") -> dict[str, Any]:
    """Ship the across-runs results and each arm's representative (median) run into ``out_dir``.

    Writes ``exp2_runs.json`` (every run's metrics and trace, the threshold, the summary) and, per
    arm, ``exp2_<arm>.{safetensors,json}`` copied from ``ship_dir/<arm>_seed<median>`` with a
    ``represents`` entry in the sidecar: the statistic, k of n, and which run this is.
    """
    from . import checkpoint as ckpt
    from .shipped import SWEEP_FORMAT, SWEEP_NAME

    p = {**DEFAULTS, **(params or {})}
    p.pop("arm", None)
    seen: dict[tuple[str, int], dict] = {}
    for r in rows:  # one row per (arm, seed): a rerun of a seed replaces the earlier line
        seen[(r["arm"], int(r["seed"]))] = r
    rows = sorted(seen.values(), key=lambda r: (r["arm"], r["seed"]))
    summary = {}
    for arm in ARMS:
        s = summarize(rows, arm)
        if not s["n"]:
            continue
        summary[arm] = s
        tensors, meta = ckpt.load(ship_dir / f"{arm}_seed{s['median_seed']}")
        lo, hi = s["wilson95"]
        arm_text = "greedy min-max" if arm == "greedy_minmax" else "GDA"
        meta["represents"] = {
            "statistic": f"both digits at iteration {p['at']} (each digit >= {p['threshold']:.0%} of {p['eval_n']} "
                         "samples, classifier-judged)",
            "k": s["k"], "n": s["n"], "wilson95": [round(lo, 4), round(hi, 4)], "seed": s["median_seed"],
            "rank": s["median_rank"],
            "text": (f"Both digits at {p['at']}: {s['k']} of {s['n']} {arm_text} runs. This is run {s['median_seed']}, "
                     f"the median run (rank {s['median_rank']} of {s['n']} by the smaller digit's share at {p['at']}"
                     f"{'; the lower middle run for an even count' if s['n'] % 2 == 0 else ''}), "
                     f"whose smaller share is {seen[(arm, s['median_seed'])]['min_share_at']:.2f}."),
        }
        ckpt.save(out_dir / f"exp2_{arm}", tensors, meta)
    data = {"format": SWEEP_FORMAT, "kind": "sweep", "experiment": "mnist_exp2", "params": p, "at": p["at"],
            "threshold": p["threshold"], "eval_n": p["eval_n"], "interval": "Wilson score, 95 %",
            "published": PUBLISHED, "command": command,
            "summary": {a: {k: v for k, v in s.items()} for a, s in summary.items()}, "rows": rows}
    (out_dir / f"{SWEEP_NAME}.json").write_text(json.dumps(data, indent=0) + "\n")
    return data


def parse_seeds(spec: str) -> list[int]:
    """'0-19' or '0,3,5' -> a list of seeds."""
    out: list[int] = []
    for part in spec.split(","):
        a, sep, b = part.strip().partition("-")
        if not a.isdigit() or (sep and not b.isdigit()):
            raise ValueError(f"--seeds {spec!r}: expected e.g. 0-19 or 0,3,5")
        out.extend(range(int(a), int(b) + 1) if sep else [int(a)])
    return out


PROG = "python -m gan_demo.mnist.exp2"


@cli.front_door(PROG)
def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: a bad argument is one line on stderr and exit code 2, before any training."""
    ap = cli.ArgumentParser(prog=PROG,
                                 description="Experiment 2 over seeds: one JSON line of metrics per seed.")
    ap.add_argument("--arm", choices=sorted(ARMS))
    ap.add_argument("--collect", action="store_true",
                    help="instead of training: ship OUT/*.jsonl and the median runs from --ship-dir to --to")
    ap.add_argument("--to", type=Path, default=Path("checkpoints/mnist"), help="where --collect writes")
    ap.add_argument("--from-sweep", type=Path, help="with --collect: read a gan_demo.sweep result folder instead")
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--out", type=Path, default=Path("runs/mnist/exp2"), help="folder for <arm>.jsonl")
    ap.add_argument("--ship-dir", type=Path, help="also write each run's shipped checkpoint here")
    args = ap.parse_args(argv)
    if args.collect:
        if args.ship_dir is None:
            raise cli.UsageError("--collect needs --ship-dir")
        if args.from_sweep is not None:
            from gan_demo.sweep import load_results

            rows = [row for rec in load_results(args.from_sweep) for row in rec["results"]]
            command = (f"python -m gan_demo.sweep sweeps/mnist_exp2.toml --out {args.from_sweep}; then per arm "
                       f"python -m gan_demo.mnist.exp2 --arm ARM --seeds MEDIAN --ship-dir {args.ship_dir}; then "
                       f"python -m gan_demo.mnist.exp2 --collect --from-sweep {args.from_sweep} "
                       f"--ship-dir {args.ship_dir} --to {args.to}")
        else:
            rows = [json.loads(line) for f in sorted(args.out.glob("*.jsonl"))
                    for line in f.read_text().splitlines() if line.strip()]
            command = (f"python -m gan_demo.mnist.exp2 --arm ARM --seeds 0-19 --out {args.out} --ship-dir "
                       f"{args.ship_dir} (per arm), then --collect")
        data = collect(rows, args.ship_dir, args.to, command=command)
        for arm, s in data["summary"].items():
            print(f"{arm}: both digits at {data['at']} in {s['k']} of {s['n']} runs, Wilson 95 % "
                  f"[{s['wilson95'][0]:.2f}, {s['wilson95'][1]:.2f}], median run seed {s['median_seed']}")
        return 0
    if args.arm is None:
        raise cli.UsageError("--arm is required (or --collect)")
    seeds = parse_seeds(args.seeds)
    cli.check_writable(args.out, is_dir=True, what="--out")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.ship_dir is not None:
        cli.check_writable(args.ship_dir, is_dir=True, what="--ship-dir")
    torch.set_num_threads(1)
    split = load_split()
    for seed in seeds:
        t0 = time.perf_counter()
        (row,) = run_seeds({"arm": args.arm}, [seed], save_dir=args.ship_dir, split=split)
        row = {**row, "wall_seconds": round(time.perf_counter() - t0, 1)}
        with open(args.out / f"{args.arm}.jsonl", "a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(f"{args.arm} seed {seed}: f1@{DEFAULTS['at']}={row['frac_one_at']} both={row['both_at']} "
              f"({row['wall_seconds']} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
