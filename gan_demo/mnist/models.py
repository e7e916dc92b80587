"""The MNIST GAN players of the seed papers, and a small DCGAN.

Every generator maps noise (N, latent) to flat images (N, 784) in [-1, 1] (tanh); every
discriminator maps flat images (N, 784) to logits (N,) (the papers' sigmoid output is folded into
the BCE-with-logits loss, which is the same function and numerically safer). No BatchNorm: the
engine trains players through ``torch.func.functional_call`` with parameters as flat vectors, and
running-statistics buffers would be hidden state outside the iterate.

* ``mlp``: the Smoothed-GDA repository's pl_bolts "basic GAN" (github.com/ojus1/SmoothedGradientDescentAscent):
  G 100 -> 256 -> 512 -> 1024 -> 784, D 784 -> 1024 -> 512 -> 256 -> 1, LeakyReLU 0.2,
  ``F.dropout(0.3)`` after each of D's three hidden layers and **always active** (the repo never
  passes ``training``), so D is a random function even at evaluation time.
* ``mangoubi``: the 0-1 MNIST nets of Mangoubi et al. (MNIST_Code.ipynb): same sizes, dropout 0.3 after D's
  first two hidden layers only, Keras semantics: active in training mode only (D's training steps),
  off in eval mode (the greedy acceptance test, as Keras ``predict`` runs it).
* ``tiny``: G latent -> 64 -> 784, D 784 -> 64 -> 1 with always-on dropout: for tests and quick
  demos only.
* ``dcgan``: a small DCGAN without BatchNorm: G 100 -> 64x7x7 -> 32x14x14 -> 1x28x28 (transposed
  convs 4/2/1), D 1x28x28 -> 32x14x14 -> 64x7x7 -> 1 (convs 4/2/1), LeakyReLU 0.2.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

IMAGE_DIM = 784
ARCHES = ("mlp", "mangoubi", "dcgan", "tiny")


class MLPGenerator(nn.Module):
    """z (N, latent) -> images (N, 784) in [-1, 1]."""

    def __init__(self, latent: int = 100, hidden: Sequence[int] = (256, 512, 1024)) -> None:
        super().__init__()
        dims = [latent, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], IMAGE_DIM)
        self.latent = latent

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = z
        for layer in self.hidden:
            h = F.leaky_relu(layer(h), 0.2)
        return torch.tanh(self.out(h))  # (N, 784)


class MLPDiscriminator(nn.Module):
    """images (N, 784) -> logits (N,); dropout after the first ``dropout_layers`` hidden layers.

    ``always_dropout`` reproduces the repo's ``F.dropout(x, 0.3)`` (active in eval mode too).
    """

    def __init__(self, hidden: Sequence[int] = (1024, 512, 256), dropout: float = 0.3,
                 dropout_layers: int = 3, always_dropout: bool = True) -> None:
        super().__init__()
        dims = [IMAGE_DIM, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], 1)
        self.dropout = dropout
        self.dropout_layers = dropout_layers
        self.always_dropout = always_dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(x.shape[0], IMAGE_DIM)
        for i, layer in enumerate(self.hidden):
            h = F.leaky_relu(layer(h), 0.2)
            if self.dropout > 0 and i < self.dropout_layers:
                h = F.dropout(h, self.dropout, training=self.always_dropout or self.training)
        return self.out(h).squeeze(-1)  # (N,)


class DCGenerator(nn.Module):
    """z (N, latent) -> images (N, 784) in [-1, 1] through two transposed convolutions."""

    def __init__(self, latent: int = 100, width: int = 32) -> None:
        super().__init__()
        self.fc = nn.Linear(latent, 2 * width * 7 * 7)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 4, 2, 1)  # 7 -> 14
        self.up2 = nn.ConvTranspose2d(width, 1, 4, 2, 1)  # 14 -> 28
        self.latent = latent
        self.width = width

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.fc(z), 0.2).reshape(z.shape[0], 2 * self.width, 7, 7)
        h = F.leaky_relu(self.up1(h), 0.2)
        return torch.tanh(self.up2(h)).reshape(z.shape[0], IMAGE_DIM)  # (N, 784)


class DCDiscriminator(nn.Module):
    """images (N, 784) -> logits (N,) through two strided convolutions."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, width, 4, 2, 1)  # 28 -> 14
        self.c2 = nn.Conv2d(width, 2 * width, 4, 2, 1)  # 14 -> 7
        self.fc = nn.Linear(2 * width * 7 * 7, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(x.shape[0], 1, 28, 28)
        h = F.leaky_relu(self.c1(h), 0.2)
        h = F.leaky_relu(self.c2(h), 0.2)
        return self.fc(h.flatten(1)).squeeze(-1)  # (N,)


def make_players(arch: str, latent: int = 100) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) for ``arch`` in :data:`ARCHES`, with PyTorch's default init."""
    if arch == "mlp":
        return MLPGenerator(latent), MLPDiscriminator(dropout_layers=3, always_dropout=True)
    if arch == "mangoubi":
        return MLPGenerator(latent), MLPDiscriminator(dropout_layers=2, always_dropout=False)
    if arch == "dcgan":
        return DCGenerator(latent), DCDiscriminator()
    if arch == "tiny":
        return MLPGenerator(latent, (64,)), MLPDiscriminator((64,), dropout_layers=1)
    raise ValueError(f"unknown arch {arch!r}; valid choices: {', '.join(ARCHES)}")


def make_generator(arch: str, latent: int = 100) -> nn.Module:
    """Only the generator (what the app needs to sample from a shipped checkpoint)."""
    if arch in ("mlp", "mangoubi"):
        return MLPGenerator(latent)
    if arch == "dcgan":
        return DCGenerator(latent)
    if arch == "tiny":
        return MLPGenerator(latent, (64,))
    raise ValueError(f"unknown arch {arch!r}; valid choices: {', '.join(ARCHES)}")


def to_canonical(images: torch.Tensor, data_range: str) -> torch.Tensor:
    """Generator outputs in the training data's range -> [-1, 1] (what the classifier and plots expect).

    For ``"01"`` the tanh output below 0 is darker than any training pixel: clamped to 0 first.
    """
    if data_range == "01":
        return images.clamp(0.0, 1.0) * 2.0 - 1.0
    return images


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
