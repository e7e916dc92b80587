"""MNIST from the standard IDX files (gzip or raw), the documented split and the 0-1 subset.

The data folder is ``$SADDLE_MNIST_DIR`` or ``../shared/data/mnist`` next to the repository root.
It holds either the official 10k test set alone (``t10k-*``, what this project's machines have)
or the four standard files (``train-*`` and ``t10k-*``).

* 10k only: a fixed permutation (seed :data:`SPLIT_SEED`) gives 8,000 training images and 2,000
  held-out images. Every number the project reports from this setting says "trained on 8k of the
  official test set".
* four files: the 60k training file is the training part and the 10k test file the held-out part.

Images come back as float32 in [-1, 1], shape (N, 1, 28, 28); labels as int64 (N,).
Nothing is unpickled: the IDX format is parsed with ``numpy.frombuffer``.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "SADDLE_MNIST_DIR"
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
SPLIT_SEED = 0
N_TRAIN_10K = 8000
#: refuse files claiming more items than this (the biggest standard file has 60,000)
MAX_ITEMS = 100_000
#: refuse files bigger than this after decompression (60k images are 47 MB)
MAX_BYTES = 64 * 2**20
DIGITS = tuple(range(10))


class MNISTDataError(ValueError):
    """The MNIST folder or one of its files is missing, truncated, corrupt or of the wrong kind."""


def default_dir() -> Path:
    """``$SADDLE_MNIST_DIR`` if set, else ``../shared/data/mnist`` relative to the repository root."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else (REPO_ROOT.parent / "shared" / "data" / "mnist")


def _find(folder: Path, stem: str) -> Optional[Path]:
    for name in (stem + ".gz", stem):
        p = folder / name
        if p.is_file():
            return p
    return None


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        else:
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
        raise MNISTDataError(f"{path}: cannot read the file ({type(e).__name__}: {e}); "
                             "it is truncated or not a valid gzip/IDX file") from e
    if len(data) > MAX_BYTES:
        raise MNISTDataError(f"{path}: larger than {MAX_BYTES} bytes, not an MNIST file")
    return data


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """Parse one IDX file: uint8 images (N, rows, cols) for magic 2051, labels (N,) for 2049.

    Raises:
        MNISTDataError: wrong magic number, implausible header, or fewer bytes than the header says.

    """
    path = Path(path)
    data = _read_bytes(path)
    n_dims = 3 if magic == IMAGES_MAGIC else 1
    header = 4 * (1 + n_dims)
    if len(data) < header:
        raise MNISTDataError(f"{path}: only {len(data)} bytes, shorter than the IDX header; the file is truncated")
    fields = np.frombuffer(data[:header], dtype=">u4").astype(np.int64)
    if int(fields[0]) != magic:
        kind = "images" if magic == IMAGES_MAGIC else "labels"
        raise MNISTDataError(f"{path}: magic number {int(fields[0])} but an MNIST {kind} file has {magic}; "
                             "wrong file or a corrupt header")
    dims = tuple(int(d) for d in fields[1:])
    if not 0 < dims[0] <= MAX_ITEMS or (n_dims == 3 and dims[1:] != (28, 28)):
        raise MNISTDataError(f"{path}: implausible header dimensions {dims} (expected N<= {MAX_ITEMS}, 28x28)")
    expected = int(np.prod(dims))
    body = data[header:]
    if len(body) != expected:
        what = "truncated" if len(body) < expected else "longer than its header says"
        raise MNISTDataError(f"{path}: the header promises {expected} bytes of data but the file has "
                             f"{len(body)}; it is {what}")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def _load_pair(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    img_path = _find(folder, f"{prefix}-images-idx3-ubyte")
    lab_path = _find(folder, f"{prefix}-labels-idx1-ubyte")
    if img_path is None or lab_path is None:
        raise MNISTDataError(f"{folder}: no {prefix}-images-idx3-ubyte[.gz] / {prefix}-labels-idx1-ubyte[.gz]")
    images = read_idx(img_path, IMAGES_MAGIC)
    labels = read_idx(lab_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise MNISTDataError(f"{folder}: {len(images)} images but {len(labels)} labels for '{prefix}'")
    if labels.max() > 9:
        raise MNISTDataError(f"{lab_path}: label {int(labels.max())} is not a digit; corrupt file")
    return images, labels


@dataclass(frozen=True)
class MNISTSplit:
    """A training part and a held-out part, each images (N, 1, 28, 28) in [-1, 1] and labels (N,)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    held_x: torch.Tensor
    held_y: torch.Tensor
    source: str  # "10k-test-split" or "standard-60k/10k"
    folder: str

    def describe(self) -> str:
        if self.source == "10k-test-split":
            return (f"trained on 8k of the official test set ({len(self.train_y)} train / "
                    f"{len(self.held_y)} held out, split seed {SPLIT_SEED})")
        return f"standard MNIST ({len(self.train_y)} train / {len(self.held_y)} test)"

    def info(self) -> dict:
        """JSON-friendly description stored in checkpoints."""
        return {"source": self.source, "n_train": int(len(self.train_y)), "n_held": int(len(self.held_y)),
                "split_seed": SPLIT_SEED, "description": self.describe()}


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [-1, 1]."""
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)


def load_split(folder: str | Path | None = None) -> MNISTSplit:
    """Load MNIST from ``folder`` (default :func:`default_dir`) and split it as the module docstring says.

    Raises:
        MNISTDataError: the folder is missing or holds no usable files (the message says what it needs).

    """
    folder = default_dir() if folder is None else Path(folder)
    if not folder.is_dir():
        raise MNISTDataError(f"MNIST folder {folder} does not exist; set {ENV_VAR} to a folder holding "
                             "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (and optionally the "
                             "train-* files)")
    test_x, test_y = _load_pair(folder, "t10k")
    has_train = _find(folder, "train-images-idx3-ubyte") is not None
    if has_train:
        tr_x, tr_y = _load_pair(folder, "train")
        return MNISTSplit(to_tensor(tr_x), torch.from_numpy(tr_y.astype(np.int64)), to_tensor(test_x),
                          torch.from_numpy(test_y.astype(np.int64)), "standard-60k/10k", str(folder))
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(test_y))
    n_train = N_TRAIN_10K * len(test_y) // 10_000
    tr, held = perm[:n_train], perm[n_train:]
    x = to_tensor(test_x)
    y = torch.from_numpy(test_y.astype(np.int64))
    return MNISTSplit(x[tr], y[tr], x[held], y[held], "10k-test-split", str(folder))


def subset(x: torch.Tensor, y: torch.Tensor, digits: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep only the given digits, e.g. ``(0, 1)`` for 0-1 MNIST (Mangoubi et al.)."""
    if not digits or any(d not in DIGITS for d in digits):
        raise ValueError(f"digits must be a non-empty subset of 0..9, got {digits!r}")
    keep = torch.isin(y, torch.tensor(digits))
    return x[keep], y[keep]


def parse_digits(spec: str) -> tuple[int, ...]:
    """'all' -> 0..9; '01' or '0,1' -> (0, 1)."""
    spec = spec.strip().lower()
    if spec in ("all", ""):
        return DIGITS
    chars = [c for c in spec if c not in ", "]
    if not all(c.isdigit() for c in chars) or len(set(chars)) != len(chars):
        raise ValueError(f"digits must be 'all' or distinct digits like '01', got {spec!r}")
    return tuple(sorted(int(c) for c in chars))
