"""The algorithm extension point: a frozen dataclass of hyperparameters with pure init/step.

An algorithm never holds mutable state. ``init(game, z)`` returns a state (a NamedTuple of
(B, ...) tensors, or ``()``), and ``step(game, z, state)`` returns the next iterate and the next
state. It receives the *game*, not a gradient, because extragradient, alternating updates,
consensus, SGA, FTR, CGD and unrolling all need to query the field at other points or take its
derivatives. :func:`dynamics.run` is the one loop that drives every algorithm.

Adding an algorithm is one file in ``dynamics/algorithms/``: subclass :class:`GradientAlgorithm`
(or :class:`Algorithm` for wrappers), declare hyperparameters with
:func:`~dynamics.params.hparam`, write the update rule in ``$$...$$`` in the docstring (the app
renders it) with the reference, and decorate with ``@register_algorithm("name")``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Optional

import torch

from .game import Game
from .params import hparam, validate, values
from .types import State, Tensor


@dataclass(frozen=True, kw_only=True)
class Algorithm:
    """Base class: hyperparameters as fields, pure ``init`` / ``step``."""

    name: ClassVar[str] = "algorithm"
    #: heading under which the app lists the algorithm
    group: ClassVar[str] = "first-order"
    #: capability flags: tests and the app filter on these, never on names
    second_order: ClassVar[bool] = False  # takes Hessian-vector products
    stochastic: ClassVar[bool] = False  # draws random numbers of its own (seeded by a field)
    wrapper: ClassVar[bool] = False  # wraps a base algorithm
    #: the oracle/reference the update rule is pinned to (shown in the app)
    reference: ClassVar[str] = ""
    #: cost hint of the work budget: field evaluations (or equivalent passes) per step and row
    cost: ClassVar[float] = 1.0

    def __post_init__(self) -> None:
        validate(self, self.name)

    def init(self, game: Game, z: Tensor) -> State:
        """The initial state for iterate ``z`` (B, D)."""
        return ()

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        """One iteration: ``(z_t, s_t) -> (z_{t+1}, s_{t+1})``."""
        raise NotImplementedError

    def report(self, game: Game, z: Tensor, state: State) -> dict[str, Tensor]:
        """Per-row quantities the runner records next to the iterates (e.g. the averaged iterate,
        accept/reject flags), each (B, ...). Empty by default.
        """
        return {}

    def step_cost(self, game: Game) -> float:
        """Field evaluations per step and row on ``game`` (the work budget of :func:`dynamics.run`);
        ``cost`` by default, overridden where inner loops depend on hyperparameters or dimension.
        """
        return self.cost

    def config(self) -> dict[str, Any]:
        """JSON-friendly ``{"name": ..., **hyperparameters}``."""
        return {"name": self.name, **values(self)}


#: step-size schedules shared by every algorithm with a step size (η_t = η · factor(n), n = 0, 1, ...)
SCHEDULES = ("constant", "inv_sqrt", "inv", "exponential", "step")
#: older spellings still accepted (configs saved before the schedules moved here)
SCHEDULE_ALIASES = {"sqrt": "inv_sqrt"}


class ScheduleState(NamedTuple):
    """The state of an algorithm run with a non-constant schedule: its own state plus the count."""

    inner: Any  # the algorithm's own state
    n: Tensor  # () long: steps taken so far (the rows of a batch step together)


def schedule_factor(schedule: str, n: Tensor, decay: float, decay_every: int, like: Tensor) -> Tensor:
    """The multiplier of the base step sizes at step ``n`` (0 for the first step), with ``n``'s shape.

    The runner's ``n`` is a 0-dim tensor, so the factor broadcasts like a Python number wherever an
    update uses its step size (no (B, 1) shapes leak into algorithms written for scalars).
    """
    nf = n.to(like.dtype)
    if schedule == "constant":
        return torch.ones_like(nf)
    if schedule == "inv_sqrt":
        return 1.0 / torch.sqrt(nf + 1.0)
    if schedule == "inv":
        return 1.0 / (nf + 1.0)
    if schedule == "exponential":
        return decay**nf
    return decay ** torch.floor(nf / decay_every)  # "step"


def _resolved(self: GradientAlgorithm, method: str, wrapper: Callable) -> bool:
    """Whether ``wrapper`` is the method ``type(self)`` resolves to: only the outermost override of a
    class hierarchy applies the schedule (a ``super().step(...)`` call inside it passes through).
    """
    return getattr(type(self), method) is wrapper


def _schedule_init(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def init(self: GradientAlgorithm, game: Game, z: Tensor) -> State:
        inner = fn(self, game, z)
        if self.schedule == "constant" or not _resolved(self, "init", init):
            return inner
        return ScheduleState(inner, torch.zeros((), dtype=torch.long, device=z.device))

    init.__scheduled__ = True  # type: ignore[attr-defined]
    return init


def _schedule_step(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def step(self: GradientAlgorithm, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        if self.schedule == "constant" or not _resolved(self, "step", step) or not isinstance(state, ScheduleState):
            return fn(self, game, z, state)
        z_next, inner = fn(self.scaled(schedule_factor(self.schedule, state.n, self.decay, self.decay_every, z)),
                           game, z, state.inner)
        return z_next, ScheduleState(inner, state.n + 1)

    step.__scheduled__ = True  # type: ignore[attr-defined]
    return step


def _schedule_report(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def report(self: GradientAlgorithm, game: Game, z: Tensor, state: State) -> dict[str, Tensor]:
        if isinstance(state, ScheduleState) and _resolved(self, "report", report):
            return fn(self, game, z, state.inner)
        return fn(self, game, z, state)

    report.__scheduled__ = True  # type: ignore[attr-defined]
    return report


@dataclass(frozen=True, kw_only=True)
class GradientAlgorithm(Algorithm):
    r"""An algorithm with step sizes ``lr``, ``lr_x``, ``lr_y`` and a step-size schedule.

    ``lr`` is for both players, ``lr_x`` / ``lr_y`` split them (two-timescale updates, Heusel et
    al. 2017, are available on every algorithm this way), and one schedule serves them all:

    $$ \eta_t = \eta \cdot s(t), \qquad s(t) = 1,\ \tfrac{1}{\sqrt{t+1}},\ \tfrac{1}{t+1},\
       \gamma^t \text{ or } \gamma^{\lfloor t / k \rfloor} \quad (t = 0, 1, \dots) $$

    for ``schedule`` = constant, inv_sqrt, inv, exponential, step (with $\gamma$ = ``decay``,
    $k$ = ``decay_every``). The schedule scales ``lr``, ``lr_x`` and ``lr_y`` alike, wherever the
    update uses them (both half-steps of extragradient, an unrolled inner loop, ...). The step count
    lives in the state: with a non-constant schedule, ``init`` returns :class:`ScheduleState`
    (the algorithm's own state plus ``n``), so runs stay pure and resume where they stopped. A
    subclass writes its ``init``/``step``/``report`` as usual; they are wrapped once, here.
    """

    lr: float = hparam(0.1, low=1e-6, high=10.0, log=True, help="step size η for both players")
    lr_x: Optional[float] = hparam(None, low=1e-6, high=10.0, log=True, optional=True, advanced=True,
                                   help="η_x, the min player's step size (default: lr)")
    lr_y: Optional[float] = hparam(None, low=1e-6, high=10.0, log=True, optional=True, advanced=True,
                                   help="η_y, the max player's step size (default: lr)")
    # not advanced: lecture mode must keep a scene's schedule (constant against diminishing steps)
    schedule: str = hparam("constant", choices=SCHEDULES,
                           help="step-size schedule η_t: constant, η/√(t+1), η/(t+1), η·decayᵗ, "
                           "η·decay^⌊t/decay_every⌋")
    decay: float = hparam(0.9, low=1e-6, high=1.0, advanced=True,
                          help="γ of the exponential and step schedules")
    decay_every: int = hparam(10000, low=1, high=10_000_000, advanced=True,
                              help="steps between decays of the step schedule")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, wrap in (("init", _schedule_init), ("step", _schedule_step), ("report", _schedule_report)):
            fn = cls.__dict__.get(name)
            if fn is not None and not getattr(fn, "__scheduled__", False):
                setattr(cls, name, wrap(fn))

    def __post_init__(self) -> None:
        if self.schedule in SCHEDULE_ALIASES:
            object.__setattr__(self, "schedule", SCHEDULE_ALIASES[self.schedule])
        super().__post_init__()

    def scaled(self, factor: Tensor) -> GradientAlgorithm:
        """A copy with every step size multiplied by ``factor`` (a 0-dim tensor) and a constant schedule.

        Validation is bypassed (the values were validated as numbers); the copy lives for one step.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        for name in ("lr", "lr_x", "lr_y"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(clone, name, v * factor)
        object.__setattr__(clone, "schedule", "constant")
        return clone

    @property
    def eta_x(self) -> float:
        return self.lr if self.lr_x is None else self.lr_x

    @property
    def eta_y(self) -> float:
        return self.lr if self.lr_y is None else self.lr_y

    def scale(self, game: Game, v: Tensor) -> Tensor:
        """Multiply the x-part of ``v`` (B, D) by ``eta_x`` and the y-part by ``eta_y``."""
        # decided on the fields, not by comparing step sizes: the spectrum module's sweeps (and the
        # schedules) set ``lr`` to a (B, 1) tensor of values, one per row
        if self.lr_x is None and self.lr_y is None:
            return self.lr * v
        vx, vy = game.split(v)
        return torch.cat([self.eta_x * vx, self.eta_y * vy], dim=1)

    def descend(self, game: Game, z: Tensor, v: Tensor) -> Tensor:
        """``z - scale(v)``: one fused kernel when one Python step size serves both players."""
        if self.lr_x is None and self.lr_y is None and isinstance(self.lr, float):
            return torch.add(z, v, alpha=-self.lr)
        return z - self.scale(game, v)


# GradientAlgorithm inherits Algorithm's init and report: wrap them here, for the subclasses that
# do not override them (GDA has no state of its own, but a scheduled GDA counts its steps)
GradientAlgorithm.init = _schedule_init(Algorithm.init)  # type: ignore[method-assign]
GradientAlgorithm.report = _schedule_report(Algorithm.report)  # type: ignore[method-assign]

__all__ = ["Algorithm", "GradientAlgorithm", "ScheduleState", "SCHEDULES", "schedule_factor", "hparam"]
