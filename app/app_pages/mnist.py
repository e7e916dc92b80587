"""MNIST: the two seed papers' GAN experiments, trained by the engine, loaded from the shipped checkpoints.

Default view: experiment 2 (greedy min-max vs GDA on 0-1 MNIST) with the representative runs and
the across-runs statistic beside them. Every checkpoint loads on its own: a broken file shows as
broken and never takes the page down.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import lecture as lecture_mode
from app import mnist_plots as mp
from gan_demo.mnist import setups
from gan_demo.mnist.exp1 import ARM_LABELS as EXP1_LABELS
from gan_demo.mnist.exp2 import PUBLISHED, summarize
from gan_demo.mnist.shipped import ShippedRun, checkpoint_dir, load_all, load_exp1_runs, load_sweep

MAX_SAMPLES = 64
SCALE = 3
EXPERIMENTS = ("Experiment 2: greedy min-max vs GDA (0-1 MNIST)", "Experiment 1: Smoothed / Double SGDA (MNIST)",
               "Any checkpoints")


def _folder_key() -> tuple:
    """What the cached loads depend on: the folder and every file's name, size and mtime."""
    folder = checkpoint_dir()
    if not folder.is_dir():
        return (str(folder),)
    return (str(folder), *sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()
                                 if p.is_file()))


@st.cache_resource(show_spinner="Loading checkpoints…", max_entries=4)
def _load(key: tuple) -> tuple[dict[str, ShippedRun], dict[str, str]]:
    return load_all(checkpoint_dir())


#: the across-runs results files the tab reads, by experiment
_RESULTS = {"exp2": load_sweep, "exp1": load_exp1_runs}


@st.cache_data(show_spinner=False, max_entries=8)
def _results(key: tuple, which: str) -> tuple[dict | None, str | None]:
    """``(results, None)``, ``(None, None)`` if not shipped, or ``(None, why)`` if broken (never raised)."""
    try:
        return _RESULTS[which](checkpoint_dir()), None
    except FileNotFoundError:
        return None, None
    except Exception as e:  # noqa: BLE001 - a broken results file is reported, never raised
        return None, f"{type(e).__name__}: {e}"


KEY = _folder_key()


def _run(name: str) -> ShippedRun:
    return _load(KEY)[0][name]


@st.cache_data(show_spinner=False, max_entries=64)
def _grid(key: tuple, name: str, seed: int, n: int, row: int) -> np.ndarray:
    run = _run(name)
    return mp.upscale(mp.image_grid(run.sample(run.noise(seed, n), row), ncols=8), SCALE)


@st.cache_data(show_spinner=False, max_entries=64)
def _interp(key: tuple, name: str, seed_a: int, seed_b: int, n: int, spherical: bool, row: int) -> np.ndarray:
    run = _run(name)
    a, b = run.noise(seed_a, 1)[0], run.noise(seed_b, 1)[0]
    path = mp.slerp(a, b, n) if spherical else mp.lerp(a, b, n)
    return mp.upscale(mp.image_grid(run.sample(path, row), ncols=n), SCALE)


def _anim_runs(runs: list[ShippedRun], row: int) -> list[tuple]:
    """(label, colour, snapshot steps, snapshots, eval steps, fraction of 1s) per run."""
    out = []
    for i, r in enumerate(runs):
        rr = min(row, len(r.generators) - 1)
        h = r.meta["history"]
        arm = _arm(r)
        color = mp.ARM_COLORS.get(arm, mp.PALETTE[i % len(mp.PALETTE)]) if arm else mp.PALETTE[i % len(mp.PALETTE)]
        ones = [hh[rr][1] for hh in h["class_hist"]] if r.digits == (0, 1) else []
        label = f"{_arm_label(r)} (run {r.meta['seeds'][rr]})"
        out.append((label, color, r.snapshot_steps, r.snapshots[:, rr], h["eval_steps"] if ones else [], ones))
    return out


@st.cache_data(show_spinner="Encoding the GIF…", max_entries=8)
def _gif(key: tuple, names: tuple[str, ...], title: str, row: int, n_show: int, fps: int) -> bytes:
    frames = mp.blog_gif_frames(title, _anim_runs([_run(n) for n in names], row), n_show=n_show)
    return encode_gif(frames, fps)


@st.cache_data(show_spinner=False, max_entries=8)
def _animation(key: tuple, names: tuple[str, ...], row: int, lecture: bool) -> dict:
    return mp.training_animation(_anim_runs([_run(n) for n in names], row), lecture=lecture).to_dict()


def encode_gif(frames: np.ndarray, fps: int) -> bytes:
    """The app's GIF writer (one shared palette) when present, else :func:`mp.gif_bytes`."""
    try:
        from app.export import encode_gif as shared
    except ImportError:  # pragma: no cover - app/export.py lives on the app branch
        return mp.gif_bytes(frames, fps)
    return shared(frames, fps=fps)


def _arm(run: ShippedRun) -> str | None:
    """The experiment-2 arm a 0-1 MNIST checkpoint belongs to (by its algorithm), else None."""
    if run.digits != (0, 1):
        return None
    return "greedy_minmax" if run.meta["algorithm"]["name"] == "greedy_minmax" else "gda"


def _arm_label(run: ShippedRun) -> str:
    """How a shown run is named: its experiment arm (both experiments), else its algorithm."""
    arm = _arm(run)
    if arm:
        return mp.ARM_LABELS[arm]
    if run.name.startswith("exp1_"):
        return EXP1_LABELS.get(run.name.removeprefix("exp1_"), run.name)
    return str(run.meta["algorithm"]["name"])


def _typical(run: ShippedRun) -> str:
    """How typical the shown run is, from the statistic it represents (stored in its sidecar)."""
    rep = run.meta.get("represents")
    if not isinstance(rep, dict):
        return "A single run: how typical it is was not measured."
    return str(rep.get("text", ""))


# ---- the page -------------------------------------------------------------------------------------
st.title("MNIST")
lecture = lecture_mode.setup()
good, broken = _load(KEY)
for bad, why in sorted(broken.items()):
    st.warning(f"Checkpoint **{bad}** is broken and is not shown ({why}). Regenerate it with the command in "
               "gan_demo/MNIST.md.", icon="⚠️")
sweep, sweep_error = _results(KEY, "exp2")
if sweep_error:
    st.warning(f"The across-runs results file is broken and is not shown ({sweep_error}).", icon="⚠️")
exp1_results, exp1_error = _results(KEY, "exp1")
if exp1_error:
    st.warning(f"Experiment 1's across-seeds results file is broken and is not shown ({exp1_error}).", icon="⚠️")
if not good:
    st.error(f"No loadable MNIST checkpoints in {checkpoint_dir().name}/. Regenerate them with the commands in "
             "gan_demo/MNIST.md.")
    st.stop()

names = sorted(good)
exp = st.radio("Experiment", EXPERIMENTS, horizontal=True, key="mnist_exp", label_visibility="collapsed")
if exp == EXPERIMENTS[0]:
    chosen = [n for n in ("exp2_gda", "exp2_greedy_minmax") if n in good] or \
        [n for n in names if good[n].digits == (0, 1)][:2]
elif exp == EXPERIMENTS[1]:
    # the shown run of each arm, in the results file's order (GDA, SGDA, Double SGDA, its earlier variant)
    order = list(exp1_results["summary"]) if exp1_results else []
    chosen = sorted((n for n in names if n.startswith("exp1_")),
                    key=lambda n: (order.index(n[5:]) if n[5:] in order else len(order), n))
else:
    chosen = st.multiselect("Checkpoints", names, default=names[:2], key="mnist_runs",
                            format_func=lambda n: good[n].label,
                            help="Pick one or several: every view below shows them side by side.")
if not chosen:
    st.info("No checkpoint of this experiment loads; pick 'Any checkpoints' to see the others.")
    st.stop()
runs = [good[n] for n in chosen]

if exp == EXPERIMENTS[0]:
    st.markdown("**The claim** (Mangoubi et al. 2020): on 0-1 MNIST at iteration 1000, both digits are "
                f"generated in **{PUBLISHED['greedy_minmax']:.0%}** of runs with greedy min-max and "
                f"**{PUBLISHED['gda']:.0%}** with GDA. GDA \"forgets how to generate 0s for a long time\".")
    left, right = st.columns([5, 4] if not lecture else [1, 1])
    with left:
        cols = st.columns(len(runs))
        for col, r in zip(cols, runs):
            col.markdown(f"**{mp.ARM_LABELS.get(_arm(r) or '', r.meta['algorithm']['name'])}** at iteration "
                         f"{r.meta['step']}")
            col.image(mp.upscale(mp.image_grid(r.snapshots[-1, 0, :32], 8), 2 if lecture else SCALE), clamp=True)
            col.caption(_typical(r))
    with right:
        if sweep is None:
            st.info("No across-runs results shipped (exp2_runs.json): the two runs above are single runs.")
        else:
            rows = sweep["rows"]
            table = []
            for arm in ("greedy_minmax", "gda"):
                s = summarize(rows, arm)
                lo, hi = s["wilson95"]
                table.append({"algorithm": mp.ARM_LABELS[arm],
                              f"both digits at {sweep.get('at', 1000)}": f"{s['k']} of {s['n']}",
                              "95 % (Wilson)": f"{lo:.0%}–{hi:.0%}", "published": f"{PUBLISHED[arm]:.0%}"})
            st.markdown("**Across runs** (same settings, one seed each)")
            st.dataframe(pd.DataFrame(table), hide_index=True, key="mnist_stat")
            if sweep.get("note"):
                st.caption(str(sweep["note"]))
            st.caption(f"'Both digits' = each of 0 and 1 is at least {sweep.get('threshold', 0.1):.0%} of "
                       f"{sweep.get('eval_n', 500)} samples from a fixed noise bank, by our CNN classifier, at "
                       f"iteration {sweep.get('at', 1000)}. The paper judged visually. Shown runs: the median run "
                       "of each arm by the smaller digit's share at iteration 1000, never the best.")
    if sweep is not None:
        highlight = {a: r.meta["seeds"][0] for r in runs if (a := _arm(r))}
        st.plotly_chart(mp.runs_fraction_figure(sweep["rows"], highlight, at=int(sweep.get("at", 1000)),
                                                threshold=float(sweep.get("threshold", 0.1)),
                                                reference=runs[0].meta["data"].get("frac_ones"), lecture=lecture),
                        key="mnist_all_runs")
        st.caption("Every run's fraction of 1s over training (measured every 10 iterations on 500 samples). "
                   "A line at 0 or 1 is a generator that draws one digit only.")
    earlier = [r.name for r in runs if r.meta["config"].get("acceptance") != "fresh"
               or r.meta["config"].get("batch_size") != 128]
    if earlier:
        st.warning(f"{', '.join(earlier)} were trained with the earlier setup (batch 64, the greedy test on the "
                   "training minibatch with dropout on), not the notebook's; see the setup below.")
    with st.expander("Setup, and what still differs from the authors' code", expanded=False):
        st.dataframe(pd.DataFrame(mp.hyperparameter_rows(runs[-1].meta)), hide_index=True, key="mnist_hp2")
        st.markdown(f"Source: {setups.EXP2_SOURCE}. **Remaining differences:**\n\n" +
                    "\n".join(f"- {d}" for d in setups.EXP2_REMAINING) +
                    "\n\n**Removed since earlier versions:**\n\n" + "\n".join(f"- {d}" for d in setups.EXP2_REMOVED))
elif exp == EXPERIMENTS[1]:
    st.markdown("**The claim** (Smoothed-GDA repository, qualitative): GDA and SGDA mode-collapse on MNIST, "
                "Double SGDA does not.")
    earlier1 = [r.name for r in runs if r.meta["config"].get("data_range") != "01"
                or r.meta["config"].get("batch_size") != 32]
    if earlier1:
        st.warning(f"{', '.join(earlier1)} were trained with an earlier setup (batch 64, pixels in [-1, 1]), not "
                   "the repository's; gan_demo/MNIST.md lists the setups.")
    cols = st.columns(len(runs))
    for col, r in zip(cols, runs):
        col.markdown(f"**{_arm_label(r)}** at iteration {r.meta['step']:,}")
        col.image(mp.upscale(mp.image_grid(r.snapshots[-1, 0, :16], 4), 2), clamp=True)
        rep = r.meta.get("represents")
        if lecture and isinstance(rep, dict):  # one line a room can read; the full text is in the sidecar
            col.caption(f"{rep.get('k')} of {rep.get('n')} runs collapsed; this is the median run ({rep.get('seed')})")
        else:
            col.caption(_typical(r))
    if exp1_results is None:
        st.info("No across-seeds results shipped (exp1_runs.json): the runs above are single runs.")
    else:
        table = []
        for arm, s in exp1_results["summary"].items():
            lo, hi = s["wilson95"]
            table.append({"algorithm": exp1_results["arm_labels"].get(arm, arm),
                          "collapsed at the end": f"{s['k_collapsed']} of {s['n']}",
                          "95 % (Wilson)": f"{lo:.0%}–{hi:.0%}",
                          "digits well covered (median)": s["median_well_covered"],
                          "KL to uniform (median)": round(s["median_kl"], 2),
                          "FID (median)": round(s["median_fid"]),
                          "mean top-class prob. (median)": round(s["median_top_prob"], 2)})
        st.markdown("**Across seeds** (same settings, one run per seed)")
        st.dataframe(pd.DataFrame(table), hide_index=True, key="mnist_exp1_stat")
        # an arm whose generators never got far from their starting FID did not learn: say so, since the
        # counting rule cannot tell noise in one class from a collapse onto a few digits
        stuck = [arm for arm in exp1_results["summary"]
                 if all(r["final"]["fid"] >= 0.8 * r["fid"][0] for r in exp1_results["rows"] if r["arm"] == arm)]
        for arm in stuck:
            st.markdown(f"**{exp1_results['arm_labels'].get(arm, arm)}: no digits at all.** Its generators stay near "
                        "their FID at initialisation and draw noise that the classifier puts in one class. The rule "
                        "counts this as collapsed, but it is a failure to learn, not the collapse onto a few digits "
                        "that the repository shows.")
        floor = exp1_results["rows"][0]["fid_floor"]
        st.caption(f"'Collapsed' = at most {exp1_results['collapse_well_covered']} of the 10 digits well covered "
                   "(each at least 0.2·N/10 of N = 2,000 samples from a fixed noise bank, by our CNN classifier). "
                   f"FID on the classifier's features; a perfect generator would score the real floor, {floor:.1f}. "
                   "Shown runs: the median run of each arm by KL at the last iteration, never the best.")
        highlight = {r.name.removeprefix("exp1_"): r.meta["seeds"][0] for r in runs}
        st.plotly_chart(mp.exp1_seeds_figure(exp1_results["rows"], exp1_results["arm_labels"], highlight,
                                             int(exp1_results["collapse_well_covered"]), floor, lecture=lecture),
                        key="mnist_exp1_metrics")
        st.caption("Every run over training, evaluated every 1,000 iterations; thick: the shown run.")
    with st.expander("Setup, and what still differs from the authors' code", expanded=False):
        for r in runs:
            st.markdown(f"**{r.name}**")
            st.dataframe(pd.DataFrame(mp.hyperparameter_rows(r.meta)), hide_index=True, key=f"mnist_hp_{r.name}")
        st.markdown(f"Source: {setups.EXP1_SOURCE}. **Remaining differences:**\n\n" +
                    "\n".join(f"- {d}" for d in setups.EXP1_REMAINING) +
                    "\n\n**Removed since earlier versions:**\n\n" + "\n".join(f"- {d}" for d in setups.EXP1_REMOVED))

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


tab_t, tab_s, tab_i, tab_m, tab_e = st.tabs(["Over training", "Samples", "Interpolation", "Metrics", "Export"])

with tab_t:
    if all(len(r.snapshot_steps) for r in runs):
        st.plotly_chart(_animation(KEY, tuple(chosen), int(row), lecture), key="mnist_anim")
        st.caption("Press play: the sample grids (fixed noise) and the fraction of 1s move together.")
    for r in runs:
        if r.digits != (0, 1):
            h = np.array([hh[_row(r)] for hh in r.meta["history"]["class_hist"]])
            st.plotly_chart(mp.occupancy_figure(r.meta["history"]["eval_steps"], h, r.digits,
                                                title=f"{r.name}: class occupancy over training"),
                            key=f"mnist_occ_{r.name}")
    st.plotly_chart(mp.loss_figure([(r.name, r.meta["history"]["log_steps"],
                                     [v[_row(r)] for v in r.meta["history"]["loss_x"]],
                                     [v[_row(r)] for v in r.meta["history"]["loss_y"]]) for r in runs]),
                    key="mnist_losses")

with tab_s:
    cols = st.columns(len(runs))
    for col, run in zip(cols, runs):
        col.markdown(f"**{run.label}**")
        col.image(_grid(KEY, run.name, int(seed), int(n_samples), _row(run)), clamp=True)

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
        st.image(_interp(KEY, r.name, int(seed_a), int(seed_b), int(n_interp), spherical, _row(r)), clamp=True)

with tab_m:
    rows = []
    for r in runs:
        m = r.meta["metrics"]
        per = m["per_seed"][_row(r)]
        rows.append({"checkpoint": r.name, "algorithm": r.meta["algorithm"]["name"], "iterations": r.meta["step"],
                     "classes covered": per.get("classes_covered"), "well covered": per.get("classes_well_covered"),
                     "KL(p̂‖uniform)": per.get("rev_kl"), "mean top-class prob.": per.get("mean_top_prob"),
                     "FID (CNN feat.)": per.get("fid"), "real-vs-real FID": m["real_floor"].get("fid"),
                     "N": m.get("n_samples"), "training wall s": r.meta["train_seconds"]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="mnist_table")
    st.caption("FID on the shipped classifier's 128-d features, generated N = held-out N; not comparable "
               "with Inception FIDs. The real-vs-real column is the held-out split scored the same way: the floor "
               "a perfect generator would reach.")
    for digits in sorted({r.digits for r in runs}):
        group = [r for r in runs if r.digits == digits]
        st.plotly_chart(mp.histogram_figure([(r.name, r.meta["metrics"]["per_seed"][_row(r)]["class_hist"])
                                             for r in group], digits,
                                            reference=group[0].meta["data"].get("train_freqs")),
                        key=f"mnist_hist_{''.join(map(str, digits))}")
    for r in runs:
        with st.expander(f"Hyperparameters of {r.name}"):
            st.dataframe(pd.DataFrame(mp.hyperparameter_rows(r.meta)), hide_index=True, key=f"mnist_hpm_{r.name}")

with tab_e:
    c1, c2 = st.columns(2)
    fps = c1.slider("Frames per second", 1, 20, 4, key="mnist_fps")
    n_show = c2.slider("Samples per run", 4, 32, 16, step=4, key="mnist_gif_n")
    title = "Greedy min-max vs GDA on 0-1 MNIST" if exp == EXPERIMENTS[0] else (
        "Smoothed / Double SGDA on MNIST" if exp == EXPERIMENTS[1] else "MNIST GANs over training")
    st.caption("A blog-ready GIF (960×640): title, iteration counter, each run labelled, and the fraction of 1s "
               "with a moving marker for 0-1 MNIST runs.")
    st.download_button("Download GIF", data=lambda: _gif(KEY, tuple(chosen), title, int(row), int(n_show), int(fps)),
                       file_name="mnist_training.gif", mime="image/gif", on_click="ignore", key="mnist_gif")
