"""2D Gaussian-mixture GAN experiments: config -> game -> ``dynamics.run`` -> metrics, snapshots, GIF.

CLI::

    python -m gan_demo.gmm --dataset four4 --algorithm greedy_minmax --steps 1500 --seeds 10 --out runs/x

writes ``metrics.json`` (per-checkpoint coverage metrics per seed, the cycling report and the
Mangoubi-style outcome), ``snapshots.npz`` (generated samples on the fixed evaluation noise bank),
``train.gif`` and ``final.safetensors`` (+ ``.json`` sidecar; ``--resume`` continues from it).
Algorithm flags are generated from the chosen algorithm's ``dynamics.hparams`` declarations.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

import dynamics
from dynamics.algorithm import Algorithm
from dynamics.params import hparams
from dynamics.threads import configure_threads

from . import checkpoints, metrics
from .data import DATASETS, Mixture, make_dataset
from .game import LOSSES, GANGame, mix_seed
from .models import ModelConfig, latent_sampler, make_discriminator, make_generator

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class GMMConfig:
    """Everything but the algorithm. Defaults: Mangoubi et al.'s 4-Gaussian setting (GAN_METRICS.md §2.5)."""

    dataset: str = "four4"
    sigma: Optional[float] = None  # None: the dataset's literature default
    radius: Optional[float] = None
    model: ModelConfig = field(default_factory=ModelConfig)
    loss_type: str = "saturating"
    batch_size: int = 512
    clip: float = 0.01
    gp_weight: float = 10.0
    r1: float = 0.0
    r2: float = 0.0
    seeds: tuple[int, ...] = (0,)
    eval_n: int = 2500  # size of the fixed evaluation noise bank (metrics, snapshots)
    eval_seed: int = 12345
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset {self.dataset!r} is not one of {list(DATASETS)}")
        if self.loss_type not in LOSSES:
            raise ValueError(f"loss {self.loss_type!r} is not one of {list(LOSSES)}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype {self.dtype!r} is not one of {list(DTYPES)}")
        if not 1 <= len(self.seeds) <= 256:
            raise ValueError(f"1..256 seeds supported, got {len(self.seeds)}")
        if not 100 <= self.eval_n <= 20000:
            raise ValueError(f"eval_n must be in [100, 20000], got {self.eval_n}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GMMConfig:
        d = dict(d)
        d["model"] = ModelConfig(**d.get("model", {}))
        d["seeds"] = tuple(d.get("seeds", (0,)))
        return cls(**d)


def build(cfg: GMMConfig, mixture: Optional[Mixture] = None) -> tuple[GANGame, Mixture]:
    """The game and the mixture for ``cfg`` (``mixture`` overrides the dataset, e.g. a CSV upload)."""
    mix = mixture if mixture is not None else make_dataset(cfg.dataset, sigma=cfg.sigma, radius=cfg.radius)
    m = cfg.model
    game = GANGame(generator=make_generator(m), discriminator=make_discriminator(m), real_sampler=mix.sample,
                   latent_sampler=latent_sampler(m.latent_dim, m.noise), seeds=cfg.seeds, loss_type=cfg.loss_type,
                   batch_size=cfg.batch_size, clip=cfg.clip, gp_weight=cfg.gp_weight, r1=cfg.r1, r2=cfg.r2,
                   eval_seed=cfg.eval_seed)
    return game, mix


def noise_bank(cfg: GMMConfig, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu") -> torch.Tensor:
    """The fixed evaluation noise bank (eval_n, k): every checkpoint of every seed sees the same codes."""
    g = torch.Generator(device=device).manual_seed(mix_seed(cfg.eval_seed, -3))
    return latent_sampler(cfg.model.latent_dim, cfg.model.noise)(cfg.eval_n, g).to(dtype)


@dataclass
class GMMRun:
    """What :func:`train` returns (numpy arrays; T checkpoints, S seeds, K modes, n eval samples)."""

    config: GMMConfig
    algorithm: dict[str, Any]
    mixture: Mixture
    steps: np.ndarray  # (T,) checkpoint steps (metrics and snapshots)
    samples: np.ndarray  # (T, S, n, 2) generated points on the noise bank
    metrics: dict[str, np.ndarray]  # name -> (T, S); "occupancy" -> (T, S, K)
    params: Optional[np.ndarray]  # (T, S, D) iterates at the checkpoints (if kept)
    z_final: torch.Tensor  # (S, D)
    state: Any
    rng_state: Optional[torch.Tensor]
    diverged: np.ndarray  # (S,) bool
    seconds: float
    stopped: bool = False

    @property
    def final_step(self) -> int:
        return int(self.steps[-1])

    def cycling(self) -> metrics.CyclingReport:
        return metrics.cycling(self.metrics["occupancy"], self.metrics["modes_well_covered"], self.mixture.n_modes)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary: configs, per-checkpoint metrics, cycling report, outcome at the end."""
        m = {k: np.asarray(v).tolist() for k, v in self.metrics.items()}
        final_wc = self.metrics["modes_well_covered"][-1]
        return {
            "config": self.config.to_dict(), "algorithm": self.algorithm, "mixture": self.mixture.config(),
            "steps": self.steps.tolist(), "metrics": m, "cycling": self.cycling().to_dict(),
            "final": {k: np.asarray(v[-1]).tolist() for k, v in self.metrics.items() if k != "occupancy"},
            "outcome": metrics.mode_outcome(final_wc, self.mixture.n_modes),
            "diverged": self.diverged.tolist(), "seconds": self.seconds, "stopped": self.stopped,
        }


def train(cfg: GMMConfig, algorithm: Algorithm, steps: int, *, every: int = 100, mixture: Optional[Mixture] = None,
          z0: Optional[torch.Tensor] = None, state: Any = None, start_step: int = 0,
          rng_state: Optional[torch.Tensor] = None, keep_params: bool = False, device: str = "cpu",
          progress: Optional[Callable[[int], Any]] = None) -> GMMRun:
    """Train all seeds of ``cfg`` at once with ``algorithm`` through :func:`dynamics.run`.

    Args:
        cfg: Experiment config (data, models, loss, seeds).
        algorithm: Any registered algorithm instance.
        steps: Iterations to run (from ``start_step``).
        every: Checkpoint period: metrics and snapshots on the fixed noise bank every ``every`` steps.
        mixture: Override the dataset (custom points).
        z0: Start (S, D); default: fresh init from the seeds.
        state: Algorithm state to resume from.
        start_step: Step index of ``z0`` (resuming).
        rng_state: Runner rng state to resume from.
        keep_params: Also keep the iterates at the checkpoints (for the app's heatmaps/spectrum).
        device: "cpu" or "cuda".
        progress: Called with the current step after every step; returning ``False`` stops early.

    Returns:
        A :class:`GMMRun`.

    """
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    game, mix = build(cfg, mixture)
    dtype = DTYPES[cfg.dtype]
    if z0 is None:
        z0 = game.init_params(cfg.model.init, cfg.model.gain, dtype=dtype, device=device)
    bank = noise_bank(cfg, dtype, device)
    S = len(cfg.seeds)
    rec_steps, samples, mets, params = [], [], [], []
    stopped = False

    def checkpoint(step: int, z: torch.Tensor) -> None:
        with torch.no_grad():
            x, _ = game.split(z)
            pts = game.generate(x, bank.expand(S, *bank.shape)).double().cpu().numpy()  # (S, n, 2)
        rec_steps.append(step)
        samples.append(pts.astype(np.float32))
        mets.append(metrics.coverage(np.nan_to_num(pts, nan=1e6), mix))
        if keep_params:
            params.append(z.detach().cpu().numpy().copy())

    checkpoint(start_step, z0.to(dtype))

    def callback(step: int, z: torch.Tensor, st: Any) -> Any:
        nonlocal stopped
        if (step - start_step) % every == 0 or step == start_step + steps:
            checkpoint(step, z)
        if progress is not None and progress(step) is False:
            stopped = True
            if rec_steps[-1] != step:
                checkpoint(step, z)
            return False
        return None

    t0 = time.perf_counter()
    traj = dynamics.run(game, algorithm, z0, steps=steps, device=device, dtype=dtype, record_every=max(1, steps),
                        state=state, rng_state=rng_state, start_step=start_step, callback=callback, metrics=False)
    seconds = time.perf_counter() - t0
    keys = [k for k in mets[0]]
    stacked = {k: np.stack([m[k] for m in mets]) for k in keys}
    return GMMRun(config=cfg, algorithm=algorithm.config(), mixture=mix, steps=np.array(rec_steps),
                  samples=np.stack(samples), metrics=stacked, params=np.stack(params) if keep_params else None,
                  z_final=traj.z_final, state=traj.state, rng_state=traj.rng_state,
                  diverged=traj.diverged.cpu().numpy(), seconds=seconds, stopped=stopped)


# ---- CLI ------------------------------------------------------------------------------------------
def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def algorithm_arguments(parser: argparse.ArgumentParser, cls: type, reserved: set[str]) -> list[tuple[str, str]]:
    """Add one ``--flag`` per scalar hyperparameter of ``cls`` (from its ``hparam`` metadata).

    Returns:
        ``(hparam name, argparse dest)`` pairs.

    """
    group = parser.add_argument_group(f"{cls.name} hyperparameters")
    out = []
    for hp in hparams(cls):
        if hp.kind not in ("float", "int", "bool", "choice"):
            continue  # vectors, matrices, nested algorithms: not CLI material
        flag = _flag(hp.name) if hp.name not in reserved else _flag("algo_" + hp.name)
        dest = "algo__" + hp.name
        rng = "" if hp.low is None else f" [{hp.low}, {hp.high}]"
        helptext = f"{hp.help}{rng} (default {hp.default})"
        if hp.kind == "bool":
            group.add_argument(flag, dest=dest, type=lambda s: s.lower() in ("1", "true", "yes"), default=None,
                               help=helptext)
        elif hp.kind == "choice":
            group.add_argument(flag, dest=dest, choices=list(hp.choices), default=None, help=helptext)
        else:
            group.add_argument(flag, dest=dest, type=int if hp.kind == "int" else float, default=None, help=helptext)
        out.append((hp.name, dest))
    return out


def make_parser(algorithm: Optional[str] = None) -> tuple[argparse.ArgumentParser, list[tuple[str, str]]]:
    p = argparse.ArgumentParser(prog="python -m gan_demo.gmm", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--algorithm", default="gda", choices=sorted(dynamics.ALGORITHMS), help="registered algorithm")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--seeds", type=int, default=10, help="number of seeds trained at once (vmapped)")
    p.add_argument("--seed0", type=int, default=0, help="first seed; seeds are seed0 .. seed0+seeds-1")
    p.add_argument("--every", type=int, default=100, help="checkpoint (metrics, snapshot) period")
    p.add_argument("--out", type=Path, required=False, default=None, help="output folder")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: dynamics/threads.py policy)")
    p.add_argument("--no-gif", action="store_true")
    p.add_argument("--resume", type=Path, default=None, help="continue from a checkpoint .safetensors")
    d = p.add_argument_group("data")
    d.add_argument("--dataset", default="four4", choices=[x for x in DATASETS if x != "custom"])
    d.add_argument("--sigma", type=float, default=None)
    d.add_argument("--radius", type=float, default=None, help="ring/four4 radius, grid spacing")
    d.add_argument("--csv", type=Path, default=None, help="custom centres x,y[,weight] (overrides --dataset)")
    m = p.add_argument_group("models and loss")
    dm = ModelConfig()
    for name in ("latent_dim", "g_depth", "g_width", "d_depth", "d_width"):
        m.add_argument(_flag(name), type=int, default=getattr(dm, name))
    m.add_argument("--activation", default=dm.activation)
    m.add_argument("--noise", default=dm.noise)
    m.add_argument("--init", default=dm.init)
    m.add_argument("--gain", type=float, default=dm.gain)
    m.add_argument("--loss", default="saturating", choices=list(LOSSES))
    m.add_argument("--batch-size", type=int, default=512)
    m.add_argument("--clip", type=float, default=0.01)
    m.add_argument("--gp-weight", type=float, default=10.0)
    m.add_argument("--r1", type=float, default=0.0)
    m.add_argument("--r2", type=float, default=0.0)
    m.add_argument("--dtype", default="float32", choices=list(DTYPES))
    reserved = {a.dest for a in p._actions}
    pairs = algorithm_arguments(p, dynamics.ALGORITHMS[algorithm], reserved) if algorithm else []
    return p, pairs


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    pre, _ = make_parser()
    known, _ = pre.parse_known_args(argv)
    parser, pairs = make_parser(known.algorithm)
    a = parser.parse_args(argv)
    configure_threads(a.threads or None)
    model = ModelConfig(latent_dim=a.latent_dim, g_depth=a.g_depth, g_width=a.g_width, d_depth=a.d_depth,
                        d_width=a.d_width, activation=a.activation, noise=a.noise, init=a.init, gain=a.gain)
    cfg = GMMConfig(dataset="custom" if a.csv else a.dataset, sigma=a.sigma, radius=a.radius, model=model,
                    loss_type=a.loss, batch_size=a.batch_size, clip=a.clip, gp_weight=a.gp_weight, r1=a.r1, r2=a.r2,
                    seeds=tuple(range(a.seed0, a.seed0 + a.seeds)), dtype=a.dtype)
    mixture = make_dataset("custom", sigma=a.sigma, csv=a.csv) if a.csv else None
    algo = dynamics.make_algorithm(a.algorithm, **{n: getattr(a, d) for n, d in pairs if getattr(a, d) is not None})
    z0 = state = rng = None
    start = 0
    if a.resume is not None:
        meta = checkpoints.read_meta(a.resume)
        cfg = GMMConfig.from_dict(meta["config"])
        algo = dynamics.from_config(meta["algorithm"])
        game, _ = build(cfg, mixture)
        ck = checkpoints.load(a.resume, game, algo, device=a.device)
        z0, state, rng, start = ck.z.to(DTYPES[cfg.dtype]), ck.state, ck.rng_state, ck.step
    from tqdm import tqdm

    bar = tqdm(total=a.steps, desc=f"{a.algorithm} x{len(cfg.seeds)} seeds", unit="step")
    last = [start]

    def progress(step: int) -> None:
        bar.update(step - last[0])
        last[0] = step

    run = train(cfg, algo, a.steps, every=a.every, mixture=mixture, z0=z0, state=state, start_step=start,
                rng_state=rng, device=a.device, progress=progress)
    bar.close()
    summary = run.summary()
    oc = summary["outcome"]
    labels = summary["cycling"]["label"]
    print(f"{a.algorithm}: {run.seconds:.1f} s, {a.steps * len(cfg.seeds) / max(run.seconds, 1e-9):.0f} seed-steps/s")
    print("final modes_well_covered per seed:", summary["final"]["modes_well_covered"])
    print("outcome:", json.dumps(oc), "labels:", {k: labels.count(k) for k in sorted(set(labels))})
    if a.out is not None:
        out: Path = a.out
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(summary, indent=1))
        np.savez_compressed(out / "snapshots.npz", steps=run.steps, samples=run.samples,
                            occupancy=run.metrics["occupancy"], centres=run.mixture.centres)
        checkpoints.save(out / "final.safetensors", run.z_final, run.state, run.final_step, config=cfg.to_dict(),
                         algorithm=algo.config(), rng_state=run.rng_state, extra={"mixture": run.mixture.config()})
        if not a.no_gif:
            from .gif import scatter_gif

            P = min(4, len(cfg.seeds))
            gif = scatter_gif(run.mixture.sample_numpy(1000), run.samples[:, :P, :600],
                              titles=[f"{a.algorithm}  step {s}" for s in run.steps],
                              panel_titles=[f"seed {s}" for s in cfg.seeds[:P]], box=run.mixture.box())
            (out / "train.gif").write_bytes(gif)
        print(f"wrote {out}/metrics.json, snapshots.npz, final.safetensors" + ("" if a.no_gif else ", train.gif"))
    return 0


def replace_seeds(cfg: GMMConfig, seeds: tuple[int, ...]) -> GMMConfig:
    """``cfg`` with other seeds (the app runs one seed per algorithm side by side)."""
    return replace(cfg, seeds=tuple(seeds))


if __name__ == "__main__":
    raise SystemExit(main())
