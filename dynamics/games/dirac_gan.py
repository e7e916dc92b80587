"""The Dirac-GAN of Mescheder, Geiger & Nowozin (2018): a GAN you can draw (docs/algorithms.md §21)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..game import Game
from ..params import hparam
from ..registry import register_game
from ..types import Tensor

LOSSES = ("gan", "nsgan", "wgan", "wgan_gp")
REGULARIZERS = ("none", "r1", "r2")


def _f(t: Tensor) -> Tensor:
    """The GAN activation f(t) = -log(1 + e^{-t}); f'(0) = 1/2, f''(0) = -1/4."""
    return -F.softplus(-t)


@register_game("dirac_gan")
@dataclass(frozen=True, kw_only=True)
class DiracGAN(Game):
    r"""The Dirac-GAN: data $\delta_0$, generator $\delta_\theta$, linear discriminator $D_\psi(x) = \psi x$.

    $$ L(\theta, \psi) = f(\psi\theta) + f(0), \qquad f(t) = -\log(1 + e^{-t}) $$

    $x = \theta$ (generator, minimises), $y = \psi$ (discriminator, maximises). Variants
    (``loss_type``; the field is not called ``loss`` because that is the game's method):
    ``nsgan`` (the generator minimises $-f(-\psi\theta)$, a general-sum game), ``wgan``
    ($f(t) = t$, $\psi$ clipped to $[-c, c]$ by projection), ``wgan_gp`` (the critic adds
    $\tfrac{\lambda}{2}(|\psi| - 1)^2$). Regularisers ``r1``/``r2`` add
    $\tfrac{\gamma}{2}\psi^2$ to the discriminator's loss (they coincide here); instance noise
    of std $\sigma$ replaces $\theta$ and the data point by noisy copies and takes the
    expectation (Gauss–Hermite quadrature by default, or Monte-Carlo with ``noise_samples``
    draws per step, as in the authors' notebook). At the equilibrium $(0, 0)$ the unregularised
    Jacobian has eigenvalues $\pm i/2$ (simultaneous GD spirals out, alternating GD cycles); R1
    gives $-\gamma/2 \pm \sqrt{\gamma^2/4 - 1/4}$, critically damped at $\gamma = 1$.

    References:
        Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
        ICML 2018 (arXiv:1801.04406).

    """

    presets = {
        "gan": dict(loss_type="gan"),
        "nsgan": dict(loss_type="nsgan"),
        "wgan": dict(loss_type="wgan", clip=1.0),
        "wgan_gp": dict(loss_type="wgan_gp", gp_weight=0.7),
        "r1": dict(loss_type="gan", reg="r1", gamma=0.3),
        "r1_critical": dict(loss_type="gan", reg="r1", gamma=1.0),
        "instance_noise": dict(loss_type="gan", sigma=0.7),
        "nsgan_r1": dict(loss_type="nsgan", reg="r1", gamma=0.3),
    }

    loss_type: str = hparam("gan", choices=LOSSES, help="GAN loss")
    reg: str = hparam("none", choices=REGULARIZERS, help="discriminator gradient penalty")
    gamma: float = hparam(0.3, low=0.0, high=10.0, help="γ of the R1/R2 penalty (γ/2)·ψ²")
    sigma: float = hparam(0.0, low=0.0, high=3.0, help="instance-noise standard deviation σ")
    noise_samples: int = hparam(0, low=0, high=10000, advanced=True,
                                help="0: exact expectation (quadrature); n > 0: n Monte-Carlo draws per step")
    clip: float = hparam(1.0, low=0.01, high=100.0, help="WGAN weight clip c: ψ ∈ [−c, c]")
    gp_weight: float = hparam(0.7, low=0.0, high=100.0, help="WGAN-GP penalty weight λ")
    gp_target: float = hparam(1.0, low=0.0, high=10.0, advanced=True, help="WGAN-GP target |ψ|")
    #: this step's Monte-Carlo draws (K, 2): theta-noise and data-noise; set by sample()
    draws: Optional[Tensor] = dataclasses.field(default=None, compare=False, repr=False)

    def eval_cost(self) -> float:
        return 1.0 + self.noise_samples  # instance noise: one field evaluation per noise sample

    @property
    def zero_sum(self) -> bool:  # type: ignore[override]
        return self.loss_type != "nsgan"

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.sigma > 0 and self.noise_samples > 0

    # ---- noise ---------------------------------------------------------------------------------
    def _nodes(self, like: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Noise on theta, noise on the data point, weights: (K,), (K,), (K,)."""
        if self.sigma == 0:
            zero = like.new_zeros(1)
            return zero, zero, like.new_ones(1)
        if self.draws is not None:
            d = self.draws.to(like.dtype)
            k = d.shape[0]
            return self.sigma * d[:, 0], self.sigma * d[:, 1], like.new_full((k,), 1.0 / k)
        k = self.constants(like)
        # a tensor-product Gauss-Hermite rule would be 2-D; the two expectations are separate
        # terms of L, so the same 1-D rule serves both
        return self.sigma * k["nodes"], self.sigma * k["nodes"], k["weights"]

    def arrays(self) -> dict[str, np.ndarray]:
        nodes, weights = np.polynomial.hermite_e.hermegauss(40)  # probabilists' Hermite, N(0, 1)
        return {"nodes": nodes, "weights": weights / weights.sum()}

    def sample(self, generator: torch.Generator, like: Tensor, step: int) -> DiracGAN:
        draws = torch.randn(self.noise_samples, 2, generator=generator, dtype=like.dtype, device=like.device)
        return dataclasses.replace(self, draws=draws)

    # ---- losses --------------------------------------------------------------------------------
    def _value(self, theta: Tensor, psi: Tensor, e_theta: Tensor, e_data: Tensor, w: Tensor) -> Tensor:
        if self.loss_type in ("wgan", "wgan_gp"):
            return (psi * theta)[:, 0]  # the noise averages out of a linear critic
        fake = _f(psi * (theta + e_theta))  # (B, K)
        real = _f(-psi * e_data)  # (B, K)
        return (fake * w).sum(1) + (real * w).sum(1)

    def _disc_penalty(self, psi: Tensor) -> Tensor:
        pen = psi.new_zeros(psi.shape[0])
        if self.reg != "none":
            pen = pen + 0.5 * self.gamma * psi[:, 0] ** 2
        if self.loss_type == "wgan_gp":
            pen = pen + 0.5 * self.gp_weight * (psi[:, 0].abs() - self.gp_target) ** 2
        return pen

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        if not self.zero_sum:
            raise ValueError("dirac_gan with loss='nsgan' is general-sum: use losses()")
        e_t, e_d, w = self._nodes(x)
        # the penalty depends on psi only, so subtracting it from f is the same as adding it to
        # the discriminator's loss: the game stays zero-sum
        return self._value(x, y, e_t, e_d, w) - self._disc_penalty(y)

    def losses(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        if self.zero_sum:
            f = self.loss(x, y)
            return f, -f
        e_t, e_d, w = self._nodes(x)
        gen = -(_f(-y * (x + e_t)) * w).sum(1)  # non-saturating generator loss
        disc = -self._value(x, y, e_t, e_d, w) + self._disc_penalty(y)
        return gen, disc

    def value(self, x: Tensor, y: Tensor) -> Tensor:
        e_t, e_d, w = self._nodes(x)
        return self._value(x, y, e_t, e_d, w)

    def project(self, z: Tensor) -> Tensor:
        if self.loss_type != "wgan":
            return z
        return torch.cat([z[:, 0:1], z[:, 1:2].clamp(-self.clip, self.clip)], dim=1)

    @property
    def constrained(self) -> bool:  # type: ignore[override]
        return self.loss_type == "wgan"

    def equilibrium(self) -> Optional[tuple[tuple[float, ...], tuple[float, ...]]]:
        return None if self.loss_type == "wgan_gp" else ((0.0,), (0.0,))

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return ((-2.0, 2.0), (-2.0, 2.0))
