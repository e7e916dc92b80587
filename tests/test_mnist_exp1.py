"""Experiment 1 over seeds: the collapse counting rule, the median run, collecting and shipping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from gan_demo.mnist import checkpoint as ckpt
from gan_demo.mnist import exp1
from gan_demo.mnist.shipped import load_exp1_runs
from gan_demo.mnist.train import PRESETS


def _meta(seed: int, well: list[int], kl: list[float]) -> dict:
    """A shipped sidecar with the fields the collector reads (evaluations at 0, 1000, ...)."""
    steps = [1000 * i for i in range(len(well))]
    fm = [[{"fid": 500.0 - i, "classes_covered": min(10, w + 1), "classes_well_covered": w, "rev_kl": k,
            "mean_top_prob": 0.5 + 0.01 * i}] for i, (w, k) in enumerate(zip(well, kl))]
    final = {"fid": 500.0 - len(well) + 1, "classes_covered": min(10, well[-1] + 1), "classes_well_covered": well[-1],
             "rev_kl": kl[-1], "mean_top_prob": 0.5, "class_hist": [0.1] * 10}
    return {"format": ckpt.FORMAT, "kind": "shipped", "arch": "tiny", "latent": 4, "digits": list(range(10)),
            "algorithm": {"name": "adam"}, "game": {}, "data": {}, "seeds": [seed], "step": steps[-1],
            "metrics": {"per_seed": [final], "real_floor": {"fid": 1.8}},
            "history": {"fid_steps": steps, "fid_metrics": fm}, "command": "python -m gan_demo.mnist.train ...",
            "train_seconds": 1.0}


def test_collapse_rule_boundary() -> None:
    assert exp1.collapsed(exp1.COLLAPSE_WELL_COVERED) and exp1.collapsed(1)
    assert not exp1.collapsed(exp1.COLLAPSE_WELL_COVERED + 1) and not exp1.collapsed(10)


def test_summarize_counts_and_picks_the_median_by_kl() -> None:
    rows = [exp1.run_row("gda", s, _meta(s, [1, w], [2.3, kl])) for s, w, kl in
            [(0, 9, 0.30), (1, 2, 1.90), (2, 8, 0.10), (3, 10, 0.30)]]
    rows.append(exp1.run_row("sgda", 0, _meta(0, [1, 1], [2.3, 2.3])))
    s = exp1.summarize(rows, "gda")
    assert (s["n"], s["k_collapsed"]) == (4, 1)
    # KL order: seed 2 (0.10), seed 0 (0.30), seed 3 (0.30, tie -> lower seed first), seed 1; lower middle of 4
    assert (s["median_seed"], s["median_rank"]) == (0, 2)
    lo, hi = s["wilson95"]
    assert lo < 0.25 < hi
    one = exp1.summarize(rows, "sgda")
    assert (one["n"], one["k_collapsed"], one["median_seed"]) == (1, 1, 0)
    assert exp1.summarize(rows, "double_sgda")["n"] == 0


def test_collect_ships_the_median_run_and_a_results_file(tmp_path: Path) -> None:
    ship, out = tmp_path / "ship", tmp_path / "out"
    out.mkdir()
    tensors = {"gen": torch.zeros(1, 3, dtype=torch.float16), "snapshots": torch.zeros(1, 1, 1, 28, 28,
                                                                                         dtype=torch.uint8)}
    for seed, kl in enumerate([0.9, 0.2, 0.5]):
        ckpt.save(ship / f"exp1_double_sgda_seed{seed}", tensors, _meta(seed, [3, 9], [2.0, kl]))
    (ship / "exp1_unknownarm_seed0.json").write_text("{}")  # not an arm: ignored
    data = exp1.collect(ship, out, command="python -m gan_demo.mnist.exp1 ...")
    assert set(data["summary"]) == {"double_sgda"}
    _, meta = ckpt.load(out / "exp1_double_sgda")
    assert meta["represents"]["seed"] == 2 and meta["seeds"] == [2]  # KL 0.2, 0.5, 0.9: the middle is seed 2
    assert "This is run 2" in meta["represents"]["text"] and "0 of 3" in meta["represents"]["text"]
    loaded = load_exp1_runs(out)
    assert [r["seed"] for r in loaded["rows"]] == [0, 1, 2]
    assert loaded["collapse_well_covered"] == exp1.COLLAPSE_WELL_COVERED


def test_a_broken_results_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "exp1_runs.json").write_text(json.dumps({"format": "saddle-mnist-exp1-v1", "rows": [{"seed": 1}],
                                                         "summary": {}}))
    with pytest.raises(ValueError, match="lacks"):
        load_exp1_runs(tmp_path)


def test_every_arm_has_its_preset() -> None:
    assert set(exp1.ARMS.values()) <= set(PRESETS)


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert exp1.main(["--ship-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--ship-dir" in err
    assert exp1.main(["--ship-dir", str(tmp_path)]) == 2  # an empty folder: nothing to collect
    assert "no exp1_" in capsys.readouterr().err
