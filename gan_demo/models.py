"""MLP generator and discriminator for the 2D mixtures (and any flat data), plus latent samplers.

Shapes: ``N`` points, ``k`` latent dimension, ``d`` data dimension, ``W`` hidden width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from dynamics.params import hparam, validate
from dynamics.types import Tensor

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": nn.ELU,
    "softplus": nn.Softplus,
}
NOISES = ("normal", "uniform")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of G and D. Defaults: Mangoubi et al.'s 4-Gaussian nets (2×128 ReLU, z 256-d)."""

    latent_dim: int = hparam(256, low=1, high=4096, help="latent code dimension k")
    g_depth: int = hparam(2, low=0, high=8, help="generator hidden layers")
    g_width: int = hparam(128, low=1, high=4096, help="generator hidden width")
    d_depth: int = hparam(2, low=0, high=8, help="discriminator hidden layers")
    d_width: int = hparam(128, low=1, high=4096, help="discriminator hidden width")
    activation: str = hparam("relu", choices=tuple(ACTIVATIONS), help="hidden activation")
    noise: str = hparam("normal", choices=NOISES, help="latent distribution: N(0, I) or U(-1, 1)^k")
    init: str = hparam("orthogonal", choices=("orthogonal", "default"), help="weight initialisation")
    gain: float = hparam(0.8, low=1e-3, high=10.0, help="orthogonal initialisation gain")

    def __post_init__(self) -> None:
        validate(self, "model")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class MLP(nn.Module):
    """``depth`` hidden layers of ``width`` units with one activation, then a linear output."""

    def __init__(self, n_in: int, n_out: int, depth: int, width: int, activation: str = "relu") -> None:
        super().__init__()
        layers: list[nn.Module] = []
        prev = n_in
        for _ in range(depth):
            layers += [nn.Linear(prev, width), ACTIVATIONS[activation]()]
            prev = width
        layers.append(nn.Linear(prev, n_out))
        self.net = nn.Sequential(*layers)

    def forward(self, u: Tensor) -> Tensor:
        return self.net(u)  # (N, n_in) -> (N, n_out)


class Discriminator(MLP):
    """D: (N, d) points -> (N,) logits."""

    def forward(self, u: Tensor) -> Tensor:
        return self.net(u).squeeze(-1)  # (N, d) -> (N, 1) -> (N,)


def make_generator(cfg: ModelConfig, data_dim: int = 2) -> MLP:
    """G: (N, k) latent codes -> (N, d) points."""
    return MLP(cfg.latent_dim, data_dim, cfg.g_depth, cfg.g_width, cfg.activation)


def make_discriminator(cfg: ModelConfig, data_dim: int = 2) -> Discriminator:
    """D: (N, d) -> (N,) logits."""
    return Discriminator(data_dim, 1, cfg.d_depth, cfg.d_width, cfg.activation)


def latent_sampler(dim: int, noise: str = "normal") -> Callable[[int, torch.Generator], Tensor]:
    """``f(n, generator) -> (n, dim)``: N(0, I) or U(-1, 1) codes on the generator's device."""
    if noise not in NOISES:
        raise ValueError(f"noise {noise!r} is not one of {list(NOISES)}")

    def sample(n: int, generator: torch.Generator) -> Tensor:
        if noise == "normal":
            return torch.randn(n, dim, generator=generator, device=generator.device)
        return 2.0 * torch.rand(n, dim, generator=generator, device=generator.device) - 1.0

    return sample


__all__ = ["ModelConfig", "MLP", "Discriminator", "make_generator", "make_discriminator", "latent_sampler",
           "ACTIVATIONS", "NOISES"]
