"""Controls and cached computations shared by the pages.

With the pages and :mod:`app.widgets`, the only app module that calls ``st.*``.

Widget keys (all bound to the URL, so the address bar is the scene):

* ``scene`` -- the literature scene last loaded (its text is shown);
* ``lecture`` -- lecture mode (large fonts, thick lines, advanced controls hidden);
* ``game`` and ``<game>.<param>``; ``algos`` (a list of algorithm *slots*) and ``<slot>.<param>``.
  A slot is an algorithm name, or ``name@2`` for a second copy with other hyperparameters;
* ``x0``, ``y0``, ``steps``, ``seed``, ``zoom``, ``frames`` -- the run and the view.
"""

from __future__ import annotations

from typing import Any, Optional

import streamlit as st

import dynamics

from . import compute, labels, lecture, plots, scenes, widgets
from .compute import AlgoConfig, GameConfig

COPY = "@2"
STEP_CHOICES = (10, 20, 30, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000)
ZOOMS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.4, 1.5, 1.6, 2.0, 3.0, 4.0, 6.0, 10.0)


def slot_name(slot: str) -> str:
    """The algorithm name of a slot (``"gda@2"`` -> ``"gda"``)."""
    return slot.split("@", 1)[0]


def slot_label(slot: str) -> str:
    """What the multiselect shows and writes into the URL.

    The plain name (a clean, shareable URL); the group shows in the slot's settings expander.
    """
    return f"{slot_name(slot)} (2nd copy)" if slot.endswith(COPY) else slot


def slot_group(slot: str) -> str:
    return getattr(dynamics.ALGORITHMS.get(slot_name(slot)), "group", "")


def algorithm_slots() -> list[str]:
    """Every registered algorithm, grouped (first-order, second-order, ...), then the second copies."""
    names = sorted(dynamics.ALGORITHMS, key=lambda n: (getattr(dynamics.ALGORITHMS[n], "group", ""), n))
    return names + [n + COPY for n in names]


def available(scene: scenes.Scene) -> bool:
    """Whether every game and algorithm the scene needs is registered."""
    return scene.game in dynamics.GAMES and all(n in dynamics.ALGORITHMS for n in scene.algorithm_names())


def _scene_slots(scene: scenes.Scene) -> list[str]:
    slots: list[str] = []
    for name in scene.algorithm_names():
        slots.append(name if name not in slots else name + COPY)
    return slots


def scene_state(scene: scenes.Scene) -> dict[str, Any]:
    """Every widget value that reproduces ``scene``."""
    state: dict[str, Any] = {"scene": scene.key, "game": scene.game, "x0": float(scene.x0), "y0": float(scene.y0),
                             "steps": int(scene.steps), "seed": int(scene.seed), "zoom": float(scene.zoom)}
    state.update(widgets.scene_state(scene.game, dict(scene.game_params), dynamics.hparams(dynamics.GAMES[scene.game])))
    slots = _scene_slots(scene)
    state["algos"] = slots
    for slot, (name, params) in zip(slots, scene.algorithms):
        cls = dynamics.ALGORITHMS[name]
        p = dict(params)
        if getattr(cls, "wrapper", False) and "base" in p:
            state[widgets.key(slot, "base")] = p.pop("base")
            base_kw = dict(p.pop("base_kwargs", ()))
            base_cls = dynamics.ALGORITHMS[state[widgets.key(slot, "base")]]
            state.update(widgets.scene_state(f"{slot}.base", base_kw, dynamics.hparams(base_cls)))
        state.update(widgets.scene_state(slot, p, _own_hparams(cls)))
    return state


def apply_scene(key: str) -> None:
    """Widget callback: load a scene by writing its widget values into the session."""
    scene = scenes.BY_KEY.get(key)
    if scene is None or not available(scene):
        return
    for k, v in scene_state(scene).items():
        st.session_state[k] = v


def _on_scene_change() -> None:
    apply_scene(st.session_state.get("scene", ""))


def _groups() -> list[str]:
    return sorted({getattr(c, "group", "") for c in dynamics.ALGORITHMS.values()} - {""})


def scene_status(scene: Optional[scenes.Scene]) -> str:
    """How the widgets relate to ``scene``.

    "same" if the widgets show exactly the scene, "modified" if only hyperparameters, the start or the steps
    differ, "other" if the game or the algorithms differ.
    """
    if scene is None or not available(scene):
        return "other"
    want = scene_state(scene)
    if st.session_state.get("game") != want["game"] or list(st.session_state.get("algos", [])) != want["algos"]:
        return "other"
    same = all(st.session_state.get(k) == v for k, v in want.items() if k in st.session_state)
    return "same" if same else "modified"


SHARED = "_shared_controls"


def restore_shared() -> None:
    """Bring the shared controls (lecture mode, game, algorithms and their parameters) to a page.

    Streamlit keeps widget values per page (widget ids include the page), so without this a
    switch from Toy games to Spectrum would fall back to the defaults.
    """
    page = st.session_state.get("_page_now")
    if st.session_state.get("_page_prev") == page:
        return  # same page: the widgets hold their own values (and the user's latest change)
    st.session_state["_page_prev"] = page
    for k, v in st.session_state.get(SHARED, {}).items():
        st.session_state[k] = v


def save_shared() -> None:
    """Remember the shared controls' current values (every ``<owner>.<param>`` key plus the pickers)."""
    keep = {"game", "algos"}  # lecture mode has its own memory (app.lecture)
    st.session_state[SHARED] = {k: st.session_state[k] for k in list(st.session_state)
                                if isinstance(k, str) and (k in keep or "." in k)}


def lecture_toggle(container: Any = None) -> bool:
    """The lecture-mode switch (:func:`app.lecture.setup`), after the shared controls are restored."""
    restore_shared()
    return lecture.setup(container)


def run_labels(cfgs: list[AlgoConfig]) -> list[str]:
    """Labels that tell every chosen run apart (:func:`app.labels.distinct_labels`)."""
    return labels.distinct_labels(cfgs)


#: Acts on the figure's "◀ step", "step ▶" and "↺ reset" buttons (Plotly ``method="skip"`` buttons only emit
#: ``plotly_buttonclicked``): moves the animation one frame back or forward, or to the first frame. Installed once
#: per browser tab; binds every chart whose ``layout.meta`` is the trajectory figure's, including re-mounted ones.
#: It also marks as handled the empty promise rejection of an animation that a newer one interrupted.
STEPPER_JS = """
<script>
(function () {
  if (window.__saddleStepper) return;
  window.__saddleStepper = true;
  // Plotly.animate rejects its promise with no reason when a newer animation interrupts it (Pause, a
  // step or the slider during Play). Plotly's own Play/Pause buttons and slider drop that promise, so
  // the browser reports an uncaught "undefined". Only such a rejection, just after a trajectory chart
  // announced the interruption, is marked handled; any other error still surfaces.
  var interruptedAt = -Infinity;
  window.addEventListener('unhandledrejection', function (ev) {
    if (ev.reason === undefined && performance.now() - interruptedAt < 2000) ev.preventDefault();
  });
  function go(gd, action) {
    var sl = gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders[0];
    if (!sl || !window.Plotly) return;
    var n = sl.steps.length, i = sl.active || 0;
    var j = action === 'next' ? Math.min(n - 1, i + 1) : action === 'back' ? Math.max(0, i - 1) : 0;
    var p = window.Plotly.animate(gd, [sl.steps[j].args[0][0]],
      {mode: 'immediate', frame: {duration: 0, redraw: false}, transition: {duration: 0}});
    // a quick second click interrupts the first animation, which rejects its promise with nothing
    if (p && p.catch) p.catch(function () {});
  }
  function bind() {
    document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
      if (gd.__saddleBound || !gd.layout || gd.layout.meta !== 'META' || !gd.on) return;
      gd.__saddleBound = true;
      gd.on('plotly_animationinterrupted', function () { interruptedAt = performance.now(); });
      gd.on('plotly_buttonclicked', function (ev) {
        var a = ev && ev.button && ev.button.args && ev.button.args[0];
        if (typeof a === 'string' && a.indexOf('saddle:') === 0) go(gd, a.slice(7));
      });
    });
  }
  bind();
  setInterval(bind, 400);
})();
</script>
""".replace("META", plots.TRAJECTORY_META)


def stepper() -> None:
    """Make the trajectory figure's step buttons work (see :data:`STEPPER_JS`)."""
    st.html(STEPPER_JS, unsafe_allow_javascript=True)


def _scene_from_url(keys: list[str]) -> None:
    """Load a scene named by the link.

    A link that names only a scene (``?scene=<title>``) loads the whole scene once per session; a link that
    also carries widget values keeps them (those reproduce a modified scene).
    """
    if st.session_state.get("_scene_url_checked"):
        return
    st.session_state["_scene_url_checked"] = True
    title = st.query_params.get("scene")
    match = [k for k in keys if scenes.BY_KEY[k].title == title]
    if not match:
        return
    state = scene_state(scenes.BY_KEY[match[0]])
    if any(k in st.query_params for k in state if k != "scene"):
        return
    for k, v in state.items():
        st.session_state[k] = v


def scene_picker(container: Any = None) -> Optional[scenes.Scene]:
    """A selectbox of the literature scenes; choosing one loads it (one click)."""
    c = container or st.sidebar
    keys = [s.key for s in scenes.SCENES if available(s)]
    _scene_from_url(keys)
    missing = [s.title for s in scenes.SCENES if not available(s)]
    index = keys.index(scenes.DEFAULT.key) if scenes.DEFAULT.key in keys else None
    c.selectbox("Scene from the literature", keys, key="scene", bind=widgets.BIND, index=index,
                placeholder="Pick a scene…",
                format_func=lambda k: scenes.BY_KEY[k].title, on_change=_on_scene_change,
                help="Loads a preset: game, algorithms, hyperparameters, start and steps."
                + (f" Not available on this install: {', '.join(missing)}." if missing else ""))
    return scenes.BY_KEY.get(st.session_state.get("scene", ""))


def _own_hparams(cls: type) -> list[dynamics.HParam]:
    # wrappers hold their base algorithm in a field the widgets can't draw; the page adds it
    return [hp for hp in dynamics.hparams(cls) if hp.name not in ("base", "base_kwargs")]


def _default_base(cls: type) -> str:
    """The registry name of a wrapper's default base algorithm (e.g. averaging wraps alt_gda)."""
    import dataclasses

    for f in dataclasses.fields(cls):
        if f.name == "base":
            base = f.default if f.default is not dataclasses.MISSING else None
            if base is None and f.default_factory is not dataclasses.MISSING:
                base = f.default_factory()
            return getattr(base, "name", "gda")
    return "gda"


def game_controls(lecture: bool, container: Any = None) -> GameConfig:
    """Game selectbox plus its parameter widgets; returns the game config."""
    c = container or st.sidebar
    names = sorted(dynamics.GAMES)
    default = scenes.DEFAULT.game if scenes.DEFAULT.game in names else names[0]
    game = c.selectbox("Game", names, index=names.index(default), key="game", bind=widgets.BIND,
                       help="The objective f(x, y): x minimises, y maximises.")
    cls = dynamics.GAMES[game]
    widgets.example_picker(game, cls, c)  # presets: the typed game's examples, the literature's parameters
    params = widgets.hparam_widgets(game, dynamics.hparams(cls), lecture=lecture, container=c)
    return (game, compute.items(params))


def algorithm_controls(lecture: bool, container: Any = None, *, max_algorithms: int = 6, picker: Any = None,
                       lr_row: Any = None) -> list[AlgoConfig]:
    """Multiselect of algorithms plus an expander of hyperparameters for each; returns configs.

    ``picker`` puts the multiselect elsewhere (lecture mode: above the plot); ``lr_row`` is a container
    split into one column per chosen algorithm, each holding that algorithm's step size.
    """
    c = container or st.sidebar
    slots = algorithm_slots()
    default = [s for s in _scene_slots(scenes.DEFAULT) if s in slots] or slots[:1]
    chosen = (picker if picker is not None else c).multiselect(
                           "Algorithms", slots, default=default, key="algos", bind=widgets.BIND,
                           format_func=slot_label, max_selections=max_algorithms,
                           help="Listed by group (" + ", ".join(_groups()) + "). Overlaid on one plot; "
                           "'(2nd copy)' runs the same method again with other settings.")
    lr_cols = lr_row.columns(max(1, len(chosen))) if lr_row is not None else None
    configs: list[AlgoConfig] = []
    for i, slot in enumerate(chosen):
        name = slot_name(slot)
        cls = dynamics.ALGORITHMS[name]
        with c.expander(f"{slot_label(slot)} · {slot_group(slot)}", expanded=len(chosen) <= 2 and lr_row is None):
            params: dict[str, Any] = {}
            if getattr(cls, "wrapper", False):
                bases = [n for n in sorted(dynamics.ALGORITHMS)
                         if not getattr(dynamics.ALGORITHMS[n], "wrapper", False)]
                dflt = _default_base(cls)
                base = st.selectbox("base algorithm", bases, index=bases.index(dflt) if dflt in bases else 0,
                                    key=widgets.key(slot, "base"), bind=widgets.BIND)
                base_kw = widgets.hparam_widgets(f"{slot}.base", dynamics.hparams(dynamics.ALGORITHMS[base]),
                                                 lecture=lecture, extra_values=scenes.log_values(base))
                params["base"] = base
                params["base_kwargs"] = compute.items(base_kw)
            own = _own_hparams(cls)
            if lr_cols is not None:
                lr_hps = [hp for hp in own if hp.name == "lr"]
                params.update(widgets.hparam_widgets(slot, lr_hps, lecture=lecture, container=lr_cols[i],
                                                     extra_values=scenes.log_values(name),
                                                     labels={"lr": f"η · {slot.replace(COPY, ' #2')}"}))
                own = [hp for hp in own if hp.name != "lr"]
            params.update(widgets.hparam_widgets(slot, own, lecture=lecture, extra_values=scenes.log_values(name)))
            # lr is the legend's label: keep it in the config even at its default
            if "lr" in {hp.name for hp in dynamics.hparams(cls)} and "lr" not in params:
                params["lr"] = cls.__dataclass_fields__["lr"].default
        configs.append((name, compute.items(params)))
    save_shared()
    return configs


def start_controls(lecture: bool, container: Any = None) -> tuple[float, float, int, int]:
    """Start point, steps and seed."""
    c = container or st.sidebar
    col1, col2 = c.columns(2)
    x0 = col1.number_input("x₀", -100.0, 100.0, float(scenes.DEFAULT.x0), step=0.1, key="x0", bind=widgets.BIND,
                           format="%.3f", help="Start of the min player (also: click the plot).")
    y0 = col2.number_input("y₀", -100.0, 100.0, float(scenes.DEFAULT.y0), step=0.1, key="y0", bind=widgets.BIND,
                           format="%.3f", help="Start of the max player (also: click the plot).")
    steps = c.select_slider("Steps", STEP_CHOICES, value=scenes.DEFAULT.steps, key="steps", bind=widgets.BIND)
    seed = 0
    if not lecture:
        seed = int(c.number_input("Seed", 0, 2**31 - 1, 0, key="seed", bind=widgets.BIND,
                                  help="Seeds stochastic games and algorithms."))
    return float(x0), float(y0), int(steps), seed


# ---- cached computations (keyed by plain configs) ---------------------------------------------
# sized and evicted: entry caps and a ttl (the budgets of what they compute: app/guard.py)
@st.cache_data(max_entries=512, ttl="2h", show_spinner=False)
def simulate(game_cfg: GameConfig, algo_cfg: AlgoConfig, x0: float, y0: float, steps: int, seed: int,
             _stop: Optional[compute.Stopper] = None) -> compute.Run:
    return compute.simulate(game_cfg, algo_cfg, x0, y0, steps, seed, stop=_stop)


@st.cache_data(max_entries=64, ttl="2h", show_spinner=False)
def field_grid(game_cfg: GameConfig, box: tuple, n: int = 80, m: int = 17) -> compute.FieldGrid:
    return compute.field_grid(game_cfg, n=n, m=m, box=box)


@st.cache_data(max_entries=32, ttl="2h", show_spinner="Running every start of the grid at once…")
def basin(game_cfg: GameConfig, algo_cfg: AlgoConfig, n: int, steps: int, seed: int, box: tuple,
          _stop: Optional[compute.Stopper] = None) -> compute.Basin:
    return compute.basin(game_cfg, algo_cfg, n=n, steps=steps, seed=seed, box=box, stop=_stop)


def zoomed_box(game_cfg: GameConfig, zoom: float) -> tuple[tuple[float, float], tuple[float, float]]:
    (a, b), (c, d) = compute.game_box(game_cfg)
    cx, cy, hx, hy = (a + b) / 2, (c + d) / 2, (b - a) / 2 * zoom, (d - c) / 2 * zoom
    return (cx - hx, cx + hx), (cy - hy, cy + hy)


def error_box(err: Exception) -> None:
    st.error(f"{type(err).__name__}: {err}")
