"""Where the MNIST test data lives, and a skip marker when it is absent."""

from __future__ import annotations

import pytest

from gan_demo.mnist.data import ENV_VAR, MNISTDataError, default_dir, load_split

DATA_DIR = default_dir()
HAVE_DATA = (DATA_DIR / "t10k-images-idx3-ubyte.gz").is_file() or (DATA_DIR / "t10k-images-idx3-ubyte").is_file()
needs_mnist = pytest.mark.skipif(
    not HAVE_DATA, reason=f"MNIST test files not found in {DATA_DIR} (set {ENV_VAR} or place ../shared/data/mnist "
                          "next to the repository root)")

_SPLIT = None


def split():
    """The 8k/2k split, loaded once per test process."""
    global _SPLIT
    if _SPLIT is None:
        try:
            _SPLIT = load_split()
        except MNISTDataError as e:  # pragma: no cover - only with a broken data folder
            pytest.skip(str(e))
    return _SPLIT
