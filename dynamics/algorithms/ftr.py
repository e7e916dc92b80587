"""Follow-the-Ridge (docs/algorithms.md §12)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..algorithm import GradientAlgorithm
from ..autodiff import ConstantLinearization, cg_solve, linearize_xi
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor
from ..updates import axpy

SOLVERS = ("auto", "exact", "cg")
#: "auto" solves exactly (pseudo-inverse of the dense H_yy) up to this many max-player coordinates
EXACT_MAX_DIM_Y = 8


@register_algorithm("ftr")
@dataclass(frozen=True, kw_only=True)
class FollowTheRidge(GradientAlgorithm):
    r"""Follow-the-Ridge: the max player also follows the ridge $\nabla_y f = 0$ as x moves.

    $$ x_{t+1} = x_t - \eta_x \nabla_x f, \qquad
       y_{t+1} = y_t + \eta_y \nabla_y f + \eta_x \left(H_{yy} + \lambda I\right)^{-1} H_{yx} \nabla_x f $$

    ($H$ the Hessian of $f$; in field terms $H^{\xi}_{yy}{}^{-1}H^{\xi}_{yx}\,\xi_x$, the same
    expression, which also defines the general-sum version on $\ell_y$'s ridge). The correction
    term is minus the ridge's slope $dy^*/dx$ times the generator's move, so the discriminator stays
    on its best response to first order. Small games (``solver="auto"``, $\dim y \le 8$) use the
    pseudo-inverse of the dense $H_{yy}$ as the authors' toy code does (on $f = xy$, where
    $H_{yy} = 0$, the correction vanishes and FTR is GDA); larger ones solve
    $(H_{yy} + \lambda I)p = H_{yx}\nabla_x f$ by CG with Hessian-vector products (at most
    ``cg_iters`` iterations, as the GAN code's ``inner_iter``). On the quadratic game the
    iteration matrix has eigenvalues exactly $1 - \eta_x(a + b^2/c)$ and $1 - \eta_y c$: FTR
    converges exactly at strict local minimax points (for small steps).

    Defaults from the authors' code: toy step 0.05 (here the engine's lr), pseudo-inverse, no
    damping; the 2-D mixture GAN uses damping 1.0 with CG, ``inner_iter = 5`` and RMSProp.

    References:
        Wang, Zhang, Ba, "On Solving Minimax Optimization Locally: A Follow-the-Ridge Approach",
        ICLR 2020 (arXiv:1910.07512); code: gd-zhang/Follow-the-Ridge (quadratic.py, follow_ridge_2D.py).

    """

    group = "second-order"
    second_order = True
    reference = "docs/algorithms.md §12; oracle: eigenvalues {1 − η_x(a + b²/c), 1 − η_y c} on the quadratic game"

    damping: float = hparam(0.0, low=0.0, high=100.0, help="λ added to H_yy before the solve")
    solver: str = hparam("auto", choices=SOLVERS, advanced=True,
                         help="exact (dense pseudo-inverse, small dim y), CG with Hessian-vector products, or auto")
    cg_iters: int = hparam(5, low=1, high=1000, advanced=True, help="CG iterations for the ridge correction")
    tol: float = hparam(1e-12, low=0.0, high=1.0, advanced=True, help="CG stops when |r|² < tol·|b|²")

    def step_cost(self, game: Game) -> float:
        return 2.0 + (game.dim_y if self.solver != "cg" and game.dim_y <= EXACT_MAX_DIM_Y else 2.0 * self.cg_iters)

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        lin = linearize_xi(game, z)
        xi_x, xi_y = game.split(lin.xi)  # (B, dx), (B, dy)
        dxn, dyn = game.dim_x, game.dim_y
        exact = self.solver == "exact" or (self.solver == "auto" and dyn <= EXACT_MAX_DIM_Y)
        if (exact and dyn == 1 and isinstance(lin, ConstantLinearization) and z.device.type == "cpu"
                and isinstance(self.damping, float) and isinstance(self.eta_x, float)
                and isinstance(self.eta_y, float)
                and float(lin.matrix[dxn, dxn]) + self.damping == 0.0):
            # a scalar y on a linear field with H_yy + damping = 0 (f = xy undamped): the pseudo-inverse
            # is 0 and so is the correction, read from one constant on the host; plain GDA remains
            x, y = game.split(z)
            return game.join(axpy(x, xi_x, self.eta_x), axpy(y, xi_y, self.eta_y)), state
        if exact:
            # a per-row damping (sweeps) is (B, 1): (B, 1, 1) against the (.., dy, dy) blocks
            damping = self.damping[:, :, None] if isinstance(self.damping, Tensor) else self.damping
            if isinstance(lin, ConstantLinearization):  # linear field: constant blocks, no per-row matrices
                h_yx, h_yy = lin.matrix[dxn:, :dxn], lin.matrix[dxn:, dxn:]  # (dy, dx), (dy, dy)
                r = xi_x * h_yx if dxn == 1 and dyn == 1 else xi_x @ h_yx.T  # (B, dy)
                h_yy = h_yy[None]  # (1, dy, dy)
            else:
                rows = lin.rows(dxn, game.dim)  # (B, dy, D): the y-rows of H
                h_yx, h_yy = rows[:, :, :dxn], rows[:, :, dxn:]
                r = (h_yx @ xi_x[:, :, None])[:, :, 0]  # (B, dy)
            if dyn == 1:
                h = h_yy[:, 0, :] + (damping[:, 0] if isinstance(damping, Tensor) else damping)  # (B or 1, 1)
                nonzero = h != 0
                # the pseudo-inverse of a 1x1 matrix; the guarded division keeps gradients finite
                p = torch.where(nonzero, r / torch.where(nonzero, h, torch.ones_like(h)), 0.0)
            else:
                eye = torch.eye(dyn, dtype=z.dtype, device=z.device)
                p = (torch.linalg.pinv(h_yy + damping * eye) @ r[:, :, None])[:, :, 0]
        else:
            r = lin.jvp_x(xi_x)[:, dxn:]  # (B, dy): H_yx ξ_x

            def matvec(v: Tensor) -> Tensor:
                return lin.jvp_y(v)[:, dxn:] + self.damping * v

            p, _ = cg_solve(matvec, r, tol=self.tol, atol=torch.finfo(r.dtype).tiny, max_iter=self.cg_iters)
        x, y = game.split(z)
        return game.join(x - self.eta_x * xi_x, y - self.eta_y * xi_y + self.eta_x * p), state


__all__ = ["FollowTheRidge", "SOLVERS", "EXACT_MAX_DIM_Y"]
