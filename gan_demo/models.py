"""MLP generator and discriminator for the 2D mixtures (and any flat data), plus latent samplers.

Shapes: ``N`` points, ``k`` latent dimension, ``d`` data dimension, ``W`` hidden width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

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

    latent_dim: int = 256
    g_depth: int = 2  # hidden layers
    g_width: int = 128
    d_depth: int = 2
    d_width: int = 128
    activation: str = "relu"
    noise: str = "normal"  # N(0, I) or U(-1, 1)^k
    init: str = "orthogonal"  # or "default"
    gain: float = 0.8

    def __post_init__(self) -> None:
        for name in ("latent_dim", "g_width", "d_width"):
            v = getattr(self, name)
            if not isinstance(v, int) or not 1 <= v <= 4096:
                raise ValueError(f"{name} must be an integer in [1, 4096], got {v!r}")
        for name in ("g_depth", "d_depth"):
            v = getattr(self, name)
            if not isinstance(v, int) or not 0 <= v <= 8:
                raise ValueError(f"{name} must be an integer in [0, 8], got {v!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} is not one of {list(ACTIVATIONS)}")
        if self.noise not in NOISES:
            raise ValueError(f"noise {self.noise!r} is not one of {list(NOISES)}")
        if self.init not in ("orthogonal", "default"):
            raise ValueError(f"init {self.init!r} is not one of ['orthogonal', 'default']")
        if not 0 < self.gain <= 10:
            raise ValueError(f"gain must be in (0, 10], got {self.gain}")

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
