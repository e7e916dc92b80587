"""What the GAN pages draw, computed with torch for one row (seed) of a :class:`GANGame` iterate.

Discriminator heatmap, generator manifold (a warped latent grid), GAN Lab's gradient arrows on
generated samples, and the game Jacobian's eigenvalues (dense when small, Ritz values otherwise).
Numpy out; no plotting here.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from dynamics.autodiff import linearize_xi
from dynamics.spectrum import eigen_split

from .game import GANGame

#: above this joint dimension the dense Jacobian is not formed (D reverse passes of the field)
MAX_DENSE_DIM = 800


def _row(z: torch.Tensor | np.ndarray, s: int = 0) -> torch.Tensor:
    t = torch.as_tensor(z)
    return (t[s : s + 1] if t.ndim == 2 else t[None]).to(torch.float64)  # (1, D)


def one_seed(game: GANGame) -> GANGame:
    """The same game with one row (views work on one seed at a time)."""
    # a smaller evaluation batch keeps the Jacobian products cheap enough for an interactive page
    return dataclasses.replace(game, seeds=game.seeds[:1], batch=None, eval_size=min(game.eval_size, 256))


def d_heatmap(game: GANGame, z: torch.Tensor, box: tuple, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """σ(D(u)) on an n×n grid over ``box``: xs (n,), ys (n,), probs (n, n) indexed [iy, ix]."""
    (x0, x1), (y0, y1) = box
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    pts = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1))[None]  # (1, n*n, 2)
    zr = _row(z)
    with torch.no_grad():
        logits = game.discriminate(game.split(zr)[1], pts)  # (1, n*n)
    return xs, ys, torch.sigmoid(logits[0]).reshape(n, n).numpy()


def manifold(game: GANGame, z: torch.Tensor, n_lines: int = 11, n_points: int = 40, span: float = 2.0) -> np.ndarray:
    """The image of a latent grid: (2 * n_lines, n_points, 2) polylines.

    The grid spans ``[-span, span]`` in the first two latent coordinates (others 0), so for
    latent_dim > 2 it is a 2D slice of the latent space.
    """
    k = game.latent_dim
    a = np.linspace(-span, span, n_lines)
    t = np.linspace(-span, span, n_points)
    codes = np.zeros((2 * n_lines, n_points, k))
    for i, v in enumerate(a):
        codes[i, :, 0], codes[i, :, 1 % k] = t, v
        codes[n_lines + i, :, 0], codes[n_lines + i, :, 1 % k] = v, t
    zr = _row(z)
    with torch.no_grad():
        pts = game.generate(game.split(zr)[0], torch.as_tensor(codes.reshape(1, -1, k)))  # (1, L*M, 2)
    return pts[0].reshape(2 * n_lines, n_points, 2).numpy()


def sample_arrows(game: GANGame, z: torch.Tensor, noise: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Generated points (N, 2) and where the generator's loss pushes each one: ``-∂l_x/∂u`` (N, 2) × N."""
    zr = _row(z)
    x, y = game.split(zr)
    with torch.no_grad():
        pts = game.generate(x, noise.to(torch.float64)[None])  # (1, N, 2)

    def loss(u: torch.Tensor) -> torch.Tensor:
        return game.generator_loss(game.discriminate(y, u)).sum()

    with torch.enable_grad():  # one reverse pass (plain autograd: no torch.func start-up cost)
        u = pts.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss(u), u)  # (1, N, 2)
    return pts[0].numpy(), (-g[0] * pts.shape[1]).numpy()


def eigenvalues(game: GANGame, z: torch.Tensor, k: int = 40, seed: int = 0) -> tuple[np.ndarray, str]:
    """Eigenvalues of the game Jacobian H at one seed's iterate, on the fixed evaluation batch.

    Dense (all D eigenvalues, via :func:`dynamics.spectrum.eigen_split`) when D <= MAX_DENSE_DIM;
    otherwise ``k`` Ritz values of a k-step Arnoldi iteration on Hv products (approximations of
    the outermost eigenvalues only). Returns the complex values and a sentence saying which.
    """
    g1 = one_seed(game)
    zr = _row(z)
    if g1.dim <= MAX_DENSE_DIM:
        vals, _ = eigen_split(g1, zr)
        return vals[0].numpy(), f"all {g1.dim} eigenvalues of the dense Jacobian"
    k = min(k, g1.dim)
    gen = torch.Generator().manual_seed(seed)
    Q = torch.zeros(k + 1, g1.dim, dtype=torch.float64)
    Hm = torch.zeros(k + 1, k, dtype=torch.float64)
    q = torch.randn(g1.dim, generator=gen, dtype=torch.float64)
    Q[0] = q / q.norm()
    m = k
    lin = linearize_xi(g1, zr, create_graph=False)  # ξ recorded once; each H·v is two reverse passes
    with torch.enable_grad():
        for j in range(k):
            w = lin.jvp(Q[j][None])[0].detach()
            for i in range(j + 1):  # modified Gram-Schmidt
                Hm[i, j] = Q[i] @ w
                w = w - Hm[i, j] * Q[i]
            Hm[j + 1, j] = w.norm()
            if Hm[j + 1, j] < 1e-12:
                m = j + 1
                break
            Q[j + 1] = w / Hm[j + 1, j]
    vals = torch.linalg.eigvals(Hm[:m, :m]).numpy()
    return vals, f"{m} Ritz values (Arnoldi on H·v) of the {g1.dim}×{g1.dim} Jacobian: outermost eigenvalues only"


__all__ = ["d_heatmap", "manifold", "sample_arrows", "eigenvalues", "one_seed", "MAX_DENSE_DIM"]
