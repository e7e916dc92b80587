"""Every derivative the engine takes lives here, built on ``torch.func``.

Algorithms never call ``torch.autograd`` themselves: they ask for the game field ``xi``, the
dense Jacobian for tiny dimensions (:func:`jacobian`), batched conjugate gradients
(:func:`cg_solve`), and Jacobian products through **one route**, :func:`linearize_xi`: it records
``xi(z)`` once and answers ``H v`` (double backward) and ``H^T u`` (one reverse pass) from that
recording, as many times as needed. Forward mode (``torch.func.jvp`` of ``game.xi``) gives the
same numbers but re-traces the field for every product and, on the GAN games, is the slow path
(``python -m bench.hvp`` prints the ratio); the tests use it only as an independent check.

Why ``loss.sum()`` is enough: the rows of a batch are independent runs, so the Jacobian of the
summed loss is block-diagonal across rows and differentiating the sum yields per-row gradients.
That is the property the batch-independence tests pin down.

Notation: ``H = d xi / d z = [[d_xx l_x, d_xy l_x], [d_yx l_y, d_yy l_y]]``; for a zero-sum game
``H = [[f_xx, f_xy], [-f_yx, -f_yy]]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import torch
from torch.func import grad, vjp, vmap

from .types import Matvec, Tensor

if TYPE_CHECKING:
    from .game import Game


def grad_field(game: Game, z: Tensor) -> Tensor:
    """The descent field ``xi(z) = (grad_x l_x, grad_y l_y)`` by automatic differentiation.

    Games without a closed-form field inherit this as their ``xi``.
    """
    x, y = game.split(z)  # (B, dx), (B, dy)
    if game.zero_sum:
        gx, gy = grad(lambda a, b: game.loss(a, b).sum(), argnums=(0, 1))(x, y)
        return torch.cat([gx, -gy], dim=1)  # (B, D)
    gx = grad(lambda a: game.losses(a, y)[0].sum())(x)
    gy = grad(lambda b: game.losses(x, b)[1].sum())(y)
    return torch.cat([gx, gy], dim=1)


def grad_field_x(game: Game, z: Tensor) -> Tensor:
    """``grad_x l_x`` only (half the cost of :func:`grad_field` for alternating updates)."""
    x, y = game.split(z)
    return grad(lambda a: game.losses(a, y)[0].sum())(x)  # (B, dx)


def grad_field_y(game: Game, z: Tensor) -> Tensor:
    """``grad_y l_y`` only."""
    x, y = game.split(z)
    return grad(lambda b: game.losses(x, b)[1].sum())(y)  # (B, dy)


def jacobian(game: Game, z: Tensor, fn: Optional[Callable[[Tensor], Tensor]] = None) -> Tensor:
    """Dense per-row Jacobian ``d fn / d z`` (B, D, D); ``fn`` defaults to the game field.

    Only for small ``D`` (the app's spectrum view, tests): it costs ``D`` reverse passes, run at
    once over the basis vectors. The field's Jacobian goes through the one product route
    (:func:`linearize_xi`, plain autograd); another ``fn`` uses ``torch.func`` (whose first call in
    a process imports ``torch._dynamo``, several seconds on a small CPU).
    """
    if fn is None:
        return linearize_xi(game, z).dense()
    _, pullback = vjp(fn, z)
    n_out = fn(z).shape[1]
    eye = torch.eye(n_out, dtype=z.dtype, device=z.device)  # (D, D)
    basis = eye[:, None, :].expand(n_out, z.shape[0], n_out)  # (D, B, D): e_i for every row
    rows = vmap(lambda u: pullback(u)[0])(basis)  # (D, B, D): row i of J for every b
    return rows.permute(1, 0, 2).contiguous()  # (B, D, D)


def batched_dot(a: Tensor, b: Tensor) -> Tensor:
    """Row-wise inner product (B, n), (B, n) -> (B,)."""
    # a product with a ones vector: summing along a short inner dimension with .sum(dim=1) is
    # 10x slower for long batches (measured 1.06 ms vs 0.08 ms at B = 65536, n = 2)
    return (a * b) @ torch.ones(a.shape[1], dtype=a.dtype, device=a.device)


def cg_solve(
    matvec: Matvec,
    b: Tensor,
    x0: Optional[Tensor] = None,
    *,
    tol: float = 1e-12,
    atol: float = 1e-20,
    max_iter: Optional[int] = None,
) -> tuple[Tensor, Tensor]:
    """Solve ``A w = b`` row by row with conjugate gradients (``A`` symmetric positive definite).

    Each row stops on its own when ``|r|^2 < tol |b|^2`` or ``|r|^2 < atol`` (the cgds-package
    criteria); a converged row is frozen, so its result never depends on the other rows.

    Args:
        matvec: ``p -> A p`` on a batch (B, n) -> (B, n).
        b: Right-hand sides (B, n).
        x0: Warm start (B, n); zeros by default.
        tol: Relative squared-residual tolerance.
        atol: Absolute squared-residual tolerance.
        max_iter: At most this many iterations (default ``n``).

    Returns:
        The solution (B, n) and the number of iterations each row used (B,).

    """
    n = b.shape[1]
    max_iter = n if max_iter is None else max_iter
    w = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b - matvec(w) if x0 is not None else b.clone()
    p = r.clone()
    rr = batched_dot(r, r)  # (B,)
    bb = batched_dot(b, b)
    iters = torch.zeros(b.shape[0], dtype=torch.long, device=b.device)
    # "<=" so that an exactly zero residual (e.g. b = 0) stops at once instead of dividing 0 by 0
    active = ~((rr <= tol * bb) | (rr <= atol))
    for _ in range(max_iter):
        if not bool(active.any()):
            break
        ap = matvec(p)
        pap = batched_dot(p, ap)
        alpha = torch.where(active, rr / torch.where(active, pap, torch.ones_like(pap)), 0.0)
        w = w + alpha[:, None] * p
        r = r - alpha[:, None] * ap
        rr_new = batched_dot(r, r)
        beta = torch.where(active, rr_new / torch.where(active, rr, torch.ones_like(rr)), 0.0)
        p = torch.where(active[:, None], r + beta[:, None] * p, p)
        rr = torch.where(active, rr_new, rr)
        iters = iters + active.long()
        active = active & ~((rr <= tol * bb) | (rr <= atol))
    return w, iters


# ---- reverse-mode linearisation of the field (second-order algorithms) --------------------------
#
# ``torch.func.jvp`` costs several hundred microseconds per call on small batched fields, far more
# than the field itself. The algorithms of the "second-order" group therefore linearise the field
# once per step with plain ``torch.autograd``: one forward pass records the graph of xi, reverse
# passes over it give ``H^T u``, and the double-backward trick (``H v = d/du <H^T u, v>``, a
# reverse pass over the linear graph of ``u -> H^T u``) gives ``H v``. Every further product (each
# CG iteration) is one cheap reverse pass. When the caller is itself being differentiated (the
# step Jacobians of :mod:`dynamics.spectrum`), the products are built with ``create_graph`` so the
# outer derivative flows through them.


def needs_graph(*tensors: Optional[Tensor]) -> bool:
    """Whether an outer autograd computation is differentiating through these tensors."""
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


class FieldLinearization:
    """``xi(z)`` together with the linear maps ``v -> H v`` and ``u -> H^T u`` of its Jacobian.

    Built by :func:`linearize_xi`. All products are batched: (B, D) -> (B, D), each row using its
    own point's Jacobian (the rows of a batch are independent runs).
    """

    def __init__(self, game: Game, z: Tensor, create_graph: Optional[bool] = None) -> None:
        self.game = game
        self.create_graph = needs_graph(z) if create_graph is None else create_graph
        with torch.enable_grad():
            self._z = z if (self.create_graph and z.requires_grad) else z.detach().requires_grad_(True)
            self._out = game.xi(self._z)  # (B, D), recorded
        self.xi = self._out if self.create_graph else self._out.detach()
        self._u: Optional[Tensor] = None
        self._htu: Optional[Tensor] = None

    @property
    def constant(self) -> bool:
        """Whether the field does not depend on z here (H = 0; nothing was recorded)."""
        return not self._out.requires_grad

    def vjp(self, u: Tensor) -> Tensor:
        """``H^T u`` (B, D)."""
        if self.constant:
            return torch.zeros_like(u)
        with torch.enable_grad():
            (r,) = torch.autograd.grad(self._out, self._z, u, retain_graph=True,
                                       create_graph=self.create_graph, allow_unused=True,
                                       materialize_grads=True)
        return r

    def jvp(self, v: Tensor) -> Tensor:
        """``H v`` (B, D), by the double-backward trick."""
        if self.constant:
            return torch.zeros_like(v)
        with torch.enable_grad():
            if self._htu is None:
                self._u = torch.zeros_like(self._out, requires_grad=True)
                (self._htu,) = torch.autograd.grad(self._out, self._z, self._u, retain_graph=True,
                                                   create_graph=True, allow_unused=True,
                                                   materialize_grads=True)
            if not self._htu.requires_grad:  # a constant field: H = 0
                return torch.zeros_like(v)
            (r,) = torch.autograd.grad(self._htu, self._u, v, retain_graph=True,
                                       create_graph=self.create_graph, allow_unused=True,
                                       materialize_grads=True)
        return r

    def vjp_and_jvp(self, w: Tensor) -> tuple[Tensor, Tensor]:
        """``(H^T w, H w)`` for the same vector ``w`` (B, D) with two reverse passes (SGA's pair)."""
        if self.constant:
            return torch.zeros_like(w), torch.zeros_like(w)
        with torch.enable_grad():
            u = w if (self.create_graph and w.requires_grad) else w.detach().requires_grad_(True)
            (htw,) = torch.autograd.grad(self._out, self._z, u, retain_graph=True, create_graph=True,
                                         allow_unused=True, materialize_grads=True)
            if not htw.requires_grad:
                return htw, torch.zeros_like(w)
            (hw,) = torch.autograd.grad(htw, u, w, retain_graph=True, create_graph=self.create_graph,
                                        allow_unused=True, materialize_grads=True)
        return (htw if self.create_graph else htw.detach()), hw

    def jvp_x(self, vx: Tensor) -> Tensor:
        """``H (v_x, 0)`` (B, D): the columns of the x-block (``H_xx v_x`` on top, ``H_yx v_x`` below)."""
        return self.jvp(self.game.join(vx, vx.new_zeros(vx.shape[0], self.game.dim_y)))

    def jvp_y(self, vy: Tensor) -> Tensor:
        """``H (0, v_y)`` (B, D): ``H_xy v_y`` on top, ``H_yy v_y`` below."""
        return self.jvp(self.game.join(vy.new_zeros(vy.shape[0], self.game.dim_x), vy))

    def rows(self, start: int, stop: int) -> Tensor:
        """Rows ``start:stop`` of the dense Jacobian (B, stop - start, D), one reverse pass each.

        Only for tiny dimensions (FTR's and CGD's exact solves).
        """
        n, dim = self._out.shape
        if self.constant:
            return self._out.new_zeros(n, stop - start, self._z.shape[1])
        eye = torch.eye(dim, dtype=self._out.dtype, device=self._out.device)[start:stop]  # (k, D)
        basis = eye[:, None, :].expand(stop - start, n, dim)  # (k, B, D): e_i in every row
        with torch.enable_grad():
            (r,) = torch.autograd.grad(self._out, self._z, basis, retain_graph=True,
                                       create_graph=self.create_graph, is_grads_batched=True,
                                       allow_unused=True, materialize_grads=True)
        return r.transpose(0, 1)  # (B, k, D)

    def dense(self) -> Tensor:
        """The dense Jacobian (B, D, D) (tiny D only)."""
        return self.rows(0, self._out.shape[1])


class ConstantLinearization:
    """The same interface as :class:`FieldLinearization` for a field with a constant Jacobian
    (``game.constant_jacobian()``): every product is one small matrix product, nothing is recorded.
    ``xi`` is still computed by ``game.xi`` with torch ops, so an outer autograd computation (the
    step Jacobians of :mod:`dynamics.spectrum`) differentiates through it and through the products.
    """

    def __init__(self, game: Game, z: Tensor, matrix: Tensor) -> None:
        self.game = game
        self.matrix = matrix  # (D, D) constant H
        self.xi = game.xi(z)  # (B, D)

    def vjp(self, u: Tensor) -> Tensor:
        return u @ self.matrix  # (B, D): H^T u row by row

    def jvp(self, v: Tensor) -> Tensor:
        return v @ self.matrix.T  # (B, D): H v row by row

    def vjp_and_jvp(self, w: Tensor) -> tuple[Tensor, Tensor]:
        return self.vjp(w), self.jvp(w)

    def jvp_x(self, vx: Tensor) -> Tensor:
        return vx @ self.matrix[:, : self.game.dim_x].T

    def jvp_y(self, vy: Tensor) -> Tensor:
        return vy @ self.matrix[:, self.game.dim_x :].T

    def rows(self, start: int, stop: int) -> Tensor:
        return self.matrix[start:stop].expand(self.xi.shape[0], stop - start, self.matrix.shape[1])

    def dense(self) -> Tensor:
        return self.rows(0, self.matrix.shape[0])


def linearize_xi(game: Game, z: Tensor, create_graph: Optional[bool] = None) -> FieldLinearization:
    """Evaluate ``xi(z)`` and record it for Jacobian products (see :class:`FieldLinearization`).

    Args:
        game: The game.
        z: Points (B, D).
        create_graph: Keep the products differentiable (default: exactly when ``z`` is being
            differentiated by an outer autograd computation).

    Games with a constant Jacobian (``game.constant_jacobian()``) get a :class:`ConstantLinearization`.

    """
    matrix = game.jacobian_constant(z)
    if matrix is not None:
        return ConstantLinearization(game, z, matrix)  # type: ignore[return-value]
    return FieldLinearization(game, z, create_graph)


def grad_of(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``d fn(x).sum() / dx`` (B, n) for a row-wise scalar ``fn`` (B, n) -> (B,), with plain autograd.

    Differentiable (``create_graph``) when ``x`` is being differentiated from outside; used for
    total derivatives through unrolled inner loops.
    """
    create = needs_graph(x)
    with torch.enable_grad():
        xx = x if (create and x.requires_grad) else x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(fn(xx).sum(), xx, create_graph=create, allow_unused=True,
                                   materialize_grads=True)
    return g
