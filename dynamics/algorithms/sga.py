"""Symplectic gradient adjustment (docs/algorithms.md §11)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..algorithm import GradientAlgorithm
from ..autodiff import batched_dot, linearize_xi
from ..game import Game
from ..params import hparam
from ..registry import register_algorithm
from ..types import State, Tensor

NORMALISERS = ("tensors", "dimension")


@register_algorithm("sga")
@dataclass(frozen=True, kw_only=True)
class SGA(GradientAlgorithm):
    r"""Symplectic gradient adjustment: add the antisymmetric part of the Jacobian, sign-aligned.

    $$ \xi_\lambda = \xi + \lambda A^\top \xi, \qquad A^\top\xi = \tfrac12\left(H^\top\xi - H\xi\right),
       \qquad z_{t+1} = z_t - \eta\,\xi_\lambda $$

    with the sign-alignment rule of the authors' code
    $$ \lambda = \lambda_0\,\operatorname{sign}\!\left(\frac{\langle \xi, H^\top\xi\rangle
       \langle A^\top\xi, H^\top\xi\rangle}{n} + \epsilon\right) $$
    (per start). $n$ is the number of variable tensors in the DeepMind notebook
    (``normaliser="tensors"``: 2 here, one flat tensor per player) and the dimension $d$ in the
    paper (``normaliser="dimension"``); $\epsilon = 0.1$. On potential games $A = 0$ and SGA is
    gradient descent; on $f = xy$ the rule gives $\lambda = +\lambda_0$ and SGA equals consensus
    optimization with $\gamma = \lambda_0$ ($\rho = 0.9055385138$ at $\eta = 0.1$, $\lambda_0 = 1$).
    Costs one $H\xi$ and one $H^\top\xi$ (two reverse passes over one recorded field).
    $\lambda_0$ may be negative (the papers discuss the sign of $\lambda$): on $f = xy$ the sign rule
    keeps it, and $\lambda_0 = -1$ spirals out with $\rho = \sqrt{(1+\eta)^2 + \eta^2}$.

    Defaults from the authors' code: ``reg_params`` $= 1$, ``use_signs = True`` (fed to RMSProp
    with lr $10^{-4}$ on the Gaussian grid; the plain step is used here).

    References:
        Balduzzi et al., "The Mechanics of n-Player Differentiable Games", ICML 2018
        (arXiv:1802.05642); Letcher et al., "Differentiable Game Mechanics", JMLR 2019
        (arXiv:1905.04926); code: deepmind/symplectic-gradient-adjustment.

    """

    group = "second-order"
    second_order = True
    cost = 4.0
    reference = "docs/algorithms.md §11; oracle: λ → +λ₀ on bilinear games, equal to consensus with γ = λ₀ on f = xy"

    lam: float = hparam(1.0, low=-100.0, high=100.0,
                        help="λ₀ (reg_params), weight of the adjustment Aᵀξ (negative: push away from the rotation)")
    use_signs: bool = hparam(True, help="align the sign of λ with the Hamiltonian's descent (Letcher et al.)")
    normaliser: str = hparam("tensors", choices=NORMALISERS, advanced=True,
                             help="n in the sign rule: number of tensors (code) or dimension d (paper)")
    epsilon: float = hparam(0.1, low=0.0, high=10.0, advanced=True, help="ε in the sign rule")

    def step(self, game: Game, z: Tensor, state: State) -> tuple[Tensor, State]:
        lin = linearize_xi(game, z)
        xi = lin.xi  # (B, D)
        ht_xi, h_xi = lin.vjp_and_jvp(xi)  # Hᵀξ = ∇𝓗, Hξ
        at_xi = 0.5 * (ht_xi - h_xi)  # (B, D)
        if self.use_signs:
            n = 2.0 if self.normaliser == "tensors" else float(game.dim)
            mult = batched_dot(xi, ht_xi) * batched_dot(at_xi, ht_xi)  # (B,)
            lam = self.lam * torch.sign(mult / n + self.epsilon)[:, None]  # (B, 1), per start
        else:
            lam = self.lam
        return z - self.scale(game, xi + lam * at_xi), state


__all__ = ["SGA", "NORMALISERS"]
