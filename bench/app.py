"""Timing of the Streamlit lab (not a test): first render and rerun of the default scene with
AppTest, and GIF export. Prints seconds, the targets from issue 4, and ratios against references
measured in the same run.

    python bench/app.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAIN = str(ROOT / "app" / "main.py")

COLD = r"""
import time, sys
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
t1 = time.perf_counter()
at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
t2 = time.perf_counter()
assert not at.exception, at.exception
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def best(f, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # 1) first render in a fresh process: imports torch, plotly, the engine, then runs the default scene
    out = subprocess.run([sys.executable, "-c", COLD, MAIN], capture_output=True, text=True, cwd=ROOT, check=True)
    t_import, t_cold = map(float, out.stdout.split())

    # reference: AppTest on an empty script in this process (the harness's own cost)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write("import streamlit as st\nst.write('hello')\n")
    t_ref = best(lambda: AppTest.from_file(f.name).run())

    # 2) first render with modules imported but caches cleared (a new visitor on a running server)
    def first() -> None:
        st.cache_data.clear()
        at = AppTest.from_file(MAIN, default_timeout=120).run()
        assert not at.exception

    t_first = best(first)

    # 3) rerun after a step-size change (the run for the new η is not cached yet)
    at = AppTest.from_file(MAIN, default_timeout=120).run()
    values = [0.15, 0.2, 0.25, 0.3]
    reruns = []
    for v in values:
        t = time.perf_counter()
        at.select_slider(key="gda.lr").set_value(v).run()
        reruns.append(time.perf_counter() - t)
        assert not at.exception
    t_rerun = min(reruns)

    # 4) GIF export of the default scene: 200 frames at 480x480, and the naive imageio path as reference
    from app import export, scenes

    sc = scenes.DEFAULT
    spec = export.ToyAnimation(game_cfg=sc.game_config(), algo_cfgs=tuple(sc.algorithms), x0=sc.x0, y0=sc.y0,
                               steps=sc.steps)
    t_render = best(lambda: export.toy_frames(spec, 200, 480), 2)
    frames = export.toy_frames(spec, 200, 480)
    t_encode = best(lambda: export.encode_gif(frames, 25), 2)
    gif = export.encode_gif(frames, 25)
    t_gif = best(lambda: export.animation_bytes(spec.setup(200), "gif", n_frames=200, size=480), 2)
    import imageio.v3 as iio

    t_naive = best(lambda: iio.imwrite("<bytes>", frames, extension=".gif", duration=40, loop=0), 1)
    naive_size = len(iio.imwrite("<bytes>", frames, extension=".gif", duration=40, loop=0))
    t_mp4 = best(lambda: export.encode_mp4(frames, 25), 2) if export.mp4_available() else float("nan")

    rows = [
        ("import streamlit + AppTest (fresh process)", t_import, None),
        ("default scene, first render, fresh process (incl. torch import)", t_cold, 2.0),
        ("default scene, first render, modules loaded, caches cleared", t_first, 2.0),
        ("rerun after a step-size change (uncached run)", t_rerun, 0.5),
        ("reference: AppTest of a one-line script", t_ref, None),
        ("GIF 200 frames 480x480 end-to-end (simulate, render, encode)", t_gif, 3.0),
        ("  render (matplotlib blitting)", t_render, None),
        ("  encode (shared palette)", t_encode, None),
        ("  reference: imageio default GIF encode of the same frames", t_naive, None),
        ("MP4 encode of the same frames (imageio-ffmpeg)", t_mp4, None),
    ]
    print(f"{'what':66s} {'seconds':>8s} {'target':>7s} {'ratio':>6s}")
    for what, t, target in rows:
        tgt = f"{target:.1f}" if target else ""
        ratio = f"{t / target:.2f}" if target else ""
        print(f"{what:66s} {t:8.3f} {tgt:>7s} {ratio:>6s}")
    print(f"rerun / one-line-script reference: {t_rerun / t_ref:.1f}x")
    print(f"GIF size {len(gif) / 1e6:.2f} MB (target <= 1 MB); imageio default {naive_size / 1e6:.2f} MB; "
          f"encode speed-up vs imageio default: {t_naive / t_encode:.1f}x")


if __name__ == "__main__":
    main()
