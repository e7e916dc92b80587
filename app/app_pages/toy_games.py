"""Toy games: every chosen algorithm on one 2-D game, animated, with metrics, basins and export."""

from __future__ import annotations

import dataclasses

import streamlit as st

from app import formula_view, guard, plots, ui, urlstate, widgets
from app import lecture as lecture_mode

CHART_KEY = "traj_chart"


def _set_start_from_click() -> None:
    """on_select callback: a click on the trajectory chart moves the start there."""
    event = st.session_state.get(CHART_KEY)
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for p in points:
        x, y = p.get("x"), p.get("y")
        if isinstance(x, (int, float)) and isinstance(y, (int, float)):
            st.session_state["x0"] = round(float(x), 3)
            st.session_state["y0"] = round(float(y), 3)
            return


sb = st.sidebar
if lecture_mode.remembered():
    # projector layout: the few controls a lecturer needs sit above the plot, the sidebar is folded away
    row = st.columns([4, 4, 4.6, 3], vertical_alignment="bottom")
    lecture = ui.lecture_toggle(row[3])
else:
    row = None
    lecture = ui.lecture_toggle(sb)
if lecture and row is not None:
    scene = ui.scene_picker(row[0])
    game_cfg = ui.game_controls(lecture, sb)
    algo_cfgs = ui.algorithm_controls(lecture, sb, picker=row[1], lr_row=row[2])
else:
    scene = ui.scene_picker(sb)
    sb.divider()
    game_cfg = ui.game_controls(lecture, sb)
    algo_cfgs = ui.algorithm_controls(lecture, sb)
sb.divider()
x0, y0, steps, seed = ui.start_controls(lecture, sb)
zoom = sb.select_slider("Zoom out", ui.ZOOMS, value=1.0, key="zoom", bind=widgets.BIND,
                        help="Scale of the plotted box relative to the game's own.")
n_frames = 60 if lecture else sb.slider("Animation frames", 20, plots.MAX_FRAMES, 60, step=10, key="frames",
                                        bind=widgets.BIND)

status = ui.scene_status(scene)
shown = scene if scene is not None and status != "other" else None
mark = " (modified)" if status == "modified" else ""
if lecture:
    if shown is not None:  # one line: what the class is about to see
        st.markdown(f"**{shown.title}{mark}.** {shown.look_for or ''}")
else:
    st.title("Toy games")
    if shown is not None:
        st.markdown(f"**{shown.title}{mark}.** {shown.text}")
        if shown.look_for:
            st.markdown(f"**What to look for:** {shown.look_for}")

if not algo_cfgs:
    st.info("Choose at least one algorithm" + (" above." if lecture else " in the sidebar."))
    st.stop()

try:
    box = ui.zoomed_box(game_cfg, zoom)
    field = ui.field_grid(game_cfg, box)
    field, star_note = formula_view.with_star(field, game_cfg, x0, y0)  # typed games: Newton from the start
    runs, steps = guard.runs(game_cfg, algo_cfgs, x0, y0, steps, seed)  # within the server's budget (app/guard.py)
except (ValueError, RuntimeError) as err:
    ui.error_box(err)
    st.stop()
labels = ui.run_labels(algo_cfgs)
runs = [dataclasses.replace(r, label=lab) for r, lab in zip(runs, labels)]


def status_lines() -> None:
    cols = st.columns(len(runs))
    for col, run, i in zip(cols, runs, range(len(runs))):
        col.markdown(f"<span style='color:{plots.color(i)};font-weight:700'>■ {run.label}</span><br>{run.status()}",
                     unsafe_allow_html=True)


def trajectories() -> None:
    fig = plots.trajectory_figure(field, runs, lecture=lecture, frames=n_frames, click_grid=0 if lecture else 25)
    if lecture:  # clicking is off in lecture mode (a stray click would restart the demo)
        st.plotly_chart(fig, key=CHART_KEY, theme=None, config={"displaylogo": False})
    else:
        st.plotly_chart(fig, key=CHART_KEY, on_select=_set_start_from_click, selection_mode="points",
                        theme=None, config={"displaylogo": False})
    ui.stepper()
    if lecture:
        status_lines()
        if shown is not None:
            with st.expander("About this scene"):
                st.markdown(shown.text)
    else:
        st.caption("▶ Play (½× slower, 4× faster), ❚❚ Pause, ◀ / ▶ one frame back or forward, ↺ back to the "
                   "start; drag the step slider to scrub. Click anywhere on the plot to start from there. "
                   "Arrows: the flow −ξ; ★ the equilibrium; a coloured arrowhead on the frame: the path leaves "
                   "the box there. Right: f, ‖ξ‖ and the distance to ★ along the runs; the dotted line follows "
                   "the animation." + (f" {star_note}" if star_note else ""))


def small_multiples() -> None:
    st.plotly_chart(plots.small_multiples(field, runs, lecture=lecture), key="multiples_chart",
                    theme=None, config={"displaylogo": False})


def basin_map() -> None:
    which = st.selectbox("Algorithm", range(len(runs)), format_func=lambda i: labels[i], key="basin_algo")
    c1, c2 = st.columns(2)
    res = c1.select_slider("Grid of starts (n × n)", urlstate.BASIN_GRID, value=41, key="basin_n",
                           bind=widgets.BIND)
    bsteps = c2.select_slider("Steps per start", ui.STEP_CHOICES, value=min(steps, 300), key="basin_steps",
                              bind=widgets.BIND)
    try:
        b, res, bsteps = guard.basin(game_cfg, algo_cfgs[which], res, bsteps, seed, box, urlstate.BASIN_GRID)
    except (ValueError, RuntimeError) as err:
        ui.error_box(err)
        return
    st.plotly_chart(plots.basin_figure(b, title=labels[which], lecture=lecture, start=(x0, y0),
                                       equilibrium=field.equilibrium, box=box), key="basin_chart",
                    theme=None, config={"displaylogo": False})
    st.caption(f"{res * res} starts run together in one batched `dynamics.run` call for {bsteps} steps. "
               + plots.BASIN_RULE)


def export_tab() -> None:
    from app import export  # matplotlib + Pillow: loaded only when someone exports

    c1, c2, c3 = st.columns(3)
    size = c1.select_slider("Size (px)", (240, 320, 400, 480, 640, 800), value=480, key="ex_size")
    fps = c2.slider("Frames per second", 5, 50, 25, key="ex_fps")
    nfr = c3.slider("Frames", 10, 400, 200, step=10, key="ex_frames")
    scene_ok = shown is not None and not mark
    spec = export.ToyAnimation(game_cfg=game_cfg, algo_cfgs=tuple(algo_cfgs), x0=x0, y0=y0, steps=steps,
                               seed=seed, box=box, lecture=lecture, title=shown.title if scene_ok else "")
    stem = f"saddle_{shown.key}" if scene_ok else f"saddle_{game_cfg[0]}_{'_'.join(a[0] for a in algo_cfgs)}"
    d1, d2, d3 = st.columns(3)
    d1.download_button("⬇ GIF", data=lambda: export.cached_bytes(spec, "gif", size, fps, nfr),
                       file_name=stem + ".gif", mime="image/gif", on_click="ignore", key="dl_gif")
    if export.mp4_available():
        d2.download_button("⬇ MP4", data=lambda: export.cached_bytes(spec, "mp4", size, fps, nfr),
                           file_name=stem + ".mp4", mime="video/mp4", on_click="ignore", key="dl_mp4")
    else:
        d2.caption("MP4 needs `imageio-ffmpeg`.")
    k = st.slider("PNG of frame", 0, nfr - 1, nfr - 1, key="ex_png_frame")
    d3.download_button("⬇ PNG of the frame", data=lambda: export.cached_bytes(spec, "png", size, fps, nfr, k),
                       file_name=f"{stem}_frame{k}.png", mime="image/png", on_click="ignore", key="dl_png")
    st.image(export.cached_bytes(spec, "png", min(size, 480), fps, nfr, k), caption=f"frame {k} of {nfr}")
    cmd = (f"--scene {shown.key}" if scene_ok else
           f"--game {game_cfg[0]} --algorithms {','.join(a[0] for a in algo_cfgs)} --steps {steps}")
    st.caption(f"Same renderer as the command line: `python -m app.export {cmd} --out x.gif`")


if lecture:
    # the plot first (it must fit the first screen of a projector), the other views below it
    trajectories()
    more = st.tabs(["Small multiples", "Basin map", "Export"], key="lecture_tab", on_change="rerun",
                   default="Small multiples")
    for tab, body in zip(more, (small_multiples, basin_map, export_tab)):
        with tab:
            if tab.open:
                body()
else:
    status_lines()
    tabs = st.tabs(["Trajectories", "Small multiples", "Basin map", "Export"], key="tab", on_change="rerun",
                   bind=widgets.BIND)
    for tab, body in zip(tabs, (trajectories, small_multiples, basin_map, export_tab)):
        with tab:
            if tab.open:
                body()
