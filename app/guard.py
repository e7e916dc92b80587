"""The Streamlit side of the cost budget (:mod:`app.compute`): plan, stop, queue and say so.

Every computation a URL or a click starts on the toy-game page goes through here:

* trajectories: the steps are shortened *before* running when the estimate exceeds the budget
  (:data:`app.compute.TIME_BUDGET_S` CPU seconds per view, all algorithms together); the engine's
  ``callback`` stops what the estimate missed;
* basin maps: the grid is coarsened, then the steps shortened, to fit the same budget, and at most
  :data:`app.compute.LONG_JOBS` run at once in the server (the others wait, then are told the server
  is busy);
* a visitor who changes the inputs or leaves stops the computation at once (no cache keeps it).

Whatever was shrunk or stopped is said in one notice on the page.
"""

from __future__ import annotations

from typing import Optional

import streamlit as st

from . import compute, ui
from .compute import AlgoConfig, GameConfig


def visitor_gone() -> bool:
    """Whether this session asked for a full rerun (the inputs changed) or was closed, mid-run.

    Streamlit only checks its pending requests when the script calls ``st.*``; a long torch loop
    does not, so the engine callback polls the request state here. Fragment reruns (the frame
    scrubber) do not preempt the script, so they do not stop a run either.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    requests = getattr(ctx, "script_requests", None)
    state = getattr(getattr(requests, "_state", None), "name", "")
    if state == "STOP":
        return True
    if state == "RERUN":
        data = getattr(requests, "_rerun_data", None)
        return not (getattr(data, "fragment_id_queue", None) and not getattr(data, "is_fragment_scoped_rerun", False))
    return False


def stopper(seconds: float = compute.TIME_BUDGET_S) -> compute.Stopper:
    return compute.Stopper(seconds, gone=visitor_gone)


def _cancelled() -> None:
    st.stop()  # the pending rerun (or the closed session) takes over


def runs(game_cfg: GameConfig, algo_cfgs: list[AlgoConfig], x0: float, y0: float, steps: int,
         seed: int) -> list[compute.Run]:
    """Every algorithm's run from one start, within the view's budget (shortened and said so if needed)."""
    fit = compute.affordable_steps(game_cfg, algo_cfgs, 1, steps)
    if fit < steps:
        st.warning(f"Shortened to {fit} steps (asked: {steps}): {len(algo_cfgs)} algorithm(s) at {steps} steps "
                   f"would take about {compute.estimate(game_cfg, algo_cfgs, 1, steps).seconds:.0f} s, over this "
                   f"server's budget of {compute.TIME_BUDGET_S:g} s per view.", icon=":material/timer:")
    stop = stopper()
    out: list[compute.Run] = []
    truncated: Optional[int] = None
    try:
        for a in algo_cfgs:
            try:
                out.append(ui.simulate(game_cfg, a, x0, y0, fit, seed, _stop=stop))
            except compute.Truncated as cut:
                out.append(cut.run)
                truncated = cut.run.stopped_at
    except compute.Cancelled:
        _cancelled()
    if truncated is not None:
        st.warning(f"This server's time budget ({compute.TIME_BUDGET_S:g} s of a core per view) ran out; "
                   "the runs marked 'stopped' end early. Fewer algorithms or steps fit.", icon=":material/timer:")
    return out


def basin(game_cfg: GameConfig, algo_cfg: AlgoConfig, n: int, steps: int, seed: int, box: tuple,
          grid: tuple[int, ...]) -> tuple[compute.Basin, int, int]:
    """A basin map within the budget: returns it with the grid size and steps actually used.

    Raises:
        ValueError: when even the coarsest grid does not fit, or the run hit the budget.
        compute.Busy: when every long-computation slot stayed taken.

    """
    n2, steps2, note = compute.plan_basin(game_cfg, algo_cfg, n, steps, grid)
    if note:
        st.warning(note, icon=":material/timer:")
    stop = stopper()
    try:
        return ui.basin(game_cfg, algo_cfg, n2, steps2, seed, box, _stop=stop), n2, steps2
    except compute.Cancelled:
        _cancelled()
        raise  # unreachable: st.stop() raises


__all__ = ["runs", "basin", "stopper", "visitor_gone"]
