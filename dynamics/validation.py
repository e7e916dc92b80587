"""The engine's front door: argument checks shared by ``run``, ``make_game``, ``make_algorithm`` and
the spectrum functions.

Every check runs before any work, and every failure is one of the documented errors of
:mod:`dynamics.errors` with a message that names the argument and the values it accepts.

Policy (also in ``dynamics/README.md``):

* dtypes: ``torch.float32`` and ``torch.float64`` only. Booleans, integers and complex numbers are
  not iterates of a real min-max game, and half precision (float16, bfloat16) overflows at
  6.5e4 / loses the divergence test long before the default bound of 1e6.
* starts: real numbers (Python/numpy numbers, nested lists, numpy arrays, real tensors; integer
  values are converted exactly); strings, booleans, complex numbers, ragged or too deeply nested
  lists are refused; every entry must be finite.
* devices: ``"cpu"`` and ``"cuda"``/``"cuda:N"`` (when present); ``"meta"`` (no data), other
  backends and unknown names are refused.
* integers (``steps``, ``seed``, ``record_every``, integer hyperparameters): Python or numpy
  integers, or floats with an integral value, inside the documented range; ``1.5``, ``inf`` and
  ``nan`` are refused, never truncated.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch

from .errors import DeviceUnavailable, InvalidArgument, InvalidType

#: the dtypes a run can use
FLOAT_DTYPES = (torch.float32, torch.float64)
_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
#: nested lists deeper than this are refused before numpy recurses into them
MAX_NESTING = 8


def _name(v: Any) -> str:
    return type(v).__name__


def check_int(v: Any, name: str, low: int, high: int) -> int:
    """``v`` as a Python int in ``[low, high]`` (integral floats accepted, never truncated)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, torch.Tensor)):
        raise InvalidType(f"{name} must be an integer in [{low}, {high}], got {_name(v)} {v!r:.60}")
    if isinstance(v, torch.Tensor):
        if v.numel() != 1 or v.dtype == torch.bool or v.is_complex():
            raise InvalidType(f"{name} must be an integer in [{low}, {high}], got a tensor of shape "
                              f"{tuple(v.shape)} and dtype {v.dtype}")
        v = v.item()
    if isinstance(v, numbers.Integral):
        iv = int(v)
    else:
        fv = float(v)
        if not math.isfinite(fv) or fv != math.floor(fv):
            raise InvalidArgument(f"{name} must be an integer in [{low}, {high}], got {v!r}")
        iv = int(fv)
    if not low <= iv <= high:
        raise InvalidArgument(f"{name} must be an integer in [{low}, {high}], got {iv!r:.60}")
    return iv


def check_float(v: Any, name: str, *, low: float = -math.inf, high: float = math.inf, allow_inf: bool = False,
                open_low: bool = False) -> float:
    """``v`` as a Python float: a real number, not NaN, finite unless ``allow_inf``, in range."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise InvalidType(f"{name} must be a real number, got {_name(v)} {v!r:.60}")
    try:
        fv = float(v)
    except OverflowError:  # an int beyond float range
        fv = math.inf if v > 0 else -math.inf
    if math.isnan(fv) or (not allow_inf and math.isinf(fv)):
        raise InvalidArgument(f"{name} must be a {'' if allow_inf else 'finite '}number, got {v!r:.60}")
    lo_ok = fv > low if open_low else fv >= low
    if not (lo_ok and fv <= high):
        lo = "(" if open_low else "["
        raise InvalidArgument(f"{name} must be in {lo}{low}, {high}], got {fv!r}")
    return fv


def check_bool(v: Any, name: str) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise InvalidType(f"{name} must be True or False, got {_name(v)} {v!r:.60}")
    return bool(v)


def check_game(v: Any, name: str = "game") -> None:
    from .game import Game

    if not isinstance(v, Game):
        raise InvalidType(f"{name} must be a dynamics.Game (e.g. dynamics.make_game('bilinear')), got {_name(v)}")


def check_algorithm(v: Any, name: str = "algorithm") -> None:
    from .algorithm import Algorithm

    if not isinstance(v, Algorithm):
        raise InvalidType(f"{name} must be a dynamics.Algorithm (e.g. dynamics.make_algorithm('gda')), "
                          f"got {_name(v)}")


def resolve_device(device: Any) -> torch.device:
    """``torch.device`` for ``device`` ("cpu", "cuda", "cuda:N"), with clear errors otherwise."""
    if not isinstance(device, (str, torch.device)):
        raise InvalidType(f"device must be 'cpu' or 'cuda' (a str or torch.device), got {_name(device)} {device!r:.60}")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise InvalidArgument(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r:.60}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable("device='cuda' was requested but CUDA is not available on this machine; "
                                    "use device='cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"device={device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return dev
    if dev.type != "cpu":
        raise InvalidArgument(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r:.60} "
                              f"({dev.type!r} devices cannot run the engine)")
    return dev


def check_dtype(dtype: Any, dev: torch.device) -> torch.dtype:
    """The run's dtype: float32 or float64 (default float64 on CPU, float32 on CUDA)."""
    if dtype is None:
        return torch.float64 if dev.type == "cpu" else torch.float32
    if not isinstance(dtype, torch.dtype):
        raise InvalidType(f"dtype must be torch.float32 or torch.float64, got {_name(dtype)} {dtype!r:.60}")
    if dtype not in FLOAT_DTYPES:
        raise InvalidArgument(f"dtype must be torch.float32 or torch.float64, got {dtype} (booleans, integers, "
                              "complex numbers and half precision are not supported)")
    return dtype


def _depth(v: Any, limit: int) -> int:
    """Nesting depth of lists/tuples, counted without recursion and capped at ``limit + 1``."""
    depth = 0
    while isinstance(v, (list, tuple)) and depth <= limit:
        depth += 1
        if not v:
            break
        v = v[0]
    return depth


def json_depth(text: str) -> int:
    """How deeply the brackets of JSON ``text`` nest (``[[1, 2]]`` is 2), found without decoding it.

    One linear pass over the characters, no recursion, so a hostile ``"[" * 10**6`` is measured
    safely before :func:`json.loads` (which recurses and raises ``RecursionError``) ever sees it.
    Brackets inside JSON strings do not count, nor closers without an opener. The one
    nesting check of every text front door (``dynamics.cli.parse_array``, the app's URL parameters).
    """
    depth = best = 0
    in_str = escaped = False
    for ch in text:
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)  # a stray closer cannot hide later openings
    return best


def as_real_array(v: Any, what: str) -> np.ndarray | torch.Tensor:
    """``v`` as a real numpy array or tensor, refusing strings, booleans, complex and ragged input."""
    if isinstance(v, torch.Tensor):
        if v.device.type == "meta":
            raise InvalidArgument(f"{what} is a 'meta' tensor (it holds no values)")
        if not (v.is_floating_point() or v.dtype in _INT_DTYPES):
            raise InvalidType(f"{what} must hold real numbers, got a tensor of dtype {v.dtype}")
        return v.detach()
    if isinstance(v, (bool, np.bool_, str, bytes)) or v is None:
        raise InvalidType(f"{what} must be real numbers (a float, a list, an array or a tensor), got {_name(v)} "
                          f"{v!r:.60}")
    if isinstance(v, (list, tuple)) and _depth(v, MAX_NESTING) > MAX_NESTING:
        raise InvalidArgument(f"{what} is nested more than {MAX_NESTING} levels deep")
    try:
        arr = np.asarray(v)
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise InvalidArgument(f"{what} must be a rectangular array of real numbers ({exc})") from None
    if arr.dtype.kind in "iuf":
        return arr
    if arr.dtype.kind == "O":  # Python ints beyond int64, mixed types
        try:
            return np.asarray(v, dtype=np.float64)
        except OverflowError:
            raise InvalidArgument(f"{what} must be finite (an integer beyond the float range)") from None
        except (ValueError, TypeError):
            pass
    raise InvalidType(f"{what} must hold real numbers, got {arr.dtype.name if arr.dtype.kind != 'O' else 'objects'}"
                      f" ({_name(v)} {v!r:.60})")


def as_batch(v: Any, dim: int, what: str, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(dim,) or (B, dim) real input -> (B, dim) finite tensor of ``dtype`` on ``device``."""
    a = as_real_array(v, what)
    shape = tuple(a.shape)
    if len(shape) > 2 or (len(shape) >= 1 and shape[-1] != dim):
        raise InvalidArgument(f"{what} must have shape ({dim},) or (B, {dim}); got {shape}")
    if len(shape) == 2 and shape[0] == 0:
        raise InvalidArgument(f"{what} must hold at least one start; got shape {shape}")
    t = a.to(dtype=dtype, device=device) if isinstance(a, torch.Tensor) else torch.as_tensor(a).to(dtype=dtype,
                                                                                                      device=device)
    if t.ndim == 0:
        t = t.reshape(1)
    if t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2 or t.shape[1] != dim:
        raise InvalidArgument(f"{what} must have shape ({dim},) or (B, {dim}); got {shape}")
    if not torch.isfinite(t).all():
        raise InvalidArgument(f"{what} must be finite (in {dtype})")
    return t


def real_matrix(v: Any, what: str, ndim: int) -> np.ndarray:
    """A finite float64 array of at most ``ndim`` dimensions (game matrices and vectors)."""
    a = as_real_array(v, what)
    arr = a.to(torch.float64).cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float64)
    if arr.ndim > ndim:
        raise InvalidArgument(f"{what} must be {'a matrix' if ndim == 2 else 'a vector'} "
                              f"(at most {ndim} dimensions), got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidArgument(f"{what} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(f"{what} must be finite")
    return arr


def check_name(v: Any, what: str) -> str:
    if not isinstance(v, str):
        raise InvalidType(f"{what} must be a name (str), got {_name(v)} {v!r:.60}")
    return v


__all__ = ["check_int", "check_float", "check_bool", "check_game", "check_algorithm", "resolve_device",
           "check_dtype", "json_depth", "as_real_array", "as_batch", "real_matrix", "check_name", "FLOAT_DTYPES",
           "InvalidArgument", "InvalidType"]
