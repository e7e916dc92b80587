"""AppTest checks of the Streamlit lab: every page runs, widgets change the figures, URLs and scenes
reproduce a view. Figures are inspected through their Plotly JSON (``proto.spec``)."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

st = pytest.importorskip("streamlit")
from app_helpers import app, ok  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import dynamics  # noqa: E402
from app import compute, export, plots, scenes, ui  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_caches():
    # st.cache_data is shared by every AppTest in the process: clear it so each test computes
    st.cache_data.clear()
    export.cached_bytes.cache_clear()
    yield



def chart(at: AppTest, i: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def trace(spec: dict, prefix: str) -> dict:
    found = [d for d in spec["data"] if (d.get("name") or "").startswith(prefix)]
    assert found, f"no trace named {prefix!r}: {[d.get('name') for d in spec['data']]}"
    return found[0]


def arr(v) -> np.ndarray:
    """A Plotly JSON array: a list, or plotly's typed array ``{"dtype", "bdata", "shape"}``."""
    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            out = out.reshape([int(n) for n in str(v["shape"]).split(",")])
        return out.astype(float)
    flat = isinstance(v, list) and v and not isinstance(v[0], list)
    return np.asarray([np.nan if e is None else e for e in v] if flat else v, dtype=float)


def xs(tr: dict) -> np.ndarray:
    return arr(tr["x"])


def ys(tr: dict) -> np.ndarray:
    return arr(tr["y"])


# ---- toy games ------------------------------------------------------------------------------
def path(spec: dict, label: str) -> tuple[np.ndarray, np.ndarray]:
    """The whole drawn path of a run: its chunk traces (named exactly ``label``) joined in order."""
    chunks = [d for d in spec["data"] if d.get("name") == label and d.get("mode") == "lines"
              and d.get("xaxis", "x") == "x"]  # the main panel, not the metric panels
    assert chunks, f"no path named {label!r}: {[d.get('name') for d in spec['data']]}"
    return np.concatenate([xs(c) for c in chunks]), np.concatenate([ys(c) for c in chunks])


def index_of(spec: dict, name: str) -> int:
    return [d.get("name") for d in spec["data"]].index(name)


def test_default_scene_renders_animated_trajectories_and_metrics():
    at = ok(app())
    spec = chart(at, 0)
    names = [d.get("name") for d in spec["data"]]
    assert "gda (η=0.1)" in names and "extragradient (η=0.1)" in names and "equilibrium" in names
    # the landscape: f as an image under the plot, its colour bar, level lines and the flow
    assert spec["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert trace(spec, "f(x, y)")["marker"]["showscale"] is True
    assert len(xs(trace(spec, "contours of f"))) > 100 and len(xs(trace(spec, "flow −ξ"))) > 100
    # animation: frames, Play/Pause/step/reset buttons and a frame slider
    assert len(spec["frames"]) >= 20
    labels = [b["label"] for m in spec["layout"]["updatemenus"] for b in m["buttons"]]
    assert labels[0] == "▶ Play" and {"❚❚ Pause", "◀ step", "step ▶", "↺ reset"} <= set(labels)
    assert len(spec["layout"]["sliders"][0]["steps"]) == len(spec["frames"])
    # frames never touch the background: every trace is named, the landscape traces get empty updates
    for fr in spec["frames"]:
        assert fr["traces"] == list(range(len(spec["data"])))
        for bg in ("f(x, y)", "contours of f", "flow −ξ", "equilibrium"):
            assert fr["data"][index_of(spec, bg)] == {}
        assert all("type" not in update for update in fr["data"])  # plots.TrajectoryFigure: no redundant type
        assert "layout" not in fr or "images" not in fr["layout"]
    # the frames grow the path: the unfinished part at frame 0 is one point
    i = index_of(spec, "gda (η=0.1) path")
    assert len(xs(spec["frames"][0]["data"][i])) <= 2
    # metric panels in the same figure, with a time cursor that follows the frames
    assert sum(d.get("yaxis") == "y3" for d in spec["data"]) >= 2
    assert spec["layout"]["yaxis3"]["type"] == "log" and spec["layout"]["yaxis4"]["type"] == "log"
    c = index_of(spec, "time cursor 1")
    first, last = spec["frames"][0]["data"][c]["x"], spec["frames"][-1]["data"][c]["x"]
    assert first == [0, 0] and last == [300, 300]
    # honest status lines: GDA drifts out, EG converges (numbers from the same engine run)
    text = " ".join(m.value for m in at.markdown)
    assert "distance to equilibrium" in text and "What to look for" in text


def test_simplify_keeps_every_dropped_vertex_within_the_tolerance():
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.standard_normal((500, 2)), axis=0)  # (500, 2): turns back on itself
    walk[200:205] = np.nan  # a gap: a divergence or a log axis's non-positive values
    keep = plots.simplify(walk, 0.5)
    assert 0 in keep and 499 in keep and 200 in keep and not set(range(201, 205)) & set(keep)
    assert len(keep) < 500
    for a, b in zip(keep[:-1], keep[1:]):
        p, q = walk[a], walk[b]
        if not (np.isfinite(p).all() and np.isfinite(q).all()):
            continue
        d = q - p
        for v in walk[a + 1:b]:  # each dropped vertex: near the kept segment around it
            t = np.clip((v - p) @ d / (d @ d), 0, 1)
            assert np.hypot(*(v - p - t * d)) <= 0.5 + 1e-9


def test_paths_are_clipped_to_the_box_with_exit_arrows():
    at = ok(app(algos=["gda"], **{"gda.lr": "0.3"}))
    spec = chart(at)
    x, y = path(spec, "gda (η=0.3)")
    (x_lo, x_hi), (y_lo, y_hi) = spec["layout"]["xaxis"]["range"], spec["layout"]["yaxis"]["range"]
    ok_ = np.isfinite(x)
    assert (x[ok_] >= x_lo - 1e-6).all() and (x[ok_] <= x_hi + 1e-6).all()
    assert (y[ok_] >= y_lo - 1e-6).all() and (y[ok_] <= y_hi + 1e-6).all()
    arrows = trace(spec, "gda (η=0.3) leaves the box")
    assert arrows["marker"]["symbol"] == "arrow" and len(xs(arrows)) >= 1


def test_changing_a_step_size_changes_the_figure():
    at = ok(app())
    before = path(chart(at), "gda (η=0.1)")[0]
    ok(at.select_slider(key="gda.lr").set_value(0.2).run())
    after = path(chart(at), "gda (η=0.2)")[0]
    assert not np.allclose(before[:50], after[:50], equal_nan=True)


def test_url_reproduces_the_scene_exactly():
    query = {"game": "quadratic", "quadratic.a": "-1", "quadratic.b": "2", "algos": ["gda", "alt_gda"],
             "gda.lr": "0.05", "x0": "1.5", "y0": "-0.5", "steps": "200"}
    a, b = ok(app(**query)), ok(app(**query))
    spec = chart(a)
    assert a.selectbox(key="game").value == "quadratic"
    assert a.number_input(key="x0").value == 1.5
    assert spec["data"] == chart(b)["data"]  # same link, same picture
    # and the picture is the engine's run for exactly those settings
    run = compute.simulate(("quadratic", compute.items(dict(a=-1.0, b=2.0))), ("gda", (("lr", 0.05),)), 1.5, -0.5, 200)
    x, y = path(spec, "gda (η=0.05)")
    assert x[0] == pytest.approx(1.5) and y[0] == pytest.approx(-0.5)
    # the drawn path is the engine's path clipped to the box; the head sits at the last iterate (on the frame
    # if it has left the box)
    (x_lo, x_hi), (y_lo, y_hi) = spec["layout"]["xaxis"]["range"], spec["layout"]["yaxis"]["range"]
    head = next(d for d in spec["data"] if d.get("name") == "gda (η=0.05)" and d.get("mode") == "lines+markers")
    assert xs(head)[0] == pytest.approx(np.clip(run.xy[-1, 0], x_lo, x_hi), rel=1e-5)
    assert ys(head)[0] == pytest.approx(np.clip(run.xy[-1, 1], y_lo, y_hi), rel=1e-5)
    inside = (x_lo <= run.xy[:, 0]) & (run.xy[:, 0] <= x_hi) & (y_lo <= run.xy[:, 1]) & (run.xy[:, 1] <= y_hi)
    assert np.nanmax(np.abs(x)) <= max(abs(x_lo), abs(x_hi)) + 1e-6 and inside[0]


def test_divergence_is_shown_honestly():
    at = ok(app(algos=["gda"], **{"gda.lr": "1.5"}))
    spec = chart(at)
    run = compute.simulate(("bilinear", ()), ("gda", (("lr", 1.5),)), 1.0, 0.5, 300)
    assert run.diverged
    assert f"gda (η=1.5) — diverged at step {run.diverged_at}" in [d.get("name") for d in spec["data"]]
    assert np.isfinite(path(spec, "gda (η=1.5)")[0]).sum() >= 2  # the finite prefix is drawn
    marker = trace(spec, "gda (η=1.5) diverged")
    assert f"diverged at step {run.diverged_at}" in marker["hovertemplate"]
    (x_lo, x_hi) = spec["layout"]["xaxis"]["range"]
    assert x_lo <= xs(marker)[0] <= x_hi  # the ✕ sits on the frame, not outside it
    assert any(f"diverged at step {run.diverged_at}" in m.value for m in at.markdown)


def test_lecture_mode_enlarges_fonts_and_hides_advanced_controls():
    normal = ok(app())
    lecture = ok(app(lecture="true"))
    assert chart(lecture)["layout"]["font"]["size"] > chart(normal)["layout"]["font"]["size"]
    assert trace(chart(lecture), "gda (")["line"]["width"] > trace(chart(normal), "gda (")["line"]["width"]
    # projector layout: no clickable grid (clicking is off) and no text asking for clicks
    assert "click to set start" not in [d.get("name") for d in chart(lecture)["data"]]
    assert not any("click" in c.value.lower() for c in lecture.caption)
    keys = lambda at: {w.key for w in at.checkbox}  # noqa: E731
    assert "gda.lr_x.on" in keys(normal) and "gda.lr_x.on" not in keys(lecture)
    assert "seed" in {w.key for w in normal.number_input} and "seed" not in {w.key for w in lecture.number_input}


@pytest.mark.parametrize("scene", scenes.SCENES, ids=[s.key for s in scenes.SCENES])
def test_every_scene_loads_in_one_click_unmodified(scene):
    if not ui.available(scene):
        pytest.skip(f"{scene.key}: needs algorithms not registered on this branch")
    at = ok(app())
    ok(at.selectbox(key="scene").select(scene.key).run())
    assert at.selectbox(key="game").value == scene.game
    spec = chart(at)
    names = [d.get("name") or "" for d in spec["data"]]
    labels = ui.run_labels(scene.algo_configs())
    assert len(set(labels)) == len(labels)
    for label in labels:
        assert any(n.startswith(label) for n in names), (label, names)
    text = " ".join(m.value for m in at.markdown)
    assert scene.title in text  # its explanation is shown
    assert "(modified)" not in text  # every stored value is one the widgets accept
    assert scene.look_for and scene.look_for in text
    x, y = path(spec, labels[0])
    assert (x[0], y[0]) == pytest.approx((scene.x0, scene.y0))
    # what the browser receives per rerun (the default view is SCENES[0]): frames carry √n-sized
    # updates, not whole paths, and paths and metric lines carry what the screen can show
    assert len(at.get("plotly_chart")[0].proto.spec) <= 250_000


def test_runs_of_one_algorithm_say_what_differs():
    scene = scenes.BY_KEY["negative_momentum"]
    at = ok(app(scene=scene.title))
    spec = chart(at)
    legend = [d["name"] for d in spec["data"]
              if d.get("showlegend") is not False and d.get("name", "").startswith("mom")]
    assert legend == ["momentum alternating (η=0.3)", "momentum simultaneous (η=0.3)"]
    text = " ".join(m.value for m in at.markdown)
    assert "momentum alternating (η=0.3)" in text and "momentum simultaneous (η=0.3)" in text  # status lines
    # and on the Spectrum page
    ok(at.switch_page("app_pages/spectrum.py").run())
    names = [d.get("name") or "" for d in chart(at, 1)["data"]]
    assert any(n.startswith("momentum alternating") for n in names)
    assert any(n.startswith("momentum simultaneous") for n in names)


def test_scene_values_are_valid_hyperparameters():
    for scene in scenes.SCENES:
        if not ui.available(scene):
            continue
        compute.make_game(scene.game_config())
        for cfg in scene.algorithms:
            compute.make_algorithm(cfg)  # raises on unknown or out-of-range parameters


def test_a_link_naming_only_a_scene_loads_it():
    scene = scenes.BY_KEY["alt_gda_cycles"]
    at = ok(app(scene=scene.title))
    assert at.multiselect(key="algos").value == ["alt_gda", "gda"]
    assert path(chart(at), "alt_gda (η=0.3)")


def test_greedy_proposals_are_marked():
    scene = scenes.BY_KEY["greedy_box"]
    if not ui.available(scene):
        pytest.skip("greedy_minmax not registered")
    at = ok(app(scene=scene.title))
    spec = chart(at)
    for what in ("accepted", "rejected", "unconditional"):
        tr = trace(spec, f"greedy_minmax: {what}")
        assert len(xs(tr)) > 0


def test_every_algorithm_gets_widgets_and_runs():
    names = sorted(dynamics.ALGORITHMS)
    for chunk in (names[i : i + 6] for i in range(0, len(names), 6)):
        at = ok(app(algos=chunk, steps="30"))
        labels = [d.get("name") or "" for d in chart(at)["data"]]
        for name in chunk:
            assert any(lab.startswith(name + " (") or lab.startswith(name + "[") for lab in labels), (name, labels)


def test_basin_map_uses_a_grid_of_starts():
    at = ok(app(tab="Basin map", basin_n="21"))
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    z = arr(spec["data"][0]["z"])
    assert z.shape == (21, 21)
    ok(at.select_slider(key="basin_n").set_value(11).run())
    z = arr(json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["z"])
    assert z.shape == (11, 11)


def test_small_multiples_has_one_panel_per_algorithm():
    at = ok(app(tab="Small multiples", algos=["gda", "extragradient", "ogda"]))
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles == ["gda (η=0.1)", "extragradient (η=0.1)", "ogda (η=0.1)"]


def test_export_tab_offers_downloads_and_a_preview():
    at = ok(app(tab="Export"))
    labels = [e.proto.label for e in at.get("download_button")]
    assert any("GIF" in lab for lab in labels) and any("PNG" in lab for lab in labels)
    assert len(at.get("image")) == 1


# ---- spectrum -------------------------------------------------------------------------------
def test_spectrum_page_and_step_size_change():
    at = ok(app())
    ok(at.switch_page("app_pages/spectrum.py").run())
    game = chart(at, 0)
    ev = trace(game, "eig(H)")
    assert sorted(ys(ev)) == pytest.approx([-1.0, 1.0]) and xs(ev) == pytest.approx([0.0, 0.0])  # ±i on xy
    steps = chart(at, 1)
    gda = trace(steps, "gda (η=0.1)")
    assert gda["name"].endswith(f"ρ = {np.sqrt(1.01):.4g}")  # |1 ± iη| = sqrt(1 + η²)
    curve = trace(chart(at, 2), "gda (η=0.1)")
    assert xs(curve)[0] < xs(curve)[-1]
    ok(at.select_slider(key="gda.lr").set_value(0.5).run())
    assert trace(chart(at, 1), "gda (η=0.5)")["name"].endswith(f"ρ = {np.sqrt(1.25):.4g}")


def test_spectrum_stability_map_for_a_second_hyperparameter():
    at = ok(app())
    ok(at.switch_page("app_pages/spectrum.py").run())
    ok(at.multiselect(key="algos").set_value(["momentum"]).run())
    spec = chart(at, 3)
    z = arr(spec["data"][0]["z"])
    assert z.ndim == 2 and np.isfinite(z).any()
    assert spec["layout"]["yaxis"]["title"]["text"] == "beta"


def test_game_and_algorithms_follow_the_user_across_pages():
    at = ok(app())
    ok(at.multiselect(key="algos").set_value(["gda", "momentum"]).run())
    ok(at.select_slider(key="gda.lr").set_value(0.2).run())
    ok(at.switch_page("app_pages/spectrum.py").run())
    names = [d.get("name") or "" for d in chart(at, 1)["data"]]
    assert any(n.startswith("gda (η=0.2)") for n in names) and any(n.startswith("momentum (") for n in names)


# ---- algorithms -----------------------------------------------------------------------------
def test_algorithms_page_renders_every_docstring():
    at = ok(app())
    ok(at.switch_page("app_pages/algorithms.py").run())
    assert len(at.expander) == len(dynamics.ALGORITHMS)
    text = "\n".join(m.value for m in at.markdown)
    assert text.count("$$") >= 2 * len(dynamics.ALGORITHMS)  # every update rule, as KaTeX
    assert "References" in text
    ok(at.text_input(key="doc_filter").input("extra").run())
    assert len(at.expander) == 2  # extragradient, extra_past


def test_widget_array_parser_never_evaluates():
    from app.widgets import parse_array

    assert parse_array("[[1, 2], [3, 4]]", "matrix") == ((1.0, 2.0), (3.0, 4.0))
    assert parse_array("[1, 2]", "vector") == (1.0, 2.0)
    for bad in ("__import__('os').system('true')", "[[1, 2], [3]]", "[1e999]", "[[\"a\"]]", "", "[" * 5):
        with pytest.raises(ValueError):
            parse_array(bad, "matrix")


def test_algorithms_page_gives_one_bullet_per_paper():
    from app import docs

    extragradient = docs.doc_markdown(dynamics.ALGORITHMS["extragradient"])
    refs = extragradient.split("**References**", 1)[1].strip().splitlines()
    bullets = [r for r in refs if r.startswith("- ")]
    assert len(bullets) == 2  # Korpelevich 1976 and Gidel et al. 2019, each whole
    assert bullets[0].startswith("- Korpelevich") and "1976" in bullets[0]
    assert bullets[1].startswith("- Gidel") and "ICLR 2019" in bullets[1]
    for name, cls in {**dynamics.ALGORITHMS, **dynamics.GAMES}.items():
        md = docs.doc_markdown(cls)
        if "**References**" not in md:
            continue
        section = md.split("**References**", 1)[1].split("\n**", 1)[0]
        for line in (ln for ln in section.splitlines() if ln.startswith("- ")):
            # a bullet is a whole reference: it names a year or an arXiv id, not a wrapped line fragment,
            # and it holds one paper (no "…, 1980. Gidel et al., …" inside)
            assert any(ch.isdigit() for ch in line), (name, line)
            assert not re.search(r"\d{4}\)?[.;] [A-Z][\w'-]+(?: et al\.|,)", line), (name, line)


@pytest.mark.parametrize("page", ["app_pages/spectrum.py", "app_pages/algorithms.py", "app_pages/mnist.py",
                                  "app_pages/gan_2d.py"])
def test_lecture_mode_follows_to_every_page(page):
    at = ok(app(lecture="true"))
    assert at.toggle(key="lecture").value is True
    ok(at.switch_page(page).run())
    assert at.toggle(key="lecture").value is True  # the same switch, remembered
    ok(at.toggle(key="lecture").set_value(False).run())
    ok(at.switch_page("app_pages/toy_games.py").run())
    assert at.toggle(key="lecture").value is False
