"""Every shipped MNIST file loads, is complete and small; the shipped classifier meets its bar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mnist_helpers import needs_mnist, split

import dynamics
from gan_demo.game import init_flat, module_from_flat
from gan_demo.mnist import checkpoint as ckpt
from gan_demo.mnist.classifier import SHIPPED, accuracy, load_classifier, weights_sha256
from gan_demo.mnist.models import make_generator, make_players, n_params, to_canonical
from gan_demo.mnist.shipped import SHIPPED_DIR, list_shipped, load_shipped
from gan_demo.mnist.train import TrainConfig, eval_noise, to_uint8

NAMES = list_shipped()
BUDGET_BYTES = 25 * 2**20


def test_shipped_set_is_small_and_complete():
    files = [p for p in SHIPPED_DIR.iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= BUDGET_BYTES
    # the seed experiments the MNIST tab is built around
    assert {"exp2_gda", "exp2_greedy_minmax"} <= set(NAMES)
    assert len([n for n in NAMES if n.startswith("exp1_")]) >= 3
    assert SHIPPED.is_file() and SHIPPED.with_suffix(".json").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_shipped_checkpoint(name):
    tensors, meta = ckpt.load(SHIPPED_DIR / name)
    for key in ckpt.REQUIRED_KEYS:
        assert meta[key] is not None, key
    assert meta["kind"] == "shipped" and meta["command"].startswith("python -m gan_demo.mnist.")
    assert "8k of the official test set" in meta["data"]["description"]
    algo = dynamics.from_config(meta["algorithm"])  # the exact hyperparameters rebuild the algorithm
    rebuilt = algo.config()
    # hyperparameters added to the class later keep their defaults; the stored ones round-trip
    assert {k: rebuilt[k] for k in meta["algorithm"]} == meta["algorithm"]
    assert meta["step"] == meta["config"]["steps"] and meta["train_seconds"] > 0
    s = len(meta["seeds"])
    assert tensors["gen"].shape == (s, n_params(make_generator(meta["arch"], meta["latent"])))
    assert tensors["gen"].dtype == torch.float16
    h = meta["history"]
    assert tensors["snapshots"].shape[:2] == (len(h["snapshot_steps"]), s)
    assert len(h["class_hist"]) == len(h["eval_steps"]) and len(h["loss_x"]) == len(h["log_steps"])
    m = meta["metrics"]
    assert len(m["per_seed"]) == s
    for per in m["per_seed"] + [m["real_floor"]]:
        assert {"fid", "kid", "rev_kl", "classes_covered", "class_hist"} <= set(per)
        assert np.isclose(sum(per["class_hist"]), 1.0, atol=1e-3)
    run = load_shipped(name)
    imgs = run.sample(run.noise(0, 8))
    assert imgs.shape == (8, 28, 28) and imgs.dtype == np.uint8
    # the last snapshot is the final generator on the fixed noise bank: fresh samples of the shipped
    # float16 weights agree with it up to storage rounding
    assert h["snapshot_steps"][0] == 0 and h["snapshot_steps"][-1] == meta["step"]
    last = tensors["snapshots"][-1, 0].numpy().astype(float)
    fresh = run.sample(eval_noise(last.shape[0], meta["latent"]).numpy()).astype(float)
    assert np.abs(fresh - last).mean() < 2.0


@needs_mnist
def test_shipped_classifier_accuracy():
    clf = load_classifier()
    s = split()
    acc = accuracy(clf, s.held_x, s.held_y)
    assert acc >= 0.97
    meta = json.loads(Path(SHIPPED).with_suffix(".json").read_text())
    assert abs(meta["held_out_accuracy"] - acc) < 1e-6
    assert meta["sha256"] == weights_sha256(clf)


@pytest.mark.parametrize("name", NAMES)
def test_shipped_checkpoint_matches_its_config_and_reproduces_its_first_snapshot(name):
    """The sidecar's config rebuilds the run; its stored seed regenerates the iteration-0 samples."""
    tensors, meta = ckpt.load(SHIPPED_DIR / name)
    cfg = TrainConfig.from_json(meta["config"])
    assert (cfg.arch, list(cfg.digits), list(cfg.seeds), cfg.latent) == (meta["arch"], meta["digits"], meta["seeds"],
                                                                        meta["latent"])
    assert cfg.steps == meta["step"]
    # the stored algorithm is the config's, with every hyperparameter spelled out
    built = dynamics.from_config(dict(cfg.algorithm)).config()
    assert {k: built[k] for k in meta["algorithm"]} == meta["algorithm"]
    if meta["algorithm"]["name"] == "double_sgda":  # defaults changed once: the meaning must be spelled out
        assert {"order", "penalty", "generator_term"} <= set(meta["algorithm"])
    g, _ = make_players(cfg.arch, cfg.latent)
    x0 = init_flat(g, cfg.seeds, cfg.init)  # (S, P_x): what GANGame.init_params gives the generator
    noise = eval_noise(tensors["snapshots"].shape[2], cfg.latent)
    for s in range(len(cfg.seeds)):
        gen = module_from_flat(g, x0[s])
        with torch.no_grad():
            first = to_uint8(to_canonical(gen(noise), cfg.data_range))
        stored = tensors["snapshots"][0, s]
        assert meta["history"]["snapshot_steps"][0] == 0
        assert (first.int() - stored.int()).abs().max() <= 1  # float32 rounding at most one grey level


@pytest.mark.skipif(not (SHIPPED_DIR / "exp2_runs.json").is_file(), reason="no shipped experiment-2 results")
def test_shipped_exp2_runs_are_the_median_runs_of_the_shipped_statistic():
    from gan_demo.mnist.exp2 import summarize, trace_metrics
    from gan_demo.mnist.shipped import load_sweep

    data = load_sweep(SHIPPED_DIR)
    rows = data["rows"]
    for r in rows:  # each stored verdict follows from its stored trace
        steps = [i * r["eval_every"] for i in range(len(r["frac_ones"]))]
        m = trace_metrics(steps, r["frac_ones"], data["at"], data["threshold"])
        assert (m["both_at"], m["min_share_at"]) == (r["both_at"], r["min_share_at"])
    for arm in ("gda", "greedy_minmax"):
        s = summarize(rows, arm)
        meta = json.loads((SHIPPED_DIR / f"exp2_{arm}.json").read_text())
        rep = meta["represents"]
        assert meta["seeds"] == [s["median_seed"]] and (rep["k"], rep["n"]) == (s["k"], s["n"])
        assert f"{s['k']} of {s['n']}" in rep["text"] and f"run {s['median_seed']}" in rep["text"]
        # the shipped run's own trace is the one in the results file
        mine = next(r for r in rows if r["arm"] == arm and r["seed"] == s["median_seed"])
        assert [round(h[0][1], 4) for h in meta["history"]["class_hist"]] == mine["frac_ones"]
        assert meta["config"]["batch_size"] == 128 and meta["config"]["acceptance"] == "fresh"


@pytest.mark.skipif(not (SHIPPED_DIR / "exp1_runs.json").is_file(), reason="no shipped experiment-1 results")
def test_shipped_exp1_runs_are_the_median_runs_of_the_shipped_results():
    from gan_demo.mnist.exp1 import collapsed, summarize
    from gan_demo.mnist.shipped import load_exp1_runs

    data = load_exp1_runs(SHIPPED_DIR)
    for arm, stored in data["summary"].items():
        s = summarize(data["rows"], arm)
        assert (s["n"], s["k_collapsed"], s["median_seed"]) == (stored["n"], stored["k_collapsed"],
                                                                 stored["median_seed"])
        _, meta = ckpt.load(SHIPPED_DIR / f"exp1_{arm}")
        assert meta["seeds"] == [s["median_seed"]] and meta["represents"]["seed"] == s["median_seed"]
        row = next(r for r in data["rows"] if r["arm"] == arm and r["seed"] == s["median_seed"])
        # the sidecar's final metrics are the row's, and the row follows the counting rule
        assert meta["metrics"]["per_seed"][0]["rev_kl"] == pytest.approx(row["final"]["kl"], abs=1e-4)
        assert row["collapsed"] == collapsed(row["final"]["well_covered"])
        assert row["steps"][-1] == meta["step"] == 10_000
