"""Checkpoints: safetensors for tensors, a JSON sidecar for everything else. Nothing is pickled.

Two kinds share the layout ``NAME.safetensors`` + ``NAME.json``:

* **resume** (``kind: "resume"``): the full iterate ``z`` (S, P_x + P_y), the algorithm state
  (flattened NamedTuple leaves ``state/0``, ``state/1/0``, ...), the runner's RNG state, and the
  history so far. Big (D and optimiser moments); lives in ``runs/``, never shipped.
* **shipped** (``kind: "shipped"``): the generators only, ``gen`` (S, P_x) in float16, and the
  snapshot samples ``snapshots`` (K, S, n, 28, 28) uint8. Small; lives in ``checkpoints/mnist/``.

The JSON holds the algorithm's ``config()``, the game's hyperparameters, architecture, data
split, seeds, step, metrics and the exact command (see :data:`REQUIRED_KEYS`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from gan_demo.checkpoints import flatten_state, unflatten_state  # noqa: F401  (re-exported)

REQUIRED_KEYS = ("format", "kind", "arch", "latent", "digits", "algorithm", "game", "data", "seeds", "step",
                 "metrics", "history", "command", "train_seconds")
FORMAT = "saddle-mnist-v1"
#: refuse JSON sidecars larger than this (they are a few hundred kB at most)
MAX_JSON_BYTES = 16 * 2**20


def save(path: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write ``path.safetensors`` and ``path.json`` (``path`` without suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ValueError(f"checkpoint metadata lacks {missing}")
    tmp = path.with_suffix(".safetensors.tmp")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
    tmp.replace(path.with_suffix(".safetensors"))
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")


def load(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by :func:`save` (accepts the path with or without a suffix).

    Raises:
        FileNotFoundError: either file is missing.
        ValueError: the JSON is not a checkpoint of this format or lacks required keys.

    """
    path = Path(path)
    if path.suffix in (".safetensors", ".json"):
        path = path.with_suffix("")
    st, js = path.with_suffix(".safetensors"), path.with_suffix(".json")
    for p in (st, js):
        if not p.is_file():
            raise FileNotFoundError(f"checkpoint file {p} is missing")
    if js.stat().st_size > MAX_JSON_BYTES:
        raise ValueError(f"{js} is larger than {MAX_JSON_BYTES} bytes")
    try:
        meta = json.loads(js.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{js} is not valid JSON: {e}") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{js} is not a {FORMAT} checkpoint")
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ValueError(f"{js} lacks {missing}")
    return load_file(str(st)), meta
