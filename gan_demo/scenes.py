"""The 2D GAN comparisons the app offers by name, and small cached runs of them for an instant demo.

A scene is everything a live run needs (data, nets, loss, batch, seed, algorithms, steps,
snapshot period). The page's defaults, ``bench/gan.py`` and the shipped cached runs all read the
scenes from here, so "the default comparison" means one thing.

Cached runs (``checkpoints/gan2d/<scene>/``) hold what the page draws at every snapshot, never
weights: ``run.json`` (configs, per-snapshot metrics, the command that made it, CPU seconds) and
``snapshots.npz`` (float16 samples, discriminator grid, manifold, arrows; loaded with
``allow_pickle=False``). Remake them with::

    python -m gan_demo.scenes --scene default --out checkpoints/gan2d/default
    python -m gan_demo.scenes --scene mangoubi --out checkpoints/gan2d/mangoubi
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

import dynamics
from dynamics.threads import configure_threads

from . import metrics
from .data import Mixture, make_dataset
from .gmm import GMMConfig
from .live import NEAR_RADIUS, LiveOptions, LiveRun, LiveView, Snapshot
from .models import ModelConfig

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / "checkpoints" / "gan2d"
FORMAT = "saddle-gan2d-run/1"
MAX_CACHE_BYTES = 8_000_000  # per file: a cached run is small; refuse anything that is not

#: per-algorithm starting hyperparameters that work on this GAN. adam and greedy_minmax follow
#: Mangoubi et al.'s four4 notebook (Adam lr_G 1e-3, lr_D 1e-4, β1 0.5; rate 4, k 6, the notebook's
#: literal -V test)
GAN_DEFAULTS: dict[str, dict[str, Any]] = {
    "gda": {"lr": 0.05}, "alt_gda": {"lr": 0.05},
    "adam": {"lr": 1e-3, "lr_x": 1e-3, "lr_y": 1e-4, "beta1": 0.5},
    "greedy_minmax": {"lr": 1e-3, "lr_x": 1e-3, "lr_y": 1e-4, "variant": "gaussian", "rate": 4, "k": 6,
                      "optimizer": "adam", "beta1": 0.5, "criterion": "d_loss"},
}
#: the page's network choices: "small" keeps the dense Jacobian affordable, "Mangoubi" is the paper's
MODELS: dict[str, ModelConfig] = {
    "small": ModelConfig(latent_dim=2, g_width=16, d_width=16, activation="tanh", gain=1.0),
    "medium": ModelConfig(latent_dim=16, g_width=64, d_width=64, gain=0.8),
    "mangoubi": ModelConfig(),
}
MODEL_LABELS = {"small": "small (z 2, 2×16 tanh: dense spectrum)", "medium": "medium (z 16, 2×64 ReLU)",
                "mangoubi": "Mangoubi et al. (z 256, 2×128 ReLU)"}


@dataclass(frozen=True)
class Scene:
    """A named comparison."""

    title: str
    text: str
    dataset: str = "four4"
    model: str = "medium"
    batch_size: int = 128
    seed: int = 0
    algorithms: tuple[str, ...] = ("adam", "greedy_minmax")
    steps: int = 1500
    every: int = 50
    eval_n: int = 1000
    loss: str = "saturating"
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def config(self) -> GMMConfig:
        return GMMConfig(dataset=self.dataset, model=MODELS[self.model], loss_type=self.loss,
                         batch_size=self.batch_size, seeds=(self.seed,), eval_n=self.eval_n)

    def make_algorithms(self) -> list[dynamics.Algorithm]:
        return [dynamics.make_algorithm(n, **{**GAN_DEFAULTS.get(n, {}), **self.overrides.get(n, {})})
                for n in self.algorithms]

    def live(self, options: Optional[LiveOptions] = None) -> LiveRun:
        return LiveRun(self.config(), self.make_algorithms(), self.steps,
                       options=options or LiveOptions(every=self.every))


SCENES: dict[str, Scene] = {
    "default": Scene(
        title="Adam-GDA vs greedy min-max (the page's default)",
        text="Mangoubi et al.'s four-Gaussian mixture and optimiser settings on medium networks (z 16, 2×64 "
             "ReLU, batch 128), seed 0, 1500 steps."),
    "mangoubi": Scene(
        title="Mangoubi et al.'s setting (paper's networks)",
        text="The reproduction setting of gan_demo/README.md: z 256, G and D 2×128 ReLU, batch 512, Adam "
             "lr_G 1e-3, lr_D 1e-4, β1 0.5; greedy rate 4, k 6; seed 0, 1500 steps.",
        model="mangoubi", batch_size=512),
}


# ---- cached runs ---------------------------------------------------------------------------------
@dataclass
class CachedRun:
    """A run read back from disk: the view the page draws, the data, and where it came from."""

    title: str
    view: LiveView
    mixture: Mixture
    box: tuple[tuple[float, float], tuple[float, float]]
    meta: dict[str, Any]


_ARRAYS = ("samples", "heat", "manifold", "arrow_pts", "arrow_dirs")


def save_run(run: LiveRun, folder: Path, *, title: str, command: str) -> dict[str, int]:
    """Write ``run.json`` + ``snapshots.npz`` (float16, no pickle). Returns the file sizes in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    view = run.view()
    arms_meta, arrays = [], {}
    for i, arm in enumerate(run.arms):
        snaps = view.arms[arm.name]
        arms_meta.append({
            "name": arm.name, "algorithm": arm.algorithm.config(), "steps": [s.step for s in snaps],
            "metrics": {k: [s.metrics[k] for s in snaps] for k in snaps[0].metrics},
            "near": [s.near for s in snaps], "diverged": arm.diverged, "cpu_seconds": round(arm.seconds, 2)})
        for a in _ARRAYS:
            arrays[f"arm{i}_{a}"] = np.stack([getattr(s, a) for s in snaps]).astype(np.float16)
    meta = {"format": FORMAT, "title": title, "command": command, "config": run.cfg.to_dict(),
            "mixture": run.mixture.config(), "box": [list(b) for b in run.box], "steps": run.steps,
            "options": asdict(run.options), "status": view.status, "torch": torch.__version__, "arms": arms_meta}
    (folder / "run.json").write_text(json.dumps(meta, indent=1, allow_nan=True))
    np.savez_compressed(folder / "snapshots.npz", **arrays)
    return {p.name: p.stat().st_size for p in (folder / "run.json", folder / "snapshots.npz")}


def _check_size(path: Path) -> None:
    if path.stat().st_size > MAX_CACHE_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_CACHE_BYTES} bytes; not a cached run")


def _read_folder(folder: Path, meta_name: str) -> tuple[dict, Path, Mixture]:
    """``(metadata, snapshots.npz path, mixture)`` of a run folder, both files checked for presence and size."""
    meta_p, npz_p = folder / meta_name, folder / "snapshots.npz"
    if not meta_p.is_file() or not npz_p.is_file():
        raise ValueError(f"{folder.name}: {meta_name} and snapshots.npz are needed")
    _check_size(meta_p)
    _check_size(npz_p)
    meta = json.loads(meta_p.read_text())
    m = meta["mixture"]
    return meta, npz_p, make_dataset("custom", centres=m["centres"], weights=m["weights"], sigma=m["sigma"])


def load_run(folder: Path) -> CachedRun:
    """Read a cached run written by :func:`save_run` (JSON + npz without objects).

    Raises:
        ValueError: if the files are missing, too large or not in this format.

    """
    meta, npz_p, mix = _read_folder(folder, "run.json")
    if meta.get("format") != FORMAT:
        raise ValueError(f"{folder.name}: unknown format {meta.get('format')!r}")
    arms: dict[str, list[Snapshot]] = {}
    with np.load(npz_p, allow_pickle=False) as z:
        for i, a in enumerate(meta["arms"]):
            arr = {k: z[f"arm{i}_{k}"].astype(np.float32) for k in _ARRAYS}
            arms[a["name"]] = [
                Snapshot(step=int(s), samples=arr["samples"][t], heat=arr["heat"][t], manifold=arr["manifold"][t],
                         arrow_pts=arr["arrow_pts"][t], arrow_dirs=arr["arrow_dirs"][t],
                         metrics={k: v[t] for k, v in a["metrics"].items()}, near=int(a["near"][t]))
                for t, s in enumerate(a["steps"])]
    view = LiveView(status="cached", steps=int(meta["steps"]), step=min(s[-1].step for s in arms.values()),
                    arms=arms, diverged={a["name"]: bool(a["diverged"]) for a in meta["arms"]}, error=None)
    box = tuple(tuple(float(v) for v in b) for b in meta["box"])
    return CachedRun(title=meta["title"], view=view, mixture=mix, box=box, meta=meta)  # type: ignore[arg-type]


def load_cli_run(folder: Path, max_seeds: int = 4) -> CachedRun:
    """A run written by ``python -m gan_demo.gmm --out FOLDER``: its first ``max_seeds`` seeds side by side.

    Those folders keep samples and metrics only, so the discriminator, manifold and arrow layers are
    empty. Read with JSON and ``np.load(allow_pickle=False)`` only.

    Raises:
        ValueError: if the files are missing, too large or do not fit together.

    """
    summary, npz_p, mix = _read_folder(folder, "metrics.json")
    with np.load(npz_p, allow_pickle=False) as z:
        steps, samples = z["steps"].astype(int), z["samples"].astype(np.float32)  # (T,), (T, S, n, 2)
    if samples.ndim != 4 or samples.shape[0] != len(steps) or samples.shape[3] != 2:
        raise ValueError(f"{folder.name}: samples of shape {samples.shape} do not match {len(steps)} steps")
    seeds = list(summary["config"]["seeds"])[: min(max_seeds, samples.shape[1])]
    algo = summary["algorithm"]["name"]
    mets = summary["metrics"]
    arms: dict[str, list[Snapshot]] = {}
    for s_i, seed in enumerate(seeds):
        snaps = []
        for t, step in enumerate(steps):
            pts = samples[t, s_i]
            finite = np.nan_to_num(pts.astype(np.float64), nan=1e6, posinf=1e6, neginf=-1e6)
            snaps.append(Snapshot(step=int(step), samples=pts[:600], heat=None, manifold=None, arrow_pts=None,
                                  arrow_dirs=None, metrics={k: v[t][s_i] for k, v in mets.items()},
                                  near=int(metrics.modes_near(finite, mix, NEAR_RADIUS)[0])))
        arms[f"{algo} seed {seed}"] = snaps
    diverged = summary.get("diverged", [False] * len(seeds))
    view = LiveView(status="cached", steps=int(steps[-1]), step=int(steps[-1]), arms=arms,
                    diverged={n: bool(d) for n, d in zip(arms, diverged)}, error=None)
    meta = {"command": f"python -m gan_demo.gmm ... --out {folder}", "arms": [
        {"name": n, "cpu_seconds": float(summary.get("seconds", 0.0)) / len(arms)} for n in arms]}
    return CachedRun(title=f"{folder.name}: {algo} on {mix.name}, {len(seeds)} seed(s)", view=view, mixture=mix,
                     box=mix.box(), meta=meta)


def shipped() -> dict[str, Path]:
    """Cached runs shipped with the repository, by scene name."""
    return {p.parent.name: p.parent for p in sorted(CACHE_DIR.glob("*/run.json"))}


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gan_demo.scenes", description="Train a named 2D GAN scene and "
                                "write it as a small cached run for the app's 'Load a cached run'.")
    p.add_argument("--scene", choices=sorted(SCENES), default="default")
    p.add_argument("--out", type=Path, required=True, help="output folder (run.json, snapshots.npz)")
    a = p.parse_args(argv)
    configure_threads()
    scene = SCENES[a.scene]
    t0, c0 = time.perf_counter(), time.process_time()
    run = scene.live().run_to_end()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    sizes = save_run(run, a.out, title=scene.title,
                     command=f"python -m gan_demo.scenes --scene {a.scene} --out {a.out}")
    for arm in run.arms:
        s = arm.snapshots[-1]
        print(f"{arm.name}: {s.metrics['modes_well_covered']:.0f} modes well covered (3σ), {s.near} within 0.25, "
              f"{arm.seconds:.1f} CPU-s")
    print(f"{a.scene}: {wall:.1f} s wall, {cpu:.1f} s CPU; wrote {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
