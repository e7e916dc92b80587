"""The IDX loader on the shared files and on corrupted copies, the split and the 0-1 subset."""

from __future__ import annotations

import gzip
import shutil

import pytest
import torch
from mnist_helpers import DATA_DIR, needs_mnist, split

from gan_demo.mnist.data import MNISTDataError, load_split, parse_digits, read_idx, subset

pytestmark = needs_mnist
IMG = "t10k-images-idx3-ubyte"
LAB = "t10k-labels-idx1-ubyte"


def _copy(tmp_path, raw: bool = False):
    for stem in (IMG, LAB):
        src = DATA_DIR / f"{stem}.gz"
        if raw:
            with gzip.open(src, "rb") as fh:
                (tmp_path / stem).write_bytes(fh.read())
        else:
            shutil.copy(src, tmp_path / f"{stem}.gz")
    return tmp_path


def test_shared_files_split():
    s = split()
    assert s.source == "10k-test-split"
    assert s.train_x.shape == (8000, 1, 28, 28) and s.held_x.shape == (2000, 1, 28, 28)
    assert s.train_x.dtype == torch.float32 and float(s.train_x.min()) == -1.0 and float(s.train_x.max()) == 1.0
    assert sorted(torch.unique(s.train_y).tolist()) == list(range(10))
    # the split is a partition of the 10k images and is fixed by its seed
    assert torch.equal(load_split().train_y, s.train_y)
    assert "8k of the official test set" in s.describe()


def test_raw_files_equal_gzip(tmp_path):
    raw = load_split(_copy(tmp_path, raw=True))
    assert torch.equal(raw.train_x, split().train_x) and torch.equal(raw.held_y, split().held_y)


def test_four_standard_files(tmp_path):
    _copy(tmp_path)
    shutil.copy(DATA_DIR / f"{IMG}.gz", tmp_path / "train-images-idx3-ubyte.gz")
    shutil.copy(DATA_DIR / f"{LAB}.gz", tmp_path / "train-labels-idx1-ubyte.gz")
    s = load_split(tmp_path)
    assert s.source == "standard-60k/10k" and len(s.train_y) == 10_000 and len(s.held_y) == 10_000


def test_missing_folder(tmp_path):
    with pytest.raises(MNISTDataError, match="does not exist"):
        load_split(tmp_path / "nope")
    with pytest.raises(MNISTDataError, match="no t10k-images"):
        load_split(tmp_path)


def test_truncated_gzip(tmp_path):
    _copy(tmp_path)
    p = tmp_path / f"{IMG}.gz"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    with pytest.raises(MNISTDataError, match="truncated"):
        load_split(tmp_path)


def test_truncated_raw(tmp_path):
    _copy(tmp_path, raw=True)
    p = tmp_path / IMG
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(MNISTDataError, match="truncated"):
        load_split(tmp_path)
    p.write_bytes(b"\x00\x00")
    with pytest.raises(MNISTDataError, match="header"):
        read_idx(p, 2051)


def test_corrupt_gzip(tmp_path):
    _copy(tmp_path)
    p = tmp_path / f"{LAB}.gz"
    data = bytearray(p.read_bytes())
    data[20:200] = bytes(180)  # zero out part of the deflate stream
    p.write_bytes(bytes(data))
    with pytest.raises(MNISTDataError):
        load_split(tmp_path)


def test_wrong_magic(tmp_path):
    _copy(tmp_path, raw=True)
    # swap the files' roles: an images file where labels are expected
    (tmp_path / LAB).write_bytes((tmp_path / IMG).read_bytes())
    with pytest.raises(MNISTDataError, match="magic number 2051"):
        load_split(tmp_path)


def test_zero_one_subset():
    s = split()
    x, y = subset(s.train_x, s.train_y, (0, 1))
    assert set(y.tolist()) == {0, 1} and len(x) == int(((s.train_y == 0) | (s.train_y == 1)).sum())
    assert parse_digits("01") == (0, 1) and parse_digits("all") == tuple(range(10))
    with pytest.raises(ValueError):
        parse_digits("0a")
    with pytest.raises(ValueError):
        subset(s.train_x, s.train_y, (11,))
