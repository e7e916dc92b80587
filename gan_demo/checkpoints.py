"""Checkpoints: tensors in safetensors (never pickle), everything else in a JSON sidecar.

``save(path, ...)`` writes ``path`` (``.safetensors``: the iterate ``z`` (S, D), the algorithm
state's tensor leaves, the runner's rng state) and ``path.with_suffix(".json")`` (game/model/data
config, algorithm config, step, the state's non-tensor leaves). ``load`` rebuilds the algorithm
state by flattening a fresh ``algorithm.init(game, z)`` as a template, so any NamedTuple state
(nested for wrappers) round-trips without storing Python classes. Resuming with
``dynamics.run(..., state=, rng_state=, start_step=)`` equals the uninterrupted run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch
from safetensors.torch import load_file, save_file
from torch.utils._pytree import tree_flatten, tree_unflatten

from dynamics.algorithm import Algorithm
from dynamics.game import Game
from dynamics.types import State, Tensor

FORMAT = "saddle-gan-checkpoint/1"
#: refuse sidecars larger than this (they hold only configs and scalars)
MAX_SIDECAR_BYTES = 5_000_000


@dataclass
class Checkpoint:
    z: Tensor  # (S, D)
    state: State
    step: int
    rng_state: Optional[Tensor]
    meta: dict[str, Any]  # the JSON sidecar (config, algorithm, ...)


def sidecar_path(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def save(path: str | Path, z: Tensor, state: State, step: int, *, config: dict[str, Any],
         algorithm: dict[str, Any], rng_state: Optional[Tensor] = None, extra: Optional[dict[str, Any]] = None) -> Path:
    """Write ``path`` (safetensors) and its JSON sidecar; returns the tensor file's path.

    Args:
        path: Target file, conventionally ``*.safetensors``.
        z: Iterate (S, D).
        state: Algorithm state (any pytree of tensors and numbers).
        step: Number of steps taken so far.
        config: JSON-friendly experiment config (data, model, game hyperparameters, seeds).
        algorithm: ``algorithm.config()``.
        rng_state: ``Trajectory.rng_state``.
        extra: More JSON-friendly metadata.

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    leaves, _ = tree_flatten(state)
    tensors = {"z": z.detach().contiguous().cpu()}
    scalars: dict[str, Any] = {}
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, torch.Tensor):
            tensors[f"state.{i}"] = leaf.detach().contiguous().cpu()
        else:
            scalars[str(i)] = leaf
    if rng_state is not None:
        tensors["rng_state"] = rng_state.detach().contiguous().cpu()
    save_file(tensors, str(path))
    meta = {"format": FORMAT, "step": int(step), "config": config, "algorithm": algorithm,
            "n_state_leaves": len(leaves), "state_scalars": scalars, "z_dtype": str(z.dtype),
            **({"extra": extra} if extra else {})}
    sidecar_path(path).write_text(json.dumps(meta, indent=1))
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """The JSON sidecar of a checkpoint (validated format, size-capped)."""
    side = sidecar_path(path)
    if side.stat().st_size > MAX_SIDECAR_BYTES:
        raise ValueError(f"{side} is larger than {MAX_SIDECAR_BYTES} bytes")
    meta = json.loads(side.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{side} is not a {FORMAT} sidecar")
    return meta


def load(path: str | Path, game: Game, algorithm: Algorithm, device: str | torch.device = "cpu") -> Checkpoint:
    """Read a checkpoint written by :func:`save` for ``game`` and ``algorithm``.

    Raises:
        ValueError: if the file does not match the game's dimension or the algorithm's state layout.

    """
    meta = read_meta(path)
    tensors = load_file(str(path), device=str(device))
    z = tensors["z"]
    if z.ndim != 2 or z.shape[1] != game.dim:
        raise ValueError(f"checkpoint z has shape {tuple(z.shape)}, the game needs (S, {game.dim})")
    template = algorithm.init(game, z)
    leaves, spec = tree_flatten(template)
    if len(leaves) != meta["n_state_leaves"]:
        raise ValueError(f"checkpoint state has {meta['n_state_leaves']} leaves, "
                         f"{algorithm.name} expects {len(leaves)}: wrong algorithm?")
    new = []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, torch.Tensor):
            t = tensors[f"state.{i}"]
            if t.shape != leaf.shape:
                raise ValueError(f"state leaf {i} has shape {tuple(t.shape)}, expected {tuple(leaf.shape)}")
            new.append(t.to(leaf.dtype))
        else:
            new.append(meta["state_scalars"].get(str(i), leaf))
    state = tree_unflatten(new, spec)
    rng = tensors.get("rng_state")
    return Checkpoint(z=z, state=state, step=int(meta["step"]), rng_state=None if rng is None else rng.cpu(), meta=meta)


__all__ = ["Checkpoint", "save", "load", "read_meta", "sidecar_path", "FORMAT"]
