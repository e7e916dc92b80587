"""Hand-written reference loops on f = x*y: what a researcher would write for each update rule.

Two flavours per algorithm, both on (B,) arrays x and y with the closed-form field
xi = (y, -x) and the engine's default hyperparameters:

* ``torch_loop``: a plain torch loop on (B,) tensors, nothing recorded;
* ``numpy_loop``: the same update in numpy, recording every iterate into a preallocated
  (steps + 1, B, 2) array (what one writes to plot a trajectory).

They are the references of ``python -m bench.engine`` and pin the engine's final iterates in
``tests/test_runner.py``. Hyperparameters other than ``lr`` are the registry defaults:
momentum beta = -0.5 (x first), consensus gamma = 1, sga lam = 1 with the sign rule (eps = 0.1,
n = 2), greedy_minmax MNIST variant with rate 5 and k = 1, ogda init "current", cgd/ftr exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

ALGORITHMS = ("gda", "alt_gda", "extragradient", "ogda", "momentum", "cgd", "ftr", "consensus", "sga",
              "greedy_minmax")


def _step_fns(lib: Any) -> dict[str, Callable]:
    """One update per algorithm, written once for torch and numpy (``lib`` supplies where/sign)."""

    def gda(x, y, s, eta):
        return x - eta * y, y + eta * x, s

    def alt_gda(x, y, s, eta):
        x = x - eta * y
        return x, y + eta * x, s

    def extragradient(x, y, s, eta):
        xh, yh = x - eta * y, y + eta * x
        return x - eta * yh, y + eta * xh, s

    def ogda(x, y, s, eta):
        gx_prev, gy_prev = s if s is not None else (y, -x)  # init "current": xi(z_-1) = xi(z_0)
        gx, gy = y, -x
        return x - eta * (2 * gx - gx_prev), y - eta * (2 * gy - gy_prev), (gx, gy)

    def momentum(x, y, s, eta, beta=-0.5):
        xp, yp = s if s is not None else (x, y)
        vx, vy = x - xp, y - yp
        xn = x - eta * y + beta * vx
        yn = y + eta * xn + beta * vy
        return xn, yn, (x, y)

    def cgd(x, y, s, eta):
        # Schäfer & Anandkumar on f = xy: dy = eta (1 + eta^2)^-1 (g_y - eta D_yx g_x), dx = -eta (g_x + D_xy dy)
        dy = eta / (1 + eta * eta) * (x - eta * y)
        return x - eta * (y + dy), y + dy, s

    def ftr(x, y, s, eta):
        # y also moves by eta_x H_yy^+ H_yx grad_x f; on f = xy H_yy = 0, so its pseudo-inverse is 0
        h_yy, h_yx = 0.0, 1.0
        corr = 0.0 * y if h_yy == 0 else eta * h_yx * y / h_yy
        return x - eta * y, y + eta * x + corr, s

    def consensus(x, y, s, eta, gamma=1.0):
        # xi = (y, -x), H^T xi = (x, y)
        return x - eta * (y + gamma * x), y - eta * (-x + gamma * y), s

    def sga(x, y, s, eta, lam0=1.0, eps=0.1):
        gx, gy = y, -x  # xi
        htx, hty = x, y  # H^T xi
        hx, hy = -x, -y  # H xi
        ax, ay = 0.5 * (htx - hx), 0.5 * (hty - hy)  # A^T xi
        mult = (gx * htx + gy * hty) * (ax * htx + ay * hty)
        lam = lam0 * lib.sign(mult / 2.0 + eps)
        return x - eta * (gx + lam * ax), y - eta * (gy + lam * ay), s

    def greedy_minmax(x, y, s, eta, rate=5):
        t = 0 if s is None else s
        f_old = x * y
        xn = x - eta * y
        yn = y + eta * xn
        reject = (t % rate != 0) & (xn * yn > f_old)
        return lib.where(reject, x, xn), lib.where(reject, y, yn), t + 1

    return dict(gda=gda, alt_gda=alt_gda, extragradient=extragradient, ogda=ogda, momentum=momentum, cgd=cgd,
                ftr=ftr, consensus=consensus, sga=sga, greedy_minmax=greedy_minmax)


_TORCH, _NUMPY = _step_fns(torch), _step_fns(np)


def torch_loop(
    name: str, x: torch.Tensor, y: torch.Tensor, steps: int, eta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Final (x, y), each (B,), after ``steps`` updates on torch tensors (nothing recorded)."""
    step, s = _TORCH[name], None
    for _ in range(steps):
        x, y, s = step(x, y, s, eta)
    return x, y


def numpy_loop(name: str, x: np.ndarray, y: np.ndarray, steps: int, eta: float) -> np.ndarray:
    """The whole trajectory (steps + 1, B, 2) in numpy, every iterate recorded."""
    step, s = _NUMPY[name], None
    out = np.empty((steps + 1, x.shape[0], 2))
    out[0, :, 0], out[0, :, 1] = x, y
    for t in range(1, steps + 1):
        x, y, s = step(x, y, s, eta)
        out[t, :, 0], out[t, :, 1] = x, y
    return out
