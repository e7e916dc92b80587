"""The formula game in the app: the text box with live validation, examples, URL, star, GIF title,
and the conjugate-gradient paper's scene."""

from __future__ import annotations

import json

import numpy as np
import pytest

st = pytest.importorskip("streamlit")
from app_helpers import app, ok  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import dynamics  # noqa: E402
from app import compute, export, formula_view, scenes, ui  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    export.cached_bytes.cache_clear()
    formula_view.stationary_star.cache_clear()
    yield



def names(at: AppTest) -> list[str]:
    return [d.get("name") or "" for d in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]


def test_a_typed_formula_from_the_url_runs_every_chosen_algorithm() -> None:
    at = ok(app(game="formula", **{"formula.f": "x*y + 0.1*x**2"}, algos=["gda", "extragradient"], x0="1", y0="0.5"))
    assert at.text_input(key="formula.f").value == "x*y + 0.1*x**2"
    assert any(n.startswith("extragradient (η=0.1)") for n in names(at))
    run = compute.simulate(("formula", (("f", "x*y + 0.1*x**2"),)), ("extragradient", (("lr", 0.1),)), 1.0, 0.5, 300)
    assert not run.diverged and np.isfinite(run.xy).all()
    assert not at.error


def test_a_bad_formula_is_reported_under_the_box_with_a_caret() -> None:
    at = ok(app(game="formula", **{"formula.f": "x*y"}))
    ok(at.text_input(key="formula.f").set_value("x.__class__").run())
    errors = " ".join(e.value for e in at.error)
    assert "attribute access" in errors and "column 1" in errors and "^" in errors
    # typing a fix in the box clears it
    ok(at.text_input(key="formula.f").set_value("x*y - 0.2*y**2").run())
    assert not at.error


def test_a_bad_formula_in_the_url_falls_back_with_a_notice() -> None:
    at = ok(app(game="formula", **{"formula.f": "x.__class__"}))
    assert at.text_input(key="formula.f").value == "x*y"  # the default
    shown = " ".join(e.value for e in [*at.warning, *at.error, *at.info, *at.caption])
    assert "formula.f" in shown


def test_a_start_where_the_formula_is_undefined_is_reported() -> None:
    at = ok(app(game="formula", **{"formula.f": "log(x)*y"}, x0="-1", y0="0.5"))
    assert any("not finite at the start" in e.value for e in at.error)


def test_examples_load_into_the_box() -> None:
    at = ok(app(game="formula"))
    ok(at.selectbox(key="formula._example").select("forsaken").run())
    assert at.text_input(key="formula.f").value == dynamics.GAMES["formula"].presets["forsaken"]["f"]


def test_star_from_newton_at_the_start() -> None:
    cfg = ("formula", (("f", "sin(x)*sin(y)"),))
    assert formula_view.stationary_star(cfg, 1.4, 1.7) == pytest.approx((np.pi / 2, np.pi / 2), abs=1e-9)
    field = compute.field_grid(cfg, n=10, m=5)
    moved, note = formula_view.with_star(field, cfg, 1.4, 1.7)
    assert moved.equilibrium == pytest.approx((np.pi / 2, np.pi / 2)) and "Newton" in note
    none, note = formula_view.with_star(field, ("formula", (("f", "x + y"),)), 0.0, 0.0)
    assert none.equilibrium is None and "No stationary point found" in note
    same, note = formula_view.with_star(field, ("bilinear", ()), 0.3, 0.3)
    assert same is field and note == ""
    at = ok(app(game="formula", **{"formula.f": "x + y"}))
    assert any("No stationary point found" in c.value for c in at.caption)


def test_exported_gif_title_names_the_formula() -> None:
    cfg = ("formula", (("f", "(1 + x**2)*(100 - y**2)"),))
    assert formula_view.game_title(cfg) == "f = (1 + x**2)*(100 - y**2)"
    assert formula_view.game_title(("bilinear", ())) == "bilinear"
    spec = export.ToyAnimation(game_cfg=cfg, algo_cfgs=(("gda", (("lr", 0.004),)),), x0=2.0, y0=-4.0, steps=20,
                               box=((-5.0, 5.0), (-5.0, 5.0)))
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 5))
    FigureCanvasAgg(fig)
    draw = spec.setup(5)(fig)
    draw(4)
    texts = " ".join(t.get_text().replace("\n", " ") for t in fig.texts)
    assert "f = (1 + x**2)*(100 - y**2)" in texts


def test_cg_paper_scene_is_one_click_away_and_reaches_the_saddle() -> None:
    scene = scenes.BY_KEY["cg_paper_rates"]
    at = ok(app())
    ok(at.selectbox(key="scene").select(scene.key).run())
    assert at.selectbox(key="game").value == "formula"
    assert at.text_input(key="formula.f").value == "(1 + x**2)*(100 - y**2)"
    got = names(at)
    labels = ui.run_labels(scene.algo_configs())
    assert len(set(labels)) == 2 and any("inv_sqrt" in lab for lab in labels)
    for label in labels:
        assert any(n.startswith(label) for n in got), (label, got)
    constant, diminishing = (compute.simulate(scene.game_config(), a, scene.x0, scene.y0, scene.steps)
                             for a in scene.algo_configs())
    game = compute.make_game(scene.game_config())
    f_const = (1 + constant.xy[-1, 0] ** 2) * (100 - constant.xy[-1, 1] ** 2)
    f_dim = (1 + diminishing.xy[-1, 0] ** 2) * (100 - diminishing.xy[-1, 1] ** 2)
    assert 99.9 < f_const <= 100.0 and f_dim < 95.0  # the numbers the scene's text quotes
    assert game.equilibrium() == ((0.0,), (0.0,))


def test_spectrum_page_on_a_typed_game() -> None:
    """The formula box is on the Spectrum page too (the shared game selector); the eigenvalues of
    H at the Newton stationary point of the CG paper's game are the closed-form ones."""
    at = ok(app(game="formula", **{"formula.f": "(1 + x**2)*(100 - y**2)"}))
    ok(at.switch_page("app_pages/spectrum.py").run())
    assert at.text_input(key="formula.f").value == "(1 + x**2)*(100 - y**2)"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    ev = [d for d in spec["data"] if (d.get("name") or "").startswith("eig(H)")][0]
    # H at the saddle (0, 0): diag(f_xx, -f_yy) = diag(200, 2)
    assert sorted(_arr(ev["x"])) == pytest.approx([2.0, 200.0]) and _arr(ev["y"]) == pytest.approx([0.0, 0.0])


def _arr(v) -> np.ndarray:
    """A Plotly JSON array: a list, or plotly's typed array ``{"dtype", "bdata"}``."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).astype(float)
    return np.asarray(v, dtype=float)


def test_cg_scene_keeps_its_schedules_in_lecture_mode() -> None:
    scene = scenes.BY_KEY["cg_paper_rates"]
    at = ok(app(lecture="true"))
    ok(at.selectbox(key="scene").select(scene.key).run())
    got = names(at)
    assert any(n.startswith("conjugate_gradient schedule inv_sqrt") for n in got), got
