"""Hostile links and concurrent sessions: the URL front door (app/urlstate.py), the cost budget
(app/compute.py, app/guard.py) and thread-safe GIF rendering.

Every page is opened with crafted query strings (the hardening campaign's cases plus a generated
table: wrong types, huge numbers, inf/nan, deep brackets, long strings, unknown keys and choices).
No page may show an exception box; each must show one notice naming what it ignored; and the work
the page planned must stay within the documented budget.
"""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import numpy as np
import pytest

st = pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

import dynamics  # noqa: E402
from app import compute, guard, ui, urlstate  # noqa: E402

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
PAGES = ["app_pages/toy_games.py", "app_pages/spectrum.py", "app_pages/gan_2d.py", "app_pages/mnist.py",
         "app_pages/algorithms.py"]

# ---- the generated table --------------------------------------------------------------------
HOSTILE_VALUES = {
    "inf": "inf", "-inf": "-inf", "nan": "nan", "1e999": "1e999", "huge int": "9" * 400, "negative": "-1e6",
    "word": "banana", "deep brackets": "[" * 3000, "long": "x" * 10_000, "empty brackets": "[]",
    "control chars": "\x00\x1b[31m", "markdown": "`**x**`",
}
#: keys of every type the app binds: ints, floats, choices, lists, bools, JSON matrices, text
TABLE_KEYS = ["seed", "steps", "x0", "zoom", "frames", "tab", "basin_n", "game", "lecture", "sp_x", "sp_lr",
              "doc_group", "doc_filter", "bilinear.A", "quadratic.a", "gda.lr", "dirac_gan.noise_samples",
              "lookahead.k", "averaging.base", "gan_steps", "mnist_seed", "gan-adam.lr"]


def _valid_for(key: str, value: str) -> bool:
    """Whether ``value`` is legitimately valid for ``key`` (e.g. "[]" for a matrix is 'empty')."""
    try:
        rule = urlstate.static_rules().get(key) or urlstate.dynamic_rule(key, {})
        urlstate.check_value(rule, [value])
    except ValueError:
        return False
    return True


def _may_pass(key: str, name: str) -> bool:
    """Hostile-table cells that are legitimately accepted: free text, and the generic rule of the
    GAN/MNIST pages' own keys (short, shallow, no overflowing number: Streamlit checks the rest)."""
    value = HOSTILE_VALUES[name]
    if key == "doc_filter":
        return len(value) <= 60
    if key.startswith(("gan_", "mnist_")):
        return name in ("negative", "word", "empty brackets", "control chars", "markdown")
    return False


def test_every_hostile_value_is_ignored_with_a_reason_and_never_raises():
    for name, value in HOSTILE_VALUES.items():
        report = urlstate.check({k: [value] for k in TABLE_KEYS})
        ignored = {i.key for i in report.ignored}
        for k in TABLE_KEYS:
            assert (k in ignored) != _may_pass(k, name), (name, k)
        assert all(i.reason for i in report.ignored)
        assert report.notice().count("`") >= 2 * min(len(report.ignored), 8)


def test_valid_values_are_kept_and_off_grid_log_values_snap():
    raw = {"seed": ["7"], "steps": ["300"], "x0": ["-1.5"], "zoom": ["2.0"], "tab": ["Basin map"],
           "game": ["bilinear"], "algos": ["gda", "extragradient"], "lecture": ["true"], "bilinear.A": ["[[2]]"],
           "gda.lr": ["0.13"], "sp_lr": ["0.01", "1.0"], "embed": ["true"]}
    report = urlstate.check(raw)
    assert not report.ignored, report.ignored
    assert report.keep["seed"] == ["7"] and report.keep["algos"] == ["gda", "extragradient"]
    assert report.changed == {"gda.lr": ["0.15"]}  # the nearest value of its log slider
    assert "0.13" in report.notice()


@pytest.mark.parametrize("raw, bad", [
    ({"seed": ["5.5"]}, "seed"), ({"seed": [str(2**31)]}, "seed"), ({"algos": ["gda"] * 7}, "algos"),
    ({"algos": ["gda", "no_such_algo"]}, "algos"), ({"sp_lr": ["0.01"]}, "sp_lr"), ({"gda@3.lr": ["0.1"]}, "gda@3.lr"),
    ({"bilinear.A": ["[[1, 2], [3]]"]}, "bilinear.A"), ({"bilinear.A": ["[[NaN]]"]}, "bilinear.A"),
    ({"quadratic.a": ["1e308"]}, "quadratic.a"), ({"lecture": ["1"]}, "lecture"),
    ({"averaging.base": ["averaging"]}, "averaging.base"), ({"k" * 500: ["1"]}, "k" * 500),
    ({"gan-adam.lr": ["inf"]}, "gan-adam.lr"), ({"formula.f": ["__import__('os')"]}, "formula.f"),
    ({"formula.f": ["(" * 200 + "x" + ")" * 200]}, "formula.f"),
])
def test_specific_bad_values_are_named(raw, bad):
    report = urlstate.check(raw)
    assert [i.key for i in report.ignored] == [bad]


def test_too_many_parameters_are_cut():
    report = urlstate.check({f"p{i}": ["1"] for i in range(urlstate.MAX_PARAMS + 50)})
    assert len(report.ignored) == urlstate.MAX_PARAMS + 50
    assert "and" in report.notice() and len(report.notice()) < 2000


def test_the_url_rules_match_the_widgets():
    # the choices urlstate declares for the toy page's own controls are the ones its widgets offer
    at = _open("app_pages/toy_games.py", {"tab": "Basin map"})
    assert tuple(t.label for t in at.tabs) == urlstate.TOY_TABS
    opts = [s for s in at.select_slider if s.key == "basin_n"][0].options
    assert tuple(int(o) for o in opts) == urlstate.BASIN_GRID
    steps = [s for s in at.sidebar.select_slider if s.key == "steps"][0].options
    assert tuple(int(o) for o in steps) == ui.STEP_CHOICES


# ---- AppTest sweep: every page --------------------------------------------------------------
@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    yield


def _open(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    if page != "app_pages/toy_games.py":
        at.switch_page(page)
    return at.run()


def _assert_safe(at: AppTest, expect_notice: bool = True) -> str:
    assert not at.exception, [e.message[:300] for e in at.exception]
    text = " ".join(w.value for w in at.warning)
    if expect_notice:
        assert any(w in text for w in ("cannot use", "hrunk", "Shortened", "Skipped", "Stopped")), text
    for what, seconds in at.session_state[guard.PLANNED].items() if guard.PLANNED in at.session_state else []:
        assert seconds <= compute.TIME_BUDGET_S + 1e-9, (what, seconds)
    return text


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", ["inf", "1e999", "deep brackets", "long", "word"])
def test_generated_table_on_every_page(page, name):
    value = HOSTILE_VALUES[name]
    query = {"unknown_key": "1", **{k: value for k in TABLE_KEYS if not _valid_for(k, value)}}
    at = _open(page, query)
    text = _assert_safe(at)
    assert "unknown_key" in text and f"had {len(query)} values" in text  # every one of them counted
    assert text.count("cannot use") == 1  # in one notice


CAMPAIGN = [
    # the 4.3 GB, two-core-hour link
    {"game": "dirac_gan", "dirac_gan.sigma": "1.0", "dirac_gan.noise_samples": "10000", "tab": "Basin map",
     "basin_n": "81"},
    # six expensive algorithms at 2000 steps
    {"algos": ["unrolled", "ftr", "cgd", "sga", "nested", "greedy_minmax"], "steps": "2000",
     "unrolled.unroll_steps": "50", "ftr.cg_iters": "1000", "nested.k": "100", "greedy_minmax.k": "100"},
    # FTR with 1000 CG iterations on the basin map
    {"algos": ["ftr"], "ftr.cg_iters": "1000", "tab": "Basin map", "basin_n": "81", "basin_steps": "2000"},
    {"bilinear.A": "[" * 3000, "game": "bilinear"},
    {"seed": "inf"}, {"seed": "-inf"}, {"seed": "1e999"}, {"frames": "1e999"}, {"dirac_gan.noise_samples": "inf"},
]


@pytest.mark.parametrize("query", CAMPAIGN, ids=lambda q: "&".join(f"{k}={str(v)[:12]}" for k, v in q.items()))
def test_campaign_links_on_the_toy_page(query):
    at = _open("app_pages/toy_games.py", query)
    _assert_safe(at)


def test_expensive_links_on_the_spectrum_page():
    at = _open("app_pages/spectrum.py", {**CAMPAIGN[0], **CAMPAIGN[1]})
    text = _assert_safe(at)
    assert "Shrunk" in text or "Skipped" in text


#: six costly algorithm slots (a second copy included) on the Dirac-GAN with instance noise: the
#: Spectrum page's curves alone would take about 40 s of a core at their full 100 step sizes
SPECTRUM_LINK = {"game": "dirac_gan", "dirac_gan.sigma": "1.0", "dirac_gan.noise_samples": "10000",
                 "algos": ["unrolled", "unrolled (2nd copy)", "nested", "momentum", "sga", "consensus"],
                 "unrolled.unroll_steps": "50", "unrolled@2.unroll_steps": "40", "nested.k": "100"}


def _length(v) -> int:
    """Points in a Plotly JSON array: a list or a base64 typed array."""
    if isinstance(v, dict):
        return len(base64.b64decode(v["bdata"])) // np.dtype(v["dtype"]).itemsize
    return len(v)


def test_costly_spectrum_sweeps_are_shrunk_before_they_run():
    game = ("dirac_gan", (("noise_samples", 10000), ("sigma", 1.0)))
    algos = [("unrolled", (("unroll_steps", 50),)), ("unrolled", (("unroll_steps", 40),)), ("nested", (("k", 100),)),
             ("momentum", ()), ("sga", ()), ("consensus", ())]
    full = sum(compute.estimate_spectrum(game, a, compute.CURVE_POINTS[0]) for a in algos)
    assert full > compute.TIME_BUDGET_S  # what the link asks for does not fit
    at = _open("app_pages/spectrum.py", SPECTRUM_LINK)
    text = _assert_safe(at)  # the planned seconds stay within the budget
    assert at.multiselect(key="algos").value == ["unrolled", "unrolled@2", "nested", "momentum", "sga", "consensus"]
    assert "Shrunk" in text and "stability curve to" in text and "(asked: 100" in text
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    curves = [f for f in specs if "stability against" in f["layout"].get("title", {}).get("text", "")][0]
    sizes = [_length(d["x"]) for d in curves["data"]]
    assert len(sizes) == 6 and max(sizes) < compute.CURVE_POINTS[0], sizes  # every curve, on a coarser grid
    planned = compute.plan_curves(game, algos, compute.TIME_BUDGET_S)
    assert len(set(planned)) == 1 and 0 < planned[0] < compute.CURVE_POINTS[0]  # one resolution for all


class _StopAfter:
    """A stopper whose budget runs out after ``n`` batches (``check`` never cancels)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def check(self) -> None:
        pass

    def expired(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_sweeps_run_in_batches_and_a_stopper_ends_them_between_batches():
    from dynamics import spectrum

    game, algo, z = ("quadratic", ()), ("momentum", (("lr", 0.1), ("beta", 0.3))), (0.3, -0.2)
    lrs, rho = compute.stability_curve(game, algo, z, 1e-3, 10.0, n=60)
    whole = spectrum.stability_sweep(compute.make_game(game), compute.make_algorithm(algo), np.array([z]),
                                     param="lr", values=lrs)
    np.testing.assert_allclose(rho, whole)  # batching changes nothing
    with pytest.raises(compute.SweepStopped) as cut:
        compute.stability_curve(game, algo, z, 1e-3, 10.0, n=60, stop=_StopAfter(1))
    done = compute.SWEEP_BATCH_POINTS
    assert (cut.value.done, cut.value.total) == (done, 60)
    _, partial = cut.value.result
    np.testing.assert_allclose(partial[:done], whole[:done])
    assert np.isnan(partial[done:]).all()  # never computed past the budget
    with pytest.raises(compute.SweepStopped) as cut:
        compute.stability_map(game, algo, z, "beta", tuple(np.linspace(-1, 1, 11)), n=20, stop=_StopAfter(2))
    _, _, grid = cut.value.result
    rows = 2 * (compute.SWEEP_BATCH_POINTS // 11)
    assert cut.value.done == rows * 11 and np.isfinite(grid[:rows]).all() and np.isnan(grid[rows:]).all()
    gone = compute.Stopper(100.0, gone=lambda: True)
    with pytest.raises(compute.Cancelled):
        compute.stability_curve(game, algo, z, n=60, stop=gone)


def test_a_sweep_the_estimate_underrates_is_stopped_at_the_budget(monkeypatch):
    # estimates 10^4 times too low: the plan admits the full sweeps, the stopper ends them
    monkeypatch.setattr(compute, "SPECTRUM_POINT_S", compute.SPECTRUM_POINT_S * 1e-4)
    monkeypatch.setattr(compute, "SPECTRUM_ELEMENT_S", compute.SPECTRUM_ELEMENT_S * 1e-4)
    monkeypatch.setattr(compute, "TIME_BUDGET_S", 0.3)
    at = _open("app_pages/spectrum.py", {"game": "dirac_gan", "dirac_gan.sigma": "1.0",
                                         "dirac_gan.noise_samples": "10000", "algos": ["unrolled"],
                                         "unrolled.unroll_steps": "50"})
    text = _assert_safe(at)
    assert "Stopped at" in text and f"after {compute.SWEEP_BATCH_POINTS} of 100 step sizes" in text, text
    assert "stability against" in " ".join(c.proto.spec[-400:] for c in at.get("plotly_chart"))


def test_sweep_plans_fit_the_budget_or_skip():
    cheap, costly = ("bilinear", ()), ("dirac_gan", (("noise_samples", 10000), ("sigma", 1.0)))
    slow = ("unrolled", (("unroll_steps", 50),))
    assert compute.plan_curves(cheap, [("gda", ())] * 6, 10.0) == [compute.CURVE_POINTS[0]] * 6
    for seconds in (0.5, 2.0, 10.0):
        plan = compute.plan_curves(costly, [slow] * 6, seconds)
        assert sum(compute.estimate_spectrum(costly, slow, n) for n in plan) <= seconds
    tight = compute.plan_curves(costly, [slow] * 6, compute.estimate_spectrum(costly, slow, 12) * 2.5)
    assert tight == [12, 12, 0, 0, 0, 0]  # the coarsest grid for as many as fit, in order
    assert compute.plan_map(cheap, ("momentum", ()), 10.0) == compute.MAP_GRIDS[0]
    grid = compute.plan_map(costly, ("sga", ()), 10.0)
    assert grid is not None and grid != compute.MAP_GRIDS[0]
    assert compute.estimate_spectrum(costly, ("sga", ()), grid[0] * grid[1]) <= 10.0
    assert compute.plan_map(costly, slow, 1e-3) is None


def test_basin_of_the_costly_link_is_shrunk_to_fit_memory_and_time():
    game = ("dirac_gan", (("noise_samples", 10000), ("sigma", 1.0)))
    n, steps, note = compute.plan_basin(game, ("gda", ()), 81, 300, urlstate.BASIN_GRID)
    est = compute.estimate(game, [("gda", ())], n * n, steps)
    assert est.fits() and n < 81 and note
    assert compute.estimate(game, [("gda", ())], 81 * 81, 300).bytes > 4e9  # what the link used to ask for


def test_stopper_ends_a_run_at_its_budget_and_cancels_for_a_gone_visitor():
    cfg = ("bilinear", ())
    stop = compute.Stopper(0.0)  # already spent
    with pytest.raises(compute.Truncated) as cut:
        compute.simulate(cfg, ("gda", (("lr", 0.1),)), 1.0, 0.5, 500, stop=stop)
    assert cut.value.run.stopped_at is not None and len(cut.value.run.xy) < 501
    assert "stopped" in cut.value.run.status()
    gone = compute.Stopper(100.0, gone=lambda: True)
    with pytest.raises(compute.Cancelled):
        compute.simulate(cfg, ("gda", (("lr", 0.1),)), 1.0, 0.5, 500, stop=gone)
    with pytest.raises(ValueError, match="time budget"):
        compute.basin(cfg, ("gda", (("lr", 0.1),)), n=11, steps=500, stop=compute.Stopper(0.0))


def test_long_job_slots_are_limited_and_released():
    held = [compute._LONG_SLOTS.acquire(timeout=1) for _ in range(compute.LONG_JOBS)]
    try:
        assert all(held)
        with pytest.raises(compute.Busy):
            with compute.long_job(wait_s=0.3):
                pass
    finally:
        for _ in held:
            compute._LONG_SLOTS.release()
    with compute.long_job(wait_s=0.3):
        pass


def test_estimates_grow_with_what_makes_runs_expensive():
    base = compute.estimate(("bilinear", ()), [("gda", ())], 1, 100).seconds
    assert compute.estimate(("bilinear", ()), [("gda", ())] * 6, 1, 100).seconds == pytest.approx(6 * base)
    assert compute.estimate(("bilinear", ()), [("unrolled", (("unroll_steps", 50),))], 1, 100).seconds > 20 * base
    noisy = ("dirac_gan", (("noise_samples", 10000), ("sigma", 1.0)))
    assert compute.estimate(noisy, [("gda", ())], 100, 1).seconds > 100 * compute.estimate(
        ("dirac_gan", ()), [("gda", ())], 100, 1).seconds
    big = ("quadratic", (("P", tuple((1.0,) * 8 for _ in range(8))),))
    assert compute.algo_factor(("ftr", (("cg_iters", 1000),)), compute.game_dim(big)) > compute.algo_factor(
        ("ftr", (("cg_iters", 1000),)), 2)


# ---- concurrency: GIFs rendered by several sessions at once ---------------------------------
def _in_threads(fn, n: int = 5) -> list:
    errors: list[BaseException] = []
    out: list = []
    start = threading.Barrier(n)

    def work() -> None:
        try:
            start.wait()
            out.append(fn())
        except BaseException as err:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, [f"{type(e).__name__}: {e}" for e in errors]
    assert len(out) == n
    return out


def test_toy_gifs_render_in_five_threads_at_once():
    from app import export

    spec = export.ToyAnimation(game_cfg=("bilinear", ()), algo_cfgs=(("gda", (("lr", 0.2),)),
                                                                   ("extragradient", (("lr", 0.2),))), steps=60)
    gifs = _in_threads(lambda: export.animation_bytes(spec.setup(30), "gif", n_frames=30, size=240))
    assert all(g[:6] == b"GIF89a" for g in gifs)
    assert len(set(gifs)) == 1  # the same scene gives the same bytes in every thread


def test_gan_gifs_render_in_five_threads_at_once():
    from gan_demo.gif import scatter_gif

    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 2))
    frames = rng.normal(size=(12, 2, 100, 2))
    gifs = _in_threads(lambda: scatter_gif(real, frames, titles=[f"step {t}" for t in range(12)],
                                           panel_titles=["gda", "greedy"], box=((-3, 3), (-3, 3))))
    assert all(g[:6] == b"GIF89a" for g in gifs)


def test_every_registered_game_and_algorithm_has_url_rules():
    rules = urlstate.static_rules()
    for game, cls in dynamics.GAMES.items():
        for hp in dynamics.hparams(cls):
            assert urlstate.dynamic_rule(f"{game}.{hp.name}", {}) is not None or hp.kind == "algorithm"
    for slot in ui.algorithm_slots():
        assert urlstate.check_value(rules["algos"], [ui.slot_label(slot)]) == [ui.slot_label(slot)]


def test_visitor_gone_reads_the_sessions_pending_request(monkeypatch):
    import types

    from streamlit.runtime.scriptrunner_utils import script_run_context

    def ctx(state: str, fragment: bool = False):
        data = types.SimpleNamespace(fragment_id_queue=["f"] if fragment else [], is_fragment_scoped_rerun=False)
        req = types.SimpleNamespace(_state=types.SimpleNamespace(name=state), _rerun_data=data)
        return types.SimpleNamespace(script_requests=req)

    for state, fragment, gone in [("CONTINUE", False, False), ("STOP", False, True), ("RERUN", False, True),
                                  ("RERUN", True, False)]:
        monkeypatch.setattr(script_run_context, "get_script_run_ctx", lambda s=state, f=fragment: ctx(s, f))
        assert guard.visitor_gone() is gone, (state, fragment)


# ---- live GAN training: per-server limits ---------------------------------------------------
def _tiny_live(steps: int):
    from gan_demo.gmm import GMMConfig
    from gan_demo.live import LiveOptions, LiveRun
    from gan_demo.models import ModelConfig

    cfg = GMMConfig(model=ModelConfig(latent_dim=3, g_depth=1, g_width=8, d_depth=1, d_width=8), batch_size=16,
                    seeds=(3,), eval_n=100)
    opts = LiveOptions(every=5, heat_n=8, shown=50, arrows=10, slow_motion=True, slow_steps=min(steps, 1000),
                       slow_delay=0.05)
    return LiveRun(cfg, [dynamics.make_algorithm("gda", lr=1e-2)], steps, options=opts)


def _wait(pred, timeout: float = 60.0) -> None:
    import time

    t0 = time.monotonic()
    while not pred():
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.05)


def _all_slots_free() -> bool:
    from gan_demo import live

    got = [live._workers.acquire(blocking=False) for _ in range(live.MAX_WORKERS)]
    for ok in got:
        if ok:
            live._workers.release()
    return all(got)


def test_a_live_run_nobody_watches_stops_and_frees_its_slot(monkeypatch):
    from gan_demo import live

    monkeypatch.setattr(live, "LEASE_S", 0.5)
    run = _tiny_live(2000)
    run.start()
    _wait(lambda: run.status == live.STOPPED)  # the page never called view(): the visitor is gone
    assert "did not look at it" in run.halt_reason and run.step < 2000
    _wait(lambda: not run._thread.is_alive())
    assert _all_slots_free()


def test_a_watched_live_run_keeps_going_until_its_cpu_budget(monkeypatch):
    from gan_demo import live

    monkeypatch.setattr(live, "LEASE_S", 0.5)
    monkeypatch.setattr(live, "CPU_BUDGET_S", 0.05)
    run = _tiny_live(2000)
    run.start()
    _wait(lambda: run.view().status == live.STOPPED)  # view() is the page's heartbeat
    assert "budget" in run.halt_reason and 0 < run.step < 2000
    run.resume()  # the budget is per training: resuming does not buy more
    _wait(lambda: run.view().status == live.STOPPED and not run._thread.is_alive())
    assert _all_slots_free()


@pytest.mark.parametrize("page, query", [
    ("app_pages/toy_games.py", {"tab": "Basin map", "algos": ["averaging", "gda"]}),
    ("app_pages/spectrum.py", {"sp_at_eq": "false", "game": "quadratic"}),
    ("app_pages/gan_2d.py", {}), ("app_pages/mnist.py", {}), ("app_pages/algorithms.py", {}),
])
def test_every_widget_bound_to_the_url_has_a_rule(page, query):
    # a control added to a page with bind="query-params" must get its rule in app/urlstate.py, or
    # shared links carrying it would be refused
    at = _open(page, query)
    assert not at.exception, [e.message[:300] for e in at.exception]
    with at._session_state.query_params() as qp:
        bound = list(qp._bindings_by_param)
    assert bound or page.endswith("mnist.py")  # the MNIST page binds nothing (yet)
    missing = [k for k in bound if not (urlstate.static_rules().get(k) or urlstate.dynamic_rule(k, {}))]
    assert not missing, f"bound to the URL without a rule in app/urlstate.py: {missing}"


@pytest.mark.parametrize("algos", [["gda", "gda@2"], ["gda,gda@2"], ["gda", "gda (2nd copy)"]])
def test_every_spelling_of_the_algorithm_list_reaches_the_widget(algos):
    # Streamlit's multiselect reads only its labels from the URL ("gda (2nd copy)") and dropped the slot
    # key "gda@2" silently; the front door now rewrites other spellings to the label, without a notice
    assert not urlstate.check({"algos": algos}).changed
    at = _open("app_pages/toy_games.py", {"algos": algos, "gda@2.lr": "0.2"})
    assert not at.exception
    assert at.multiselect(key="algos").value == ["gda", "gda@2"]
    assert not at.warning, [w.value for w in at.warning]


def test_valid_links_are_used_and_snapped_values_reach_the_widget():
    at = _open("app_pages/toy_games.py", {"algos": ["gda", "extragradient"], "gda.lr": "0.13", "seed": "7"})
    assert not at.exception
    assert at.session_state["gda.lr"] == 0.15 and at.session_state["seed"] == 7
    text = " ".join(w.value for w in at.warning)
    assert "nearest slider value" in text and "cannot use" not in text
    at.run()  # the notice stays for the reruns of this view, and nothing else appears
    assert not at.exception and "nearest slider value" in " ".join(w.value for w in at.warning)
