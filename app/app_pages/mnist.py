"""MNIST: the seed papers' GANs, trained by the engine, loaded from the shipped checkpoints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import lecture
from app import mnist_plots as mp
from gan_demo.mnist.shipped import ShippedRun, list_shipped, load_shipped

MAX_SAMPLES = 64
SCALE = 3


@st.cache_resource(show_spinner="Loading checkpoints…")
def _names() -> list[str]:
    return list_shipped()


@st.cache_resource(show_spinner="Loading a checkpoint…", max_entries=32)
def _run(name: str) -> ShippedRun:
    return load_shipped(name)


@st.cache_data(show_spinner=False, max_entries=64)
def _grid(name: str, seed: int, n: int, row: int) -> np.ndarray:
    run = _run(name)
    return mp.upscale(mp.image_grid(run.sample(run.noise(seed, n), row), ncols=8), SCALE)


@st.cache_data(show_spinner=False, max_entries=64)
def _interp(name: str, seed_a: int, seed_b: int, n: int, spherical: bool, row: int) -> np.ndarray:
    run = _run(name)
    a, b = run.noise(seed_a, 1)[0], run.noise(seed_b, 1)[0]
    path = mp.slerp(a, b, n) if spherical else mp.lerp(a, b, n)
    return mp.upscale(mp.image_grid(run.sample(path, row), ncols=n), SCALE)


@st.cache_data(show_spinner="Encoding the GIF…", max_entries=8)
def _gif(names: tuple[str, ...], row: int, n_show: int, fps: int) -> bytes:
    runs = [_run(n) for n in names]
    frames = mp.snapshot_frames([(r.name, r.snapshot_steps, r.snapshots[:, min(row, r.snapshots.shape[1] - 1)])
                                 for r in runs], n_show=n_show, scale=2)
    return encode_gif(frames, fps)


def encode_gif(frames: np.ndarray, fps: int) -> bytes:
    """The app's GIF writer (one shared palette) when present, else :func:`mp.gif_bytes`."""
    try:
        from app.export import encode_gif as shared
    except ImportError:  # pragma: no cover - app/export.py lives on the app branch
        return mp.gif_bytes(frames, fps)
    return shared(frames, fps=fps)


lecture.setup()  # lecture mode on every page: the shared switch, remembered across pages and in the URL
st.title("MNIST")
names = _names()
if not names:
    st.error("No shipped checkpoints found in checkpoints/mnist/. Regenerate them with the commands in "
             "gan_demo/MNIST.md.")
    st.stop()
runs_all = {n: _run(n) for n in names}
default = [n for n in names if n.startswith("exp2")] or names[:2]
chosen = st.multiselect("Checkpoints", names, default=default, key="mnist_runs",
                        format_func=lambda n: runs_all[n].label,
                        help="Pick one or several: every view below shows them side by side.")
if not chosen:
    st.info("Pick at least one checkpoint.")
    st.stop()
runs = [runs_all[n] for n in chosen]
data_note = runs[0].meta["data"]["description"]
st.caption(f"All GANs and the evaluation classifier were {data_note}. Generators stored in float16; "
           "metrics use the shipped CNN classifier (features: its 128-d hidden layer).")

c1, c2, c3 = st.columns(3)
seed = c1.number_input("Noise seed", 0, 2**31 - 1, 0, key="mnist_seed", help="Fixed seed of the sample grid.")
n_samples = c2.slider("Samples", 8, MAX_SAMPLES, 32, step=8, key="mnist_n")
max_rows = max(len(r.generators) for r in runs)
row = c3.number_input("Training seed (row)", 0, max_rows - 1, 0, key="mnist_row",
                      help="Checkpoints that trained several seeds side by side hold one generator per seed.",
                      disabled=max_rows == 1)


def _row(run: ShippedRun) -> int:
    return min(int(row), len(run.generators) - 1)


tab_s, tab_t, tab_i, tab_m, tab_e = st.tabs(["Samples", "Over training", "Interpolation", "Metrics", "Export"])

with tab_s:
    cols = st.columns(len(runs))
    for col, run in zip(cols, runs):
        col.markdown(f"**{run.label}**")
        col.image(_grid(run.name, int(seed), int(n_samples), _row(run)), clamp=True)
        a = run.meta["algorithm"]
        col.caption(", ".join(f"{k}={v}" for k, v in a.items() if k != "name" and v is not None))

with tab_t:
    st.plotly_chart(mp.loss_figure([(r.name, r.meta["history"]["log_steps"],
                                     [v[_row(r)] for v in r.meta["history"]["loss_x"]],
                                     [v[_row(r)] for v in r.meta["history"]["loss_y"]]) for r in runs]),
                    key="mnist_losses")
    steps_all = sorted({s for r in runs for s in r.snapshot_steps})
    step = st.select_slider("Snapshot (iteration)", steps_all, value=steps_all[-1], key="mnist_step") \
        if len(steps_all) > 1 else (steps_all[0] if steps_all else 0)
    zero_one = [r for r in runs if r.digits == (0, 1)]
    if zero_one:
        frac_runs = [(r.name, r.meta["history"]["eval_steps"], [h[_row(r)][1] for h in r.meta["history"]["class_hist"]])
                     for r in zero_one]
        ref = zero_one[0].meta["data"].get("frac_ones")
        st.markdown("**Fraction of 1s among samples from a fixed noise bank** (0-1 MNIST): the mode "
                    "oscillation of Mangoubi et al. A collapsed generator sits at 0 or 1.")
        st.plotly_chart(mp.fraction_figure(frac_runs, digit=1, reference=ref, marker_step=step), key="mnist_frac")
    for r in runs:
        if r.digits != (0, 1):
            h = np.array([hh[_row(r)] for hh in r.meta["history"]["class_hist"]])
            st.plotly_chart(mp.occupancy_figure(r.meta["history"]["eval_steps"], h, r.digits,
                                                title=f"{r.name}: class occupancy over training"),
                            key=f"mnist_occ_{r.name}")
    cols = st.columns(len(runs))
    for col, r in zip(cols, runs):
        steps_r = r.snapshot_steps
        if not steps_r:
            col.info("no snapshots")
            continue
        k = int(np.argmin([abs(s - step) for s in steps_r]))
        col.markdown(f"**{r.name}** at iteration {steps_r[k]}")
        col.image(mp.upscale(mp.image_grid(r.snapshots[k, _row(r), :32], 8), SCALE), clamp=True)

with tab_i:
    c1, c2, c3, c4 = st.columns(4)
    seed_a = c1.number_input("Noise seed A", 0, 2**31 - 1, 1, key="mnist_za")
    seed_b = c2.number_input("Noise seed B", 0, 2**31 - 1, 2, key="mnist_zb")
    n_interp = c3.slider("Steps", 3, 16, 10, key="mnist_ni")
    spherical = c4.radio("Path", ["spherical", "linear"], key="mnist_path", horizontal=True) == "spherical"
    st.caption("Latent interpolation between two noise vectors (the Smoothed-GDA repository's figure): a "
               "collapsed generator draws the same digit all the way.")
    for r in runs:
        st.markdown(f"**{r.label}**")
        st.image(_interp(r.name, int(seed_a), int(seed_b), int(n_interp), spherical, _row(r)), clamp=True)

with tab_m:
    rows = []
    for r in runs:
        m = r.meta["metrics"]
        per = m["per_seed"][_row(r)]
        rows.append({"checkpoint": r.name, "algorithm": r.meta["algorithm"]["name"], "iterations": r.meta["step"],
                     "classes covered": per["classes_covered"], "well covered": per["classes_well_covered"],
                     "KL(p̂‖uniform)": per["rev_kl"], "FID (CNN feat.)": per["fid"], "KID (CNN feat.)": per["kid"],
                     "real-vs-real FID": m["real_floor"]["fid"], "real-vs-real KID": m["real_floor"]["kid"],
                     "N": m["n_samples"], "CPU train s": r.meta["train_seconds"]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="mnist_table")
    st.caption("FID/KID on the shipped classifier's 128-d features, generated N = held-out N; not comparable "
               "with Inception FIDs. The real-vs-real row is the held-out split scored the same way: the floor "
               "a perfect generator would reach.")
    for digits in sorted({r.digits for r in runs}):
        group = [r for r in runs if r.digits == digits]
        st.plotly_chart(mp.histogram_figure([(r.name, r.meta["metrics"]["per_seed"][_row(r)]["class_hist"])
                                             for r in group], digits,
                                            reference=group[0].meta["data"].get("train_freqs")),
                        key=f"mnist_hist_{''.join(map(str, digits))}")

with tab_e:
    c1, c2 = st.columns(2)
    fps = c1.slider("Frames per second", 1, 20, 4, key="mnist_fps")
    n_show = c2.slider("Samples per checkpoint", 4, 32, 16, step=4, key="mnist_gif_n")
    st.caption("A GIF of the snapshot samples over training, the chosen checkpoints side by side.")
    st.download_button("Download GIF", data=lambda: _gif(tuple(chosen), int(row), int(n_show), int(fps)),
                       file_name="mnist_training.gif", mime="image/gif", on_click="ignore", key="mnist_gif")
