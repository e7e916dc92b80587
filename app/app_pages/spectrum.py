"""Spectrum: the local linear picture behind the toy-game trajectories."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

import dynamics
from app import compute, guard, plots, ui, widgets
from app.compute import AlgoConfig, GameConfig

#: hyperparameters of the numerics, not of the dynamics: no stability map over them
NOT_DYNAMICS = ("tol", "atol", "eps", "epsilon")
LR_GRID = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


@st.cache_data(max_entries=128, show_spinner=False)
def _game_spectrum(game_cfg: GameConfig, z: tuple[float, ...]) -> compute.GameSpectrum:
    return compute.game_spectrum(game_cfg, z)


@st.cache_data(max_entries=256, show_spinner=False)
def _step_spectrum(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...]) -> compute.StepSpectrum:
    return compute.step_spectrum(game_cfg, algo_cfg, z)


# ``_stop`` (not hashed) ends a sweep between batches at the view's budget; a stopped sweep raises, so no
# cache keeps it
@st.cache_data(max_entries=256, show_spinner="Sweeping η…")
def _curve(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...], lo: float, hi: float,
           n: int, _stop: compute.Stopper) -> tuple:
    return compute.stability_curve(game_cfg, algo_cfg, z, lo, hi, n=n, stop=_stop)


@st.cache_data(max_entries=32, show_spinner="Sweeping the (η, parameter) grid…")
def _map(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...], p2: str, v2: tuple, lo: float,
         hi: float, n: int, _stop: compute.Stopper) -> tuple:
    return compute.stability_map(game_cfg, algo_cfg, z, p2, v2, lo, hi, n=n, stop=_stop)


sb = st.sidebar
lecture = ui.lecture_toggle(sb)
game_cfg = ui.game_controls(lecture, sb)
algo_cfgs = ui.algorithm_controls(lecture, sb)
sb.divider()
game = compute.make_game(game_cfg)
eq = game.equilibrium()
at_eq = sb.checkbox("At the equilibrium", value=eq is not None, key="sp_at_eq", bind=widgets.BIND,
                    disabled=eq is None, help="Otherwise at the point below (first coordinates; others equal).")
if at_eq and eq is not None:
    z = tuple(float(v) + 0.0 for v in (*eq[0], *eq[1]))  # + 0.0 turns -0.0 into 0.0
else:
    c1, c2 = sb.columns(2)
    px = c1.number_input("x", -100.0, 100.0, 0.5, step=0.1, key="sp_x", bind=widgets.BIND)
    py = c2.number_input("y", -100.0, 100.0, 0.5, step=0.1, key="sp_y", bind=widgets.BIND)
    z = (float(px),) * game.dim_x + (float(py),) * game.dim_y
lo, hi = sb.select_slider("η range of the stability curve", LR_GRID, value=(1e-3, 10.0), key="sp_lr",
                          bind=widgets.BIND)

if not lecture:
    st.title("Spectrum")
st.markdown(
    f"Local linear analysis of **{game_cfg[0]}** at z = ({', '.join(f'{v:.3g}' for v in z)}). "
    "The game Jacobian $H = \\partial\\xi/\\partial z$ decides the continuous flow (stable when every "
    "$\\mathrm{Re}\\,\\lambda > 0$); each algorithm turns it into a step map whose spectral radius ρ "
    "decides the discrete iteration (ρ < 1 converges locally)."
)

# every sweep below is estimated and charged here before it runs; over the budget it is shrunk or skipped
ledger = guard.Ledger()
if not ledger.spectrum(game_cfg, ("gda", ()), 1, "the game's Jacobian"):
    st.stop()
try:
    gs = _game_spectrum(game_cfg, z)
except (ValueError, RuntimeError) as err:
    ui.error_box(err)
    st.stop()
st.plotly_chart(plots.game_spectrum_figure(gs, lecture=lecture), key="game_spectrum_chart",
                theme=None, config={"displaylogo": False})
if not lecture:
    with st.expander("The Jacobian H at this point"):
        st.dataframe(np.round(gs.jacobian, 6), width="content")

if not algo_cfgs:
    st.info("Choose algorithms in the sidebar to see their step maps.")
    st.stop()

labels = ui.run_labels(algo_cfgs)  # the toy page's labels: twins of one algorithm say what differs
specs = []
for a, label in zip(algo_cfgs, labels):
    if not ledger.spectrum(game_cfg, a, 1, f"{label} step map"):
        continue
    try:
        specs.append(dataclasses.replace(_step_spectrum(game_cfg, a, z), label=label))
    except (ValueError, RuntimeError) as err:
        st.warning(f"{label}: {err}")
for s in specs:
    if s.note:
        st.caption(f"{s.label}: {s.note}.")
st.plotly_chart(plots.step_spectrum_figure(specs, lecture=lecture), key="step_spectrum_chart",
                theme=None, config={"displaylogo": False})

curves, current = [], {}
swept = [(a, label) for a, label in zip(algo_cfgs, labels) if "lr" in dict(a[1])]
points = ledger.curves(game_cfg, [a for a, _ in swept], [label for _, label in swept])
for (a, label), n in zip(swept, points):
    if not n:
        continue
    try:
        lrs, rho = _curve(game_cfg, a, z, float(lo), float(hi), n, ledger.stop)
    except compute.SweepStopped as cut:
        lrs, rho = cut.result
        ledger.stopped(f"{label} stability curve after {cut.done} of {cut.total} step sizes")
    except compute.Cancelled:
        st.stop()  # the visitor changed the inputs or left: the pending rerun takes over
    except (ValueError, RuntimeError) as err:
        st.warning(f"{label}: {err}")
        continue
    curves.append((label, lrs, rho))
    current[label] = float(dict(a[1])["lr"])
if curves:
    st.plotly_chart(plots.stability_figure(curves, lecture=lecture, current=current), key="stability_chart",
                    theme=None, config={"displaylogo": False})

if not lecture:
    st.subheader("Stability map over η and a second hyperparameter")
    options = []
    for i, a in enumerate(algo_cfgs):
        cls = dynamics.ALGORITHMS[a[0]]
        for hp in dynamics.hparams(cls):
            bounded = hp.low is not None and hp.high is not None
            numeric_knob = hp.name in NOT_DYNAMICS or hp.advanced  # solver tolerances, epsilons
            if hp.kind == "float" and hp.name not in ("lr", "lr_x", "lr_y") and bounded and not numeric_knob:
                options.append((i, hp.name, hp.low, hp.high))
    if not options:
        st.caption("None of the chosen algorithms has a second numeric hyperparameter (e.g. momentum β, "
                   "consensus γ, SGA λ).")
    else:
        pick = st.selectbox("Parameter", range(len(options)), key="sp_map",
                            format_func=lambda k: f"{labels[options[k][0]]} · {options[k][1]}")
        i, p2, plo, phi = options[pick]
        # a readable window: β-like parameters live in [-1, 1]; weights like γ, λ, p in [0, 4]
        v_lo, v_hi = max(plo, -1.0 if plo < 0 else 0.0), min(phi, 1.0 if phi <= 1 else 4.0)
        grid = ledger.map(game_cfg, algo_cfgs[i], f"{labels[i]} · {p2}")
        if grid is None:
            st.stop()
        v2 = tuple(np.round(np.linspace(v_lo, v_hi, grid[1]), 6))
        try:
            try:
                lrs, vals, rho = _map(game_cfg, algo_cfgs[i], z, p2, v2, 1e-2, 3.0, grid[0], ledger.stop)
            except compute.SweepStopped as cut:
                lrs, vals, rho = cut.result
                ledger.stopped(f"{labels[i]} · {p2} stability map after {cut.done} of {cut.total} points")
            except compute.Cancelled:
                st.stop()
            st.plotly_chart(plots.stability_map_figure(lrs, vals, rho, p2, labels[i],
                                                       lecture=lecture), key="stability_map_chart",
                            theme=None, config={"displaylogo": False})
        except (ValueError, RuntimeError) as err:
            ui.error_box(err)
