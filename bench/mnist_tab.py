"""Time the MNIST tab under AppTest: first run (cold caches) and warm reruns.

    python bench/mnist_tab.py

Prints seconds; the target is a warm rerun <= 1 s (the issue's "loads in <= 1 s warm").
"""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from streamlit.testing.v1 import AppTest  # noqa: E402

from gan_demo.mnist.shipped import list_shipped  # noqa: E402

PAGE = str(ROOT / "app/app_pages/mnist.py")


def main() -> None:
    t0 = time.perf_counter()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    cold = time.perf_counter() - t0
    assert not at.exception, at.exception
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    at.multiselect(key="mnist_runs").set_value(list_shipped()).run()
    all_runs = time.perf_counter() - t0
    t0 = time.perf_counter()
    at.run()
    all_warm = time.perf_counter() - t0
    print(f"first run (cold, includes torch import and checkpoint loading): {cold:.2f} s")
    print(f"warm rerun, default selection: best {min(warm):.3f} s, worst {max(warm):.3f} s")
    print(f"select all {len(list_shipped())} checkpoints (first time): {all_runs:.2f} s; warm rerun: {all_warm:.3f} s")


if __name__ == "__main__":
    main()
