"""Experiment 2 (greedy min-max vs GDA on 0-1 MNIST): the acceptance test and the statistic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mnist_helpers import needs_mnist, split
from torch import nn

import dynamics
from gan_demo.mnist.exp2 import (
    DEFAULTS,
    both_present,
    config_for,
    digit_switches,
    parse_seeds,
    summarize,
    trace_metrics,
    wilson,
)
from gan_demo.mnist.models import MLPGenerator, make_players
from gan_demo.mnist.train import PRESETS, MNISTGANGame

BATCH = 128


class RecordingD(nn.Module):
    """A linear discriminator that records, per call, whether it ran in training mode and on how many rows."""

    def __init__(self, calls: list) -> None:
        super().__init__()
        self.lin = nn.Linear(784, 1)
        self.calls = calls

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, x.shape[0]))
        return self.lin(x).squeeze(-1)


def _game(accept_fresh: bool) -> tuple[MNISTGANGame, list, list]:
    calls: list = []
    drawn: list = []
    data = torch.rand(500, 784) * 2 - 1

    def real(n: int, g: torch.Generator) -> torch.Tensor:
        batch = data[torch.randint(0, 500, (n,), generator=g)]
        drawn.append(batch)
        return batch

    def noise(n: int, g: torch.Generator) -> torch.Tensor:
        return torch.randn(n, 8, generator=g)

    game = MNISTGANGame(generator=MLPGenerator(8, (16,)), discriminator=RecordingD(calls), real_sampler=real,
                        latent_sampler=noise, seeds=(3,), batch_size=BATCH, loss_type="non_saturating",
                        randomness="different", accept_fresh=accept_fresh)
    return game, calls, drawn


def _one_greedy_step(game: MNISTGANGame) -> None:
    algo = dynamics.make_algorithm("greedy_minmax", lr=2e-4, optimizer="adam", rate=5, k=1)
    z0 = game.init_params(init="default")
    # step 1: 1 % rate != 0, so the test runs (step 0 is an unconditional one)
    dynamics.run(game, algo, z0, steps=1, start_step=1, state=algo.init(game, z0), metrics=False,
                 dtype=torch.float32)


def test_acceptance_test_uses_fresh_batches_with_dropout_off() -> None:
    game, calls, drawn = _game(accept_fresh=True)
    calls.clear()
    drawn.clear()
    _one_greedy_step(game)
    evals = [n for training, n in calls if not training]
    # the two loss values (before and after the move), each on real + generated points of one fresh batch
    assert evals == [2 * BATCH, 2 * BATCH]
    assert all(n in (BATCH, 2 * BATCH) for training, n in calls if training)
    # one training minibatch and two fresh ones, all of the notebook's size and all different
    assert [b.shape[0] for b in drawn] == [BATCH, BATCH, BATCH]
    assert not torch.equal(drawn[0], drawn[1]) and not torch.equal(drawn[1], drawn[2])
    assert game.discriminator.training  # put back into training mode afterwards


def test_earlier_acceptance_used_the_step_batch_with_dropout_on() -> None:
    game, calls, drawn = _game(accept_fresh=False)
    calls.clear()
    drawn.clear()
    _one_greedy_step(game)
    assert all(training for training, _ in calls)
    assert len(drawn) == 1  # the test reused the training minibatch


def test_mangoubi_dropout_is_off_in_eval_mode_only() -> None:
    _, d = make_players("mangoubi")
    x = torch.randn(16, 784)
    torch.manual_seed(0)
    assert not torch.equal(d(x), d(x))  # training mode: dropout on
    d.eval()
    assert torch.equal(d(x), d(x))


def test_presets_are_the_notebooks() -> None:
    for arm in ("exp2-gda", "exp2-greedy_minmax"):
        p = PRESETS[arm]
        assert (p["batch_size"], p.get("acceptance", "fresh"), p["arch"], p["digits"]) == (128, "fresh", "mangoubi",
                                                                                          (0, 1))
        assert (p["algorithm"]["lr"], p["algorithm"]["beta1"]) == (2e-4, 0.5)
    cfg = config_for({"arm": "gda"}, 7)
    assert cfg.seeds == (7,) and cfg.steps == 1000 and cfg.eval_every == 10 and cfg.batch_size == 128
    with pytest.raises(ValueError, match="unknown mnist_exp2 parameters"):
        config_for({"arm": "gda", "lr": 1.0}, 0)
    with pytest.raises(ValueError, match="arm"):
        config_for({"arm": "adam"}, 0)


# ---- the statistic -------------------------------------------------------------------------------
def test_wilson_known_values() -> None:
    z2 = 1.959963984540054**2
    assert wilson(0, 20) == pytest.approx((0.0, z2 / (20 + z2)))  # (0, 0.1611)
    assert wilson(20, 20) == pytest.approx((20 / (20 + z2), 1.0))  # (0.8389, 1)
    assert wilson(10, 20) == pytest.approx((0.29929, 0.70071), abs=1e-5)
    lo, hi = wilson(14, 20)
    assert lo < 0.7 < hi
    assert wilson(6, 20) == pytest.approx(tuple(1 - v for v in reversed(wilson(14, 20))))
    with pytest.raises(ValueError):
        wilson(21, 20)


def test_both_present_threshold() -> None:
    assert both_present(0.5) and both_present(0.10) and both_present(0.90)
    assert not both_present(0.09) and not both_present(0.95) and not both_present(0.0)
    assert both_present(0.2, threshold=0.2) and not both_present(0.19, threshold=0.2)


def test_trace_metrics_on_synthetic_traces() -> None:
    steps = [0, 10, 20, 30, 40, 50]
    # 0s only, then 1s only, then mixed, then 0s: two switches of the dominant digit
    ones = [0.0, 0.95, 0.5, 0.02, 0.3, 0.05]
    m = trace_metrics(steps, ones, at=40, threshold=0.1)
    assert m["frac_one_at"] == 0.3 and m["both_at"] and m["min_share_at"] == 0.3
    assert m["switches"] == 2 and m["both_frac_over_training"] == pytest.approx(2 / 6, abs=1e-4)
    assert not trace_metrics(steps, ones, at=50, threshold=0.1)["both_at"]
    with pytest.raises(ValueError, match="not evaluated"):
        trace_metrics(steps, ones, at=45, threshold=0.1)
    assert digit_switches([1.0, 0.0, 1.0, 0.0]) == 3 and digit_switches([0.5, 0.5]) == 0


def test_summarize_counts_and_picks_the_median_run() -> None:
    shares = [0.0, 0.3, 0.05, 0.45, 0.2]  # min share at iteration 1000 per seed 0..4
    rows = [{"seed": s, "arm": "greedy_minmax", "both_at": both_present(v), "min_share_at": v}
            for s, v in enumerate(shares)]
    rows.append({"seed": 0, "arm": "gda", "both_at": False, "min_share_at": 0.0})
    s = summarize(rows, "greedy_minmax")
    assert (s["k"], s["n"]) == (3, 5) and s["frac"] == pytest.approx(0.6)
    assert s["wilson95"] == pytest.approx(wilson(3, 5)) and s["published"] == 0.86
    assert s["median_seed"] == 4 and s["median_rank"] == 3  # sorted shares 0, .05, .2, .3, .45: the middle is .2
    assert summarize(rows, "gda")["k"] == 0


def test_parse_seeds() -> None:
    assert parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    with pytest.raises(ValueError):
        parse_seeds("a-b")
    assert DEFAULTS["threshold"] == 0.10 and DEFAULTS["at"] == 1000


# ---- the sweep contract ----------------------------------------------------------------------------
def test_registered_in_the_sweep_table() -> None:
    from gan_demo import sweep
    from gan_demo.mnist.exp2 import run_seeds

    assert sweep.experiment_function("mnist_exp2") is run_seeds
    spec = sweep.load_spec(Path(__file__).parents[1] / "sweeps/mnist_exp2.toml")
    assert spec.experiment == "mnist_exp2" and len(spec.seeds) >= 20
    assert sorted(p["arm"] for _, p in spec.arms) == ["gda", "greedy_minmax"]
    for _, p in spec.arms:
        config_for(p, 0)  # every arm's params are accepted


@needs_mnist
def test_run_seeds_is_deterministic_and_chunk_independent() -> None:
    from gan_demo.mnist.exp2 import run_seeds

    params = {"arm": "greedy_minmax", "steps": 20, "at": 20, "eval_n": 50}
    both = run_seeds(params, [0, 1], split=split())
    alone = run_seeds(params, [1], split=split())
    assert [r["seed"] for r in both] == [0, 1]
    assert both[1] == alone[0]
    assert json.loads(json.dumps(both)) == both  # JSON-able
    assert all(len(r["frac_ones"]) == 3 for r in both)
