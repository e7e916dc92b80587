"""Seed sweeps on Ray (gan_demo/sweep.py), the sweep report's intervals and the visual mode criterion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gan_demo import report, sweep
from gan_demo.data import make_dataset
from gan_demo.metrics import coverage, modes_visual, visual_clumps

ray = pytest.importorskip("ray")

TOY = {
    "name": "t",
    "experiment": "toy",
    "seeds": {"start": 0, "count": 6},
    "chunk": 3,
    "params": {"game": "bilinear", "algorithm": "extragradient", "steps": 150, "lr": 0.3, "tol": 0.01},
}


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray with 2 workers for the whole module (its start-up dominates these tests)."""
    started = not ray.is_initialized()
    if started:
        sweep.start_local_env()
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, runtime_env={"env_vars": dict(sweep.THREAD_ENV)})
    yield ray
    if started:
        ray.shutdown()


def strip(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: r["seed"])


def test_two_tasks_on_ray_equal_one_process(local_ray, tmp_path: Path) -> None:
    spec = sweep.parse_spec(TOY)
    assert len(spec.tasks()) == 2
    oc = sweep.run_sweep(spec, tmp_path, workers=2, progress=False)
    assert len(oc.ran) == 2 and not oc.failed and not oc.skipped
    recs = sweep.load_results(tmp_path)
    assert len(recs) == 2 and {len(r["results"]) for r in recs} == {3}
    assert len({r["pid"] for r in recs}) >= 1  # ran in Ray worker processes, not necessarily distinct
    got = strip([row for r in recs for row in r["results"]])
    want = strip(sweep.run_inline("toy", TOY["params"], range(6)))  # all six seeds in one process, one batch
    assert [r["seed"] for r in got] == list(range(6))
    for g, w in zip(got, want):
        assert g["converged"] == w["converged"] and g["diverged"] == w["diverged"]
        np.testing.assert_allclose(g["final_distance"], w["final_distance"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(g["start"], w["start"], rtol=0, atol=0)
    # the toy really converges here (extragradient on a bilinear game), so the metric is not vacuous
    assert all(r["converged"] for r in got)


def test_interrupted_sweep_resumes_only_the_missing_task(local_ray, tmp_path: Path) -> None:
    spec = sweep.parse_spec(TOY)
    first, second = spec.tasks()
    # a sweep interrupted after one task: only the first task's result exists, and a half-written
    # temporary file of the second is lying around
    oc1 = sweep.run_sweep(sweep.parse_spec({**TOY, "seeds": [0, 1, 2]}), tmp_path, progress=False)
    assert [t.seeds for t in oc1.ran] == [first.seeds]
    (tmp_path / "results" / f".{second.key}.json.123.tmp").write_text("{\"trunc")
    before = (tmp_path / "results" / f"{first.key}.json").stat().st_mtime_ns
    oc2 = sweep.run_sweep(spec, tmp_path, progress=False)
    assert [t.seeds for t in oc2.ran] == [second.seeds]
    assert [t.seeds for t in oc2.skipped] == [first.seeds]
    assert (tmp_path / "results" / f"{first.key}.json").stat().st_mtime_ns == before  # not rerun
    assert len(sweep.load_results(tmp_path)) == 2
    oc3 = sweep.run_sweep(spec, tmp_path, progress=False)
    assert not oc3.ran and len(oc3.skipped) == 2


def test_raising_task_is_reported_with_its_config_and_others_go_on(local_ray, tmp_path: Path) -> None:
    bad = {**TOY, "arms": [{"name": "ok"}, {"name": "broken", "algorithm": "no_such_algorithm"}]}
    spec = sweep.parse_spec(bad)
    logged: list[str] = []
    oc = sweep.run_sweep(spec, tmp_path, progress=False, log=logged.append)
    assert sorted(t.arm for t in oc.ran) == ["ok", "ok"]
    assert [t.arm for t, _ in oc.failed] == ["broken", "broken"]
    assert all("no_such_algorithm" in err for _, err in oc.failed)
    assert len(logged) == 2 and all("broken" in m and "no_such_algorithm" in m and "seeds" in m for m in logged)
    failed_files = sorted((tmp_path / "failed").glob("*.json"))
    assert len(failed_files) == 2
    rec = json.loads(failed_files[0].read_text())
    assert rec["arm"] == "broken" and rec["params"]["algorithm"] == "no_such_algorithm" and rec["seeds"]
    assert len(sweep.load_results(tmp_path)) == 2  # the good arm's tasks wrote their results


@pytest.mark.parametrize(("change", "field"), [
    ({"experiment": "os.system"}, "experiment"),
    ({"experiment": None}, "experiment"),
    ({"seeds": "many"}, "seeds"),
    ({"seeds": {"start": 0, "count": 0}}, "seeds.count"),
    ({"seeds": [1, 1]}, "seeds"),
    ({"chunk": 0}, "chunk"),
    ({"chunk": 2.5}, "chunk"),
    ({"resources": {"num_cpus": -1}}, "resources.num_cpus"),
    ({"resources": {"cpus": 1}}, "resources.cpus"),
    ({"params": {"lr": {"a": 1}}}, "params.lr"),
    ({"grid": {"lr": []}}, "grid.lr"),
    ({"arms": [{"name": "a"}, {"name": "a"}]}, "arms"),
    ({"device": "tpu"}, "device"),
    ({"colour": "blue"}, "colour"),
])
def test_malformed_spec_names_the_field(change: dict, field: str) -> None:
    data = {k: v for k, v in {**TOY, **change}.items() if v is not None}
    with pytest.raises(sweep.SpecError) as e:
        sweep.parse_spec(data)
    assert e.value.field == field
    assert str(e.value).startswith(f"{field}: ")


def test_cli_bad_spec_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('experiment = "toy"\nseeds = {start = 0, count = 4}\nchunk = -3\n')
    assert sweep.main([str(p), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "chunk" in err[0] and "Traceback" not in err[0]
    p.write_text("experiment = [unclosed\n")
    assert sweep.main([str(p)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert sweep.main([str(tmp_path / "missing.toml")]) == 2
    assert not (tmp_path / "o").exists()  # nothing ran


def test_shipped_specs_are_valid() -> None:
    for p in sorted(Path(__file__).resolve().parents[1].joinpath("sweeps").glob("*.toml")):
        spec = sweep.load_spec(p)
        assert spec.tasks(), p
    four4 = sweep.load_spec(Path(__file__).resolve().parents[1] / "sweeps" / "four4.toml")
    assert [a for a, _ in four4.arms] == ["gda", "greedy_value", "greedy_dloss"]
    assert len(four4.seeds) >= 30


def test_grid_and_arms_cross() -> None:
    spec = sweep.parse_spec({**TOY, "arms": [{"name": "a"}, {"name": "b", "lr": 0.1}], "grid": {"steps": [10, 20]}})
    assert [a for a, _ in spec.arms] == ["a,steps=10", "a,steps=20", "b,steps=10", "b,steps=20"]
    assert dict(spec.arms)["b,steps=20"]["lr"] == 0.1 and dict(spec.arms)["a,steps=10"]["lr"] == 0.3
    assert len(spec.tasks()) == 8 and len({t.key for t in spec.tasks()}) == 8


def test_gmm_rows_do_not_depend_on_chunking() -> None:
    """The "gmm" experiment honours the contract: seeds [0, 1] at once equal each seed alone."""
    p = {"algorithm": "greedy_minmax", "variant": "gaussian", "rate": 2, "k": 2, "optimizer": "adam", "lr": 1e-3,
         "steps": 6, "every": 3, "latent_dim": 4, "g_width": 8, "d_width": 8, "batch_size": 32, "eval_n": 200,
         "keep_samples": 50}
    both = sweep.run_inline("gmm", p, [0, 1])
    alone = sweep.run_inline("gmm", p, [1])
    assert [r["seed"] for r in both] == [0, 1]
    np.testing.assert_allclose(both[1]["samples"], alone[0]["samples"], atol=2e-4)
    assert both[1]["modes_strict_t"] == alone[0]["modes_strict_t"]
    assert len(both[0]["samples"]) == 50 and json.dumps(both)
    # the Gaussian variant draws fresh minibatches for its extra D steps and its test by default;
    # the one-minibatch loop is a different run
    shared = sweep.run_inline("gmm", {**p, "batches": "shared"}, [1])
    fresh = sweep.run_inline("gmm", {**p, "batches": "fresh"}, [1])
    assert fresh[0]["samples"] == alone[0]["samples"]
    assert not np.allclose(shared[0]["samples"], alone[0]["samples"])


# ---- report: Wilson intervals -------------------------------------------------------------------
def test_wilson_known_values() -> None:
    lo, hi = report.wilson(0, 10)
    assert lo == 0 and hi == pytest.approx(0.27753, abs=1e-5)
    lo, hi = report.wilson(5, 10)
    assert (lo, hi) == (pytest.approx(0.23659, abs=1e-5), pytest.approx(0.76341, abs=1e-5))
    lo, hi = report.wilson(30, 30)
    assert hi == 1 and lo == pytest.approx(0.88649, abs=1e-5)
    with pytest.raises(ValueError, match="k must be"):
        report.wilson(4, 3)


def test_report_categories() -> None:
    vals = [0, 1, 2, 3, 4, 4]
    count = {c: sum(report.category_test(c)(v) for v in vals) for c in ("4", "3", "<=2", "<=1", ">=3", "==0", ">3")}
    assert count == {"4": 2, "3": 1, "<=2": 3, "<=1": 2, ">=3": 3, "==0": 1, ">3": 2}
    assert report.category_test(">=0.99")(0.995) and not report.category_test(">=0.99")(0.98)
    with pytest.raises(ValueError, match="category"):
        report.category_test("x; import os")


def test_report_groups_by_arm(tmp_path: Path) -> None:
    spec = sweep.parse_spec({**TOY, "arms": [{"name": "eg"}, {"name": "gda", "algorithm": "gda", "lr": 0.1}],
                             "report": {"fractions": ["converged"], "categories": {"final_distance": ["<0.01"]}}})
    sweep.run_sweep(spec, tmp_path, use_ray=False, progress=False)
    md = report.sweep_report(tmp_path)
    assert "| eg | 6 | 100 % [61, 100] (6/6) |" in md  # Wilson 6/6: [0.610, 1]
    assert "| gda | 6 | 0 % [0, 39] (0/6) |" in md
    assert report.main([str(tmp_path)]) == 0


# ---- the visual criterion ------------------------------------------------------------------------
def _four4():
    return make_dataset("four4")


def _clump(rng: np.random.Generator, centre: tuple[float, float], n: int, sd: float) -> np.ndarray:
    return np.asarray(centre) + sd * rng.standard_normal((n, 2))


def test_visual_clump_joined_by_a_trail_counts_but_strict_does_not() -> None:
    rng = np.random.default_rng(0)
    mix = _four4()
    # (0, 1): a tight clump holding most mass; (1, 0): a 0.04-wide clump, offset by 0.1 from the
    # centre, joined to (0, 1) by a trail of samples
    main = _clump(rng, (0.0, 1.0), 1700, 0.01)
    side = _clump(rng, (1.0, 0.1), 300, 0.04)
    t = rng.uniform(0, 1, 500)[:, None]
    trail = (1 - t) * np.array([0.0, 1.0]) + t * np.array([1.0, 0.1]) + 0.01 * rng.standard_normal((500, 2))
    pts = np.concatenate([main, side, trail])
    assert visual_clumps(pts, mix)[0].tolist() == [True, True, False, False]  # centres (0,1),(1,0),(0,-1),(-1,0)
    assert coverage(pts, mix)["modes_well_covered"][0] == 1  # the strict 3σ test misses the wider clump


def test_visual_diffuse_cloud_trail_and_strays_do_not_count() -> None:
    rng = np.random.default_rng(1)
    mix = _four4()
    cloud = _clump(rng, (1.0, 0.0), 2500, 0.4)  # a diffuse cloud over (1, 0): no peak
    uniform = rng.uniform(-1.5, 1.5, (2500, 2))  # spread over the whole box
    t = rng.uniform(-1, 1, 2500)[:, None]
    # a dense trail across the whole box through (0, ±1) (a trail that *ends* within ~0.4 of a centre
    # can read as a clump there: its end is a peak on one side)
    trail = np.concatenate([np.zeros_like(t), t], 1) * 1.5 + 0.005 * rng.standard_normal((2500, 2))
    strays = np.concatenate([_clump(rng, (0.0, -1.0), 2470, 0.01), _clump(rng, (-1.0, 0.0), 30, 0.01)])
    assert modes_visual(np.stack([cloud, uniform]), mix).tolist() == [0, 0]
    assert not visual_clumps(trail, mix)[0].any()
    assert visual_clumps(strays, mix)[0].tolist() == [False, False, True, False]  # 30/2500 = 1.2 % < 2 %


def test_visual_all_four_sharp_modes_and_nan_rows() -> None:
    rng = np.random.default_rng(2)
    mix = _four4()
    pts = mix.sample_numpy(2500) if hasattr(mix, "sample_numpy") else None
    if pts is None:  # pragma: no cover - the dataset always has sample_numpy today
        pytest.skip("no numpy sampler")
    assert modes_visual(pts, mix).tolist() == [4]
    bad = np.full((2500, 2), np.nan)
    bad[:1000] = _clump(rng, (0.0, 1.0), 1000, 0.01)
    assert modes_visual(bad, mix).tolist() == [1]
    with pytest.raises(ValueError, match="samples must be"):
        visual_clumps(np.zeros((3, 3)), mix)


def test_the_app_does_not_import_ray() -> None:
    root = Path(__file__).resolve().parents[1]
    offenders = [str(p.relative_to(root)) for d in ("app", "dynamics") for p in (root / d).rglob("*.py")
                 if any(line.strip().startswith(("import ray", "from ray")) for line in p.read_text().splitlines())]
    assert offenders == []
