"""2D Gaussian-mixture GAN experiments: config -> game -> ``dynamics.run`` -> metrics, snapshots, GIF.

CLI::

    python -m gan_demo.gmm --dataset four4 --algorithm greedy_minmax --steps 1500 --seeds 10 --out runs/x

writes ``metrics.json`` (per-checkpoint coverage metrics per seed, the cycling report and the
Mangoubi-style outcome), ``snapshots.npz`` (generated samples on the fixed evaluation noise bank),
``train.gif`` and ``final.safetensors`` (+ ``.json`` sidecar; ``--resume`` continues from it).
Algorithm flags are generated from the chosen algorithm's ``dynamics.hparams`` declarations.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

import dynamics
from dynamics import cli
from dynamics.algorithm import Algorithm
from dynamics.params import hparam, hparams, validate
from dynamics.threads import configure_threads

from . import checkpoints, metrics
from .data import DATASETS, Mixture, make_dataset, parse_csv
from .game import LOSSES, GANGame, mix_seed
from .models import ModelConfig, latent_sampler, make_discriminator, make_generator

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class GMMConfig:
    """Everything but the algorithm. Defaults: Mangoubi et al.'s 4-Gaussian setting (docs/metrics.md §4)."""

    dataset: str = hparam("four4", choices=DATASETS, help="2D mixture (custom: centres from --csv)")
    sigma: Optional[float] = hparam(None, low=1e-4, high=10.0, optional=True,
                                    help="component standard deviation (none: the dataset's literature default)")
    radius: Optional[float] = hparam(None, low=1e-3, high=50.0, optional=True,
                                     help="ring/four4 radius, grid spacing (none: the literature default)")
    model: ModelConfig = field(default_factory=ModelConfig)
    loss_type: str = hparam("saturating", choices=LOSSES, help="GAN loss")
    batch_size: int = hparam(512, low=1, high=8192, help="real and fake samples per step and seed")
    clip: float = hparam(0.01, low=0.0, high=10.0, help="WGAN weight clipping bound")
    gp_weight: float = hparam(10.0, low=0.0, high=1000.0, help="WGAN-GP gradient penalty weight")
    r1: float = hparam(0.0, low=0.0, high=1000.0, help="R1 penalty weight (real data)")
    r2: float = hparam(0.0, low=0.0, high=1000.0, help="R2 penalty weight (generated data)")
    seeds: tuple[int, ...] = (0,)
    eval_n: int = hparam(2500, low=100, high=20000, help="size of the fixed evaluation noise bank")
    eval_seed: int = hparam(12345, low=0, high=2**31 - 1, help="seed of the evaluation noise bank")
    dtype: str = hparam("float32", choices=tuple(DTYPES), help="parameter dtype")

    def __post_init__(self) -> None:
        validate(self, "gmm config")
        if not 1 <= len(self.seeds) <= 256:
            raise ValueError(f"1..256 seeds supported, got {len(self.seeds)}")

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
PROG = "python -m gan_demo.gmm"
#: largest custom-centres CSV the CLI reads (the app's upload cap)
MAX_CSV_BYTES = 1_000_000
#: largest checkpoint ``--resume`` accepts
MAX_CHECKPOINT_BYTES = 1 << 30
MAX_STEPS = 1_000_000


def make_parser(algorithm: Optional[str] = None) -> tuple[cli.ArgumentParser, dict[str, list[tuple[str, str]]]]:
    """The parser; config, model and (for ``algorithm``) algorithm flags come from their ``hparam`` declarations.

    Returns:
        The parser and ``{"config" | "model" | "algorithm": [(field name, argparse dest), ...]}``.

    """
    num = cli.value_type
    p = cli.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--algorithm", default="gda", type=num("choice", choices=sorted(dynamics.ALGORITHMS)),
                   help="registered algorithm (default gda)")
    p.add_argument("--steps", type=num("int", low=1, high=MAX_STEPS), default=1500, help="steps (default 1500)")
    p.add_argument("--seeds", type=num("int", low=1, high=256), default=10,
                   help="number of seeds trained at once (vmapped; default 10)")
    p.add_argument("--seed0", type=num("int", low=0, high=2**31 - 257), default=0,
                   help="first seed; seeds are seed0 .. seed0+seeds-1")
    p.add_argument("--every", type=num("int", low=1, high=MAX_STEPS), default=100,
                   help="checkpoint (metrics, snapshot) period (default 100)")
    p.add_argument("--out", type=Path, default=None, help="output folder (checked writable before training)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--threads", type=num("int", low=0, high=256), default=0,
                   help="torch CPU threads (0: dynamics/threads.py policy)")
    p.add_argument("--no-gif", action="store_true")
    p.add_argument("--resume", type=Path, default=None, help="continue from a checkpoint .safetensors")
    p.add_argument("--csv", type=Path, default=None,
                   help=f"custom centres x,y[,weight] (overrides --dataset; at most {MAX_CSV_BYTES} bytes)")
    groups = {
        "config": cli.add_hparam_flags(p.add_argument_group("data and loss"), GMMConfig, dest_prefix="cfg__",
                                       aliases={"loss_type": ["--loss"]}),
        "model": cli.add_hparam_flags(p.add_argument_group("models"), ModelConfig, dest_prefix="model__"),
        "algorithm": [],
    }
    if algorithm:
        taken = {opt for act in p._actions for opt in act.option_strings}
        cls = dynamics.ALGORITHMS[algorithm]
        group = p.add_argument_group(f"{algorithm} hyperparameters")
        clash = {hp.name for hp in hparams(cls) if cli.flag_name(hp.name) in taken}
        kinds = ("float", "int", "bool", "choice")  # vectors, matrices, nested algorithms: not CLI material
        groups["algorithm"] = (cli.add_hparam_flags(group, cls, dest_prefix="algo__", skip=clash, kinds=kinds)
                               + cli.add_hparam_flags(group, cls, prefix="algo-", dest_prefix="algo__",
                                                      kinds=kinds, skip={hp.name for hp in hparams(cls)} - clash))
    return p, groups


@cli.front_door(PROG)
def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of ``python -m gan_demo.gmm``: a bad argument is one line on stderr and exit code 2."""
    argv = sys.argv[1:] if argv is None else list(argv)
    pre, _ = make_parser()
    known, _ = pre.parse_known_args(argv)
    parser, groups = make_parser(known.algorithm)
    a = parser.parse_args(argv)
    # every check before any work: device, output folder, input files, configs
    try:
        torch.device(a.device)
    except RuntimeError:
        raise cli.UsageError(f"--device: not a torch device: {a.device!r}") from None
    if a.out is not None:
        cli.check_writable(a.out, is_dir=True, what="--out")
    fields = cli.given(a, groups["config"])
    model = ModelConfig(**cli.given(a, groups["model"]))
    mixture = None
    if a.csv is not None:
        centres, weights = parse_csv(cli.read_bounded(a.csv, MAX_CSV_BYTES, "--csv"))
        mixture = make_dataset("custom", sigma=fields.get("sigma"), centres=centres, weights=weights)
        fields["dataset"] = "custom"
    elif fields.get("dataset") == "custom":
        raise cli.UsageError("--dataset custom needs --csv")
    cfg = GMMConfig(**fields, model=model, seeds=tuple(range(a.seed0, a.seed0 + a.seeds)))
    algo = dynamics.make_algorithm(a.algorithm, **cli.given(a, groups["algorithm"]))
    z0 = state = rng = None
    start = 0
    if a.resume is not None:
        cli.check_readable(a.resume, MAX_CHECKPOINT_BYTES, "--resume")
        meta = checkpoints.read_meta(a.resume)
        cfg = GMMConfig.from_dict(meta["config"])
        algo = dynamics.from_config(meta["algorithm"])
        game, _ = build(cfg, mixture)
        ck = checkpoints.load(a.resume, game, algo, device=a.device)
        z0, state, rng, start = ck.z.to(DTYPES[cfg.dtype]), ck.state, ck.rng_state, ck.step
    configure_threads(a.threads or None)
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


# ---- sweep experiment (python -m gan_demo.sweep; contract in gan_demo/sweep.py) -------------------
#: run_seeds keys that are not GMMConfig/ModelConfig fields or algorithm hyperparameters
RUN_KEYS = {"algorithm", "steps", "every", "keep_samples"}


def run_seeds(params: dict[str, Any], seeds: list[int], device: str = "cpu") -> list[dict[str, Any]]:
    """The "gmm" sweep experiment: train ``seeds`` at once (vmapped) and score the final samples.

    ``params``: ``algorithm`` (registered name), ``steps`` (1500), ``every`` (checkpoint period,
    100), ``keep_samples`` (final samples kept per seed for scatter grids, 500); any
    :class:`GMMConfig` field (``dataset``, ``loss_type``, ``batch_size``, ...) and any
    :class:`~gan_demo.models.ModelConfig` field; every other key is a hyperparameter of the
    algorithm. Seeds train independently (each row draws from its own seed only), so the rows do
    not depend on how the seeds are chunked.

    Returns:
        One dict per seed: ``modes_strict`` (3σ, ≥ 0.2·n·π_k), ``modes_visual``
        (:func:`metrics.modes_visual`), ``modes_near`` (≥ 0.2·n·π_k within 0.25), ``hq_frac``,
        ``max_share`` (largest nearest-centre share), ``label`` (cycling label),
        ``modes_strict_t`` (per checkpoint), ``diverged``, ``samples`` (the first ``keep_samples``
        final points, rounded to 1e-4).

    """
    p = dict(params)
    algo_name = p.pop("algorithm", "adam")
    steps = int(p.pop("steps", 1500))
    every = int(p.pop("every", 100))
    keep = int(p.pop("keep_samples", 500))
    model_keys = set(ModelConfig.__dataclass_fields__)
    cfg_keys = set(GMMConfig.__dataclass_fields__) - {"model", "seeds"}
    model = ModelConfig(**{k: p.pop(k) for k in list(p) if k in model_keys})
    cfg = GMMConfig(model=model, seeds=tuple(int(s) for s in seeds), **{k: p.pop(k) for k in list(p) if k in cfg_keys})
    algo = dynamics.make_algorithm(algo_name, **p)
    run = train(cfg, algo, steps, every=every, device=device)
    final = run.samples[-1].astype(np.float64)  # (S, n, 2)
    final = np.nan_to_num(final, nan=1e6, posinf=1e6, neginf=-1e6)
    visual = metrics.modes_visual(final, run.mixture)
    near = metrics.modes_near(final, run.mixture, 0.25)
    k_near, _ = metrics.assign(final, run.mixture)
    share = np.stack([(k_near == j).mean(1) for j in range(run.mixture.n_modes)], 1)  # (S, K)
    labels = run.cycling().label
    wc = run.metrics["modes_well_covered"]  # (T, S)
    rows = []
    for i, s in enumerate(cfg.seeds):
        rows.append({
            "seed": int(s), "modes_strict": int(wc[-1, i]), "modes_visual": int(visual[i]),
            "modes_near": int(near[i]), "hq_frac": float(run.metrics["hq_frac"][-1, i]),
            "max_share": float(share[i].max()), "share": [round(float(v), 4) for v in share[i]],
            "label": str(labels[i]), "modes_strict_t": [int(v) for v in wc[:, i]], "diverged": bool(run.diverged[i]),
            "samples": np.round(run.samples[-1, i, :keep].astype(np.float64), 4).tolist(),
        })
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
