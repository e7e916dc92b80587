"""The live 2D GAN runner: several algorithms on the same GAN, trained together, watched while they train.

A :class:`LiveRun` is the small object the 2D GAN page drives. It trains every algorithm of a
comparison at the same time (interleaved chunks of steps in one background worker thread) through
:func:`dynamics.run`, the one loop, resumed chunk after chunk from ``(z, state, rng_state,
start_step)``; the engine's tests pin that a chunked run equals an uninterrupted one bit for bit.
At every snapshot it keeps what the page draws (generated samples on the fixed noise bank, the
discriminator on a grid, the generator manifold, gradient arrows, coverage metrics), so a paused
or stopped run can be scrubbed, exported and resumed, and the drawing side never touches torch.

    run = LiveRun(cfg, [adam, greedy], steps=1500, every=50)
    run.start()            # background worker; run.pause() / run.resume() / run.step_once() / run.stop()
    view = run.view()      # a consistent copy of everything recorded so far
    run.run_to_end()       # or synchronously (tests, the CLI that writes cached runs)

Arms never share randomness: each has its own game, iterate and generator state, and a
:class:`~gan_demo.game.GANGame` row draws its minibatches from ``(seed, step)`` only, so an
algorithm trained next to another gives exactly the result it gives alone (tested).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import torch

import dynamics
from dynamics.algorithm import Algorithm

from . import metrics, views
from .data import Mixture
from .gmm import DTYPES, GMMConfig, GMMRun, build, noise_bank

#: the states of a run (``status``)
READY, RUNNING, PAUSED, STOPPED, DONE, FAILED = "ready", "running", "paused", "stopped", "done", "failed"
MAX_STEPS = 20_000
MAX_ARMS = 6
#: steps per arm between two looks at the pause/stop flags (small: a click answers within ~0.1 s)
CHUNK = 10
#: while training, a fresh picture of every arm at least this often (seconds), between the scheduled
#: snapshots: the page shows it but it is not recorded, so what is recorded never depends on timing
LIVE_EVERY_S = 0.25
#: at most this many workers train at once in one server process (each one is a CPU-bound thread)
MAX_WORKERS = 4
_workers = threading.BoundedSemaphore(MAX_WORKERS)


def _env_seconds(name: str, default: float) -> float:
    try:
        v = float(os.environ.get(name, default))
    except ValueError:
        return default
    return v if math.isfinite(v) and v > 0 else default


#: CPU seconds one training (all arms together, counted on the worker thread) may use; then it stops
#: like the Stop button (resumable). Env ``SADDLE_TRAIN_BUDGET_S``.
CPU_BUDGET_S = _env_seconds("SADDLE_TRAIN_BUDGET_S", 120.0)
#: a worker whose run nobody has looked at (:meth:`LiveRun.view`) for this long stops and frees its slot:
#: the visitor closed the page or walked away from a paused run. Env ``SADDLE_GAN_LEASE_S``.
LEASE_S = _env_seconds("SADDLE_GAN_LEASE_S", 30.0)


@dataclass(frozen=True)
class LiveOptions:
    """How a live run records and paces itself (not the experiment: that is ``GMMConfig`` + algorithms)."""

    every: int = 50  # snapshot period (steps)
    slow_motion: bool = False  # the first ``slow_steps`` steps one at a time, a snapshot after each
    slow_steps: int = 100
    slow_delay: float = 0.05  # seconds of pause after each slow-motion step
    heat_n: int = 40  # discriminator grid side
    shown: int = 600  # generated points kept per snapshot (of the noise bank)
    arrows: int = 120  # gradient arrows per snapshot

    def __post_init__(self) -> None:
        if isinstance(self.every, bool) or not isinstance(self.every, int) or not 1 <= self.every <= MAX_STEPS:
            raise ValueError(f"every must be an integer in [1, {MAX_STEPS}], got {self.every!r}")
        if not 0 <= self.slow_steps <= 1000:
            raise ValueError(f"slow_steps must be in [0, 1000], got {self.slow_steps!r}")
        if not 0.0 <= self.slow_delay <= 1.0:
            raise ValueError(f"slow_delay must be in [0, 1] seconds, got {self.slow_delay!r}")
        if not 8 <= self.heat_n <= 200:
            raise ValueError(f"heat_n must be in [8, 200], got {self.heat_n!r}")


@dataclass
class Snapshot:
    """What the page draws at one step of one arm (seed row 0), numpy only."""

    step: int
    samples: np.ndarray  # (n, 2) generated points on the noise bank
    # the layers below are None for runs read from a CLI folder, which keep samples and metrics only
    heat: Optional[np.ndarray]  # (H, H) σ(D) on the grid, indexed [iy, ix]
    manifold: Optional[np.ndarray]  # (L, M, 2) image of a latent grid
    arrow_pts: Optional[np.ndarray]  # (k, 2) generated points carrying an arrow
    arrow_dirs: Optional[np.ndarray]  # (k, 2) -∂(generator loss)/∂u at those points
    metrics: dict[str, Any]  # coverage of all eval samples: scalars + "occupancy" (K,)
    near: int  # modes holding their share within NEAR_RADIUS (the visual proxy)


NEAR_RADIUS = 0.25


@dataclass
class Arm:
    """One algorithm of the comparison: its own game, iterate, state and recorded snapshots."""

    name: str
    algorithm: Algorithm
    game: Any
    z: torch.Tensor  # (S, D)
    state: Any = None
    rng_state: Optional[torch.Tensor] = None
    step: int = 0
    diverged: bool = False
    seconds: float = 0.0  # CPU time of this arm's steps and snapshots (thread CPU time of the worker)
    snapshots: list[Snapshot] = field(default_factory=list)
    params: list[np.ndarray] = field(default_factory=list)  # (D,) per snapshot, for the spectrum tab


@dataclass
class LiveView:
    """A consistent copy of a run for drawing: per arm the snapshots so far, plus the status line."""

    status: str
    steps: int  # target steps per arm
    step: int  # slowest arm's current step
    arms: dict[str, list[Snapshot]]
    diverged: dict[str, bool]
    error: Optional[str]
    latest: dict[str, Snapshot] = field(default_factory=dict)  # newest picture per arm (recorded or live)

    def snapshot_steps(self) -> list[int]:
        """Steps every arm has a snapshot for (the scrubber's options)."""
        sets = [{s.step for s in snaps} for snaps in self.arms.values()]
        return sorted(set.intersection(*sets)) if sets else []


def arm_names(algorithms: Sequence[Algorithm]) -> list[str]:
    """Unique labels: the registry name, numbered when an algorithm appears twice."""
    names: list[str] = []
    for a in algorithms:
        n, k = a.name, 2
        while n in names:
            n, k = f"{a.name} #{k}", k + 1
        names.append(n)
    return names


class LiveRun:
    """Train several algorithms on one GAN side by side, in the background, with pause/resume/step/stop."""

    def __init__(self, cfg: GMMConfig, algorithms: Sequence[Algorithm], steps: int, *,
                 options: LiveOptions = LiveOptions(), mixture: Optional[Mixture] = None) -> None:
        if not 1 <= len(algorithms) <= MAX_ARMS:
            raise ValueError(f"1..{MAX_ARMS} algorithms per run, got {len(algorithms)}")
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}], got {steps!r}")
        self.cfg, self.steps, self.options = cfg, steps, options
        self.dtype = DTYPES[cfg.dtype]
        self.arms: list[Arm] = []
        for name, algo in zip(arm_names(algorithms), algorithms):
            game, mix = build(cfg, mixture)
            z0 = game.init_params(cfg.model.init, cfg.model.gain, dtype=self.dtype)
            self.arms.append(Arm(name=name, algorithm=algo, game=game, z=z0))
        self.mixture: Mixture = mix
        self.box = mix.box()
        self.bank = noise_bank(cfg, self.dtype)  # (n, k) shared by every snapshot of every arm
        self.status = READY
        self.error: Optional[str] = None
        self._lock = threading.RLock()  # guards arms (iterates and snapshot lists) and status
        self._go = threading.Event()  # set: the worker may step
        self._quit = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._live: dict[str, Snapshot] = {}  # unrecorded pictures taken while training (LIVE_EVERY_S)
        self._live_at = 0.0
        self._seen = time.monotonic()  # last look by the page (view()); see LEASE_S
        self.cpu_s = 0.0  # worker-thread CPU seconds so far; see CPU_BUDGET_S
        self.halt_reason: Optional[str] = None  # why the server stopped it (budget, page gone), if it did
        for arm in self.arms:
            self._snapshot(arm)

    # ---- controls (the page calls these) --------------------------------------------------------
    def start(self) -> None:
        """Start (or restart after stop) the background worker; a finished run stays finished."""
        with self._lock:
            if self.finished or (self._thread is not None and self._thread.is_alive()):
                return  # nothing left, or a worker already exists (resume() wakes a paused one)
            if not _workers.acquire(blocking=False):
                raise RuntimeError(f"{MAX_WORKERS} GAN runs are already training on this server; "
                                   "try again when one finishes")
            self.status = RUNNING
            self._seen = time.monotonic()
            self.halt_reason = None
            self._quit.clear()
            self._go.set()
            self._thread = threading.Thread(target=self._work, name="saddle-live-gan", daemon=True)
            self._thread.start()

    def pause(self) -> None:
        """Stop stepping at the next chunk boundary; the worker waits. A snapshot marks where it halted."""
        with self._lock:
            if self.status == RUNNING:
                self._go.clear()
                self.status = PAUSED
                self._mark()

    def resume(self) -> None:
        """Continue a paused or stopped run from exactly where it halted."""
        with self._lock:
            if self.finished:
                return
            if self._thread is not None and self._thread.is_alive():
                self.status = RUNNING
                self._go.set()
                return
        self.start()

    def stop(self, wait: float = 5.0) -> None:
        """End the worker; everything so far is kept (scrub, export, or :meth:`resume` later)."""
        self._quit.set()
        self._go.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(wait)
        with self._lock:
            if not self.finished and self.status != FAILED:
                self.status = STOPPED
            self._mark()

    def step_once(self) -> None:
        """One step of every arm (pauses a running run first), then a snapshot."""
        if self.status == RUNNING:
            self.pause()
        with self._lock:
            if self.finished:
                return
            self._advance_locked(1)
            self._mark()
            if self.finished:
                self.status = DONE

    def run_to_end(self) -> LiveRun:
        """Train synchronously until every arm reaches ``steps`` (tests, the CLI)."""
        with self._lock:
            self.status = RUNNING
        while True:
            with self._lock:
                if not self._advance_locked(self._chunk()):
                    break
        with self._lock:
            self.status = DONE
        return self

    def advance(self, n: int) -> bool:
        """Synchronously ``n`` more steps of every arm (capped at ``steps``); False when nothing was left."""
        with self._lock:
            return self._advance_locked(n)

    @property
    def finished(self) -> bool:
        return all(a.step >= self.steps for a in self.arms)

    @property
    def step(self) -> int:
        return min(a.step for a in self.arms)

    def view(self) -> LiveView:
        """A consistent copy for drawing (the lists are copied; snapshots are never mutated).

        Also the page's heartbeat: a run nobody views for :data:`LEASE_S` seconds stops.
        """
        self._seen = time.monotonic()
        with self._lock:
            latest = {}
            for a in self.arms:
                live = self._live.get(a.name)
                latest[a.name] = live if live is not None and live.step > a.snapshots[-1].step else a.snapshots[-1]
            return LiveView(status=self.status, steps=self.steps, step=self.step,
                            arms={a.name: list(a.snapshots) for a in self.arms},
                            diverged={a.name: a.diverged for a in self.arms}, error=self.error, latest=latest)

    def params_at(self, name: str, step: int) -> Optional[np.ndarray]:
        """The iterate (S, D) of arm ``name`` at snapshot ``step`` (None if there is no such snapshot)."""
        with self._lock:
            arm = next(a for a in self.arms if a.name == name)
            for s, p in zip(arm.snapshots, arm.params):
                if s.step == step:
                    return p
        return None

    def result(self, name: str) -> GMMRun:
        """One arm as a :class:`~gan_demo.gmm.GMMRun` (metrics stacked over snapshots, seed axis of size 1)."""
        with self._lock:
            arm = next(a for a in self.arms if a.name == name)
            snaps = list(arm.snapshots)
            # (T, 1) per metric and (T, 1, K) occupancy: the seed axis of GMMRun has size 1 here
            mets = {k: np.array([[s.metrics[k]] for s in snaps], dtype=np.float64) for k in snaps[0].metrics}
            return GMMRun(config=self.cfg, algorithm=arm.algorithm.config(), mixture=self.mixture,
                          steps=np.array([s.step for s in snaps]),
                          samples=np.stack([s.samples for s in snaps])[:, None],
                          metrics=mets, params=np.stack(arm.params), z_final=arm.z.clone(), state=arm.state,
                          rng_state=arm.rng_state, diverged=np.array([arm.diverged]), seconds=arm.seconds,
                          stopped=arm.step < self.steps)

    # ---- internals --------------------------------------------------------------------------------
    def _chunk(self) -> int:
        o = self.options
        return 1 if o.slow_motion and self.step < o.slow_steps else CHUNK

    def _halt(self, reason: str) -> None:
        # the server's limits end the worker as the Stop button would (resumable, everything kept)
        self.halt_reason = reason
        self._quit.set()
        with self._lock:
            if not self.finished and self.status != FAILED:
                self.status = STOPPED
            self._mark()

    def _work(self) -> None:
        cpu0 = time.thread_time() - self.cpu_s
        try:
            while not self._quit.is_set():
                self.cpu_s = time.thread_time() - cpu0
                if time.monotonic() - self._seen > LEASE_S:
                    self._halt(f"the page did not look at it for {LEASE_S:g} s (closed, or paused): "
                               "its worker slot is free again, Resume continues")
                    break
                if self.cpu_s > CPU_BUDGET_S:
                    self._halt(f"it used this server's budget of {CPU_BUDGET_S:g} CPU seconds per training")
                    break
                if not self._go.wait(0.1):
                    continue
                if self._quit.is_set():
                    break
                with self._lock:
                    if self.status != RUNNING:
                        continue
                    slow = self._chunk() == 1 and self.options.slow_motion
                    more = self._advance_locked(self._chunk())
                    if not more or self.finished:
                        self.status = DONE
                        break
                    if time.monotonic() - self._live_at >= LIVE_EVERY_S:
                        self._live = {a.name: self._picture(a) for a in self.arms}
                        self._live_at = time.monotonic()
                if slow:
                    time.sleep(self.options.slow_delay)
        except Exception as err:  # a worker must never die silently: the page shows this
            with self._lock:
                self.status, self.error = FAILED, f"{type(err).__name__}: {err}"
        finally:
            _workers.release()

    def _advance_locked(self, n: int) -> bool:
        """Every unfinished arm ``n`` steps further, one arm after the other (the interleaving)."""
        progressed = False
        for arm in self.arms:
            k = min(n, self.steps - arm.step)
            if k <= 0:
                continue
            self._advance_arm(arm, k)
            progressed = True
        return progressed

    def _due(self, step: int) -> bool:
        o = self.options
        return step % o.every == 0 or step == self.steps or (o.slow_motion and step <= o.slow_steps)

    def _advance_arm(self, arm: Arm, k: int) -> None:
        def callback(step: int, z: torch.Tensor, _st: Any) -> None:
            if self._due(step):
                self._snapshot(arm, step, z)

        c0 = time.thread_time()  # this worker thread only: the page drawing in another thread does not count
        traj = dynamics.run(arm.game, arm.algorithm, arm.z, steps=k, dtype=self.dtype, record_every=k,
                            state=arm.state, rng_state=arm.rng_state, start_step=arm.step, callback=callback,
                            metrics=False)
        arm.seconds += time.thread_time() - c0
        arm.z, arm.state, arm.rng_state = traj.z_final, traj.state, traj.rng_state
        arm.step += k
        arm.diverged = arm.diverged or bool(traj.diverged.any())

    def _mark(self) -> None:
        """A snapshot of every arm at its current step if it has none there (pause, stop, step-once)."""
        for arm in self.arms:
            if not arm.snapshots or arm.snapshots[-1].step != arm.step:
                self._snapshot(arm)

    def _snapshot(self, arm: Arm, step: Optional[int] = None, z: Optional[torch.Tensor] = None) -> None:
        """Record a snapshot (and the iterate) of ``arm`` at ``step``."""
        z = arm.z if z is None else z
        arm.snapshots.append(self._picture(arm, step, z))
        arm.params.append(z.detach().cpu().numpy().copy())

    def _picture(self, arm: Arm, step: Optional[int] = None, z: Optional[torch.Tensor] = None) -> Snapshot:
        """What the page draws for ``arm`` at ``step`` (default: where it is now)."""
        step = arm.step if step is None else step
        z = arm.z if z is None else z
        game, o = arm.game, self.options
        with torch.no_grad():
            x, _ = game.split(z[:1])
            pts = game.generate(x, self.bank[None]).double().numpy()[0]  # (n, 2)
        finite = np.nan_to_num(pts, nan=1e6, posinf=1e6, neginf=-1e6)
        cov = metrics.coverage(finite, self.mixture)
        met = {k: (v[0].tolist() if k == "occupancy" else float(v[0])) for k, v in cov.items()}
        zr = z[:1].detach().double()
        _, _, heat = views.d_heatmap(game, zr, self.box, o.heat_n)
        man = views.manifold(game, zr)
        a_pts, a_dirs = views.sample_arrows(game, zr, self.bank[: o.arrows])
        return Snapshot(
            step=int(step), samples=pts[: o.shown].astype(np.float32), heat=heat.astype(np.float32),
            manifold=man.astype(np.float32), arrow_pts=a_pts.astype(np.float32),
            arrow_dirs=a_dirs.astype(np.float32), metrics=met,
            near=int(metrics.modes_near(finite, self.mixture, NEAR_RADIUS)[0]))


__all__ = ["LiveRun", "LiveOptions", "LiveView", "Snapshot", "Arm", "arm_names", "NEAR_RADIUS",
           "READY", "RUNNING", "PAUSED", "STOPPED", "DONE", "FAILED", "MAX_STEPS", "MAX_WORKERS",
           "CPU_BUDGET_S", "LEASE_S"]
