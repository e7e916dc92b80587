"""The Streamlit side of the cost budget (:mod:`app.compute`): plan, stop, queue and say so.

Every computation a URL or a click starts on the toy-game and Spectrum pages goes through here:

* trajectories: the steps are shortened *before* running when the estimate exceeds the budget
  (:data:`app.compute.TIME_BUDGET_S` CPU seconds per view, all algorithms together); the engine's
  ``callback`` stops what the estimate missed;
* basin maps: the grid is coarsened, then the steps shortened, to fit the same budget, and at most
  :data:`app.compute.LONG_JOBS` run at once in the server (the others wait, then are told the server
  is busy);
* Spectrum sweeps (the game's Jacobian, step maps, stability curves and map): a :class:`Ledger`
  charges each estimate against one budget per view before it runs; a curve or map that does not fit
  gets a coarser grid, and what does not fit even then is skipped;
* a visitor who changes the inputs or leaves stops the computation at once (no cache keeps it).

Whatever was shrunk or stopped is said in one notice on the page.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


#: session-state key of the last planned estimates, {"runs": s, "basin": s, "spectrum": s} (tests read it)
PLANNED = "_planned_seconds"


def _record(what: str, seconds: float) -> None:
    st.session_state.setdefault(PLANNED, {})[what] = float(seconds)


def runs(game_cfg: GameConfig, algo_cfgs: list[AlgoConfig], x0: float, y0: float, steps: int,
         seed: int) -> tuple[list[compute.Run], int]:
    """Every algorithm's run from one start within the view's budget, and the steps actually asked for.

    The steps are shortened (and the page says so) when the estimate exceeds the budget; use the
    returned steps for whatever else reruns these runs (the export tab).
    """
    fit = compute.affordable_steps(game_cfg, algo_cfgs, 1, steps)
    if fit < steps:  # a value of the Steps slider (the page offers it elsewhere); the stopper guards the rest
        fit = max([c for c in ui.STEP_CHOICES if c <= fit], default=min(ui.STEP_CHOICES))
    _record("runs", compute.estimate(game_cfg, algo_cfgs, 1, fit).seconds)
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
    return out, fit


def basin(game_cfg: GameConfig, algo_cfg: AlgoConfig, n: int, steps: int, seed: int, box: tuple,
          grid: tuple[int, ...]) -> tuple[compute.Basin, int, int]:
    """A basin map within the budget: returns it with the grid size and steps actually used.

    Raises:
        ValueError: when even the coarsest grid does not fit, or the run hit the budget.
        compute.Busy: when every long-computation slot stayed taken.

    """
    n2, steps2, note = compute.plan_basin(game_cfg, algo_cfg, n, steps, grid)
    _record("basin", compute.estimate(game_cfg, [algo_cfg], n2 * n2, steps2).seconds)
    if note:
        st.warning(note, icon=":material/timer:")
    stop = stopper()
    try:
        return ui.basin(game_cfg, algo_cfg, n2, steps2, seed, box, _stop=stop), n2, steps2
    except compute.Cancelled:
        _cancelled()
        raise  # unreachable: st.stop() raises


#: with this environment variable set to a file path, every script run appends one line to it:
#: ``<unix time> <page> <wall seconds> <cpu seconds of the script thread>`` (bench/load.py reads it)
TIMING_ENV = "SADDLE_TIMING_LOG"
_TIMING_LOCK = threading.Lock()


@contextmanager
def timed_run(page: str) -> Iterator[None]:
    """Log the server-side time of one script run (a no-op unless ``SADDLE_TIMING_LOG`` is set)."""
    path = os.environ.get(TIMING_ENV)
    if not path:
        yield
        return
    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        line = f"{time.time():.3f} {page or 'main'} {time.perf_counter() - t0:.4f} {time.thread_time() - c0:.4f}\n"
        with _TIMING_LOCK, open(path, "a", encoding="utf-8") as f:
            f.write(line)


class Ledger:
    """A page view's share of the budget for computations without a step loop (spectrum sweeps).

    Each computation is estimated before it runs (:func:`app.compute.estimate_spectrum`). A sweep that
    does not fit what is left is shrunk to a coarser grid (:meth:`curves`, :meth:`map`); what does not
    fit even then is skipped (:meth:`allow`). :attr:`stop`, a :class:`app.compute.Stopper` over the same
    budget, ends a sweep between its batches if the estimates were short, or the visitor left
    (:meth:`stopped` records it). One notice per view lists what was shrunk, skipped and stopped.
    """

    def __init__(self, seconds: Optional[float] = None) -> None:
        self.total = compute.TIME_BUDGET_S if seconds is None else seconds
        self.left = self.total
        self.stop = stopper(self.total)
        self.shrunk: list[str] = []
        self.skipped: list[str] = []
        self.cut: list[str] = []
        self._notice = st.empty()

    def _spend(self, seconds: float) -> None:
        self.left -= seconds
        _record("spectrum", self.spent)

    def _show(self) -> None:
        budget = f"this server's budget of {compute.TIME_BUDGET_S:g} s per view"
        parts = []
        if self.shrunk:
            parts.append(f"Shrunk to stay within {budget}: " + "; ".join(self.shrunk) + ".")
        if self.skipped:
            parts.append(f"Skipped to stay within {budget}: " + "; ".join(self.skipped) + ".")
        if self.cut:
            parts.append(f"Stopped at {budget} (the rest is blank): " + "; ".join(self.cut) + ".")
        self._notice.warning(" ".join(parts), icon=":material/timer:")

    def _clock(self) -> None:
        if self.stop.expired():  # the estimates were short: nothing more runs in this view
            self.left = min(self.left, 0.0)

    def stopped(self, what: str) -> None:
        """Say on the page that ``what`` was ended by :attr:`stop` (a sweep's partial result is shown)."""
        self.cut.append(what)
        self._show()

    def allow(self, seconds: float, what: str) -> bool:
        """Admit a computation of ``seconds`` if it fits what is left; otherwise say it was skipped."""
        self._clock()
        if seconds <= self.left:
            self._spend(seconds)
            return True
        self.skipped.append(f"{what} (about {seconds:.0f} s)")
        self._show()
        return False

    @property
    def spent(self) -> float:
        return self.total - self.left

    def spectrum(self, game_cfg: GameConfig, algo_cfg: AlgoConfig, points: int, what: str) -> bool:
        return self.allow(compute.estimate_spectrum(game_cfg, algo_cfg, points), what)

    def curves(self, game_cfg: GameConfig, algo_cfgs: list[AlgoConfig], labels: list[str],
               want: int = compute.CURVE_POINTS[0]) -> list[int]:
        """Step sizes of each algorithm's stability curve that fit what is left (0: skipped), planned
        for all of them together (:func:`app.compute.plan_curves`) and charged.
        """
        self._clock()
        sizes = [n for n in compute.CURVE_POINTS if n <= want] or [min(compute.CURVE_POINTS)]
        plan = compute.plan_curves(game_cfg, algo_cfgs, self.left, sizes)
        for a, label, n in zip(algo_cfgs, labels, plan):
            asked = compute.estimate_spectrum(game_cfg, a, want)
            if n == 0:
                self.skipped.append(f"{label} stability curve (about {asked:.0f} s)")
                continue
            self._spend(compute.estimate_spectrum(game_cfg, a, n))
            if n < want:
                self.shrunk.append(f"{label} stability curve to {n} step sizes (asked: {want}, about {asked:.0f} s)")
        if self.shrunk or self.skipped:
            self._show()
        return plan

    def map(self, game_cfg: GameConfig, algo_cfg: AlgoConfig, label: str,
            want: tuple[int, int] = compute.MAP_GRIDS[0]) -> Optional[tuple[int, int]]:
        """The (η points, parameter values) grid of a stability map that fits what is left (None:
        skipped), charged.
        """
        self._clock()
        grids = [g for g in compute.MAP_GRIDS if g[0] * g[1] <= want[0] * want[1]] or [compute.MAP_GRIDS[-1]]
        grid = compute.plan_map(game_cfg, algo_cfg, self.left, grids)
        asked = compute.estimate_spectrum(game_cfg, algo_cfg, want[0] * want[1])
        if grid is None:
            self.skipped.append(f"{label} stability map (about {asked:.0f} s)")
        else:
            self._spend(compute.estimate_spectrum(game_cfg, algo_cfg, grid[0] * grid[1]))
            if grid != tuple(want):
                self.shrunk.append(f"{label} stability map to {grid[0]} × {grid[1]} points (asked: "
                                   f"{want[0]} × {want[1]}, about {asked:.0f} s)")
        if self.shrunk or self.skipped:
            self._show()
        return grid


__all__ = ["runs", "basin", "stopper", "visitor_gone", "Ledger", "timed_run"]
