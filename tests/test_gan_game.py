"""GANGame: losses equal a plain-module computation, every algorithm trains it, seeds are
independent of each other, checkpoints resume exactly."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from torch import nn
from torch.utils._pytree import tree_leaves

import dynamics
from gan_demo import checkpoints
from gan_demo.data import four4
from gan_demo.game import GANGame, module_from_flat
from gan_demo.gmm import GMMConfig, main, train
from gan_demo.models import ModelConfig, latent_sampler, make_discriminator, make_generator
from helpers import with_small_lr

TINY = ModelConfig(latent_dim=3, g_depth=1, g_width=8, d_depth=1, d_width=8, activation="tanh", gain=1.0)


def tiny_game(seeds=(0, 1), loss_type="saturating", **kw) -> GANGame:
    mix = four4()
    return GANGame(generator=make_generator(TINY), discriminator=make_discriminator(TINY), real_sampler=mix.sample,
                   latent_sampler=latent_sampler(TINY.latent_dim), seeds=seeds, loss_type=loss_type,
                   batch_size=16, eval_size=32, **kw)


def reference_losses(game: GANGame, z: torch.Tensor, row: int) -> tuple[float, float]:
    """The same losses written out with plain modules, for one row."""
    x, y = game.split(z)
    G = module_from_flat(game.generator, x[row])
    D = module_from_flat(game.discriminator, y[row])
    b = game.batch
    real, noise, eps = b.real[row], b.noise[row], b.eps[row]
    fake = G(noise).detach()
    dr, df = D(real).detach(), D(fake).detach()
    sp = nn.functional.softplus
    v = -sp(-dr).mean() - sp(df).mean()
    if game.loss_type == "saturating":
        return float(v), float(-v)
    if game.loss_type == "non_saturating":
        return float(sp(-df).mean()), float(-v)
    w = dr.mean() - df.mean()
    if game.loss_type == "hinge":
        return float(-df.mean()), float(torch.relu(1 - dr).mean() + torch.relu(1 + df).mean())
    l_y = -w
    if game.loss_type == "wgan_gp":
        hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(D(hat).sum(), hat)
        l_y = l_y + game.gp_weight * ((g.norm(dim=1) - 1) ** 2).mean()
    return float(-df.mean()), float(l_y)


@pytest.mark.parametrize("loss_type", ["saturating", "non_saturating", "wgan", "wgan_gp", "hinge"])
def test_losses_match_plain_modules(loss_type: str) -> None:
    game = tiny_game(loss_type=loss_type)
    z = game.init_params(dtype=torch.float64)
    g = game.sample(torch.Generator(), z, step=3)
    l_x, l_y = g.losses(*g.split(z))
    for row in range(2):
        rx, ry = reference_losses(g, z, row)
        assert float(l_x[row]) == pytest.approx(rx, rel=1e-9, abs=1e-12)
        assert float(l_y[row]) == pytest.approx(ry, rel=1e-9, abs=1e-12)
    assert game.zero_sum == (loss_type == "saturating")


def test_r1_penalty_and_wgan_projection() -> None:
    game = tiny_game(r1=2.0)
    z = game.init_params(dtype=torch.float64)
    g = game.sample(torch.Generator(), z, step=0)
    x, y = g.split(z)
    base = tiny_game().with_batch(g.batch)
    pen = g.losses(x, y)[1] - base.losses(x, y)[1]
    grads = g.input_grad(y, g.batch.real)  # (S, N, 2)
    assert torch.allclose(pen, 1.0 * grads.pow(2).sum(2).mean(1))
    assert not game.zero_sum
    wg = tiny_game(loss_type="wgan", clip=0.05)
    zp = wg.project(z * 10)
    assert zp[:, wg.dim_x:].abs().max() <= 0.05 and torch.equal(zp[:, : wg.dim_x], z[:, : wg.dim_x] * 10)


def test_minibatches_do_not_depend_on_other_rows() -> None:
    both = tiny_game(seeds=(5, 9))
    one = tiny_game(seeds=(9,))
    z2 = both.init_params(dtype=torch.float64)
    b2 = both.sample(torch.Generator().manual_seed(0), z2, step=17).batch
    b1 = one.sample(torch.Generator().manual_seed(1), z2[1:], step=17).batch
    for a, b in zip(b2, b1):
        assert torch.equal(a[1], b[0])
    b3 = both.sample(torch.Generator(), z2, step=18).batch
    assert not torch.equal(b2.real, b3.real)  # a new step draws a new minibatch
    assert torch.equal(one.init_params(dtype=torch.float64)[0], z2[1])  # init depends on the seed only


ALGOS = sorted(dynamics.ALGORITHMS)


@pytest.mark.parametrize("loss_type", ["saturating", "non_saturating"])
@pytest.mark.parametrize("name", ALGOS)
def test_every_algorithm_trains_the_gan(name: str, loss_type: str) -> None:
    game = tiny_game(loss_type=loss_type)
    algo = with_small_lr(dynamics.ALGORITHMS[name](), lr=0.01)
    z0 = game.init_params(dtype=torch.float32)
    traj = dynamics.run(game, algo, z0, steps=2, dtype=torch.float32, metrics=False)
    z = traj.z_final
    assert z.shape == z0.shape and z.dtype == torch.float32
    assert torch.isfinite(z).all() and not traj.diverged.any()
    x0, y0 = game.split(z0)
    x1, y1 = game.split(z)
    assert not torch.equal(x0, x1) or not torch.equal(y0, y1)
    assert all(torch.isfinite(t).all() for t in tree_leaves(traj.state) if isinstance(t, torch.Tensor))


@pytest.mark.parametrize("name", ["alt_gda", "adam", "extragradient"])
def test_seeds_vmapped_equal_seeds_sequential(name: str) -> None:
    seeds = (3, 4, 11)
    game = tiny_game(seeds=seeds, loss_type="non_saturating")
    algo = with_small_lr(dynamics.ALGORITHMS[name](), lr=0.05)
    z0 = game.init_params(dtype=torch.float64)
    together = dynamics.run(game, algo, z0, steps=6, metrics=False).z_final
    for i, s in enumerate(seeds):
        alone = dynamics.run(tiny_game(seeds=(s,), loss_type="non_saturating"), algo, z0[i : i + 1], steps=6,
                             metrics=False, seed=100 + i).z_final
        torch.testing.assert_close(together[i : i + 1], alone, rtol=1e-10, atol=1e-12)


def test_checkpoint_resume_equals_uninterrupted(tmp_path) -> None:
    cfg = GMMConfig(model=TINY, batch_size=16, seeds=(0, 1), eval_n=100, dtype="float64")
    algo = dynamics.make_algorithm("adam", lr=0.01, beta1=0.5)
    full = train(cfg, algo, 8, every=4)
    half = train(cfg, algo, 4, every=4)
    path = checkpoints.save(tmp_path / "ck.safetensors", half.z_final, half.state, half.final_step,
                            config=cfg.to_dict(), algorithm=algo.config(), rng_state=half.rng_state)
    meta = json.loads(checkpoints.sidecar_path(path).read_text())
    assert meta["step"] == 4 and meta["algorithm"]["name"] == "adam"
    cfg2 = GMMConfig.from_dict(meta["config"])
    algo2 = dynamics.from_config(meta["algorithm"])
    from gan_demo.gmm import build

    ck = checkpoints.load(path, build(cfg2)[0], algo2)
    rest = train(cfg2, algo2, 4, every=4, z0=ck.z, state=ck.state, start_step=ck.step, rng_state=ck.rng_state)
    assert torch.equal(rest.z_final, full.z_final)
    assert rest.steps.tolist() == [4, 8]
    assert (rest.samples[-1] == full.samples[-1]).all()
    with pytest.raises(ValueError, match="leaves"):
        checkpoints.load(path, build(cfg2)[0], dynamics.make_algorithm("gda"))


def test_train_reports_metrics_and_stops() -> None:
    cfg = GMMConfig(model=TINY, batch_size=16, seeds=(0, 1, 2), eval_n=100)
    run = train(cfg, dynamics.make_algorithm("gda", lr=0.01), 6, every=2, keep_params=True,
                progress=lambda step: step < 3)
    assert run.stopped and run.steps.tolist() == [0, 2, 3]
    assert run.samples.shape == (3, 3, 100, 2) and run.params.shape[:2] == (3, 3)
    assert run.metrics["occupancy"].shape == (3, 3, 4)
    summary = run.summary()
    json.dumps(summary)
    assert set(summary["outcome"]) == {"all_4", "exactly_3", "at_most_2", "exactly_1"}


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="seeds"):
        tiny_game(seeds=())
    with pytest.raises(ValueError, match="loss_type"):
        tiny_game(loss_type="least_squares")
    game = tiny_game(seeds=(0, 1))
    with pytest.raises(ValueError, match="rows"):
        game.sample(torch.Generator(), torch.zeros(3, game.dim), 0)
    with pytest.raises(ValueError, match="buffers"):
        dataclasses.replace(game, discriminator=nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)))


def test_cli_writes_metrics_snapshots_gif(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    rc = main(["--dataset", "ring8", "--algorithm", "adam", "--lr", "0.01", "--beta1", "0.5", "--steps", "4",
               "--seeds", "2", "--every", "2", "--latent-dim", "3", "--g-width", "8", "--d-width", "8",
               "--g-depth", "1", "--d-depth", "1", "--batch-size", "16", "--out", str(out)])
    assert rc == 0
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["algorithm"]["beta1"] == 0.5 and summary["steps"] == [0, 2, 4]
    assert (out / "train.gif").read_bytes()[:6] == b"GIF89a"
    assert (out / "final.safetensors").exists() and (out / "snapshots.npz").exists()
    rc = main(["--algorithm", "adam", "--steps", "2", "--every", "2", "--resume", str(out / "final.safetensors"),
               "--out", str(tmp_path / "more"), "--no-gif"])
    assert rc == 0 and json.loads((tmp_path / "more" / "metrics.json").read_text())["steps"] == [4, 6]


@pytest.mark.parametrize("loss_type,kw", [("saturating", {}), ("non_saturating", {}), ("wgan_gp", {}), ("hinge", {}),
                                          ("saturating", {"r1": 1.0, "r2": 0.5})])
def test_autograd_field_equals_torch_func_field(loss_type: str, kw: dict) -> None:
    """The plain-autograd xi / xi_x / xi_y overrides equal the engine's torch.func field, and Jacobian
    products through them (double backward) equal forward-mode jvp through the torch.func route."""
    from dynamics import autodiff

    game = tiny_game(seeds=(0, 1, 2), loss_type=loss_type, **kw)
    z = game.init_params(dtype=torch.float64, gain=1.5)
    g = game.sample(torch.Generator(), z, step=5)
    want = autodiff.grad_field(g, z)  # torch.func
    torch.testing.assert_close(g.xi(z), want, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(g.xi_x(z), autodiff.grad_field_x(g, z), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(g.xi_y(z), autodiff.grad_field_y(g, z), rtol=1e-12, atol=1e-14)
    v = torch.randn(z.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    lin = autodiff.linearize_xi(g, z)
    # independent checks: forward mode and a functional reverse pass (the engine uses linearize_xi only)
    torch.testing.assert_close(lin.jvp(v), torch.func.jvp(g.xi, (z,), (v,))[1], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(lin.vjp(v), torch.func.vjp(g.xi, z)[1](v)[0], rtol=1e-9, atol=1e-12)


def test_mlp_fast_path_equals_functional_call() -> None:
    """Plain MLPs run as batched matmuls; the result equals functional_call + vmap on the same modules."""
    from gan_demo.game import mlp_plan

    game = tiny_game(seeds=(0, 1))
    assert mlp_plan(game.generator) is not None and mlp_plan(game.discriminator) is not None
    assert mlp_plan(nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1), nn.Linear(3, 1))) is None
    z = game.init_params(dtype=torch.float64)
    x, y = game.split(z)
    noise = torch.randn(2, 7, TINY.latent_dim, dtype=torch.float64)
    slow = dataclasses.replace(game)
    object.__setattr__(slow, "_g_plan", None)
    object.__setattr__(slow, "_d_plan", None)
    torch.testing.assert_close(game.generate(x, noise), slow.generate(x, noise), rtol=1e-13, atol=1e-15)
    pts = torch.randn(7, 2, dtype=torch.float64)
    torch.testing.assert_close(game.discriminate(y, pts), slow.discriminate(y, pts), rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(game.input_grad(y, pts.expand(2, 7, 2)), slow.input_grad(y, pts.expand(2, 7, 2)))
