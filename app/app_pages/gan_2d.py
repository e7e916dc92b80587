"""2D GAN: the same Gaussian-mixture GAN trained by any registered algorithm, side by side.

Train live (progress bar, stop button) or load a run written by ``python -m gan_demo.gmm``; scrub
through checkpoints: real vs generated samples, discriminator heatmap, generator manifold and
gradient arrows (GAN Lab's layers), the mode-occupancy raster, metric curves, the game Jacobian's
eigenvalues, and a GIF of the training animation.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the page also runs standalone (AppTest.from_file)
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402
import torch  # noqa: E402

import dynamics  # noqa: E402
from app import compute, gan_plots, guard  # noqa: E402
from dynamics.params import hparams  # noqa: E402
from gan_demo import views  # noqa: E402
from gan_demo.data import DATASETS, make_dataset, parse_csv  # noqa: E402
from gan_demo.game import LOSSES  # noqa: E402
from gan_demo.gif import scatter_gif  # noqa: E402
from gan_demo.gmm import GMMConfig, GMMRun, build, noise_bank, train  # noqa: E402
from gan_demo.metrics import modes_near  # noqa: E402
from gan_demo.models import ModelConfig  # noqa: E402

RUNS_DIR = Path(os.environ.get("SADDLE_RUNS_DIR", ROOT / "runs"))  # where CLI runs are looked for
MAX_STEPS = 5000
NEAR_RADIUS = 0.25  # the visual-proxy radius of gan_demo/README.md
#: architectures offered; "small" keeps the dense Jacobian affordable, "Mangoubi" is the paper's
MODELS = {
    "small (z 2, 2×16 tanh: dense spectrum)": ModelConfig(latent_dim=2, g_width=16, d_width=16, activation="tanh",
                                                         gain=1.0),
    "medium (z 16, 2×64 ReLU)": ModelConfig(latent_dim=16, g_width=64, d_width=64, gain=0.8),
    "Mangoubi et al. (z 256, 2×128 ReLU)": ModelConfig(),
}
#: per-algorithm starting hyperparameters that work on this GAN (the sliders change them)
#: adam and greedy_minmax follow Mangoubi et al.'s four4 notebook (Adam lr_G 1e-3, lr_D 1e-4, β1 0.5;
#: rate 4, k 6, the notebook's literal -V test): on four4 with the medium nets, 4 of 4 seeds of Adam-GDA
#: end on ≤ 2 modes while greedy puts mass near all 4 (gan_demo/README.md, 1500 steps)
GAN_DEFAULTS = {"gda": {"lr": 0.05}, "alt_gda": {"lr": 0.05},
                "adam": {"lr": 1e-3, "lr_x": 1e-3, "lr_y": 1e-4, "beta1": 0.5},
                "greedy_minmax": {"lr": 1e-3, "lr_x": 1e-3, "lr_y": 1e-4, "variant": "gaussian", "rate": 4, "k": 6,
                                  "optimizer": "adam", "beta1": 0.5, "criterion": "d_loss"}}


def algorithm_controls(name: str, sb) -> dynamics.Algorithm:
    """Number inputs for the scalar hyperparameters of one algorithm, from its hparam metadata."""
    cls = dynamics.ALGORITHMS[name]
    kw = {}
    defaults = GAN_DEFAULTS.get(name, {"lr": 1e-2} if any(h.name == "lr" for h in hparams(cls)) else {})
    with sb.expander(f"{name} hyperparameters", expanded=False):
        for hp in hparams(cls):
            default = defaults.get(hp.name, hp.default)
            key = f"gan_{name}_{hp.name}"
            if hp.kind == "float" and default is not None:
                kw[hp.name] = st.number_input(hp.name, value=float(default), min_value=hp.low, max_value=hp.high,
                                              format="%.2e" if hp.log else "%.4f", help=hp.help, key=key)
            elif hp.kind == "int":
                kw[hp.name] = int(st.number_input(hp.name, value=int(default), min_value=None if hp.low is None
                                                  else int(hp.low), max_value=None if hp.high is None else int(hp.high),
                                                  step=1, help=hp.help, key=key))
            elif hp.kind == "choice":
                kw[hp.name] = st.selectbox(hp.name, hp.choices, index=list(hp.choices).index(default), key=key,
                                           help=hp.help)
            elif hp.kind == "bool":
                kw[hp.name] = st.checkbox(hp.name, value=bool(default), key=key, help=hp.help)
    return dynamics.make_algorithm(name, **kw)


def cached_runs() -> list[Path]:
    """Run folders written by the CLI with their parameters kept (``--keep-params``) or not."""
    if not RUNS_DIR.exists():
        return []
    return sorted(p.parent for p in RUNS_DIR.glob("*/metrics.json"))[:200]


def load_cached(folder: Path) -> dict:
    """Metrics and snapshots of a CLI run (no pickle: JSON + npz without objects)."""
    summary = json.loads((folder / "metrics.json").read_text())
    snaps = np.load(folder / "snapshots.npz", allow_pickle=False)
    return {"summary": summary, "steps": snaps["steps"], "samples": snaps["samples"],
            "occupancy": snaps["occupancy"], "centres": snaps["centres"]}


# ---- sidebar ------------------------------------------------------------------------------------
sb = st.sidebar
source = sb.radio("Source", ["Train live", "Load a cached run"], key="gan_source", horizontal=True)
st.title("2D GAN: mode collapse and mode cycling")

if source == "Load a cached run":
    runs = cached_runs()
    if not runs:
        st.info("No cached runs under `runs/`. Write one with `python -m gan_demo.gmm --out runs/NAME ...`.")
        st.stop()
    picked = sb.multiselect("Runs (side by side)", runs, default=runs[:2], format_func=lambda p: p.name,
                            key="gan_cached", help="e.g. GDA next to greedy_minmax on the same data and seeds")
    if not picked:
        st.info("Pick one or more runs in the sidebar.")
        st.stop()
    cached = {}
    for folder in picked:
        try:
            cached[folder.name] = load_cached(folder)
        except (OSError, ValueError, KeyError) as err:
            st.error(f"Could not read {folder.name}: {err}")
    if not cached:
        st.stop()
    for name, c in cached.items():
        s = c["summary"]
        oc = ", ".join(f"{k.replace('_', ' ')}: {v:.0%}" for k, v in s["outcome"].items())
        st.caption(f"`{name}`: {s['algorithm']['name']} on {s['config']['dataset']}, "
                   f"{len(s['config']['seeds'])} seeds, {s['steps'][-1]} steps. Outcome over seeds ({oc})")
    first_c = next(iter(cached.values()))
    ck_steps = [int(v) for v in first_c["steps"]]
    # the slider shows iterations, not checkpoint indices
    step_t = st.select_slider("Checkpoint (iteration)", options=ck_steps, value=ck_steps[-1], key="gan_cached_t")
    n_seeds = min(c["samples"].shape[1] for c in cached.values())
    seed_i = st.slider("Seed", 0, n_seeds - 1, 0, key="gan_cached_seed") if n_seeds > 1 else 0
    cols = st.columns(len(cached))
    for i, (col, (name, c)) in enumerate(zip(cols, cached.items())):
        s = c["summary"]
        mix = make_dataset("custom", centres=s["mixture"]["centres"], weights=s["mixture"]["weights"],
                           sigma=s["mixture"]["sigma"])
        steps_c = [int(v) for v in c["steps"]]
        t = int(np.argmin([abs(v - step_t) for v in steps_c]))  # nearest checkpoint of this run
        col.plotly_chart(gan_plots.gan_figure(mix.sample_numpy(1000), c["samples"][t, seed_i], mix.box(),
                                              title=f"{name}: step {steps_c[t]}", centres=mix.centres,
                                              fake_color=gan_plots.color(i)), key=f"gan_c_fig_{i}")
        wc = s["metrics"]["modes_well_covered"][t][seed_i]
        col.markdown(f"**{wc}/{mix.n_modes}** modes well covered · run label: *{s['cycling']['label'][seed_i]}*")
        col.plotly_chart(gan_plots.occupancy_figure(c["steps"], c["occupancy"][:, seed_i], title="mode occupancy",
                                                    mark=steps_c[t]), key=f"gan_c_occ_{i}")
    st.plotly_chart(gan_plots.curves_figure([c["steps"] for c in cached.values()],
                                            [np.array(c["summary"]["metrics"]["modes_well_covered"])
                                             for c in cached.values()],
                                            list(cached), ylabel="modes well covered", mark=step_t), key="gan_c_cur")
    st.stop()

dataset = sb.selectbox("Dataset", DATASETS, index=DATASETS.index("four4"), key="gan_dataset")
mixture = None
if dataset == "custom":
    up = sb.file_uploader("Centres CSV (x,y[,weight])", type=["csv", "txt"], key="gan_csv")
    if up is None:
        st.info("Upload a CSV of mode centres `x,y[,weight]` (at most 200 lines).")
        st.stop()
    try:
        cen, w = parse_csv(up.getvalue())
        mixture = make_dataset("custom", centres=cen, weights=w, sigma=sb.number_input("σ", 0.001, 1.0, 0.02))
    except ValueError as err:
        st.error(f"Bad CSV: {err}")
        st.stop()
sigma = sb.number_input("σ (0 = literature default)", 0.0, 1.0, 0.0, format="%.3f", key="gan_sigma")
model_name = sb.selectbox("Networks", list(MODELS), index=1, key="gan_model")
loss = sb.selectbox("Loss", LOSSES, key="gan_loss")
batch = int(sb.number_input("Batch size", 8, 1024, 128, step=8, key="gan_batch"))
algos = sb.multiselect("Algorithms (side by side)", sorted(dynamics.ALGORITHMS), default=["adam", "greedy_minmax"],
                       key="gan_algos")
algorithms = []
for name in algos:
    try:
        algorithms.append(algorithm_controls(name, sb))
    except ValueError as err:
        sb.error(str(err))
steps = int(sb.number_input("Steps", 1, MAX_STEPS, 1500, step=100, key="gan_steps"))
every = int(sb.number_input("Checkpoint every", 1, 1000, 50, step=10, key="gan_every"))
seed = int(sb.number_input("Seed", 0, 10_000, 0, key="gan_seed"))

cfg = GMMConfig(dataset=dataset if dataset != "custom" else "custom", sigma=sigma or None, model=MODELS[model_name],
                loss_type=loss, batch_size=batch, seeds=(seed,), eval_n=1000)
sig = json.dumps({"cfg": cfg.to_dict(), "algos": [a.config() for a in algorithms], "steps": steps, "every": every,
                  "mix": None if mixture is None else mixture.config()}, sort_keys=True, default=str)

c1, c2 = st.columns([1, 1])
go_train = c1.button("Train", type="primary", key="gan_train", disabled=not algorithms)
c2.button("Stop", key="gan_stop", help="Stops the run; what was trained so far is kept")

if go_train:
    st.session_state.pop("gan_result", None)
    bar = st.progress(0.0, text="training…")
    results: dict[str, GMMRun] = {}
    st.session_state["gan_result"] = {"sig": sig, "runs": results}
    total = steps * len(algorithms)
    # one of the server's long-computation slots and a CPU budget (app/guard.py; README "Serving a class")
    with guard.long_computation(compute.TRAIN_BUDGET_S) as stop:
        for i, algo in enumerate(algorithms):
            def progress(step: int, i: int = i, name: str = algo.name) -> bool:
                if step % 10 == 0 or step == steps:
                    bar.progress(min(1.0, (i * steps + step) / total), text=f"{name}: step {step}/{steps}")
                return stop(step)

            results[algo.name] = train(cfg, algo, steps, every=every, mixture=mixture, keep_params=True,
                                       progress=progress)
    if stop.stopped_at is not None:
        st.warning(f"Training stopped at this server's budget of {compute.TRAIN_BUDGET_S:g} CPU seconds per click; "
                   "the runs marked 'stopped early' are shorter.", icon=":material/timer:")
    bar.progress(1.0, text="done")

res = st.session_state.get("gan_result")
if not res or not res["runs"]:
    st.info("Press **Train** (about 15 s): Adam-GDA against the greedy accept/reject algorithm of Mangoubi et al. "
            "on their four-Gaussian mixture, with their optimiser settings. GDA collapses onto one or two modes; "
            "greedy min-max spreads its mass over all four.")
    st.stop()
if res["sig"] != sig:
    st.caption("The controls changed since this run; press Train to rerun.")
runs: dict[str, GMMRun] = res["runs"]
first = next(iter(runs.values()))
game, mix = build(first.config, first.mixture)
box = mix.box()
n_ck = min(len(r.steps) for r in runs.values())
ck_steps = [int(v) for v in first.steps[:n_ck]]
step_t = st.select_slider("Checkpoint (iteration)", options=ck_steps, value=ck_steps[-1], key="gan_t")
t = ck_steps.index(step_t)
layers = st.pills("Layers", ["discriminator", "manifold", "gradients", "modes"], selection_mode="multi",
                  default=["discriminator", "modes"], key="gan_layers")

real = mix.sample_numpy(1000)
bank = noise_bank(first.config, torch.float64)[:200]
cols = st.columns(len(runs))
for i, (col, (name, run)) in enumerate(zip(cols, runs.items())):
    z = torch.as_tensor(run.params[t]).double()
    heat = views.d_heatmap(game, z, box, 50) if "discriminator" in layers else None
    man = views.manifold(game, z) if "manifold" in layers else None
    arrows = views.sample_arrows(game, z, bank) if "gradients" in layers else None
    wc = int(run.metrics["modes_well_covered"][t, 0])
    label = run.cycling().label[0]
    col.plotly_chart(gan_plots.gan_figure(real, run.samples[t, 0], box, title=f"{name}: step {step_t}", heat=heat,
                                          manifold=man, arrows=arrows, fake_color=gan_plots.color(i),
                                          centres=mix.centres if "modes" in layers else None), key=f"gan_fig_{name}")
    # the strict 3σ count and the visual count Mangoubi et al. used side by side: with σ = 0.01 a blob
    # that sits visibly on a mode but is 0.1 wide fails the 3σ test
    near = int(modes_near(run.samples[t, 0], mix, NEAR_RADIUS)[0])
    col.markdown(f"**{wc}/{mix.n_modes}** modes well covered (3σ) · **{near}/{mix.n_modes}** hold their share "
                 f"within {NEAR_RADIUS} of the centre · HQ {run.metrics['hq_frac'][t, 0]:.0%} · "
                 f"run label: *{label}*" + (" · stopped early" if run.stopped else ""))
    col.plotly_chart(gan_plots.occupancy_figure(run.steps, run.metrics["occupancy"][:, 0], title="mode occupancy",
                                                mark=step_t), key=f"gan_occ_{name}")

tab_m, tab_s, tab_e = st.tabs(["Metrics", "Spectrum", "Export"])
with tab_m:
    names = list(runs)
    metric = st.selectbox("Metric", ["modes_well_covered", "modes_covered", "hq_frac", "rev_kl", "jsd"],
                          key="gan_metric")
    st.plotly_chart(gan_plots.curves_figure([runs[n].steps for n in names], [runs[n].metrics[metric] for n in names],
                                            names, ylabel=metric, mark=step_t), key="gan_curves")
with tab_s:
    st.markdown("Eigenvalues of the game Jacobian $H = \\partial\\xi/\\partial z$ at the current checkpoint, on "
                "the fixed evaluation batch. Eigenvalues with large imaginary part and small real part are "
                "the rotation that makes simultaneous GDA cycle (Mescheder et al., *The Numerics of GANs*).")
    if st.button("Compute eigenvalues", key="gan_eig"):
        vals, labels, notes = [], [], []
        for name, run in runs.items():
            v, note = views.eigenvalues(game, torch.as_tensor(run.params[t]).double())
            vals.append(v)
            labels.append(name)
            notes.append(note)
        st.caption(notes[0] + (" (dense only for the small networks)." if "Ritz" in notes[0] else "."))
        st.plotly_chart(gan_plots.eigen_figure(vals, labels, title=f"step {step_t}"), key="gan_eigfig")
with tab_e:
    gif = scatter_gif(real, np.stack([r.samples[:n_ck, 0, :400] for r in runs.values()], 1),
                      titles=[f"step {int(s)}" for s in first.steps[:n_ck]], panel_titles=list(runs), box=box)
    st.download_button("Download training GIF", gif, file_name="gan_2d.gif", mime="image/gif", on_click="ignore",
                       key="gan_gif")
    st.caption(f"{n_ck} frames, {len(gif) / 1024:.0f} KB (matplotlib blitting, shared palette: gan_demo/gif.py).")
