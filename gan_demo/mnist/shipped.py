"""Read the shipped MNIST checkpoints (``checkpoints/mnist/*.json`` of kind "shipped") for the app.

A :class:`ShippedRun` holds the JSON metadata, the snapshot samples and one float32 generator per
trained seed; :meth:`ShippedRun.sample` maps noise to uint8 images. No Streamlit here: the page
caches these objects with ``st.cache_resource``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from gan_demo.game import module_from_flat

from . import checkpoint as ckpt
from .models import make_generator, to_canonical

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

    @property
    def data_range(self) -> str:
        """The training pixels' range: "pm1" ([-1, 1]) or "01" ([0, 1], the Smoothed-GDA repo)."""
        return str(self.meta["config"].get("data_range", "pm1"))

    @torch.no_grad()
    def sample(self, noise: np.ndarray, row: int = 0) -> np.ndarray:
        """uint8 images (n, 28, 28) from the generator of seed row ``row``."""
        out = self.generators[row](torch.as_tensor(np.asarray(noise), dtype=torch.float32))
        out = to_canonical(out, self.data_range)
        return ((out.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).reshape(-1, 28, 28).numpy()


#: JSON files in the checkpoint folder that are not GAN checkpoints (the evaluation classifier's sidecar)
NOT_GAN = ("classifier",)
#: the across-runs results of experiment 2 (``kind: "sweep"``), next to the representative checkpoints
SWEEP_NAME = "exp2_runs"
SWEEP_FORMAT = "saddle-mnist-sweep-v1"
#: the across-seeds results of experiment 1 (``gan_demo.mnist.exp1``), next to its median runs
EXP1_RESULTS_NAME = "exp1_runs"
EXP1_RESULTS_FORMAT = "saddle-mnist-exp1-v1"
#: refuse safetensors files larger than this (a shipped MLP generator with snapshots is ~5 MB)
MAX_TENSOR_BYTES = 32 * 2**20


class BrokenCheckpoint(ValueError):
    """A file in the checkpoint folder that cannot be shown (the message says why)."""


def checkpoint_dir() -> Path:
    """``$SADDLE_MNIST_CHECKPOINTS`` if set, else ``checkpoints/mnist`` in the repository."""
    env = os.environ.get("SADDLE_MNIST_CHECKPOINTS")
    return Path(env).expanduser() if env else SHIPPED_DIR


def candidate_names(folder: str | Path | None = None) -> list[str]:
    """Stems of every ``*.json`` in ``folder`` that could be a GAN checkpoint (sorted; nothing is opened)."""
    folder = checkpoint_dir() if folder is None else Path(folder)
    if not folder.is_dir():
        return []
    return sorted(js.stem for js in folder.glob("*.json")
                  if js.stem not in NOT_GAN and js.stem not in (SWEEP_NAME, EXP1_RESULTS_NAME))


def list_shipped(folder: str | Path | None = None) -> list[str]:
    """Names of the shipped GAN checkpoints in ``folder`` that load (broken ones are left out)."""
    good, _ = load_all(folder)
    return sorted(good)


def load_all(folder: str | Path | None = None) -> tuple[dict[str, ShippedRun], dict[str, str]]:
    """Every checkpoint in ``folder``, each loaded on its own: ``({name: run}, {name: why it is broken})``.

    One bad file (truncated, garbage JSON, wrong shapes, a stray name) never stops the others.
    """
    folder = checkpoint_dir() if folder is None else Path(folder)
    good: dict[str, ShippedRun] = {}
    broken: dict[str, str] = {}
    for name in candidate_names(folder):
        try:
            good[name] = load_shipped(name, folder)
        except Exception as e:  # noqa: BLE001 - any failure of one file marks that file broken
            broken[name] = f"{type(e).__name__}: {str(e)[:300]}"
    return good, broken


def _check_meta(meta: dict, name: str) -> None:
    """The sidecar's fields that the app reads have the right types and agree with each other."""
    def need(cond: bool, what: str) -> None:
        if not cond:
            raise BrokenCheckpoint(f"{name}: {what}")

    need(meta.get("kind") == "shipped", f"kind is {meta.get('kind')!r}, not 'shipped'")
    need(isinstance(meta.get("latent"), int) and 1 <= meta["latent"] <= 4096, "latent must be an int in [1, 4096]")
    digits = meta.get("digits")
    need(isinstance(digits, list) and 0 < len(digits) <= 10 and all(isinstance(d, int) and 0 <= d <= 9 for d in digits)
         and len(set(digits)) == len(digits), "digits must be distinct ints in 0..9")
    need(isinstance(meta.get("step"), int) and meta["step"] >= 0, "step must be a non-negative int")
    need(isinstance(meta.get("algorithm"), dict) and isinstance(meta["algorithm"].get("name"), str),
         "algorithm must be a dict with a name")
    need(isinstance(meta.get("seeds"), list) and len(meta["seeds"]) >= 1, "seeds must be a non-empty list")
    need(isinstance(meta.get("config"), dict), "config must be a dict")
    h = meta.get("history")
    need(isinstance(h, dict), "history must be a dict")
    for key in ("log_steps", "loss_x", "loss_y", "eval_steps", "class_hist", "snapshot_steps"):
        need(isinstance(h.get(key), list), f"history.{key} must be a list")
    need(len(h["loss_x"]) == len(h["log_steps"]) == len(h["loss_y"]), "history losses and log_steps differ in length")
    need(len(h["class_hist"]) == len(h["eval_steps"]), "history.class_hist and eval_steps differ in length")
    s, k = len(meta["seeds"]), len(digits)
    for hist in h["class_hist"]:
        need(isinstance(hist, list) and len(hist) == s and all(isinstance(v, list) and len(v) == k for v in hist),
             "history.class_hist entries must be (seeds, digits)")
    for key in ("loss_x", "loss_y"):
        need(all(isinstance(v, list) and len(v) == s and all(_num(u) for u in v) for v in h[key]),
             f"history.{key} entries must be one number per seed")
    for key in ("log_steps", "eval_steps", "snapshot_steps"):
        need(all(isinstance(v, int) for v in h[key]), f"history.{key} must hold ints")
    need(all(_num(u) for hist in h["class_hist"] for v in hist for u in v), "history.class_hist must hold numbers")
    m = meta.get("metrics")
    need(isinstance(m, dict) and isinstance(m.get("per_seed"), list) and len(m["per_seed"]) == s
         and isinstance(m.get("real_floor"), dict), "metrics must hold per_seed (one per seed) and real_floor")
    for per in m["per_seed"]:
        need(isinstance(per, dict) and isinstance(per.get("class_hist"), list) and len(per["class_hist"]) == k
             and all(_num(v) for v in per["class_hist"]), "metrics.per_seed entries need a class_hist per digit")
    need(isinstance(meta.get("data"), dict) and isinstance(meta["data"].get("description"), str),
         "data must be a dict with a description")
    need(_num(meta.get("train_seconds")), "train_seconds must be a number")
    if "fid_steps" in h:
        need(isinstance(h["fid_steps"], list) and isinstance(h.get("fid_metrics"), list)
             and len(h["fid_metrics"]) == len(h["fid_steps"])
             and all(isinstance(v, list) and len(v) == s and all(isinstance(d, dict) and all(
                 _num(d.get(q)) for q in ("classes_covered", "rev_kl", "fid")) for d in v) for v in h["fid_metrics"]),
             "history.fid_metrics must hold classes_covered, rev_kl and fid per seed at every fid step")
        need(_num(m["real_floor"].get("fid")), "metrics.real_floor.fid must be a number")


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_shipped(name: str, folder: str | Path | None = None) -> ShippedRun:
    """Load one shipped checkpoint (safetensors + JSON; nothing is unpickled), checked for consistency.

    Raises:
        ValueError (or a safetensors error) naming what is wrong: a bad name, a missing or oversized
        file, JSON that is not a shipped checkpoint, tensors whose shapes disagree with the sidecar.

    """
    folder = checkpoint_dir() if folder is None else Path(folder)
    if not name or "/" in name or "\\" in name or name.startswith(".") or name != name.strip():
        raise BrokenCheckpoint(f"bad checkpoint name {name!r}")
    st_path = Path(folder) / f"{name}.safetensors"
    if st_path.is_file() and st_path.stat().st_size > MAX_TENSOR_BYTES:
        raise BrokenCheckpoint(f"{st_path.name} is larger than {MAX_TENSOR_BYTES} bytes")
    tensors, meta = ckpt.load(Path(folder) / name)
    _check_meta(meta, name)
    template = make_generator(meta["arch"], int(meta["latent"]))
    gen = tensors.get("gen")
    n_par = sum(p.numel() for p in template.parameters())
    s = len(meta["seeds"])
    if gen is None or tuple(gen.shape) != (s, n_par) or not gen.is_floating_point():
        raise BrokenCheckpoint(f"{name}: 'gen' must be a float tensor of shape ({s}, {n_par}), got "
                               f"{None if gen is None else (tuple(gen.shape), str(gen.dtype))}")
    gen = gen.to(torch.float32)  # (S, P_x)
    if not bool(torch.isfinite(gen).all()):
        raise BrokenCheckpoint(f"{name}: the generator weights hold NaN or inf")
    gens = []
    for row in gen:
        g = module_from_flat(template, row)
        g.eval()
        gens.append(g)
    k = len(meta["history"]["snapshot_steps"])
    if "snapshots" in tensors:
        snaps_t = tensors["snapshots"]
        if snaps_t.dtype != torch.uint8 or snaps_t.ndim != 5 or tuple(snaps_t.shape[:2]) != (k, s) \
                or tuple(snaps_t.shape[3:]) != (28, 28):
            raise BrokenCheckpoint(f"{name}: 'snapshots' must be uint8 ({k}, {s}, n, 28, 28), got "
                                   f"{tuple(snaps_t.shape)} {snaps_t.dtype}")
        snaps = snaps_t.numpy()
    else:
        snaps = np.zeros((0, len(gens), 0, 28, 28), np.uint8)
    if k == 0 or snaps.shape[0] == 0 or snaps.shape[2] == 0:
        raise BrokenCheckpoint(f"{name}: no snapshot samples (the tab shows them)")
    return ShippedRun(name, meta, snaps, gens)


def _read_results(folder: str | Path | None, name: str, fmt: str) -> tuple[dict[str, Any], str]:
    """A results file's JSON (a dict with ``format == fmt`` and a ``rows`` list) and its file name;
    FileNotFoundError if missing, BrokenCheckpoint if too large, not JSON or another format.
    """
    path = (checkpoint_dir() if folder is None else Path(folder)) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} is missing")
    if path.stat().st_size > ckpt.MAX_JSON_BYTES:
        raise BrokenCheckpoint(f"{path.name} is too large")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BrokenCheckpoint(f"{path.name} is not valid JSON: {e}") from e
    if not isinstance(data, dict) or data.get("format") != fmt or not isinstance(data.get("rows"), list):
        raise BrokenCheckpoint(f"{path.name} is not a {fmt} file")
    return data, path.name


def load_exp1_runs(folder: str | Path | None = None) -> dict[str, Any]:
    """The across-seeds results of experiment 1 (``exp1_runs.json``), checked; raises ValueError if broken."""
    data, fname = _read_results(folder, EXP1_RESULTS_NAME, EXP1_RESULTS_FORMAT)
    if not isinstance(data.get("summary"), dict):
        raise BrokenCheckpoint(f"{fname} is not a {EXP1_RESULTS_FORMAT} file")
    for r in data["rows"]:
        ok = (isinstance(r, dict) and isinstance(r.get("seed"), int) and isinstance(r.get("arm"), str)
              and isinstance(r.get("final"), dict)
              and all(_num(r["final"].get(q)) for q in ("kl", "fid", "well_covered"))
              and all(isinstance(r.get(q), list) and len(r[q]) == len(r.get("steps", [])) for q in ("fid", "kl")))
        if not ok:
            raise BrokenCheckpoint(f"{fname}: a row lacks seed/arm/steps/fid/kl/final")
    for arm, s in data["summary"].items():
        if not (isinstance(s, dict) and isinstance(s.get("n"), int) and isinstance(s.get("k_collapsed"), int)):
            raise BrokenCheckpoint(f"{fname}: the summary of {arm!r} lacks n/k_collapsed")
    return data


def load_sweep(folder: str | Path | None = None) -> dict[str, Any]:
    """The across-runs results of experiment 2 (``exp2_runs.json``), checked; raises ValueError if broken."""
    data, fname = _read_results(folder, SWEEP_NAME, SWEEP_FORMAT)
    for r in data["rows"]:
        if not (isinstance(r, dict) and isinstance(r.get("seed"), int) and r.get("arm") in ("gda", "greedy_minmax")
                and isinstance(r.get("frac_ones"), list) and isinstance(r.get("min_share_at"), (int, float))):
            raise BrokenCheckpoint(f"{fname}: a row lacks seed/arm/frac_ones/min_share_at")
    return data
