"""Read the shipped MNIST checkpoints (``checkpoints/mnist/*.json`` of kind "shipped") for the app.

A :class:`ShippedRun` holds the JSON metadata, the snapshot samples and one float32 generator per
trained seed; :meth:`ShippedRun.sample` maps noise to uint8 images. No Streamlit here: the page
caches these objects with ``st.cache_resource``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan_demo.game import module_from_flat

from . import checkpoint as ckpt
from .models import make_generator

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "checkpoints" / "mnist"


@dataclass
class ShippedRun:
    name: str
    meta: dict
    snapshots: np.ndarray  # (K, S, n, 28, 28) uint8
    generators: list[nn.Module]  # one per seed row, float32, eval mode

    @property
    def label(self) -> str:
        a = self.meta["algorithm"]
        extra = ""
        if a["name"] == "adam":
            extra = f" (Adam β₁={a.get('beta1')})"
        data = "0-1 MNIST" if self.meta["digits"] == [0, 1] else "MNIST"
        return f"{self.name}: {a['name']}{extra}, {data}, {self.meta['step']} it."

    @property
    def digits(self) -> tuple[int, ...]:
        return tuple(self.meta["digits"])

    @property
    def latent(self) -> int:
        return int(self.meta["latent"])

    @property
    def snapshot_steps(self) -> list[int]:
        return list(self.meta["history"]["snapshot_steps"])

    def noise(self, seed: int, n: int) -> np.ndarray:
        """Standard normal codes (n, latent) from ``seed`` (the tab's 'fixed seed')."""
        g = torch.Generator().manual_seed(int(seed))
        return torch.randn(n, self.latent, generator=g).numpy()

    @torch.no_grad()
    def sample(self, noise: np.ndarray, row: int = 0) -> np.ndarray:
        """uint8 images (n, 28, 28) from the generator of seed row ``row``."""
        out = self.generators[row](torch.as_tensor(np.asarray(noise), dtype=torch.float32))
        return ((out.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).reshape(-1, 28, 28).numpy()


def list_shipped(folder: str | Path = SHIPPED_DIR) -> list[str]:
    """Names (file stems) of the shipped GAN checkpoints in ``folder``, sorted."""
    names = []
    for js in sorted(Path(folder).glob("*.json")):
        try:
            kind = json.loads(js.read_text()).get("kind")
        except (json.JSONDecodeError, OSError):
            continue
        if kind == "shipped" and js.with_suffix(".safetensors").is_file():
            names.append(js.stem)
    return names


def load_shipped(name: str, folder: str | Path = SHIPPED_DIR) -> ShippedRun:
    """Load one shipped checkpoint (safetensors + JSON; nothing is unpickled)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad checkpoint name {name!r}")
    tensors, meta = ckpt.load(Path(folder) / name)
    if meta["kind"] != "shipped":
        raise ValueError(f"{name} is a {meta['kind']} checkpoint, not a shipped one")
    template = make_generator(meta["arch"], int(meta["latent"]))
    gen = tensors["gen"].to(torch.float32)  # (S, P_x)
    gens = []
    for row in gen:
        g = module_from_flat(template, row)
        g.eval()
        gens.append(g)
    snaps = tensors["snapshots"].numpy() if "snapshots" in tensors else np.zeros((0, len(gens), 0, 28, 28), np.uint8)
    return ShippedRun(name, meta, snaps, gens)
