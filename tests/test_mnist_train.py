"""Training MNIST GANs through the engine: one step of each algorithm, checkpoints, resume, metrics."""

from __future__ import annotations

import json
import math

import pytest
import torch
from mnist_helpers import needs_mnist, split

import dynamics
from gan_demo.mnist import checkpoint as ckpt
from gan_demo.mnist.data import MNISTSplit
from gan_demo.mnist.metrics import class_metrics, fid_from_stats, kid, stats
from gan_demo.mnist.models import ARCHES, make_generator, make_players, n_params
from gan_demo.mnist.train import TrainConfig, Trainer, config_from_args, main, parse_hp

ALGORITHMS = ["gda", "alt_gda", "adam", "sgda", "double_sgda", "greedy_minmax", "extragradient", "ogda"]


def tiny_split() -> MNISTSplit:
    s = split()
    return MNISTSplit(s.train_x[:64], s.train_y[:64], s.held_x[:32], s.held_y[:32], s.source, s.folder)


def tiny_cfg(**kw) -> TrainConfig:
    base = dict(arch="tiny", latent=8, batch_size=16, steps=4, log_every=2, eval_every=2, eval_n=32,
                snapshot_every=2, snapshot_n=4, checkpoint_every=2,
                algorithm={"name": "adam", "lr": 1e-3, "order": "x_first"})
    base.update(kw)
    return TrainConfig(**base)


def test_model_sizes():
    g, d = make_players("mlp")
    # the Smoothed-GDA repo: 100-256-512-1024-784 and 784-1024-512-256-1
    assert n_params(g) == 100 * 256 + 256 + 256 * 512 + 512 + 512 * 1024 + 1024 + 1024 * 784 + 784
    assert n_params(d) == 784 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 256 + 256 + 256 + 1
    for arch in ARCHES:
        g, d = make_players(arch)
        imgs = g(torch.randn(5, 100))
        assert imgs.shape == (5, 784) and float(imgs.detach().abs().max()) <= 1.0
        assert d(imgs).shape == (5,)
        assert n_params(make_generator(arch)) == n_params(g)


def test_dropout_always_on_in_repo_discriminator():
    _, d = make_players("mlp")
    d.eval()
    x = torch.randn(4, 784)
    assert not torch.equal(d(x), d(x))  # F.dropout(x, 0.3) is active in eval mode, as in the repo


@needs_mnist
@pytest.mark.parametrize("name", ALGORITHMS)
def test_one_step_each_algorithm(name):
    if name not in dynamics.ALGORITHMS:
        pytest.skip(f"{name} is not registered in this checkout yet")
    algo = {"name": name}
    if "lr" in {h.name for h in dynamics.hparams(dynamics.ALGORITHMS[name])}:
        algo["lr"] = 1e-3
    t = Trainer(tiny_cfg(algorithm=algo, steps=1, log_every=1, eval_every=1, snapshot_every=1,
                         checkpoint_every=1), split=tiny_split(), with_metrics=False)
    z0 = t.z.clone()
    t.run(1, progress=False)
    assert t.step == 1 and torch.isfinite(t.z).all()
    assert not torch.equal(t.z, z0) or name == "greedy_minmax"  # a greedy step may be rejected
    assert t.history["log_steps"] == [0, 1]


@needs_mnist
def test_resume_equals_uninterrupted(tmp_path):
    full = Trainer(tiny_cfg(), split=tiny_split(), with_metrics=False)
    full.run(4, progress=False)
    part = Trainer(tiny_cfg(), split=tiny_split(), with_metrics=False)
    part.run(2, out=tmp_path, progress=False)
    resumed = Trainer.resume(tmp_path / "resume", split=tiny_split(), with_metrics=False)
    assert resumed.step == 2
    resumed.run(4, progress=False)
    assert torch.equal(resumed.z, full.z)  # dropout, minibatches and Adam moments all restored
    assert resumed.history["loss_x"] == full.history["loss_x"]
    assert len(resumed.snapshots) == len(full.snapshots) == 3


@needs_mnist
def test_checkpoint_round_trip(tmp_path):
    t = Trainer(tiny_cfg(digits=(0, 1)), split=tiny_split())
    t.command = "pytest"
    t.run(4, progress=False)
    m = t.finish()
    assert m["n_samples"] == len(t.held_x) and len(m["per_seed"]) == 1
    t.save_shipped(tmp_path / "ship")
    tensors, meta = ckpt.load(tmp_path / "ship.json")
    assert meta["kind"] == "shipped" and meta["command"] == "pytest" and meta["step"] == 4
    assert meta["algorithm"] == t.algorithm.config() and dynamics.from_config(meta["algorithm"]) == t.algorithm
    x, _ = t.game.split(t.z)
    assert tensors["gen"].dtype == torch.float16 and torch.equal(tensors["gen"], x.half())
    assert tensors["snapshots"].shape == (3, 1, 4, 28, 28) and tensors["snapshots"].dtype == torch.uint8
    assert len(meta["history"]["class_hist"][0][0]) == 2
    json.dumps(meta)  # plain JSON all the way down
    with pytest.raises(ValueError, match="only 'resume'"):
        Trainer.resume(tmp_path / "ship", split=tiny_split())
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "bad.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match="not valid JSON"):
        ckpt.load(tmp_path / "bad")


def test_state_flatten_round_trip():
    from typing import NamedTuple

    class S(NamedTuple):
        m: torch.Tensor
        inner: tuple

    st = S(torch.arange(3.0), (torch.ones(2, 2), 5))
    tensors, scalars = ckpt.flatten_state(st)
    back = ckpt.unflatten_state(S(torch.zeros(3), (torch.zeros(2, 2), 0)), tensors, scalars)
    assert torch.equal(back.m, st.m) and torch.equal(back.inner[0], st.inner[0]) and back.inner[1] == 5


def test_cli_parsing():
    assert parse_hp("adam", ["lr=2e-4", "order=x_first", "beta1=0.5"]) == {"lr": 2e-4, "order": "x_first",
                                                                          "beta1": 0.5}
    with pytest.raises(ValueError, match="key=value"):
        parse_hp("adam", ["nope=1"])
    with pytest.raises(ValueError, match="not one of"):
        parse_hp("adam", ["order=sideways"])
    with pytest.raises(ValueError, match="unknown algorithm"):
        parse_hp("no_such_algo", [])
    with pytest.raises(ValueError, match="multiple of log_every"):
        tiny_cfg(eval_every=3)
    assert main(["--preset", "exp2-gda", "--algorithm", "no_such_algo"]) == 2


def test_preset_config():
    import argparse

    ns = argparse.Namespace(preset="exp2-gda", algorithm=None, hp=["lr=1e-3"], arch=None, loss_type=None,
                            batch_size=None, steps=7, init=None, log_every=None, eval_every=None,
                            snapshot_every=None, checkpoint_every=None, eval_n=None, digits=None, seeds="3,4")
    cfg = config_from_args(ns)
    assert cfg.digits == (0, 1) and cfg.arch == "mangoubi" and cfg.steps == 7 and cfg.seeds == (3, 4)
    assert cfg.algorithm == {"name": "adam", "lr": 1e-3, "beta1": 0.5, "order": "x_first"}


def test_fid_kid_known_answers():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3000, 4, generator=g, dtype=torch.float64)
    mu, cov = stats(a)
    assert abs(fid_from_stats(mu, cov, mu, cov)) < 1e-8
    # same covariance, mean shifted by (1, 0, 0, 0): FID = |Δμ|² = 1
    assert abs(fid_from_stats(mu, cov, mu + torch.tensor([1.0, 0, 0, 0], dtype=torch.float64), cov) - 1.0) < 1e-8
    # diagonal covariances 1 and 4: FID = Σ (1 + 4 - 2·2) = 4 per... 1 per dim -> 4
    eye = torch.eye(4, dtype=torch.float64)
    assert abs(fid_from_stats(mu * 0, eye, mu * 0, 4 * eye) - 4.0) < 1e-8
    b = torch.randn(1000, 4, generator=g, dtype=torch.float64)
    assert abs(kid(a[:1000], b)) < 0.05 < kid(a[:1000], b + 1.0)


def test_class_metrics_known_answers():
    probs = torch.zeros(10, 10)
    probs[:5, 0] = 1.0
    probs[5:, 1] = 0.95
    probs[5:, 2] = 0.05
    m = class_metrics(probs, tuple(range(10)))
    assert m["class_hist"][:2] == [0.5, 0.5] and m["classes_covered"] == 2 and m["classes_well_covered"] == 2
    assert abs(m["rev_kl"] - math.log(5.0)) < 1e-9  # KL(½,½ ‖ U10) = log 5
    assert abs(m["label_tv"] - 0.8) < 1e-9 and m["hq_frac"] == 1.0
    m01 = class_metrics(probs, (0, 1))
    assert m01["class_hist"] == [0.5, 0.5] and abs(m01["rev_kl"]) < 1e-12


def test_digit_switches():
    from gan_demo.mnist.report import digit_switches

    assert digit_switches([0.0, 0.0, 1.0, 1.0, 0.5, 0.0, 1.0]) == 3  # mixed evaluations are skipped
    assert digit_switches([1.0] * 5) == 0
