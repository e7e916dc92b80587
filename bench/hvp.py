"""Hessian-vector products on a 2D-mixture GAN: the one route (``linearize_xi``) against forward mode.

``dynamics.autodiff.linearize_xi`` records ξ(z) once and answers every product ``H v`` with two
reverse passes through that recording (the double-backward trick). The forward-mode alternative
(``torch.func.jvp`` of ``game.xi``) re-traces the whole field, itself a reverse pass over the
networks, for every product. Both give the same numbers; this prints the time per product of
each, measured in the same run (process CPU time, one torch thread, median of interleaved repeats).

    python -m bench.hvp                       # Mangoubi et al.'s 2×128 nets, 10 products
    python -m bench.hvp --width 16 --products 40
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.func import jvp

from dynamics.autodiff import linearize_xi
from gan_demo.gmm import GMMConfig, build
from gan_demo.models import ModelConfig


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=128, help="hidden width of both players (default 128)")
    p.add_argument("--latent", type=int, default=256, help="latent dimension (default 256)")
    p.add_argument("--products", type=int, default=10, help="products per repeat (default 10)")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    model = ModelConfig(latent_dim=a.latent, g_width=a.width, d_width=a.width)
    game, _ = build(GMMConfig(model=model, batch_size=512, seeds=(0,)))
    z = game.init_params(dtype=torch.float64)
    g = game.sample(torch.Generator().manual_seed(0), z, step=0)
    vs = torch.randn(a.products, *z.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)

    def route() -> torch.Tensor:
        lin = linearize_xi(g, z)
        return torch.stack([lin.jvp(v) for v in vs])

    def forward() -> torch.Tensor:
        return torch.stack([jvp(g.xi, (z,), (v,))[1] for v in vs])

    times: dict[str, list[float]] = {"linearize_xi": [], "torch.func.jvp": []}
    out = {}
    for _ in range(a.repeats):
        for name, fn in (("linearize_xi", route), ("torch.func.jvp", forward)):
            t0 = time.process_time()
            out[name] = fn()
            times[name].append((time.process_time() - t0) / a.products)
    err = (out["linearize_xi"] - out["torch.func.jvp"]).abs().max().item()
    ref = statistics.median(times["linearize_xi"])
    print(f"D = {game.dim} parameters, batch 512, {a.products} products x {a.repeats} repeats, "
          f"max |difference| {err:.1e}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:>15}: {m * 1e3:9.2f} ms per product  ({m / ref:7.1f} x linearize_xi)")


if __name__ == "__main__":
    main()
