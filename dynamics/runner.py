"""The one loop: :func:`run` drives every algorithm on every game, batched over starts."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import torch

from . import validation as _v
from .algorithm import Algorithm
from .errors import BudgetExceeded, InvalidArgument
from .game import Game
from .types import ArrayLike, State, Tensor

#: the recording cap: every byte a run allocates for its record (iterates, f, |xi|, algorithm
#: reports) counts. A run that did not ask for a ``record_every`` gets the smallest one that fits
#: (noted in ``Trajectory.note``); one that asked for a ``record_every`` that does not fit is refused.
MAX_RECORD_BYTES = 400_000_000
#: kept for callers of the element cap: the byte cap in float64 iterates
MAX_RECORDED_ELEMENTS = MAX_RECORD_BYTES // 8
MAX_STEPS = 1_000_000
MAX_STARTS = 1 << 20
#: the default work budget of one run, in units of (step x start x coordinate x field evaluation);
#: about 40 minutes of one core at the engine's elementwise speed (see dynamics/README.md)
MAX_WORK = 1e12


@dataclass
class Trajectory:
    """What :func:`run` returns: ``T`` recorded iterates, every ``record_every``-th step (plus the
    last step when ``record_every`` was chosen automatically and does not divide the run).

    Rows that diverged hold NaN from ``diverged_at`` on; everything before is the finite prefix.
    """

    x: Tensor  # (T, B, dim_x)
    y: Tensor  # (T, B, dim_y)
    f: Tensor  # (T, B) objective (l_x for general-sum games)
    grad_norm: Tensor  # (T, B) |xi(z)|
    diverged: Tensor  # (B,) bool
    # (B,) long: first step whose iterate (or its f, |xi|) was non-finite or beyond the bound, -1 if none
    diverged_at: Tensor
    steps: Tensor  # (T,) long: the step index of each record
    extras: dict[str, Tensor] = field(default_factory=dict)  # algorithm reports, (T, B, ...)
    z_final: Optional[Tensor] = None  # (B, D) last finite iterate (resume from here)
    state: State = ()  # final algorithm state (resume with it)
    rng_state: Optional[Tensor] = None  # generator state after the last step (resume with it)
    game: Optional[Game] = None
    algorithm: Optional[Algorithm] = None
    record_every: int = 1  # the recording interval used (chosen by the runner when not given)
    note: str = ""  # what the runner decided on the caller's behalf (e.g. the automatic record_every)

    @property
    def z(self) -> Tensor:
        """(T, B, D) joint iterates."""
        return torch.cat([self.x, self.y], dim=2)

    def distance_to(self, x_star: ArrayLike, y_star: ArrayLike) -> Tensor:
        """(T, B) Euclidean distance to a point ``(x*, y*)``."""
        zs = torch.cat([torch.as_tensor(x_star, dtype=self.x.dtype, device=self.x.device).reshape(-1),
                        torch.as_tensor(y_star, dtype=self.x.dtype, device=self.x.device).reshape(-1)])
        return (self.z - zs).norm(dim=2)

    def distance_to_equilibrium(self) -> Optional[Tensor]:
        """(T, B) distance to the game's known equilibrium, or ``None`` if it has none."""
        eq = None if self.game is None else self.game.equilibrium()
        return None if eq is None else self.distance_to(*eq)


resolve_device = _v.resolve_device


def initial_point(game: Game, x0: ArrayLike, y0: Optional[ArrayLike] = None, *,
                  device: str | torch.device = "cpu", dtype: Optional[torch.dtype] = None) -> Tensor:
    """Parse starts into the joint iterate (B, D). With ``y0=None``, ``x0`` is already ``z``."""
    _v.check_game(game, "game")
    dev = resolve_device(device)
    dtype = _v.check_dtype(dtype, dev)
    if y0 is None:
        return _v.as_batch(x0, game.dim, "z0", dtype, dev)
    x = _v.as_batch(x0, game.dim_x, "x0", dtype, dev)
    y = _v.as_batch(y0, game.dim_y, "y0", dtype, dev)
    if x.shape[0] != y.shape[0]:
        if x.shape[0] == 1:
            x = x.expand(y.shape[0], -1)
        elif y.shape[0] == 1:
            y = y.expand(x.shape[0], -1)
        else:
            raise InvalidArgument(f"x0 has {x.shape[0]} starts but y0 has {y.shape[0]}")
    return game.join(x, y).contiguous()


def work_estimate(game: Game, algorithm: Algorithm, steps: int, n_starts: int) -> float:
    """The work of a run in budget units: steps x starts x coordinates x field evaluations per step
    (the algorithm's and the game's declared cost hints, see ``dynamics/README.md``).
    """
    return float(steps) * n_starts * game.dim * algorithm.step_cost(game) * game.eval_cost()


def _record_plan(steps: int, record_every: Optional[int], per_record: int) -> tuple[int, int, bool, str]:
    """``(record_every, number of records, record the last step too, note)`` within MAX_RECORD_BYTES."""
    if record_every is not None:
        n_rec = steps // record_every + 1
        if n_rec * per_record > MAX_RECORD_BYTES:
            raise BudgetExceeded(
                f"record_every={record_every}: recording {n_rec} iterates takes {n_rec * per_record:,} bytes "
                f"({per_record:,} per record: iterates, f, |xi| and algorithm reports), above the cap of "
                f"{MAX_RECORD_BYTES:,}; raise record_every, use fewer starts, or leave record_every unset "
                "to let the runner choose it")
        return record_every, n_rec, False, ""
    fit = MAX_RECORD_BYTES // per_record  # records that fit
    if fit >= steps + 1:
        return 1, steps + 1, False, ""
    if fit < 2:
        raise BudgetExceeded(
            f"even the first and last iterates take {2 * per_record:,} bytes, above the recording cap of "
            f"{MAX_RECORD_BYTES:,}; use fewer starts")
    every = -(-steps // (fit - 1))  # ceil: at most fit - 1 records after the first, the last included
    n_rec = steps // every + 1
    tail = steps % every != 0
    note = (f"record_every={every} chosen automatically: recording all {steps + 1} iterates would take "
            f"{(steps + 1) * per_record:,} bytes, above the cap of {MAX_RECORD_BYTES:,}; the first and last "
            "iterates are kept")
    return every, n_rec + tail, tail, note


def run(
    game: Game,
    algorithm: Algorithm,
    x0: ArrayLike,
    y0: Optional[ArrayLike] = None,
    *,
    steps: int,
    device: str | torch.device = "cpu",
    dtype: Optional[torch.dtype] = None,
    seed: int = 0,
    record_every: Optional[int] = None,
    bound: Optional[float] = None,
    state: State = None,
    rng_state: Optional[Tensor] = None,
    start_step: int = 0,
    callback: Optional[Callable[[int, Tensor, State], Any]] = None,
    metrics: bool = True,
    budget: Optional[float] = None,
) -> Trajectory:
    """Run ``algorithm`` on ``game`` from a batch of starts; the only loop in the engine.

    Args:
        game: The game.
        algorithm: The algorithm (hyperparameters only; state lives in the loop).
        x0: Start of the min player, shape (dim_x,) or (B, dim_x); or the joint ``z0`` if ``y0`` is
            None. Real numbers: floats, lists, numpy arrays and real tensors.
        y0: Start of the max player, shape (dim_y,) or (B, dim_y).
        steps: Number of iterations, an integer in [0, MAX_STEPS].
        device: "cpu" or "cuda" (a clear error if CUDA is absent; "meta" and unknown devices are refused).
        dtype: ``torch.float32`` or ``torch.float64``; default float64 on CPU, float32 on CUDA.
        seed: Seeds the generator that stochastic games draw their noise/minibatches from (an
            integer in [0, 2**63 - 1]).
        record_every: Record every k-th iterate. Unset: every step if the record fits
            ``MAX_RECORD_BYTES``, else the smallest k that fits (then the last iterate is recorded
            too, and ``Trajectory.note`` says so). Set: a record that does not fit is refused.
        bound: |z|_inf above this counts as divergence (default ``game.divergence_bound``); a
            positive number, ``inf`` allowed, NaN refused.
        state: Resume from this algorithm state (from ``Trajectory.state``).
        rng_state: Resume the generator from this state (from ``Trajectory.rng_state``).
        start_step: Step index of ``x0`` when resuming (only shifts ``Trajectory.steps``).
        callback: Called as ``callback(step, z, state)`` after each step; returning ``False``
            stops the run early (progress bars, stop buttons, snapshots).
        metrics: Compute ``f`` and ``grad_norm`` over the recorded iterates (chunked, into
            preallocated outputs). Rows whose ``f`` or ``|xi|`` is not finite are flagged as diverged.
        budget: Work budget of this run (default ``MAX_WORK``), see :func:`work_estimate`.

    Returns:
        A :class:`Trajectory`. Divergent rows are flagged and frozen at their last finite
        iterate; the finite prefix is kept and nothing is raised.

    Raises:
        InvalidType: an argument of the wrong type (a ``TypeError``).
        InvalidArgument: bad shapes, values or devices (a ``ValueError``).
        BudgetExceeded: a run beyond the work budget or a record beyond the recording cap.

    """
    _v.check_game(game, "game")
    _v.check_algorithm(algorithm, "algorithm")
    steps = _v.check_int(steps, "steps", 0, MAX_STEPS)
    if record_every is not None:
        record_every = _v.check_int(record_every, "record_every", 1, max(1, MAX_STEPS))
    seed = _v.check_int(seed, "seed", 0, 2**63 - 1)
    start_step = _v.check_int(start_step, "start_step", 0, 2**62)
    bound = game.divergence_bound if bound is None else _v.check_float(bound, "bound", low=0.0, allow_inf=True,
                                                                      open_low=True)
    budget = MAX_WORK if budget is None else _v.check_float(budget, "budget", low=0.0, open_low=True)
    metrics = _v.check_bool(metrics, "metrics")
    if callback is not None and not callable(callback):
        raise _v.InvalidType(f"callback must be callable or None, got {type(callback).__name__}")
    z = initial_point(game, x0, y0, device=device, dtype=dtype)  # (B, D)
    dev = z.device
    n_starts, dim = z.shape
    if n_starts > MAX_STARTS:
        raise BudgetExceeded(f"{n_starts} starts exceed the cap of {MAX_STARTS}")
    work = work_estimate(game, algorithm, steps, n_starts)
    if not work <= budget:
        raise BudgetExceeded(
            f"this run needs about {work:.3g} work units ({steps} steps x {n_starts} starts x {dim} coordinates "
            f"x {algorithm.step_cost(game) * game.eval_cost():.3g} per coordinate and step for "
            f"{algorithm.name} on {game.name}), above the budget of {budget:.3g}; use fewer steps or starts")

    generator = torch.Generator(device=dev).manual_seed(seed)
    if rng_state is not None:
        generator.set_state(rng_state)

    z = game.project(z)
    game.check_start(z)  # a clear error now instead of a run of NaNs (formula games)
    st = algorithm.init(game, z) if state is None else state
    first = algorithm.report(game, z, st)
    item = z.element_size()
    # iterates, f and |xi| (NaN-filled without metrics), and the algorithm's reports, per record
    per_record = n_starts * (dim + 2) * item + sum(v.numel() * v.element_size() for v in first.values())
    every, n_rec, keep_last, note = _record_plan(steps, record_every, max(1, per_record))

    rec = torch.empty((n_rec, n_starts, dim), dtype=z.dtype, device=dev)  # (T, B, D)
    rec[0] = z
    extras = {k: torch.empty((n_rec, *v.shape), dtype=v.dtype, device=dev) for k, v in first.items()}
    for k, v in first.items():
        extras[k][0] = v
    rec_steps = torch.empty(n_rec, dtype=torch.long)
    rec_steps[0] = start_step
    diverged = torch.zeros(n_starts, dtype=torch.bool, device=dev)
    diverged_at = torch.full((n_starts,), -1, dtype=torch.long, device=dev)
    # |z|_inf <= limit  <=>  every entry finite and within the bound (NaN compares False)
    # compared in z's dtype, as the per-row test does (torch casts the Python bound to it)
    limit = min(float(torch.tensor(bound, dtype=z.dtype)), torch.finfo(z.dtype).max)
    test = _FiniteTest(limit, z)
    # one reduction and one host read per step on the CPU; on accelerators the branch-free per-row
    # bookkeeping avoids a host sync every step
    cheap = dev.type == "cpu"
    any_diverged = False

    k = 1
    t = 0
    recorded_last = True
    # looked up once: at small batches the loop's Python overhead is most of a step
    step, stochastic = algorithm.step, game.stochastic
    project = game.project if game.constrained else None
    with torch.no_grad():
        for t in range(1, steps + 1):
            g = game.sample(generator, z, start_step + t - 1) if stochastic else game
            z_new, st = step(g, z, st)
            if project is not None:
                z_new = project(z_new)
            if cheap and not any_diverged and test(z_new):
                z = z_new
            else:
                bad = ~torch.isfinite(z_new).all(dim=1) | (z_new.abs().amax(dim=1) > bound)
                diverged_at = torch.where(bad & ~diverged, t, diverged_at)
                diverged = diverged | bad
                z = torch.where(diverged[:, None], z, z_new)
                any_diverged = True
            if t % every == 0:
                rec[k] = z
                rec_steps[k] = start_step + t
                for name, v in algorithm.report(game, z, st).items():
                    extras[name][k] = v
                k += 1
                recorded_last = True
            else:
                recorded_last = False
            if callback is not None and callback(start_step + t, z, st) is False:
                break
    if keep_last and not recorded_last and k < n_rec:
        rec[k] = z
        rec_steps[k] = start_step + t
        for name, v in algorithm.report(game, z, st).items():
            extras[name][k] = v
        k += 1
    rec = rec[:k]
    extras = {name: v[:k] for name, v in extras.items()}
    rec_steps = rec_steps[:k].to(dev)

    if metrics:
        f, gnorm = _metrics(game, rec)
        # a finite iterate whose f or |xi| overflows (float32 on steep games) counts as divergence
        # from the first record where it happens: the row is flagged and its record masked from there
        bad_rec = ~(torch.isfinite(f) & torch.isfinite(gnorm))  # (T, B)
        before = ~diverged[None, :] | (rec_steps[:, None] < diverged_at[None, :] + start_step)
        fresh = (bad_rec & before).any(dim=0)  # (B,)
        if bool(fresh.any()):
            first_bad = torch.where(bad_rec & before, rec_steps[:, None] - start_step,
                                    torch.full_like(bad_rec, 2**62, dtype=torch.long)).amin(dim=0)
            diverged_at = torch.where(fresh, first_bad, diverged_at)
            diverged = diverged | fresh
    else:
        # not computed: NaN placeholders that are broadcast views of one scalar, read-only
        # (filling two (T, B) tensors cost 22 % of a 1000-step run at B = 65,536, and memory)
        f = torch.full((), float("nan"), dtype=rec.dtype, device=dev).expand(rec.shape[:2])
        gnorm = f

    # hide everything from the divergence on, so plots and metrics see only the finite prefix
    if bool(diverged.any()):
        after = (rec_steps[:, None] >= diverged_at[None, :] + start_step) & diverged[None, :]  # (T, B)
        rec.masked_fill_(after[:, :, None], float("nan"))
        if metrics:
            f.masked_fill_(after, float("nan"))
            gnorm.masked_fill_(after, float("nan"))
        for v in extras.values():
            if v.is_floating_point():
                v.masked_fill_(after.reshape(*after.shape, *([1] * (v.ndim - 2))), float("nan"))
    x, y = rec[..., : game.dim_x], rec[..., game.dim_x :]
    return Trajectory(x=x, y=y, f=f, grad_norm=gnorm, diverged=diverged, diverged_at=diverged_at,
                      steps=rec_steps, extras=extras, z_final=z, state=st,
                      rng_state=generator.get_state(), game=game, algorithm=algorithm,
                      record_every=every, note=note)


class _FiniteTest:
    """The runner's per-step test on the CPU: every entry of ``z`` finite with ``|z| <= limit``.

    One pass in the common case: the sum of squares ``s = z . z`` (one BLAS dot product) is NaN
    or inf as soon as one entry is, and ``s <= limit**2`` bounds every entry. Only when ``s`` is
    too large to decide (large bound-respecting batches, overflowing squares) does it fall back to
    the exact min/max test, so the answer is always the exact one. Measured per call at 65,536 x 2
    float64, one thread: dot 18 us, amin + amax 28 us, aminmax 41 us.
    """

    #: summation error margin: a computed sum of n positive squares is at least (1 - n u) of the
    #: exact one, so accepting s <= (1 - slack) limit**2 is exact while n u < slack
    _SLACK = {torch.float64: 1e-6, torch.float32: 0.5}
    #: from this many entries on, the exact test runs amin and amax instead of one aminmax
    _SPLIT_MINMAX = 32768

    def __init__(self, limit: float, z: Tensor) -> None:
        self.limit = limit
        slack = self._SLACK.get(z.dtype)
        eps = torch.finfo(z.dtype).eps
        # the dot pass is exact only while numel * eps stays below the slack
        self.use_dot = slack is not None and z.numel() * eps < slack / 4
        self.limit_sq = limit * limit * (1.0 - slack) if slack is not None else 0.0

    def __call__(self, z: Tensor) -> bool:
        if self.use_dot:
            flat = z.reshape(-1)  # a view for the runner's contiguous iterates
            s = float(torch.dot(flat, flat))
            if s <= self.limit_sq and s != math.inf:  # NaN fails both comparisons
                return True
        return _within(z, self.limit)


def _within(z: Tensor, limit: float) -> bool:
    """Every entry of ``z`` finite with ``|z| <= limit`` (NaN fails: both reductions propagate it)."""
    # one fused min/max pass on short batches; on long ones separate max and min passes, which torch
    # vectorises better (measured 36 against 67 µs at 65,536 x 2 float64 on one thread)
    if z.numel() < _FiniteTest._SPLIT_MINMAX:
        lo, hi = torch.aminmax(z)
    else:
        lo, hi = z.amin(), z.amax()
    return -limit <= float(lo) and float(hi) <= limit


def _metrics(game: Game, zs: Tensor) -> tuple[Tensor, Tensor]:
    """Objective and |xi| over the record (T, B, D) -> (T, B), (T, B), written chunk by chunk into
    preallocated outputs so the temporaries stay a fraction of the record.
    """
    flat = zs.reshape(-1, zs.shape[-1])  # (T*B, D), a view
    n = flat.shape[0]
    f = torch.empty(n, dtype=zs.dtype, device=zs.device)
    g = torch.empty(n, dtype=zs.dtype, device=zs.device)
    # temporaries of a chunk (the field, the split, products) stay about 1/8 of the record
    chunk = max(4096, -(-n // 8))
    with torch.no_grad():
        for i in range(0, n, chunk):
            part = flat[i : i + chunk]
            x, y = game.split(part)
            f[i : i + chunk] = game.value(x, y)
            torch.linalg.vector_norm(game.xi(part), dim=1, out=g[i : i + chunk])
    return f.reshape(zs.shape[:2]), g.reshape(zs.shape[:2])


def evaluate(game: Game, zs: Tensor) -> tuple[Tensor, Tensor]:
    """Objective and field norm at many points at once: (T, B, D) -> (T, B), (T, B)."""
    return _metrics(game, zs)
