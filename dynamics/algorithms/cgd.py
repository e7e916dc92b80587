"""Competitive gradient descent (docs/algorithms.md §13)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..algorithm import GradientAlgorithm
from ..autodiff import ConstantLinearization, FieldLinearization, cg_solve, linearize_xi
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor
from ..updates import axpy

SOLVERS = ("auto", "cg", "dense")
#: "auto" solves densely up to this joint dimension (the Jacobian costs D reverse passes)
DENSE_MAX_DIM = 8


def _per_row(v):
    """A (B, 1) per-row factor as (B, 1, 1) for (B, n, n) matrices; Python numbers unchanged."""
    return v[:, :, None] if isinstance(v, Tensor) and v.ndim == 2 else v


class CGDState(NamedTuple):
    w: Tensor  # (B, dim_y) previous CG solution, the warm start (cgds-package old_max)


@register_algorithm("cgd")
@dataclass(frozen=True, kw_only=True)
class CGD(GradientAlgorithm):
    r"""Competitive gradient descent: play the Nash equilibrium of the local bilinear game.

    Each player minimises its linearised loss plus the bilinear interaction and a proximal term:
    $$ \Delta x = -\eta_x\left(g_x + D_{xy}\Delta y\right), \qquad
       \Delta y = \eta_y\left(g_y + D_{yx}\Delta x\right), $$
    with $g = \nabla f$ and $D_{xy} = \nabla^2_{xy} f = D_{yx}^\top$; in closed form
    $$ \Delta y = \eta_y\left(I + \eta_x\eta_y D_{yx}D_{xy}\right)^{-1}\left(g_y - \eta_x D_{yx} g_x\right),
       \qquad \Delta x = -\eta_x\left(g_x + D_{xy}\Delta y\right). $$
    Only mixed second derivatives appear. The symmetric positive-definite system is solved by
    conjugate gradients with Hessian-vector products, warm-started from the previous solution and
    stopped per start when $\|r\|^2 < \mathrm{tol}\,\|b\|^2$ or $\|r\|^2 < \mathrm{atol}$ (at most
    $\dim y$ iterations), as in the cgds package (which alternates the solved player; here it is
    always $y$). General-sum games $[[I, \eta_x D_{xy}\ell_x], [\eta_y D_{yx}\ell_y, I]]\,\Delta
    = -(\eta_x\nabla_x\ell_x, \eta_y\nabla_y\ell_y)$ give a non-symmetric system, solved by CG on
    the normal equations. For tiny games (``solver="auto"``, $D \le 8$) the same system is solved
    exactly from the dense Jacobian, which is cheaper there.

    On $f = xy$: $\rho = 1/\sqrt{1+\eta^2}$ for every $\eta > 0$ (0.9950371902 at $\eta = 0.1$).

    Defaults from the authors' code (BCGD): lr $10^{-3}$ for both players, tol $10^{-12}$,
    atol $10^{-20}$.

    References:
        Schäfer, Anandkumar, "Competitive Gradient Descent", NeurIPS 2019 (arXiv:1905.12103);
        code: devzhk/cgds-package (BCGD, GACGD).

    """

    group = "second-order"
    second_order = True
    reference = "docs/algorithms.md §13; oracle: ρ = 1/sqrt(1+η²) on f = xy, per singular value on xᵀAy"

    solver: str = hparam("auto", choices=SOLVERS, advanced=True,
                         help="linear solve: CG with Hessian-vector products, dense (tiny games), or auto")
    tol: float = hparam(1e-12, low=0.0, high=1.0, advanced=True, help="CG stops when |r|² < tol·|b|²")
    atol: float = hparam(1e-20, low=0.0, high=1.0, advanced=True, help="CG stops when |r|² < atol")

    def step_cost(self, game: Game) -> float:
        # dense: D reverse passes for the Jacobian; CG: up to dim_y (2 dim_y general-sum) products
        return 2.0 + game.dim if self._dense(game) else 4.0 + 2.0 * game.dim_y * (1 if game.zero_sum else 4)

    def _dense(self, game: Game) -> bool:
        return self.solver == "dense" or (self.solver == "auto" and game.dim <= DENSE_MAX_DIM)

    def init(self, game: Game, z: Tensor) -> State:
        if self._dense(game):
            return ()
        return CGDState(z.new_zeros(z.shape[0], game.dim_y))

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        lin = linearize_xi(game, z)
        xi_x, xi_y = game.split(lin.xi)  # (B, dx), (B, dy)
        ex, ey = self.eta_x, self.eta_y
        if self._dense(game):
            dy, h_xy_dy = self._solve_dense(game, lin, xi_x, xi_y)
            new_state = state
        else:
            w = self._solve_cg(game, lin, xi_x, xi_y, state.w)
            dy = ey * w
            h_xy_dy = game.split(lin.jvp_y(dy))[0]  # (B, dx): D_xy Δy, one more product
            new_state = CGDState(w)
        if isinstance(ex, float):  # one fused kernel per player: x − η_x (ξ_x + D_xy Δy), y + Δy
            x, y = game.split(z)
            return game.join(axpy(x, xi_x + h_xy_dy, ex), y + dy), new_state
        dx = -ex * (xi_x + h_xy_dy)
        return z + game.join(dx, dy), new_state

    def _solve_dense(self, game: Game, lin: FieldLinearization, xi_x: Tensor,
                     xi_y: Tensor) -> tuple[Tensor, Tensor]:
        """Δy from the dense Jacobian, and H_xy Δy for the x-update.

        The step sizes may be Python numbers or (B, 1) tensors, one per row (the spectrum module's
        batched sweeps); both broadcast below.
        """
        dxn = game.dim_x
        ex, ey = self.eta_x, self.eta_y
        exy = ex * ey
        if isinstance(lin, ConstantLinearization):  # linear field: the closed form with one (D, D) matrix
            return self._solve_constant(game, lin.matrix, xi_x, xi_y, ex, ey)
        H = lin.dense()  # (B, D, D)
        h_xy, h_yx = H[:, :dxn, dxn:], H[:, dxn:, :dxn]  # (B, dx, dy), (B, dy, dx)
        rhs = -ey * xi_y + exy * (h_yx @ xi_x[:, :, None])[:, :, 0]  # (B, dy)
        if game.dim_y == 1:
            a = 1.0 - exy * (h_yx @ h_xy)[:, 0]  # (B, 1)
            dy = rhs / a
        else:
            eye = torch.eye(game.dim_y, dtype=xi_y.dtype, device=xi_y.device)
            a = eye - _per_row(exy) * (h_yx @ h_xy)  # (B, dy, dy)
            dy = torch.linalg.solve(a, rhs)
        return dy, (h_xy @ dy[:, :, None])[:, :, 0]

    @staticmethod
    def _solve_constant(game: Game, H: Tensor, xi_x: Tensor, xi_y: Tensor, ex, ey) -> tuple[Tensor, Tensor]:
        """:meth:`_solve_dense` for a constant Jacobian H (D, D): no per-row matrices at all."""
        dxn = game.dim_x
        exy = ex * ey
        if game.dim_x == 1 and game.dim_y == 1 and isinstance(exy, float) and H.device.type == "cpu":
            # scalars with one step size per player: the two coefficients are host numbers, so the
            # rows see three fused kernels: Δy = (η_xη_y h_yx ξ_x − η_y ξ_y) / (1 − η_xη_y h_yx h_xy)
            (_, hxy), (hyx, _) = H.tolist()
            dy = torch.add(xi_x * (exy * hyx), xi_y, alpha=-ey) / (1.0 - exy * (hyx * hxy))
            return dy, dy if hxy == 1.0 else dy * hxy
        h_xy, h_yx = H[:dxn, dxn:], H[dxn:, :dxn]  # (dx, dy), (dy, dx)
        if game.dim_x == 1 and game.dim_y == 1:  # scalars: broadcasting beats (B, 1) @ (1, 1) products
            rhs = -ey * xi_y + exy * (xi_x * h_yx[0, 0])
            dy = rhs / (1.0 - exy * (h_yx[0, 0] * h_xy[0, 0]))
            return dy, dy * h_xy[0, 0]
        rhs = -ey * xi_y + exy * (xi_x @ h_yx.T)  # (B, dy)
        m = h_yx @ h_xy  # (dy, dy)
        eye = torch.eye(game.dim_y, dtype=xi_y.dtype, device=xi_y.device)
        if isinstance(exy, Tensor) and exy.ndim:  # per-row step sizes: one small system per row
            dy = torch.linalg.solve(eye - _per_row(exy) * m, rhs)
        else:
            dy = torch.linalg.solve(eye - exy * m, rhs.T).T
        return dy, dy @ h_xy.T

    def _solve_cg(self, game: Game, lin: FieldLinearization, xi_x: Tensor, xi_y: Tensor, w0: Tensor) -> Tensor:
        """W = Δy/η_y by CG with Hessian-vector products, warm-started at w0."""
        ex, ey = self.eta_x, self.eta_y
        dxn = game.dim_x

        def h_xy(v: Tensor) -> Tensor:  # (B, dy) -> (B, dx)
            return lin.jvp_y(v)[:, :dxn]

        def h_yx(u: Tensor) -> Tensor:  # (B, dx) -> (B, dy)
            return lin.jvp_x(u)[:, dxn:]

        def a_mv(v: Tensor) -> Tensor:  # (I - η_xη_y H_yx H_xy) v
            return v - ex * ey * h_yx(h_xy(v))

        b = -xi_y + ex * h_yx(xi_x)  # (B, dy) = g_y − η_x D_yx g_x (zero-sum)
        # an exactly zero residual must stop a row (0/0 in the next CG step otherwise)
        atol = max(self.atol, torch.finfo(b.dtype).tiny)
        if game.zero_sum:
            w, _ = cg_solve(a_mv, b, w0, tol=self.tol, atol=atol, max_iter=game.dim_y)
            return w

        # general-sum: A is not symmetric; CG on the normal equations AᵀA w = Aᵀb
        def ht_x(u: Tensor) -> Tensor:  # H_yxᵀ u: (B, dy) -> (B, dx)
            return lin.vjp(game.join(u.new_zeros(u.shape[0], dxn), u))[:, :dxn]

        def ht_y(q: Tensor) -> Tensor:  # H_xyᵀ q: (B, dx) -> (B, dy)
            return lin.vjp(game.join(q, q.new_zeros(q.shape[0], game.dim_y)))[:, dxn:]

        def at_mv(u: Tensor) -> Tensor:  # Aᵀ u
            return u - ex * ey * ht_y(ht_x(u))

        w, _ = cg_solve(lambda v: at_mv(a_mv(v)), at_mv(b), w0, tol=self.tol, atol=atol,
                        max_iter=2 * game.dim_y)
        return w


__all__ = ["CGD", "CGDState", "SOLVERS", "DENSE_MAX_DIM"]
