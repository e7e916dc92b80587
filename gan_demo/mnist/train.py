r"""Train MNIST GANs with the engine's algorithm classes: ``dynamics.run`` on a :class:`GANGame`.

Every algorithm in the registry trains the same game; there is no per-algorithm training code.
The run advances in chunks of ``log_every`` steps (each a ``dynamics.run`` call resumed from the
previous one's iterate and state); between chunks it logs the players' losses on a fixed
evaluation batch, the class histogram of samples from a fixed noise bank (the fraction of 1s on
0-1 MNIST), sample snapshots, and a resumable checkpoint.

One documented command per shipped checkpoint (see ``gan_demo/MNIST.md``)::

    python -m gan_demo.mnist.train --preset exp2-greedy_minmax --ship checkpoints/mnist/exp2_greedy_minmax

or everything by hand::

    python -m gan_demo.mnist.train --arch mlp --digits all --algorithm adam --hp lr=2e-4 \
        --hp order=x_first --batch-size 32 --steps 1000 --out runs/mnist/my_run

Resume an interrupted run (same result as uninterrupted): ``--resume runs/mnist/my_run/resume``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch
from tqdm import tqdm

import dynamics
from dynamics import cli
from dynamics.params import hparam, hparams, validate
from dynamics.threads import configure_threads
from gan_demo.game import LOSSES, GANBatch, GANGame, mix_seed

from . import checkpoint as ckpt
from .classifier import load_classifier, predict, weights_sha256
from .data import DIGITS, MNISTSplit, load_split, parse_digits, subset
from .metrics import class_metrics, evaluate_images, make_reference, real_floor
from .models import ARCHES, make_players, to_canonical

REPO_ROOT = Path(__file__).resolve().parents[2]
#: the fixed evaluation noise bank's seed: every run and algorithm samples from the same codes
EVAL_NOISE_SEED = 2024
#: seed offset of the per-step dropout masks (kept apart from the minibatch streams)
DROPOUT_STREAM = 7919
#: seed offset of the greedy acceptance test's fresh minibatches (two per step)
ACCEPT_STREAM = 104_729
#: where the greedy min-max test draws its loss values: "fresh" = two fresh minibatches with dropout
#: off (the 0-1 MNIST notebook), "step" = the training step's own minibatch, dropout on (our earlier runs)
ACCEPTANCES = ("fresh", "step")
#: training pixels in [-1, 1] ("pm1", Mangoubi et al.) or [0, 1] ("01", the Smoothed-GDA repo's
#: un-normalised pl_bolts data module, while G still ends in tanh)
DATA_RANGES = ("pm1", "01")
MAX_STEPS = 200_000
#: the metrics kept in the history every ``fid_every`` steps
FID_KEYS = ("class_hist", "classes_covered", "classes_well_covered", "rev_kl", "hq_frac", "mean_top_prob", "fid",
            "kid")


@dataclass(frozen=True, kw_only=True, eq=False)
class MNISTGANGame(GANGame):
    """A :class:`GANGame` whose players may use dropout reproducibly.

    Dropout draws from torch's global generator (vmap ``randomness="different"``), so
    :meth:`sample` reseeds it from ``(seeds[0], step)`` before each step: a step's dropout masks
    depend only on the seed and the step, which makes resumed runs equal uninterrupted ones.
    """

    #: draw the greedy acceptance test's losses from fresh minibatches with D in eval mode
    accept_fresh: bool = False
    #: the step this sampled copy belongs to (set by :meth:`sample`)
    step: int = -1

    def sample(self, generator: torch.Generator, like: torch.Tensor, step: int) -> GANGame:
        torch.manual_seed(mix_seed(self.seeds[0] + DROPOUT_STREAM, step))
        new = super().sample(generator, like, step)
        object.__setattr__(new, "step", step)
        return new

    @torch.no_grad()
    def acceptance_value(self, x: torch.Tensor, y: torch.Tensor, draw: int) -> torch.Tensor:
        """V (S,) for greedy min-max's test: ``draw`` 0 (before the move) or 1 (after it).

        With ``accept_fresh`` as in the 0-1 MNIST notebook: a fresh minibatch of ``batch_size`` per
        draw (row s seeded by ``(seeds[s], step, draw)``, never the training minibatch) and the
        discriminator in eval mode (dropout off, like Keras ``predict``). Otherwise :meth:`value` on
        the step's own minibatch, dropout as in training.
        """
        if not self.accept_fresh or self.step < 0:
            return self.value(x, y)
        parts = [self.draw(mix_seed(s + ACCEPT_STREAM, 2 * self.step + draw), self.batch_size, x.device)
                 for s in self.seeds]
        batch = GANBatch(*(torch.stack(p).to(x.dtype) for p in zip(*parts)))  # each (S, N, ...)
        was = self.discriminator.training
        self.discriminator.eval()
        try:
            _, d_real, d_fake = self._logits(x, y, batch)
        finally:
            self.discriminator.train(was)
        return self._value(d_real, d_fake)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run (stored in the checkpoint JSON)."""

    arch: str = hparam("mlp", choices=ARCHES, help="generator/discriminator architecture")
    digits: tuple[int, ...] = DIGITS
    algorithm: dict = field(default_factory=lambda: {"name": "adam", "lr": 2e-4, "order": "x_first"})
    loss_type: str = hparam("non_saturating", choices=LOSSES, help="GAN loss")
    batch_size: int = hparam(64, low=1, high=4096, help="images per step and seed")
    steps: int = hparam(1000, low=1, high=MAX_STEPS, help="total steps (with --resume: the new total)")
    seeds: tuple[int, ...] = (0,)
    init: str = hparam("default", choices=("default", "orthogonal"), help="weight initialisation")
    latent: int = hparam(100, low=1, high=1024, help="latent code dimension")
    log_every: int = hparam(10, low=1, high=MAX_STEPS, help="steps per chunk (losses logged after each)")
    eval_every: int = hparam(50, low=1, high=MAX_STEPS, help="steps between evaluations (a multiple of log_every)")
    eval_n: int = hparam(500, low=1, high=60_000, help="samples per evaluation")
    snapshot_every: int = hparam(100, low=1, high=MAX_STEPS, help="steps between sample snapshots")
    snapshot_n: int = hparam(64, low=1, high=1024, help="images per snapshot")
    checkpoint_every: int = hparam(500, low=1, high=MAX_STEPS, help="steps between resume checkpoints")
    acceptance: str = hparam("fresh", choices=ACCEPTANCES,
                             help="greedy min-max's test: two fresh minibatches with dropout off (the notebook) "
                                  "or the step's own minibatch with dropout on (earlier runs)")
    data_range: str = hparam("pm1", choices=DATA_RANGES,
                             help="training pixels in [-1, 1] (pm1) or [0, 1] (01, the Smoothed-GDA repo)")
    fid_every: int = hparam(0, low=0, high=MAX_STEPS,
                            help="steps between full metrics (FID, KL, classes) on N samples; 0 = off")

    def __post_init__(self) -> None:
        validate(self, "mnist config")  # kinds and ranges first: log_every >= 1 before the modulus below
        if self.fid_every % self.log_every:
            raise ValueError(f"fid_every={self.fid_every} must be 0 or a multiple of log_every={self.log_every}")
        for name in ("eval_every", "snapshot_every", "checkpoint_every"):
            v = getattr(self, name)
            if v % self.log_every:
                raise ValueError(f"{name}={v} must be a positive multiple of log_every={self.log_every}")
        if not 1 <= len(self.seeds) <= 64:
            raise ValueError("between 1 and 64 seeds")
        if not self.digits or any(d not in DIGITS for d in self.digits):
            raise ValueError(f"digits must be a non-empty subset of 0..9, got {self.digits}")

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["digits"] = list(self.digits)
        d["seeds"] = list(self.seeds)
        return d

    @classmethod
    def from_json(cls, d: dict) -> TrainConfig:
        d = dict(d)
        d["digits"] = tuple(d["digits"])
        d["seeds"] = tuple(d["seeds"])
        return cls(**d)


# The seed papers' experiments. Defaults follow the authors' code (gan_demo/MNIST.md lists what still
# differs); earlier variants stay as named presets for comparison.
# Experiment 1, the Smoothed-GDA repository (ojus1/SmoothedGradientDescentAscent): batch 32, pixels in [0, 1] (pl_bolts
# MNISTDataModule defaults), torch Adam lr 2e-4 with default betas on each player's full loss, G step
# then D step, 10,000 iterations. "exp1-adam-*" (batch 64, [-1, 1], 2,000 iterations, Double SGDA
# simultaneous with one global norm) and the plain-step "exp1-alt_gda/-sgda/-double_sgda" are earlier runs.
# Experiment 2, Mangoubi et al. 0-1 MNIST (MNIST_Code.ipynb): Adam lr 2e-4, beta1 0.5, batch 128, the greedy test on
# fresh minibatches with dropout off, 1,000 iterations (the statistic's iteration; the notebook runs 2,000).
_SGDA_REPO = dict(arch="mlp", digits=DIGITS, loss_type="non_saturating", batch_size=64, steps=2000,
                  eval_every=50, snapshot_every=100, snapshot_n=64, checkpoint_every=500)
_SGDA_FAITHFUL = dict(_SGDA_REPO, batch_size=32, data_range="01", steps=10_000, snapshot_every=500,
                      checkpoint_every=1000, fid_every=1000)
_MANGOUBI = dict(arch="mangoubi", digits=(0, 1), loss_type="non_saturating", batch_size=128, steps=1000,
                 eval_every=10, snapshot_every=50, snapshot_n=32, checkpoint_every=500)
#: our earlier experiment-2 setup: batch 64, the test on the training minibatch with dropout on
_MANGOUBI_EARLIER = dict(_MANGOUBI, batch_size=64, acceptance="step", steps=2000)
PLAIN_LR = 0.1
_PAPER_ADAM = {"lr": 2e-4, "beta1": 0.5}
_REPO_ADAM = {"lr": 2e-4, "beta1": 0.9, "beta2": 0.999}
_REPO_DOUBLE = {"name": "double_sgda", **_REPO_ADAM, "optimizer": "adam", "p": 0.5, "beta": 0.1}
PRESETS: dict[str, dict[str, Any]] = {
    # --- experiment 1 as the repo runs it: GDA.py, SGDA.py (slow D, penalty only, swa_start 50 calls =
    # 25 iterations), DoubleSmoothedGDA.py (slow D also trains G, swa_start 10 calls = 5 iterations)
    "exp1-gda": dict(_SGDA_FAITHFUL, algorithm={"name": "adam", **_REPO_ADAM, "order": "x_first"}),
    "exp1-sgda": dict(_SGDA_FAITHFUL, algorithm={**_REPO_DOUBLE, "generator_term": False, "swa_start": 25}),
    "exp1-double_sgda": dict(_SGDA_FAITHFUL, algorithm={**_REPO_DOUBLE, "swa_start": 5}),
    # Double SGDA with our earlier update order and penalty (both players at once, one global norm)
    "exp1-double_sgda-simultaneous": dict(_SGDA_FAITHFUL, algorithm={**_REPO_DOUBLE, "swa_start": 5,
                                                                     "order": "simultaneous",
                                                                     "penalty": "global_norm"}),
    # --- earlier experiment-1 runs (batch 64, [-1, 1], 2,000 iterations)
    "exp1-adam-gda": dict(_SGDA_REPO, algorithm={"name": "adam", **_REPO_ADAM, "order": "x_first"}),
    "exp1-adam-sgda": dict(_SGDA_REPO, algorithm={"name": "sgda", **_REPO_ADAM, "optimizer": "adam", "p": 0.5,
                                                  "beta": 0.1}),
    "exp1-adam-double_sgda": dict(_SGDA_REPO, algorithm={**_REPO_DOUBLE, "swa_start": 5, "order": "simultaneous",
                                                         "penalty": "global_norm"}),
    "exp1-plain-alt_gda": dict(_SGDA_REPO, algorithm={"name": "alt_gda", "lr": PLAIN_LR}),
    "exp1-plain-sgda": dict(_SGDA_REPO, algorithm={"name": "sgda", "lr": PLAIN_LR}),
    "exp1-plain-double_sgda": dict(_SGDA_REPO, algorithm={"name": "double_sgda", "lr": PLAIN_LR,
                                                          "order": "simultaneous", "penalty": "global_norm"}),
    # --- experiment 2: GDA (Adam, G step then D step) versus greedy min-max (rate 5, k = 1)
    "exp2-gda": dict(_MANGOUBI, algorithm={"name": "adam", **_PAPER_ADAM, "order": "x_first"}),
    "exp2-greedy_minmax": dict(_MANGOUBI, algorithm={"name": "greedy_minmax", **_PAPER_ADAM, "optimizer": "adam",
                                                     "rate": 5, "k": 1}),
    # earlier: batch 64, test on the step's minibatch with dropout on, 2,000 iterations
    "exp2-earlier-gda": dict(_MANGOUBI_EARLIER, algorithm={"name": "adam", **_PAPER_ADAM, "order": "x_first"}),
    "exp2-earlier-greedy_minmax": dict(_MANGOUBI_EARLIER, algorithm={"name": "greedy_minmax", **_PAPER_ADAM,
                                                                     "optimizer": "adam", "rate": 5, "k": 1}),
    "exp2-alt_gda-plain": dict(_MANGOUBI_EARLIER, algorithm={"name": "alt_gda", "lr": PLAIN_LR}),
    "exp2-greedy_minmax-plain": dict(_MANGOUBI_EARLIER, algorithm={"name": "greedy_minmax", "lr": PLAIN_LR,
                                                                   "rate": 5, "k": 1}),
}


def build_game(cfg: TrainConfig, train_x: torch.Tensor) -> MNISTGANGame:
    """The GAN game on flat training images (N, 784), given in [-1, 1] and mapped to ``cfg.data_range``."""
    G, D = make_players(cfg.arch, cfg.latent)
    data = train_x.reshape(train_x.shape[0], -1).contiguous()  # (N, 784)
    if cfg.data_range == "01":
        data = (data + 1.0) / 2.0
    latent = cfg.latent

    def real(n: int, g: torch.Generator) -> torch.Tensor:
        return data[torch.randint(0, data.shape[0], (n,), generator=g)].to(g.device)

    def noise(n: int, g: torch.Generator) -> torch.Tensor:
        return torch.randn(n, latent, generator=g, device=g.device)

    has_dropout = any(getattr(m, "dropout", 0) for m in (G, D))
    return MNISTGANGame(generator=G, discriminator=D, real_sampler=real, latent_sampler=noise,
                        seeds=cfg.seeds, batch_size=cfg.batch_size, loss_type=cfg.loss_type,
                        eval_size=256, randomness="different" if has_dropout else "error",
                        accept_fresh=cfg.acceptance == "fresh")


def make_algorithm(config: dict) -> dynamics.Algorithm:
    return dynamics.from_config(dict(config))


def parse_hp(name: str, pairs: list[str]) -> dict[str, Any]:
    """``["lr=2e-4", "order=x_first"]`` -> typed kwargs, cast by the algorithm's declarations (no eval)."""
    if name not in dynamics.ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; valid choices: {', '.join(sorted(dynamics.ALGORITHMS))}")
    decl = {h.name: h for h in hparams(dynamics.ALGORITHMS[name])}
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or key not in decl:
            raise ValueError(f"--hp {pair!r}: expected key=value with key in {sorted(decl)}")
        if decl[key].kind not in ("float", "int", "bool", "choice"):
            raise ValueError(f"--hp {key}: {decl[key].kind} hyperparameters are not settable from the command line")
        out[key] = cli.parse_value(decl[key], raw, f"--hp {key}")
    return out


def eval_noise(n: int, latent: int) -> torch.Tensor:
    """The fixed noise bank (n, latent) shared by every run (first rows = the snapshot grid)."""
    return torch.randn(n, latent, generator=torch.Generator().manual_seed(EVAL_NOISE_SEED))


@torch.no_grad()
def generate(game: GANGame, z: torch.Tensor, noise: torch.Tensor, chunk: int = 1000) -> torch.Tensor:
    """Images (S, n, 784) from every row's generator on the same noise (n, latent)."""
    x, _ = game.split(z)
    outs = []
    for i in range(0, noise.shape[0], chunk):
        nz = noise[i : i + chunk].to(z)
        outs.append(game.generate(x, nz.expand(x.shape[0], *nz.shape)))
    return torch.cat(outs, dim=1).float()


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats (..., 784) -> uint8 (..., 28, 28)."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).reshape(*images.shape[:-1], 28, 28)


class Trainer:
    """Holds the data, game, algorithm and history of one run; :meth:`run` advances it."""

    def __init__(self, cfg: TrainConfig, split: Optional[MNISTSplit] = None, with_metrics: bool = True) -> None:
        self.cfg = cfg
        self.split = load_split() if split is None else split
        self.train_x, self.train_y = subset(self.split.train_x, self.split.train_y, cfg.digits)
        self.held_x, _ = subset(self.split.held_x, self.split.held_y, cfg.digits)
        self.game = build_game(cfg, self.train_x)
        counts = [int((self.train_y == d).sum()) for d in cfg.digits]
        self.train_freqs = [round(c / max(1, sum(counts)), 5) for c in counts]
        self.algorithm = make_algorithm(cfg.algorithm)
        self.with_metrics = with_metrics
        self.clf = load_classifier() if with_metrics else None
        n_bank = max(cfg.eval_n, cfg.snapshot_n, len(self.held_x))
        self.noise = eval_noise(n_bank, cfg.latent)
        self.z = self.game.init_params(init=cfg.init, dtype=torch.float32)  # (S, D)
        self.state: Any = None
        self.rng_state: Optional[torch.Tensor] = None
        self.step = 0
        self.seconds = 0.0
        self.history: dict[str, list] = {"log_steps": [], "loss_x": [], "loss_y": [], "eval_steps": [],
                                          "class_hist": [], "snapshot_steps": [], "diverged_at": []}
        self.snapshots: list[torch.Tensor] = []  # each (S, n, 28, 28) uint8

    def images(self, noise: torch.Tensor) -> torch.Tensor:
        """Every seed's samples (S, n, 784) in [-1, 1] on the noise bank rows ``noise`` (n, latent)."""
        return to_canonical(generate(self.game, self.z, noise), self.cfg.data_range)

    # ---- logging ------------------------------------------------------------------------------
    def _log(self) -> None:
        h, cfg = self.history, self.cfg
        # on the fixed evaluation batch; D's dropout masks seeded by the step so logs are reproducible
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(mix_seed(cfg.seeds[0] + DROPOUT_STREAM, -1 - self.step))
            x, y = self.game.split(self.z)
            lx, ly = self.game.losses(x, y)
        h["log_steps"].append(self.step)
        h["loss_x"].append([round(float(v), 5) for v in lx])
        h["loss_y"].append([round(float(v), 5) for v in ly])
        if self.step % cfg.eval_every == 0 and self.clf is not None:
            imgs = self.images(self.noise[: cfg.eval_n])  # (S, n, 784)
            hists = []
            for s in range(imgs.shape[0]):
                probs, _ = predict(self.clf, imgs[s])
                hists.append(class_metrics(probs, cfg.digits)["class_hist"])
            h["eval_steps"].append(self.step)
            h["class_hist"].append(hists)
        if cfg.fid_every and self.step % cfg.fid_every == 0 and self.clf is not None:
            h.setdefault("fid_steps", []).append(self.step)
            h.setdefault("fid_metrics", []).append([{k: m[k] for k in FID_KEYS} for m in self.full_metrics()])
        if self.step % cfg.snapshot_every == 0:
            h["snapshot_steps"].append(self.step)
            self.snapshots.append(to_uint8(self.images(self.noise[: cfg.snapshot_n])))

    # ---- the loop -----------------------------------------------------------------------------
    def run(self, until: int, out: Optional[Path] = None, progress: bool = True,
            on_chunk: Optional[Callable[[Trainer], None]] = None) -> None:
        """Advance to step ``until`` (writing resume checkpoints to ``out`` when given)."""
        cfg = self.cfg
        if self.step == 0 and not self.history["log_steps"]:
            self._log()
        bar = tqdm(total=until, initial=self.step, disable=not progress, desc=cfg.algorithm["name"],
                   unit="step", dynamic_ncols=True)
        while self.step < until:
            n = min(cfg.log_every - self.step % cfg.log_every, until - self.step)
            t0 = time.perf_counter()
            traj = dynamics.run(self.game, self.algorithm, self.z, steps=n, dtype=torch.float32, seed=cfg.seeds[0],
                                record_every=n, state=self.state, rng_state=self.rng_state,
                                start_step=self.step, metrics=False, callback=lambda *_: bar.update(1))
            self.seconds += time.perf_counter() - t0
            self.z, self.state, self.rng_state = traj.z_final, traj.state, traj.rng_state
            self.step += n
            if bool(traj.diverged.any()):
                self.history["diverged_at"] = [int(v) + self.step - n if v >= 0 else -1 for v in traj.diverged_at]
            if self.step % cfg.log_every == 0:
                self._log()
            if out is not None and (self.step % cfg.checkpoint_every == 0 or self.step == until):
                self.save_resume(out / "resume")
            if on_chunk is not None:
                on_chunk(self)
        bar.close()

    # ---- checkpoints --------------------------------------------------------------------------
    def meta(self, kind: str, command: str) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "format": ckpt.FORMAT, "kind": kind, "arch": cfg.arch, "latent": cfg.latent,
            "digits": list(cfg.digits), "algorithm": self.algorithm.config(),
            "game": {k: v for k, v in self.game.config().items()},
            "data": {**self.split.info(), "digits": list(cfg.digits), "n_train_digits": int(len(self.train_x)),
                     "n_held_digits": int(len(self.held_x)), "train_freqs": self.train_freqs,
                     "frac_ones": self.train_freqs[1] if cfg.digits == (0, 1) else None},
            "seeds": list(cfg.seeds), "step": self.step, "config": cfg.to_json(),
            "metrics": getattr(self, "final_metrics", {}), "history": self.history,
            "command": command, "train_seconds": round(self.seconds, 1),
            "steps_per_second": round(self.step / self.seconds, 3) if self.seconds else None,
            "torch_threads": torch.get_num_threads(), "device": "cpu",
            "classifier_sha256": weights_sha256(self.clf) if self.clf is not None else None,
            "eval_noise_seed": EVAL_NOISE_SEED,
        }

    def save_resume(self, path: Path, command: str = "") -> None:
        state_t, state_s = ckpt.flatten_state(self.state if self.state is not None else
                                              self.algorithm.init(self.game, self.z))
        tensors = {"z": self.z, **state_t}
        if self.rng_state is not None:
            tensors["rng_state"] = self.rng_state
        if self.snapshots:
            tensors["snapshots"] = torch.stack(self.snapshots)
        meta = self.meta("resume", command or getattr(self, "command", ""))
        meta["state_scalars"] = state_s
        ckpt.save(path, tensors, meta)

    @classmethod
    def resume(cls, path: Path, split: Optional[MNISTSplit] = None, with_metrics: bool = True) -> Trainer:
        tensors, meta = ckpt.load(path)
        if meta["kind"] != "resume":
            raise ValueError(f"{path} is a {meta['kind']} checkpoint; only 'resume' checkpoints can be resumed")
        t = cls(TrainConfig.from_json(meta["config"]), split=split, with_metrics=with_metrics)
        if tensors["z"].shape != t.z.shape:
            raise ValueError(f"checkpoint iterate has shape {tuple(tensors['z'].shape)}, expected {tuple(t.z.shape)}")
        t.z = tensors["z"].to(torch.float32)
        template = t.algorithm.init(t.game, t.z)
        t.state = ckpt.unflatten_state(template, tensors, meta.get("state_scalars", {}))
        t.rng_state = tensors.get("rng_state")
        t.step = int(meta["step"])
        t.seconds = float(meta["train_seconds"])
        t.history = meta["history"]
        if "snapshots" in tensors:
            t.snapshots = list(tensors["snapshots"].unbind(0))
        return t

    def reference(self) -> Any:
        """The real statistics of these digits (cached)."""
        if getattr(self, "_ref", None) is None:
            assert self.clf is not None
            self._ref = make_reference(self.clf, self.train_x, self.train_y, self.held_x, self.cfg.digits)
        return self._ref

    def full_metrics(self) -> list[dict[str, Any]]:
        """Every seed's metrics on N = (held-out images of these digits) samples of the noise bank."""
        assert self.clf is not None
        imgs = self.images(self.noise[: len(self.held_x)])  # (S, n, 784)
        return [_rounded(evaluate_images(self.clf, imgs[s], self.reference())) for s in range(imgs.shape[0])]

    def finish(self) -> dict[str, Any]:
        """Final metrics per seed on N = (held-out images of these digits) samples, plus the real floor."""
        assert self.clf is not None
        ref = self.reference()
        n = len(self.held_x)
        per_seed = self.full_metrics()
        out = {"n_samples": n, "per_seed": per_seed, "real_floor": _rounded(real_floor(self.clf, ref)),
               "note": f"classifier-feature FID/KID; {self.split.describe()}; real floor = held-out images "
                       "against the training split's statistics, same N"}
        if self.cfg.digits == (0, 1):
            out["both_digits"] = [min(m["class_hist"]) >= 0.10 for m in per_seed]
        self.final_metrics = out
        return out

    def save_shipped(self, path: Path, command: str = "") -> None:
        """Generators in float16 and the snapshot samples: what the app loads."""
        x, _ = self.game.split(self.z)
        tensors = {"gen": x.to(torch.float16)}
        if self.snapshots:
            tensors["snapshots"] = torch.stack(self.snapshots)  # (K, S, n, 28, 28) uint8
        ckpt.save(path, tensors, self.meta("shipped", command or getattr(self, "command", "")))


def _rounded(d: dict) -> dict:
    return {k: (round(v, 5) if isinstance(v, float) and math.isfinite(v) else v) for k, v in d.items()}


PROG = "python -m gan_demo.mnist.train"


def _default_algorithm() -> dict:
    return TrainConfig.__dataclass_fields__["algorithm"].default_factory()  # type: ignore[misc]


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The run's config: the preset (if any), then the given flags; the algorithm is built to check it.

    Raises:
        ValueError: naming the flag, for anything the declarations refuse.

    """
    base: dict[str, Any] = dict(PRESETS[args.preset]) if args.preset else {}
    if args.algorithm:
        base["algorithm"] = {"name": args.algorithm, **parse_hp(args.algorithm, args.hp)}
    elif args.hp:
        algo = base.get("algorithm", _default_algorithm())
        base["algorithm"] = {**algo, **parse_hp(algo["name"], args.hp)}
    for hp in hparams(TrainConfig):
        v = getattr(args, hp.name, None)
        if v is not None:
            base[hp.name] = v
    if args.digits is not None:
        base["digits"] = parse_digits(args.digits)
    if args.seeds is not None:
        parts = args.seeds.split(",")
        if not 1 <= len(parts) <= 64:
            raise cli.UsageError(f"--seeds: 1 to 64 comma-separated seeds, got {len(parts)}")
        base["seeds"] = tuple(cli.parse_int(s, "--seeds", 0, 2**31 - 1) for s in parts)
    cfg = TrainConfig(**base)
    make_algorithm(cfg.algorithm)  # unknown names and bad values fail here, before any data is loaded
    return cfg


def build_parser() -> cli.ArgumentParser:
    """The parser: run flags from :class:`TrainConfig`'s declarations, ``--hp`` from the algorithm's."""
    p = cli.ArgumentParser(prog=PROG, description="Train an MNIST GAN with any registered dynamics algorithm.",
                           epilog=f"presets: {', '.join(PRESETS)}")
    p.add_argument("--preset", type=cli.value_type("choice", choices=sorted(PRESETS)),
                   help="a seed-paper experiment (flags below override it)")
    p.add_argument("--digits", help="'all' or e.g. '01' (0-1 MNIST)")
    p.add_argument("--algorithm", type=cli.value_type("choice", choices=sorted(dynamics.ALGORITHMS)),
                   help="registry name, e.g. adam, gda, alt_gda, extragradient, ogda (default: adam, lr 2e-4)")
    p.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE", help="algorithm hyperparameter")
    p.add_argument("--seeds", help="comma-separated seeds, one row each (trained side by side)")
    cli.add_hparam_flags(p.add_argument_group("run"), TrainConfig)
    p.add_argument("--out", type=Path, help="run folder for resume checkpoints (default runs/mnist/<preset>)")
    p.add_argument("--ship", type=Path, help="also write the small shipped checkpoint here (path without suffix)")
    p.add_argument("--resume", type=Path, help="a resume checkpoint (path without suffix) to continue")
    p.add_argument("--no-progress", action="store_true")
    return p


@cli.front_door(PROG)
def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: a bad argument is one line on stderr and exit code 2, checked before any data is loaded."""
    args = build_parser().parse_args(argv)
    configure_threads()  # one torch thread unless SADDLE_TORCH_THREADS (dynamics/threads.py)
    given = list(argv) if argv is not None else sys.argv[1:]
    command = shlex.join(["python", "-m", "gan_demo.mnist.train", *given])
    if args.resume:
        base = args.resume.with_suffix("") if args.resume.suffix in (".safetensors", ".json") else args.resume
        cli.check_readable(base.with_suffix(".safetensors"), 1 << 30, "--resume")
        cli.check_readable(base.with_suffix(".json"), ckpt.MAX_JSON_BYTES, "--resume")
        out = args.out or args.resume.parent
    else:
        cfg = config_from_args(args)
        out = args.out or REPO_ROOT / "runs" / "mnist" / (args.preset or cfg.algorithm["name"])
    cli.check_writable(out, is_dir=True, what="--out")
    if args.ship:
        cli.check_writable(args.ship.with_suffix(".json"), what="--ship")
    if args.resume:
        trainer = Trainer.resume(args.resume)
        until = args.steps or trainer.cfg.steps
    else:
        trainer = Trainer(cfg)
        until = cfg.steps
    trainer.command = command  # type: ignore[attr-defined]
    print(f"{trainer.split.describe()}; digits {list(trainer.cfg.digits)} ({len(trainer.train_x)} images); "
          f"algorithm {trainer.algorithm.config()}", flush=True)
    trainer.run(until, out=out, progress=not args.no_progress)
    metrics = trainer.finish()
    trainer.save_resume(out / "resume", command)
    if args.ship:
        trainer.save_shipped(args.ship, command)
    for s, m in zip(trainer.cfg.seeds, metrics["per_seed"]):
        print(f"seed {s}: classes {m['classes_covered']} (well {m['classes_well_covered']}), rev_kl {m['rev_kl']:.3f}, "
              f"fid {m['fid']:.2f}, kid {m['kid']:.4f}, hist {m['class_hist']}")
    f = metrics["real_floor"]
    print(f"real floor: fid {f['fid']:.2f}, kid {f['kid']:.4f}; {trainer.seconds:.0f} s of training "
          f"({trainer.step / max(trainer.seconds, 1e-9):.2f} steps/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
