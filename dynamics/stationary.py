"""Stationary points of a game's field by Newton's method: where the app puts the equilibrium star
for games without a closed-form equilibrium (formula games).
"""

from __future__ import annotations

from typing import Optional

import torch

from .autodiff import jacobian
from .game import Game
from .types import Tensor


def stationary_point(game: Game, z0: Tensor, *, iters: int = 60, tol: float = 1e-10,
                     radius: Optional[float] = None) -> Optional[Tensor]:
    """Newton's method on ``xi(z) = 0`` from ``z0`` (D,) or (1, D); the point (D,) or ``None``.

    Each iteration solves ``H(z) d = xi(z)`` (least squares where ``H`` is singular) and halves the
    step until ``|xi|`` decreases (damped Newton), so a start near a stationary point converges to
    it and a start in a flat or undefined region stops quickly. The result is ``None`` unless both
    ``|xi| < tol * max(1, |xi(z0)|)`` and the Newton step vanish (a field that only decays towards
    infinity, like that of ``exp(x)``, has no stationary point), or when the point is not feasible
    (outside the game's projection), or farther than ``radius`` (default ``10 (1 + |z0|)``) from
    the start. Any stationary point counts (a saddle, a minimum of both
    losses, ...): it is where simultaneous dynamics *could* rest, not a certificate of equilibrium.
    """
    z = torch.as_tensor(z0, dtype=torch.float64).reshape(1, -1).clone()
    if z.shape[1] != game.dim or not torch.isfinite(z).all():
        return None
    with torch.no_grad():
        xi = game.xi(z)
    if not torch.isfinite(xi).all():
        return None
    target = tol * max(1.0, float(xi.norm()))
    start = z.clone()
    radius = 10.0 * (1.0 + float(z.norm())) if radius is None else float(radius)
    for _ in range(iters):
        norm = float(xi.norm())
        J = jacobian(game, z)[0]  # (D, D)
        if not torch.isfinite(J).all():
            return None
        d = torch.linalg.lstsq(J, xi[0][:, None]).solution[:, 0]  # least squares: singular J is fine
        # converged when both the field and the Newton step vanish: a field that only decays
        # towards infinity (exp(x)) keeps a step of constant length and is not a stationary point
        if norm < target and float(d.norm()) < 1e-8 * (1.0 + float(z.norm())):
            break
        step, improved = 1.0, False
        for _ in range(30):
            cand = z - step * d[None]
            with torch.no_grad():
                xi_c = game.xi(cand)
            if torch.isfinite(xi_c).all() and float(xi_c.norm()) < norm:
                z, xi, improved = cand, xi_c, True
                break
            step *= 0.5
        if float((z - start).norm()) > radius:
            return None
        if not improved:
            if norm < target and float(d.norm()) < 1e-8 * (1.0 + float(z.norm())):
                break
            return None
    else:
        return None
    if not torch.allclose(game.project(z), z, rtol=0, atol=1e-12):
        return None
    return z[0]


__all__ = ["stationary_point"]
