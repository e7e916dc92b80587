"""Shared pieces of the update rules: the one spelling of update orders and the alternating sweep.

Every algorithm with an ``order`` hyperparameter takes its choices from :data:`ORDERS` (or
:data:`ALTERNATING_ORDERS` when it has no simultaneous form): ``"simultaneous"`` (both players
step from the same point, Jacobi), ``"x_first"`` or ``"y_first"`` (Gauss-Seidel: the second
player sees the first player's new move). Older spellings read from saved configs, URLs and
command lines are mapped by the one table :data:`ORDER_ALIASES` in
:func:`dynamics.registry.make_algorithm`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .game import Game
from .types import Tensor

#: the alternating orders: which player moves first
ALTERNATING_ORDERS = ("x_first", "y_first")
#: every update order
ORDERS = ("simultaneous", *ALTERNATING_ORDERS)
#: old spelling -> current spelling (momentum and adam used "sim" before the spellings were unified)
ORDER_ALIASES = {"sim": "simultaneous"}


def canonical_order(value: Any) -> Any:
    """``value`` with an old spelling replaced by the current one (anything else unchanged)."""
    return ORDER_ALIASES.get(value, value) if isinstance(value, str) else value


def axpy(x: Tensor, g: Tensor, eta: Any) -> Tensor:
    """``x - eta * g``, one fused kernel when ``eta`` is a Python number (a (B, 1) tensor in sweeps)."""
    return torch.add(x, g, alpha=-eta) if isinstance(eta, float) else x - eta * g


def alternate(game: Game, z: Tensor, move_x: Callable[[Tensor], Tensor], move_y: Callable[[Tensor], Tensor],
              order: str) -> Tensor:
    """Gauss-Seidel sweep: ``move_x(z) -> x_new`` then ``move_y(z) -> y_new`` at the updated point.

    ``order="y_first"`` moves y first. The game's projection is applied after each player's move.
    """
    _check_order(order)
    free = not game.constrained  # unconstrained: the moved player's block is the move itself
    if free and not torch.is_grad_enabled():
        # the runner's case: write both moves into one fresh copy instead of splitting and joining
        # (no autograd is watching, and the copy is this step's own output)
        dx = game.dim_x
        out = z.clone()  # (B, D)
        if order == "x_first":
            out[:, :dx] = move_x(z)
            out[:, dx:] = move_y(out)
        else:
            out[:, dx:] = move_y(z)
            out[:, :dx] = move_x(out)
        return out
    x, y = game.split(z)
    if order == "x_first":
        x = move_x(z)
        z = game.project(game.join(x, y))
        if not free:
            x, _ = game.split(z)
        return game.project(game.join(x, move_y(z)))
    y = move_y(z)
    z = game.project(game.join(x, y))
    if not free:
        _, y = game.split(z)
    return game.project(game.join(move_x(z), y))


def alternate_descent(game: Game, z: Tensor, eta_x: Any, eta_y: Any, order: str) -> Tensor:
    """Alternating descent on the field: ``x - eta_x xi_x(z)`` then ``y - eta_y xi_y`` at the new point.

    The same sweep as :func:`alternate` with ``axpy`` moves, but in the runner's case (no projection,
    no autograd, Python step sizes) each player's move is written straight into its block of one
    fresh copy: two fused kernels instead of a move, a copy and a scratch tensor each (measured
    1.7x faster at 4,096 x 2 and 2.1x at 65,536 x 2 float64, one thread).
    """
    _check_order(order)
    dx = game.dim_x
    if game.constrained or torch.is_grad_enabled() or not (isinstance(eta_x, float) and isinstance(eta_y, float)):
        return alternate(game, z, lambda w: axpy(w[:, :dx], game.xi_x(w), eta_x),
                         lambda w: axpy(w[:, dx:], game.xi_y(w), eta_y), order)
    out = z.clone()  # (B, D); the second player's field is read at this point, first block already moved
    # in place on the copy's blocks, split in one call: a Python slice costs about as much as a
    # small kernel (the field may return a view of the copy: same-element overlap is fine here)
    ox, oy = out.split_with_sizes((dx, game.dim_y), 1)
    if order == "x_first":
        game.add_xi_x_(ox, z, -eta_x)
        game.add_xi_y_(oy, out, -eta_y)
    else:
        game.add_xi_y_(oy, z, -eta_y)
        game.add_xi_x_(ox, out, -eta_x)
    return out


def _check_order(order: str) -> None:
    if order not in ALTERNATING_ORDERS:
        raise ValueError(f"order must be one of {list(ALTERNATING_ORDERS)} here, got {order!r}")


__all__ = ["ORDERS", "ALTERNATING_ORDERS", "ORDER_ALIASES", "canonical_order", "alternate", "alternate_descent",
           "axpy"]
