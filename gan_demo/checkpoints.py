"""Checkpoints: tensors in safetensors (never pickle), everything else in a JSON sidecar.

``save(path, ...)`` writes ``path`` (``.safetensors``: the iterate ``z`` (S, D), the algorithm
state's tensor leaves under their tuple paths ``state/0``, ``state/1/0``, ..., the runner's rng
state) and ``path.with_suffix(".json")`` (game/model/data config, algorithm config, step, the
state's non-tensor leaves). ``load`` rebuilds the algorithm state on a fresh
``algorithm.init(game, z)`` as the template, so any NamedTuple state (nested for wrappers)
round-trips without storing Python classes. :func:`flatten_state` / :func:`unflatten_state` are
shared with the MNIST checkpoints. Resuming with
``dynamics.run(..., state=, rng_state=, start_step=)`` equals the uninterrupted run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch
from safetensors.torch import load_file, save_file

from dynamics.algorithm import Algorithm
from dynamics.game import Game
from dynamics.types import State, Tensor

FORMAT = "saddle-gan-checkpoint/2"
#: refuse sidecars larger than this (they hold only configs and scalars)
MAX_SIDECAR_BYTES = 5_000_000


@dataclass
class Checkpoint:
    z: Tensor  # (S, D)
    state: State
    step: int
    rng_state: Optional[Tensor]
    meta: dict[str, Any]  # the JSON sidecar (config, algorithm, ...)


def flatten_state(state: Any, prefix: str = "state") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensor leaves of a (nested) tuple/NamedTuple state as ``{path: tensor}``, other leaves as JSON."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    if isinstance(state, torch.Tensor):
        tensors[prefix] = state.detach().contiguous()
    elif isinstance(state, tuple):
        for i, v in enumerate(state):
            t, s = flatten_state(v, f"{prefix}/{i}")
            tensors.update(t)
            scalars.update(s)
    elif state is None or isinstance(state, (bool, int, float, str)):
        scalars[prefix] = state
    else:
        raise TypeError(f"cannot checkpoint a state leaf of type {type(state).__name__} at {prefix}")
    return tensors, scalars


def unflatten_state(template: Any, tensors: dict[str, torch.Tensor], scalars: dict[str, Any],
                    prefix: str = "state") -> Any:
    """Rebuild a state shaped like ``template`` (the algorithm's fresh ``init``) from saved leaves."""
    if isinstance(template, torch.Tensor):
        if prefix not in tensors:
            raise ValueError(f"checkpoint lacks state tensor {prefix}")
        t = tensors[prefix]
        if t.shape != template.shape:
            raise ValueError(f"state tensor {prefix} has shape {tuple(t.shape)}, expected {tuple(template.shape)}")
        return t.to(dtype=template.dtype, device=template.device)
    if isinstance(template, tuple):
        items = [unflatten_state(v, tensors, scalars, f"{prefix}/{i}") for i, v in enumerate(template)]
        return type(template)(*items) if hasattr(template, "_fields") else type(template)(items)
    return scalars.get(prefix, template)


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
    state_tensors, scalars = flatten_state(state)
    tensors = {"z": z.detach().contiguous().cpu(), **{k: v.cpu() for k, v in state_tensors.items()}}
    if rng_state is not None:
        tensors["rng_state"] = rng_state.detach().contiguous().cpu()
    save_file(tensors, str(path))
    meta = {"format": FORMAT, "step": int(step), "config": config, "algorithm": algorithm,
            "state_scalars": scalars, "z_dtype": str(z.dtype),
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
    expected = set(flatten_state(template)[0])
    saved = {k for k in tensors if k.startswith("state")}
    if saved != expected:
        raise ValueError(f"checkpoint state has tensor leaves {sorted(saved)}, {algorithm.name} expects "
                         f"{sorted(expected)}: wrong algorithm?")
    state = unflatten_state(template, tensors, meta["state_scalars"])
    rng = tensors.get("rng_state")
    return Checkpoint(z=z, state=state, step=int(meta["step"]), rng_state=None if rng is None else rng.cpu(), meta=meta)


__all__ = ["Checkpoint", "save", "load", "read_meta", "sidecar_path", "FORMAT"]
