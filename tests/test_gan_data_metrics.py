"""2D mixtures and mode-coverage / cycling metrics on samples with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_demo import metrics
from gan_demo.data import four4, grid25, make_dataset, parse_csv, ring8


def test_dataset_modes_and_weights() -> None:
    r = ring8()
    assert r.n_modes == 8 and r.sigma == 0.01
    # endpoint excluded: 8 distinct centres on the unit circle, 45° apart
    assert np.allclose(np.linalg.norm(r.centres, axis=1), 1.0)
    assert len({tuple(np.round(c, 6)) for c in r.centres}) == 8
    g = grid25()
    assert g.n_modes == 25 and g.sigma == 0.05
    assert sorted(set(g.centres[:, 0])) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    f = four4()
    assert f.n_modes == 4 and f.sigma == 0.01
    assert np.allclose(f.weights, [0.4, 0.2, 0.2, 0.2])
    assert np.allclose(f.centres[0], [0.0, 1.0])  # Mangoubi's doubled component
    assert np.allclose(make_dataset("four4_uniform").weights, 0.25)
    assert make_dataset("ring8", sigma=0.05, radius=2.0).centres[0].tolist() == [2.0, 0.0]


def test_sample_frequencies_match_weights() -> None:
    f = four4()
    pts = f.sample(40000, torch.Generator().manual_seed(0)).numpy()
    k, hq = metrics.assign(pts, f)
    freq = np.bincount(k, minlength=4) / len(k)
    assert np.allclose(freq, f.weights, atol=0.01)
    assert hq.mean() == pytest.approx(1 - math.exp(-4.5), abs=0.003)


def test_custom_csv_and_errors() -> None:
    c, w = parse_csv("x,y,w\n0,0,1\n1,1,3\n")
    assert c.tolist() == [[0.0, 0.0], [1.0, 1.0]] and w.tolist() == [1.0, 3.0]
    m = make_dataset("custom", centres=c, weights=w, sigma=0.1)
    assert np.allclose(m.weights, [0.25, 0.75])
    with pytest.raises(ValueError, match="line 3"):
        parse_csv("0,0\n1,1\nfoo,2\n")
    with pytest.raises(ValueError, match="2 or 3 columns"):
        parse_csv("0,0,0,0\n")
    with pytest.raises(ValueError, match="sigma"):
        ring8(sigma=-1.0)
    with pytest.raises(ValueError, match="unknown dataset"):
        make_dataset("spiral")


def test_perfect_generator_scores() -> None:
    r = ring8()
    x = np.stack([r.sample_numpy(20000, seed=s) for s in range(2)])  # (2, n, 2)
    c = metrics.coverage(x, r)
    assert np.allclose(c["hq_frac"], 1 - math.exp(-4.5), atol=0.003)  # 0.989
    assert (c["modes_covered"] == 8).all() and (c["modes_well_covered"] == 8).all()
    assert (c["rev_kl"] < 0.005).all() and (c["jsd"] < 0.002).all()
    assert c["occupancy"].shape == (2, 8)


def test_collapsed_generator_scores() -> None:
    f = four4()
    rng = np.random.default_rng(0)
    x = f.centres[2] + 0.01 * rng.standard_normal((2500, 2))  # everything on mode 2
    c = metrics.coverage(x, f)
    assert c["modes_covered"][0] == 1 and c["modes_well_covered"][0] == 1
    assert c["hq_frac"][0] > 0.97  # high quality, one mode: why HQ alone is not enough
    assert c["rev_kl"][0] == pytest.approx(math.log(1 / 0.2))
    far = metrics.coverage(np.full((1, 100, 2), 50.0), f)  # nothing high quality
    assert far["hq_frac"][0] == 0 and math.isnan(far["rev_kl"][0])


def test_well_covered_threshold_uses_true_weights() -> None:
    f = four4()
    n = 2500
    # exactly 0.2 * n * π_k points on each mode is well covered, one fewer is not
    counts = [200, 100, 100, 99]
    pts = np.concatenate([np.repeat(f.centres[k][None], m, 0) for k, m in enumerate(counts)])
    pts = np.concatenate([pts, np.full((n - len(pts), 2), 30.0)])
    c = metrics.coverage(pts, f)
    assert c["modes_covered"][0] == 4 and c["modes_well_covered"][0] == 3


def _onehot(seq: list[int], k: int) -> np.ndarray:
    h = np.zeros((len(seq), 1, k))
    for t, m in enumerate(seq):
        h[t, 0, m] = 0.95
    return h


def test_cycling_sequence_counts_switches() -> None:
    seq = [0, 0, 1, 1, 2, 3, 3, 0, 0, 1]  # dominant mode changes 5 times
    h = _onehot(seq, 4)
    wc = np.ones((len(seq), 1), dtype=int)
    rep = metrics.cycling(h, wc, 4)
    assert rep.mode_switches[0] == 5 and rep.modes_visited[0] == 4
    assert rep.label[0] == "cycling"
    assert rep.dominant[:, 0].tolist() == seq


def test_collapsed_and_converged_labels() -> None:
    h = _onehot([1] * 10, 4)
    rep = metrics.cycling(h, np.ones((10, 1), dtype=int), 4)
    assert rep.label[0] == "collapsed" and rep.mode_switches[0] == 0
    full = np.tile(np.array([0.39, 0.2, 0.2, 0.2]), (10, 1, 1))
    rep = metrics.cycling(full, np.full((10, 1), 4), 4)
    assert rep.label[0] == "converged" and rep.t_full_cover[0] == 0 and rep.retention[0] == 1.0
    assert (rep.dominant == -1).all()  # no mode holds half the mass: "spread"


def test_mode_outcome_fractions() -> None:
    out = metrics.mode_outcome(np.array([4, 4, 3, 1, 2]), 4)
    assert out == {"all_4": 0.4, "exactly_3": 0.2, "at_most_2": 0.4, "exactly_1": 0.2}
