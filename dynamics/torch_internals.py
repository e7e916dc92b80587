"""The project's only contact with private torch APIs, in one place, checked by a test.

Two things cannot be done with public torch (2.13) and are needed where ``torch.func``
transforms meet cached constants and plain autograd:

- :func:`outside_func_transforms`: create tensors that must outlive the transform active at the
  call (game constants, the GAN's fixed evaluation batch). A tensor made inside ``grad``/``vjp``
  is wrapped at that transform's level and must not be cached. Uses
  ``torch._C._DisableFuncTorch``.
- :func:`in_func_transform`: whether a ``torch.func`` transform is active around the call (plain
  ``torch.autograd.grad`` must not run inside one; the GAN game then takes its ``torch.func``
  route). Uses ``torch._C._functorch.peek_interpreter_stack``.
- :func:`is_func_wrapped`: whether a tensor is a ``torch.func`` wrapper (the bilinear game's
  complex-number fast path needs plain memory). Uses ``torch._C._functorch.is_functorch_wrapped_tensor``.

If a torch upgrade renames or changes either, ``tests/test_torch_internals.py`` fails with a
message naming the API and the torch version, and :func:`check` raises the same message at run
time instead of an obscure attribute error deep inside a step.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import torch

#: the private names this module relies on (``module path``, ``attribute``)
PRIVATE_APIS = (("torch._C", "_DisableFuncTorch"), ("torch._C._functorch", "peek_interpreter_stack"),
                ("torch._C._functorch", "is_functorch_wrapped_tensor"))


def _resolve(path: str, attr: str) -> object:
    obj: object = torch
    for part in path.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            break
    target = getattr(obj, attr, None) if obj is not None else None
    if target is None:
        raise RuntimeError(f"torch {torch.__version__} has no {path}.{attr}; dynamics/torch_internals.py "
                           "must be updated for this torch version (the project pins torch==2.13.0)")
    return target


def check() -> None:
    """Raise ``RuntimeError`` naming the missing private API if this torch lacks one."""
    for path, attr in PRIVATE_APIS:
        _resolve(path, attr)


def outside_func_transforms() -> AbstractContextManager:
    """A context in which no ``torch.func`` transform is active (tensors made here are plain)."""
    return _resolve("torch._C", "_DisableFuncTorch")()  # type: ignore[operator]


def is_func_wrapped(t: torch.Tensor) -> bool:
    """Whether ``t`` is a ``torch.func`` wrapper (a tensor seen through grad/jvp/vmap), not plain memory."""
    return bool(_resolve("torch._C._functorch", "is_functorch_wrapped_tensor")(t))  # type: ignore[operator]


def in_func_transform() -> bool:
    """Whether a ``torch.func`` transform (grad, jvp, vjp, vmap) is active around this call."""
    return _resolve("torch._C._functorch", "peek_interpreter_stack")() is not None  # type: ignore[operator]


__all__ = ["PRIVATE_APIS", "check", "in_func_transform", "is_func_wrapped", "outside_func_transforms"]
