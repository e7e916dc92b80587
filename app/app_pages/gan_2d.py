"""2D GAN: watch several algorithms train the same Gaussian-mixture GAN side by side, live.

Drawing only. Training, pausing, stopping and the snapshots live in :mod:`gan_demo.live`; the named
comparisons and the shipped cached runs in :mod:`gan_demo.scenes`; the figures in
:mod:`app.gan_plots`. Every setting is a widget bound to the URL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

import numpy as np
import streamlit as st
import torch

import dynamics
from app import gan_plots, ui, widgets
from dynamics.threads import configure_threads
from gan_demo import scenes, views
from gan_demo.data import DATASETS, Mixture, make_dataset, parse_csv
from gan_demo.gmm import GMMConfig, build
from gan_demo.live import NEAR_RADIUS, RUNNING, LiveOptions, LiveRun, LiveView, Snapshot

ROOT = Path(__file__).resolve().parents[2]

configure_threads()  # the page also runs without app/main.py (AppTest.from_file)
BIND = widgets.BIND
RUN_KEY = "gan_live"  # the LiveRun of this session
REFRESH_S = 0.4  # live panels redraw this often while training (>= 2 per second)
MAX_STEPS = 5000
RUNS_DIR = Path(os.environ.get("SADDLE_RUNS_DIR", ROOT / "runs"))  # where CLI runs are looked for
LAYERS = ["discriminator", "manifold", "gradients", "modes"]
CONFIG_HP = {hp.name: hp for hp in dynamics.hparams(GMMConfig)}
METRICS = ["modes_well_covered", "modes_covered", "hq_frac", "rev_kl", "jsd"]
DEFAULT = scenes.SCENES["default"]
#: algorithms a GAN can take (wrappers need a base algorithm picker this page does not draw)
GAN_ALGOS = sorted(n for n, c in dynamics.ALGORITHMS.items() if not getattr(c, "wrapper", False))


def owner(name: str) -> str:
    """Widget owner of an algorithm's hyperparameters on this page (toy-game keys are not shared)."""
    return f"gan-{name}"


def seed_gan_defaults() -> None:
    """Once per session: the GAN starting values (not the toy-game defaults), unless the URL sets them."""
    if st.session_state.get("_gan_seeded"):
        return
    st.session_state["_gan_seeded"] = True
    for name, params in scenes.GAN_DEFAULTS.items():
        state = widgets.scene_state(owner(name), params, dynamics.hparams(dynamics.ALGORITHMS[name]))
        wanted = {widgets.key(owner(name), p) for p in params} | {widgets.on_key(owner(name), p) for p in params}
        for k in wanted & state.keys():
            if k not in st.query_params:
                st.session_state[k] = state[k]


def algorithm_widgets(name: str, lecture: bool, container: Any) -> dynamics.Algorithm:
    """The one widget generator (app/widgets.py) for one algorithm's hyperparameters."""
    cls = dynamics.ALGORITHMS[name]
    extra = {k: [v] for k, v in scenes.GAN_DEFAULTS.get(name, {}).items() if isinstance(v, float)}
    with container.expander(f"{name} hyperparameters", expanded=False):
        params = widgets.hparam_widgets(owner(name), dynamics.hparams(cls), lecture=lecture, extra_values=extra)
    return dynamics.make_algorithm(name, **params)


def panel(col: Any, i: int, name: str, snap: Optional[Snapshot], real: np.ndarray, mix: Mixture, box: tuple,
          layers: list[str], font: int, size: int, title: str) -> None:
    """One algorithm's picture: GAN Lab's layers over the real data."""
    heat = arrows = man = None
    if snap is not None:
        if "discriminator" in layers and snap.heat is not None:
            n = snap.heat.shape[0]
            heat = (np.linspace(*box[0], n), np.linspace(*box[1], n), snap.heat)
        if "manifold" in layers and snap.manifold is not None:
            man = snap.manifold
        if "gradients" in layers and snap.arrow_pts is not None:
            arrows = (snap.arrow_pts, snap.arrow_dirs)
    col.plotly_chart(gan_plots.gan_figure(real, None if snap is None else snap.samples, box, title=title, heat=heat,
                                          manifold=man, arrows=arrows, fake_color=gan_plots.color(i),
                                          centres=mix.centres if "modes" in layers else None, size=size,
                                          font_size=font), key=f"gan_fig_{i}")


def draw_view(view: LiveView, mix: Mixture, box: tuple, *, live: bool, layers: list[str], lecture: bool,
              run: Optional[LiveRun]) -> None:
    """Every panel of a run (live, paused, stopped, finished or cached): latest snapshot or the scrubbed one."""
    font, size = (17, 520) if lecture else (12, 420)
    real = mix.sample_numpy(1000)
    common = view.snapshot_steps()
    if live or not common:
        step_t = None
        st.progress(min(1.0, view.step / max(1, view.steps)), text=f"training: step {view.step} / {view.steps}")
    else:
        if st.session_state.get("gan_t") not in common:
            st.session_state["gan_t"] = common[-1]
        step_t = st.select_slider("Snapshot (iteration)", options=common, key="gan_t",
                                  help="Scrub through the run; every snapshot is kept.")
    names = list(view.arms)
    cols = st.columns(len(names))
    for i, (col, name) in enumerate(zip(cols, names)):
        snaps = view.arms[name]
        if step_t is None:  # live: the newest picture, recorded or not
            snap = view.latest.get(name, snaps[-1])
            upto = snaps + ([snap] if snap.step > snaps[-1].step else [])
        else:
            snap = next(s for s in snaps if s.step == step_t)
            upto = snaps  # the whole run, with a mark where the scrubber is
        panel(col, i, name, snap, real, mix, box, layers, font, size, f"{name}: iteration {snap.step}")
        m = snap.metrics
        col.markdown(f"**{int(m['modes_well_covered'])}/{mix.n_modes}** modes well covered (3σ) · "
                     f"**{snap.near}/{mix.n_modes}** hold their share within {NEAR_RADIUS} · HQ {m['hq_frac']:.0%}"
                     + (" · **diverged**" if view.diverged.get(name) else ""))
        occ = np.array([s.metrics["occupancy"] for s in upto])  # (T, K)
        col.plotly_chart(gan_plots.occupancy_figure(np.array([s.step for s in upto]), occ, title="mode occupancy",
                                                    mark=snap.step, font_size=font), key=f"gan_occ_{i}")
    metric = st.session_state.get("gan_metric", METRICS[0])
    st.plotly_chart(gan_plots.curves_figure(
        [np.array([s.step for s in view.arms[n]]) for n in names],
        [np.array([s.metrics[metric] for s in view.arms[n]], dtype=np.float64) for n in names],
        names, ylabel=metric, mark=step_t, font_size=font), key="gan_curves")
    if step_t is not None:
        extras(view, mix, box, step_t, run, real)


def extras(view: LiveView, mix: Mixture, box: tuple, step_t: int, run: Optional[LiveRun], real: np.ndarray) -> None:
    """Spectrum and export of a halted run (a segmented control, so a button never jumps tabs)."""
    what = st.segmented_control("More", ["Spectrum", "Export"], key="gan_more", bind=BIND)
    if what == "Spectrum":
        if run is None:
            st.info("The spectrum needs the networks' weights; cached runs keep only what is drawn. Train live.")
            return
        st.markdown("Eigenvalues of the game Jacobian $H = \\partial\\xi/\\partial z$ at this snapshot, on the "
                    "fixed evaluation batch. Eigenvalues with a large imaginary part and a small real part are the "
                    "rotation that makes simultaneous GDA cycle (Mescheder et al., *The Numerics of GANs*).")
        if st.button("Compute eigenvalues", key="gan_eig"):
            game, _ = build(run.cfg, run.mixture)
            vals, labels, note = [], [], ""
            for name in view.arms:
                z = run.params_at(name, step_t)
                if z is None:
                    continue
                v, note = views.eigenvalues(game, torch.as_tensor(z).double())
                vals.append(v)
                labels.append(name)
            st.caption(note + ".")
            st.plotly_chart(gan_plots.eigen_figure(vals, labels, title=f"iteration {step_t}"), key="gan_eigfig")
    elif what == "Export":
        title = " vs ".join(view.arms) + f" on {mix.name}"

        def make_gif() -> bytes:
            return gan_plots.view_gif(view.arms, real, box, mix.centres, title=title)

        st.download_button("Download training GIF", make_gif, file_name="gan_2d.gif", mime="image/gif",
                           on_click="ignore", key="gan_gif", type="primary")
        st.caption(f"{len(view.snapshot_steps())} snapshots → one frame each (at most 200): panels side by side "
                   "with axes, legend, discriminator shading and an iteration counter.")


def act(what: str) -> None:
    """Button callback: pause, resume, step once or stop this session's run."""
    run = st.session_state.get(RUN_KEY)
    if run is None:
        return
    try:
        {"pause": run.pause, "resume": run.resume, "step": run.step_once, "stop": run.stop}[what]()
    except RuntimeError as err:  # e.g. every worker slot of the server is busy
        st.session_state["gan_error"] = str(err)


# ---- sidebar ------------------------------------------------------------------------------------
sb = st.sidebar
lecture = ui.lecture_toggle(sb)
source = sb.radio("Source", ["Train live", "Load a cached run"], key="gan_source", horizontal=True, bind=BIND)
layers = sb.pills("Layers", LAYERS, selection_mode="multi", default=["discriminator", "modes"], key="gan_layers",
                  bind=BIND) or []
sb.selectbox("Metric curve", METRICS, key="gan_metric", bind=BIND)
st.title("2D GAN: mode collapse and mode cycling")

if source == "Load a cached run":
    shipped = scenes.shipped()
    # plus folders written by `python -m gan_demo.gmm --out runs/NAME` (samples and metrics only)
    cli = {f"runs/{p.parent.name}": p.parent for p in sorted(RUNS_DIR.glob("*/metrics.json"))[:200]
           if (p.parent / "snapshots.npz").is_file()} if RUNS_DIR.is_dir() else {}
    if not shipped and not cli:
        st.info("No cached runs under `checkpoints/gan2d/` or `runs/`. Write one with "
                "`python -m gan_demo.scenes --scene default --out checkpoints/gan2d/default`.")
        st.stop()
    pick = sb.selectbox("Cached run", list(shipped) + list(cli), key="gan_cached", bind=BIND,
                        format_func=lambda k: scenes.SCENES[k].title if k in scenes.SCENES else k)
    try:
        if pick in shipped:
            cached = st.cache_resource(scenes.load_run, show_spinner=False)(shipped[pick])
        else:
            cached = st.cache_resource(scenes.load_cli_run, show_spinner=False)(cli[pick])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as err:
        st.error(f"Could not read the cached run {pick!r}: {err}")
        st.stop()
    st.markdown(f"**{cached.title}** (cached: no training). " + (scenes.SCENES[pick].text if pick in scenes.SCENES
                                                                   else ""))
    st.caption(f"Made with `{cached.meta['command']}`; training took "
               + ", ".join(f"{a['name']} {a['cpu_seconds']:.0f} CPU-s" for a in cached.meta["arms"]) + ".")
    draw_view(cached.view, cached.mixture, cached.box, live=False, layers=layers, lecture=lecture, run=None)
    st.stop()

seed_gan_defaults()
dataset = sb.selectbox("Dataset", DATASETS, index=DATASETS.index(DEFAULT.dataset), key="gan_dataset", bind=BIND)
mixture: Optional[Mixture] = None
if dataset == "custom":
    up = sb.file_uploader("Centres CSV (x,y[,weight])", type=["csv", "txt"], key="gan_csv")
    if up is None:
        st.info("Upload a CSV of mode centres `x,y[,weight]` (at most 200 lines).")
        st.stop()
    try:
        cen, w = parse_csv(up.getvalue())
        mixture = make_dataset("custom", centres=cen, weights=w, sigma=0.02)
    except ValueError as err:
        st.error(f"Bad CSV: {err}")
        st.stop()
model_key = sb.selectbox("Networks", list(scenes.MODELS), index=list(scenes.MODELS).index(DEFAULT.model),
                         format_func=scenes.MODEL_LABELS.get, key="gan_model", bind=BIND)
algos = sb.multiselect("Algorithms (side by side)", GAN_ALGOS, default=list(DEFAULT.algorithms), key="gan_algos",
                       bind=BIND, max_selections=4)
steps = int(sb.number_input("Steps", 1, MAX_STEPS, DEFAULT.steps, step=100, key="gan_steps", bind=BIND))
slow = sb.toggle("Slow motion for the first 100 steps", value=False, key="gan_slow", bind=BIND,
                 help="One step at a time with a snapshot after each: watch collapse start.")
if lecture:
    sigma, loss, batch, every, seed = 0.0, DEFAULT.loss, DEFAULT.batch_size, DEFAULT.every, DEFAULT.seed
else:
    with sb.expander("Data, loss, batch, snapshots, seed"):
        # bounds, choices and help come from GMMConfig's declarations (one home for each setting)
        sigma = st.number_input("σ (0 = the dataset's default)", 0.0, CONFIG_HP["sigma"].high, 0.0, format="%.3f",
                                key="gan_sigma", bind=BIND, help=CONFIG_HP["sigma"].help)
        loss = st.selectbox("Loss", CONFIG_HP["loss_type"].choices, key="gan_loss", bind=BIND,
                            help=CONFIG_HP["loss_type"].help)
        batch = int(st.number_input("Batch size", int(CONFIG_HP["batch_size"].low), int(CONFIG_HP["batch_size"].high),
                                    DEFAULT.batch_size, step=8, key="gan_batch", bind=BIND,
                                    help=CONFIG_HP["batch_size"].help))
        every = int(st.number_input("Snapshot every", 1, 1000, DEFAULT.every, step=10, key="gan_every", bind=BIND))
        seed = int(st.number_input("Seed", 0, 10_000, DEFAULT.seed, key="gan_seed", bind=BIND))
algorithms = []
for name in algos:
    try:
        algorithms.append(algorithm_widgets(name, lecture, sb))
    except ValueError as err:
        sb.error(f"{name}: {err}")

try:
    cfg = GMMConfig(dataset=dataset, sigma=sigma or None, model=scenes.MODELS[model_key], loss_type=loss,
                    batch_size=batch, seeds=(seed,), eval_n=DEFAULT.eval_n)
    _, mix = build(cfg, mixture)
except ValueError as err:
    st.error(str(err))
    st.stop()
box = mix.box()
sig = json.dumps({"cfg": cfg.to_dict(), "algos": [a.config() for a in algorithms], "steps": steps, "every": every,
                  "slow": slow, "mix": mix.config()}, sort_keys=True, default=str)

# ---- run controls (actions, not settings: they are not in the URL) ------------------------------
run: Optional[LiveRun] = st.session_state.get(RUN_KEY)
c = st.columns([1, 1, 1, 1, 2])
if c[0].button("Train", type="primary", key="gan_train", disabled=not algorithms,
               help="Train every chosen algorithm at the same time, side by side"):
    if run is not None:
        run.stop()
    try:
        run = LiveRun(cfg, algorithms, steps, options=LiveOptions(every=every, slow_motion=slow), mixture=mixture)
        run.start()
    except (ValueError, RuntimeError) as err:
        st.error(str(err))
        run = None
    st.session_state[RUN_KEY] = run
    st.session_state["gan_sig"] = sig
status = None if run is None else run.status
# callbacks act before the script draws, so the buttons below already show the new state
if status == RUNNING:
    c[1].button("Pause", key="gan_pause", on_click=act, args=("pause",))
else:
    c[1].button("Resume", key="gan_resume", type="primary", on_click=act, args=("resume",),
                disabled=status not in ("paused", "stopped", "ready"))
c[2].button("Step once", key="gan_step", disabled=status in (None, "done", "failed"), on_click=act, args=("step",),
            help="Pause, then one step of every algorithm")
c[3].button("Stop", key="gan_stop", disabled=status not in (RUNNING, "paused"), on_click=act, args=("stop",),
            help="End training; everything so far is kept (scrub, export, or resume)")
if st.session_state.get("gan_error"):
    st.error(st.session_state.pop("gan_error"))
if run is not None and st.session_state.get("gan_sig") != sig:
    st.caption("The controls changed since this run; press **Train** to start a new one.")

if run is None:
    st.info("The real data are drawn below. Press **Train** (6–12 s of one core): Adam-GDA against the greedy "
            "accept/reject algorithm of Mangoubi et al. on their four-Gaussian mixture, with their optimiser "
            "settings, trained at the same time. GDA collapses onto one or two modes; greedy min-max spreads its "
            "mass over all four. Or load a cached run in the sidebar.")
    real = mix.sample_numpy(1000)
    cols = st.columns(max(1, len(algorithms)))
    for i, (col, a) in enumerate(zip(cols, algorithms or [None])):
        panel(col, i, a.name if a else "data", None, real, mix, box, layers, *((17, 520) if lecture else (12, 420)),
              title=f"{a.name if a else 'real data'}: not trained yet")
    st.stop()

live_now = run.status == RUNNING  # after the buttons above acted


@st.fragment(run_every=REFRESH_S if live_now else None)
def live_panels() -> None:
    view = run.view()
    if live_now and view.status != RUNNING:
        st.rerun()  # training ended between two refreshes: a full rerun stops the polling and shows the scrubber
    why = f" because {run.halt_reason}" if run.halt_reason else ""  # the server's limits (gan_demo/live.py)
    msg = {"running": "training…", "paused": "paused", "stopped": f"stopped early{why}: the run so far is kept",
           "done": "done", "failed": f"failed: {view.error}", "ready": "ready"}[view.status]
    cpu = " · ".join(f"{a.name} {a.seconds:.1f} CPU-s" for a in run.arms)
    st.markdown(f"**{msg}** · step {view.step} / {view.steps} · {cpu}")
    draw_view(view, run.mixture, run.box, live=view.status == RUNNING, layers=layers, lecture=lecture, run=run)


live_panels()
