"""The live runner (gan_demo/live.py): chunked, paused, stopped or side-by-side runs equal plain ones."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import dynamics
from gan_demo.gmm import GMMConfig, train
from gan_demo.live import DONE, PAUSED, RUNNING, STOPPED, LiveOptions, LiveRun, arm_names
from gan_demo.models import ModelConfig

TINY = GMMConfig(model=ModelConfig(latent_dim=3, g_depth=1, g_width=8, d_depth=1, d_width=8), batch_size=16,
                 seeds=(3,), eval_n=100)
OPTS = LiveOptions(every=5, heat_n=8, shown=50, arrows=10)


def algos() -> list[dynamics.Algorithm]:
    return [dynamics.make_algorithm("adam", lr=1e-2, beta1=0.5),
            dynamics.make_algorithm("greedy_minmax", lr=1e-2, variant="gaussian", rate=4, k=2, optimizer="adam")]


def wait_for(pred, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out")
        time.sleep(0.01)


def same(a: LiveRun, b: LiveRun, scheduled_only: bool = True) -> None:
    """Equal final iterates (bit for bit) and equal snapshots at every scheduled step."""
    for x, y in zip(a.arms, b.arms):
        assert x.name == y.name and x.step == y.step
        assert torch.equal(x.z, y.z)
        sx = {s.step: s for s in x.snapshots if not scheduled_only or s.step % a.options.every == 0}
        sy = {s.step: s for s in y.snapshots if not scheduled_only or s.step % b.options.every == 0}
        assert sorted(sx) == sorted(sy) and len(sx) >= 2
        for k in sx:
            np.testing.assert_array_equal(sx[k].samples, sy[k].samples)
            np.testing.assert_array_equal(sx[k].heat, sy[k].heat)
            for m in sx[k].metrics:  # NaN (no high-quality sample yet) equals NaN here
                np.testing.assert_array_equal(sx[k].metrics[m], sy[k].metrics[m])


def test_chunked_and_background_runs_equal_one_uninterrupted_run() -> None:
    ref = LiveRun(TINY, algos(), 30, options=OPTS).run_to_end()
    assert ref.status == DONE and [s.step for s in ref.arms[0].snapshots] == [0, 5, 10, 15, 20, 25, 30]
    chunked = LiveRun(TINY, algos(), 30, options=OPTS)
    for n in (3, 1, 7, 100):
        chunked.advance(n)
    same(ref, chunked, scheduled_only=False)
    bg = LiveRun(TINY, algos(), 30, options=OPTS)
    bg.start()
    wait_for(lambda: bg.status == DONE)
    same(ref, bg, scheduled_only=False)


def test_pause_step_once_resume_equals_uninterrupted() -> None:
    ref = LiveRun(TINY, algos(), 40, options=OPTS).run_to_end()
    run = LiveRun(TINY, algos(), 40, options=LiveOptions(every=5, heat_n=8, shown=50, arrows=10, slow_motion=True,
                                                          slow_steps=40, slow_delay=0.02))
    run.start()
    wait_for(lambda: run.step >= 3)
    v = run.view()  # the page's live picture is never older than the last recorded snapshot
    assert all(v.latest[n].step >= v.arms[n][-1].step for n in v.arms)
    run.pause()
    assert run.status == PAUSED
    halted = run.step
    time.sleep(0.1)
    assert run.step == halted  # paused means no stepping
    assert all(a.snapshots[-1].step == a.step for a in run.arms)  # the halt is on screen
    run.step_once()
    assert run.step == halted + 1 and run.status == PAUSED
    assert all(a.snapshots[-1].step == halted + 1 for a in run.arms)
    run.resume()
    assert run.status in (RUNNING, DONE)
    wait_for(lambda: run.status == DONE)
    same(ref, run)


def test_stop_keeps_the_snapshots_so_far_and_can_resume() -> None:
    ref = LiveRun(TINY, algos(), 40, options=OPTS).run_to_end()
    slow = LiveOptions(every=5, heat_n=8, shown=50, arrows=10, slow_motion=True, slow_steps=40, slow_delay=0.02)
    run = LiveRun(TINY, algos(), 40, options=slow)
    run.start()
    wait_for(lambda: run.step >= 6)
    run.stop()
    assert run.status == STOPPED and run.step < 40
    view = run.view()
    for arm in run.arms:
        steps = [s.step for s in view.arms[arm.name]]
        assert steps[0] == 0 and steps[-1] == arm.step == run.step  # everything up to the stop is there
        assert steps == sorted(set(steps))
    res = run.result(run.arms[0].name)
    assert res.stopped and res.samples.shape[:2] == (len(view.arms[run.arms[0].name]), 1)
    time.sleep(0.1)
    assert run.step == view.step  # a stopped run does not move
    run.resume()
    wait_for(lambda: run.status == DONE)
    same(ref, run)


def test_two_algorithms_together_equal_each_alone_and_the_cli_loop() -> None:
    a, b = algos()
    both = LiveRun(TINY, [a, b], 20, options=OPTS).run_to_end()
    alone_a = LiveRun(TINY, [a], 20, options=OPTS).run_to_end()
    alone_b = LiveRun(TINY, [b], 20, options=OPTS).run_to_end()
    for arm, alone in zip(both.arms, (alone_a, alone_b)):
        assert torch.equal(arm.z, alone.arms[0].z)
        for s, t in zip(arm.snapshots, alone.arms[0].snapshots):
            np.testing.assert_array_equal(s.samples, t.samples)
    cli = train(TINY, a, 20, every=5)  # the CLI's path: one dynamics.run call with snapshots in a callback
    assert torch.equal(cli.z_final, both.arms[0].z)
    res = both.result("adam")
    np.testing.assert_array_equal(res.steps, cli.steps)
    np.testing.assert_array_equal(res.samples[:, 0], cli.samples[:, 0, :50])
    np.testing.assert_array_equal(res.metrics["modes_well_covered"], cli.metrics["modes_well_covered"])


def test_names_and_bad_input() -> None:
    a = dynamics.make_algorithm("gda", lr=0.01)
    assert arm_names([a, a, a]) == ["gda", "gda #2", "gda #3"]
    with pytest.raises(ValueError, match="steps"):
        LiveRun(TINY, [a], 0)
    with pytest.raises(ValueError, match="algorithms"):
        LiveRun(TINY, [], 10)
    with pytest.raises(ValueError, match="every"):
        LiveOptions(every=0)
    run = LiveRun(TINY, [a], 3, options=OPTS)
    run.step_once()
    run.step_once()
    run.step_once()
    assert run.status == DONE and run.finished
    run.step_once()  # nothing left: no error, no step
    assert run.step == 3
