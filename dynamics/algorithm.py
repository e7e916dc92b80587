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

from dataclasses import dataclass
from typing import Any, ClassVar, Optional

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


@dataclass(frozen=True, kw_only=True)
class GradientAlgorithm(Algorithm):
    """An algorithm with step sizes: ``lr`` for both players, ``lr_x`` / ``lr_y`` to split them
    (two-timescale updates, Heusel et al. 2017, are available on every algorithm this way).
    """

    lr: float = hparam(0.1, low=1e-6, high=10.0, log=True, help="step size η for both players")
    lr_x: Optional[float] = hparam(None, low=1e-6, high=10.0, log=True, optional=True, advanced=True,
                                   help="η_x, the min player's step size (default: lr)")
    lr_y: Optional[float] = hparam(None, low=1e-6, high=10.0, log=True, optional=True, advanced=True,
                                   help="η_y, the max player's step size (default: lr)")

    @property
    def eta_x(self) -> float:
        return self.lr if self.lr_x is None else self.lr_x

    @property
    def eta_y(self) -> float:
        return self.lr if self.lr_y is None else self.lr_y

    def scale(self, game: Game, v: Tensor) -> Tensor:
        """Multiply the x-part of ``v`` (B, D) by ``eta_x`` and the y-part by ``eta_y``."""
        # decided on the fields, not by comparing step sizes: the spectrum module's sweeps set
        # ``lr`` to a (B, 1) tensor of values, one per row
        if self.lr_x is None and self.lr_y is None:
            return self.lr * v
        vx, vy = game.split(v)
        return torch.cat([self.eta_x * vx, self.eta_y * vy], dim=1)


__all__ = ["Algorithm", "GradientAlgorithm", "hparam"]
