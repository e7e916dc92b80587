"""Broken checkpoint files show as broken; they never take the MNIST page down (issue 14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from gan_demo.mnist.shipped import SHIPPED_DIR, list_shipped, load_all

PAGE = str(Path(__file__).parents[1] / "app/app_pages/mnist.py")
GOOD = "exp2_gda"

pytestmark = pytest.mark.skipif(GOOD not in list_shipped(SHIPPED_DIR), reason="no shipped exp2_gda checkpoint")


def _copy(folder: Path, name: str) -> tuple[Path, Path]:
    st, js = folder / f"{name}.safetensors", folder / f"{name}.json"
    shutil.copy(SHIPPED_DIR / f"{GOOD}.safetensors", st)
    shutil.copy(SHIPPED_DIR / f"{GOOD}.json", js)
    return st, js


def _edit_json(js: Path, change) -> None:
    meta = json.loads(js.read_text())
    change(meta)
    js.write_text(json.dumps(meta))


def _edit_tensors(st: Path, change) -> None:
    t = load_file(str(st))
    change(t)
    save_file(t, str(st))


def _set(path: tuple, value):
    def change(meta: dict) -> None:
        d = meta
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return change


#: name -> how to break a copy of the good checkpoint (st, js are its two files)
CORRUPTIONS = {
    "truncated_tensors": lambda st, js: st.write_bytes(st.read_bytes()[: st.stat().st_size // 2]),
    "empty_tensors": lambda st, js: st.write_bytes(b""),
    "garbage_tensors": lambda st, js: st.write_bytes(bytes(range(256)) * 40),
    "missing_tensors": lambda st, js: st.unlink(),
    "truncated_json": lambda st, js: js.write_text(js.read_text()[:500]),
    "garbage_json": lambda st, js: js.write_bytes(b"\xff\xfe\x00garbage{{{"),
    "list_json": lambda st, js: js.write_text("[1, 2, 3]"),
    "deep_json": lambda st, js: js.write_text("[" * 100_000 + "]" * 100_000),
    "wrong_format": lambda st, js: _edit_json(js, _set(("format",), "something-else")),
    "resume_kind": lambda st, js: _edit_json(js, _set(("kind",), "resume")),
    "bad_digits": lambda st, js: _edit_json(js, _set(("digits",), [0, 11])),
    "latent_string": lambda st, js: _edit_json(js, _set(("latent",), "100")),
    "negative_step": lambda st, js: _edit_json(js, _set(("step",), -1)),
    "no_seeds": lambda st, js: _edit_json(js, _set(("seeds",), [])),
    "short_history": lambda st, js: _edit_json(js, lambda m: m["history"]["class_hist"].pop()),
    "bad_losses": lambda st, js: _edit_json(js, lambda m: m["history"]["loss_x"].__setitem__(0, "x")),
    "no_metrics": lambda st, js: _edit_json(js, lambda m: m.pop("metrics")),
    "bad_arch": lambda st, js: _edit_json(js, _set(("arch",), "resnet")),
    "gen_wrong_shape": lambda st, js: _edit_tensors(st, lambda t: t.__setitem__("gen", t["gen"][:, :100])),
    "gen_nan": lambda st, js: _edit_tensors(st, lambda t: t["gen"].fill_(float("nan"))),
    "gen_missing": lambda st, js: _edit_tensors(st, lambda t: t.pop("gen")),
    "snapshots_wrong_dtype": lambda st, js: _edit_tensors(st, lambda t: t.__setitem__("snapshots",
                                                                                       t["snapshots"].float())),
    "snapshots_wrong_shape": lambda st, js: _edit_tensors(st, lambda t: t.__setitem__("snapshots",
                                                                                       t["snapshots"][:2])),
    "gen_integer": lambda st, js: _edit_tensors(st, lambda t: t.__setitem__("gen", torch.zeros_like(
        t["gen"], dtype=torch.int16))),
}


@pytest.fixture(scope="module")
def broken_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ckpts")
    _copy(folder, GOOD)
    for name, corrupt in CORRUPTIONS.items():
        corrupt(*_copy(folder, name))
    _copy(folder, "..x")  # a stray name
    (folder / ".hidden.json").write_text("{}")
    (folder / "exp2_runs.json").write_text("{not json")  # a broken across-runs results file
    return folder


def test_each_corruption_is_broken_alone(broken_folder: Path) -> None:
    good, broken = load_all(broken_folder)
    assert sorted(good) == [GOOD]
    assert set(broken) == set(CORRUPTIONS) | {"..x", ".hidden"}
    for name, why in broken.items():
        assert why and len(why) < 400, (name, why)


def test_page_survives_every_broken_file(broken_folder: Path, monkeypatch) -> None:
    monkeypatch.setenv("SADDLE_MNIST_CHECKPOINTS", str(broken_folder))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    for name in CORRUPTIONS:
        assert f"**{name}**" in warnings, name
    assert "**..x**" in warnings and "across-runs results file is broken" in warnings
    assert len(at.get("image")) >= 2  # the good checkpoint is still drawn


def test_page_with_no_loadable_checkpoint(tmp_path: Path, monkeypatch) -> None:
    st, js = _copy(tmp_path, "only")
    st.write_bytes(b"")
    monkeypatch.setenv("SADDLE_MNIST_CHECKPOINTS", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.error and "No loadable MNIST checkpoints" in at.error[0].value
    assert "**only**" in at.warning[0].value
