"""The game: two players' losses and the descent field ``xi`` they induce.

A game is a frozen dataclass of parameters (declared with :func:`~dynamics.params.hparam`), so it
is hashable, validated and serialisable like an algorithm. Zero-sum games implement
:meth:`Game.loss` (the objective ``f``, minimised by ``x`` and maximised by ``y``); general-sum
games set ``zero_sum = False`` and implement :meth:`Game.losses` (one loss per player, each
minimised by its own player). Everything is batched: ``x`` is (B, dim_x), ``y`` is (B, dim_y),
losses are (B,).

``xi`` defaults to automatic differentiation (:mod:`dynamics.autodiff`); games with a cheap
closed form override it, which is only a speed-up: the closed form is written in torch ops, so
``torch.func`` transforms (Jacobians, Hessian-vector products) still apply.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import torch

from . import autodiff
from .params import validate, values
from .torch_internals import outside_func_transforms
from .types import Tensor

Box = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, kw_only=True)
class Game:
    """Base class of all games (see the module docstring for the conventions)."""

    name: ClassVar[str] = "game"
    zero_sum: ClassVar[bool] = True
    #: the game draws random minibatches/noise: the runner calls :meth:`sample` before each step
    stochastic: ClassVar[bool] = False
    #: named parameter sets from the literature, ``make_game(name, preset=...)``
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: |z| above this counts as divergence (the runner's default bound)
    divergence_bound: ClassVar[float] = 1e6
    #: cost hint of the work budget: one field evaluation per coordinate, relative to an elementwise field
    cost: ClassVar[float] = 1.0

    def __post_init__(self) -> None:
        validate(self, self.name)

    # ---- dimensions and layout ---------------------------------------------------------------
    @property
    def dim_x(self) -> int:
        return 1

    @property
    def dim_y(self) -> int:
        return 1

    @property
    def dim(self) -> int:
        return self.dim_x + self.dim_y

    def split(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """(B, D) -> (B, dim_x), (B, dim_y) views."""
        return z[:, : self.dim_x], z[:, self.dim_x :]

    def join(self, x: Tensor, y: Tensor) -> Tensor:
        """(B, dim_x), (B, dim_y) -> (B, D)."""
        return torch.cat([x, y], dim=1)

    # ---- the players' losses -----------------------------------------------------------------
    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """The zero-sum objective ``f(x, y)`` (B,), minimised by x and maximised by y."""
        raise NotImplementedError(f"{type(self).__name__} must implement loss() or losses()")

    def losses(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """``(l_x, l_y)``, each (B,) and minimised by its own player; ``(f, -f)`` if zero-sum."""
        f = self.loss(x, y)
        return f, -f

    def value(self, x: Tensor, y: Tensor) -> Tensor:
        """The objective reported as ``Trajectory.f`` (B,): ``f`` for zero-sum games, ``l_x`` else."""
        return self.loss(x, y) if self.zero_sum else self.losses(x, y)[0]

    # ---- the field -------------------------------------------------------------------------
    def xi(self, z: Tensor) -> Tensor:
        """The simultaneous descent field ``(grad_x l_x, grad_y l_y)`` (B, D)."""
        return autodiff.grad_field(self, z)

    def xi_x(self, z: Tensor) -> Tensor:
        """The min player's part ``grad_x l_x`` (B, dim_x)."""
        return autodiff.grad_field_x(self, z)

    def xi_y(self, z: Tensor) -> Tensor:
        """The max player's part ``grad_y l_y`` (B, dim_y) (for zero-sum games ``-grad_y f``)."""
        return autodiff.grad_field_y(self, z)

    def add_xi_x_(self, out: Tensor, z: Tensor, alpha: float) -> Tensor:
        """``out += alpha * xi_x(z)`` in place (``out`` (B, dim_x), often a block of an iterate).

        The alternating updates write each player's move this way. Games whose field part is a
        scaled view of ``z`` override it to skip the field's temporary (one kernel instead of two).
        """
        return out.add_(self.xi_x(z), alpha=alpha)

    def add_xi_y_(self, out: Tensor, z: Tensor, alpha: float) -> Tensor:
        """``out += alpha * xi_y(z)`` in place (``out`` (B, dim_y)); see :meth:`add_xi_x_`."""
        return out.add_(self.xi_y(z), alpha=alpha)

    def constant_jacobian(self) -> Optional[Any]:
        """The Jacobian ``H = d xi / d z`` (D, D) as a numpy array when it is the same at every point
        (linear fields: bilinear and quadratic games), else ``None``. Second-order algorithms then
        use matrix products instead of recording the field for automatic differentiation.
        """
        return None

    def jacobian_constant(self, like: Tensor) -> Optional[Tensor]:
        """:meth:`constant_jacobian` as a tensor with ``like``'s dtype and device (cached), or ``None``."""
        cache = self.__dict__.setdefault("_constants_cache", {})
        key = ("H", like.dtype, like.device)
        if key not in cache:
            H = self.constant_jacobian()
            with outside_func_transforms():
                cache[key] = None if H is None else torch.as_tensor(H, dtype=like.dtype, device=like.device)
        return cache[key]

    # ---- constraints, equilibria, plotting ---------------------------------------------------
    def project(self, z: Tensor) -> Tensor:
        """Project onto the feasible set (identity for unconstrained games); the runner applies it
        after every step, and alternating algorithms also after each player's half-step.
        """
        return z

    @property
    def constrained(self) -> bool:
        return type(self).project is not Game.project

    def check_start(self, z: Tensor) -> None:
        """Raise ``ValueError`` with a plain message if the game is undefined at the starts ``z``
        (B, D). The runner calls it once before the first step; built-in games are defined
        everywhere, games typed as formulas check their losses and field.
        """

    def equilibrium(self) -> Optional[tuple[tuple[float, ...], tuple[float, ...]]]:
        """A known equilibrium ``(x*, y*)`` or ``None``."""
        return None

    def box(self) -> Box:
        """A sensible plotting box ``((x_min, x_max), (y_min, y_max))`` for the first coordinates."""
        return ((-2.0, 2.0), (-2.0, 2.0))

    # ---- randomness ----------------------------------------------------------------------------
    def sample(self, generator: torch.Generator, like: Tensor, step: int) -> Game:
        """A copy of the game with fresh minibatches/noise for iteration ``step`` (stochastic
        games only). ``generator`` is the run's seeded generator; ``like`` is the current iterate
        (B, D), giving dtype, device and batch size. A game whose rows must stay independent of
        the batch (e.g. seeds of a GAN trained side by side) can derive per-row streams from its
        own per-row seeds and ``step`` instead of drawing from ``generator``.
        """
        return self

    def eval_cost(self) -> float:
        """Cost of one field evaluation per coordinate (the work budget); ``cost`` by default."""
        return self.cost

    # ---- bookkeeping ---------------------------------------------------------------------------
    def replace(self, **changes: Any) -> Game:
        return dataclasses.replace(self, **changes)

    def config(self) -> dict[str, Any]:
        """JSON-friendly ``{"name": ..., **hyperparameters}`` (``make_game(**config)`` rebuilds it)."""
        return {"name": self.name, **values(self)}

    def constants(self, like: Tensor) -> dict[str, Tensor]:
        """The game's array constants (from :meth:`arrays`) as tensors with ``like``'s dtype and
        device, converted once per dtype/device and cached on the instance.
        """
        cache = self.__dict__.setdefault("_constants_cache", {})
        key = (like.dtype, like.device)
        if key not in cache:
            # created outside any torch.func transform: a constant made inside grad/vjp would be
            # wrapped at that transform's level and must not outlive it in the cache
            with outside_func_transforms():
                cache[key] = {k: torch.as_tensor(v, dtype=like.dtype, device=like.device)
                              for k, v in self.arrays().items()}
        return cache[key]

    def arrays(self) -> dict[str, Any]:
        """Array constants of the game (numpy), for :meth:`constants`."""
        return {}

    def tensor(self, value: Any, like: Tensor) -> Tensor:
        """A constant of the game as a tensor with ``like``'s dtype and device."""
        return torch.as_tensor(value, dtype=like.dtype, device=like.device)
