"""The torch CPU thread policy of the app and every CLI: one intra-op thread unless asked otherwise.

Why one: the networks here are small (the 2D GAN's 2×64 MLPs, about 10,000 parameters), so an
operation takes microseconds and a second OpenMP thread costs more in hand-off than it saves. When
the cores are busy (a lecture server with several students, a machine running other jobs) the
waiting OpenMP thread spins while its partner is descheduled. Measured on a 2-core machine with the
2D GAN page's default comparison (Adam-GDA and greedy min-max together), wall seconds:

- nearly quiet, 300 steps: 1.24 s with 1 thread, 18.6 s with 2;
- with 3 busy ``while True`` processes, 150 steps: 1.80 s with 1 thread, 21.3 s with 2;
- under a load average of about 25, 150 steps: 8.8 s with 1 thread, over 300 s with 2 (killed).

(``python bench/gan.py --sections 2`` remeasures this; gan_demo/README.md has the table.) Large
batched runs on a quiet many-core machine can ask for more with ``SADDLE_TORCH_THREADS`` or a CLI's
``--threads``.

Memory policy: :func:`prefer_huge_pages` (called when ``dynamics`` is imported) asks torch's CPU
allocator for transparent huge pages on allocations of 2 MB and more (``THP_MEM_ALLOC_ENABLE``,
read once, at torch's first large allocation). A run's record is written into fresh memory; with
4 kB pages, every page faults on first write. Measured on the 2-core machine: writing 101 records
of 65,536 x 2 float64 (101 MB) took 35 ms with 4 kB pages and 7 ms with huge pages, the largest
cost of ``python -m bench.engine`` at B = 65,536 after the steps themselves. The variable is only
set when unset (``THP_MEM_ALLOC_ENABLE=0`` opts out); kernels without huge pages ignore it.
"""

from __future__ import annotations

import os
import warnings
from typing import Optional

import torch

#: the environment variable that overrides the default
ENV = "SADDLE_TORCH_THREADS"
#: the measured default (see the module docstring)
DEFAULT_THREADS = 1
MAX_THREADS = 256


def _check(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_THREADS:
        raise ValueError(f"{what} must be an integer in [1, {MAX_THREADS}], got {n!r}")
    return n


def requested_threads(n: Optional[int] = None) -> int:
    """The thread count :func:`configure_threads` would set: ``n``, else ``$SADDLE_TORCH_THREADS``, else 1.

    A malformed environment value falls back to the default with a warning (a server must still
    start); a bad ``n`` raises ``ValueError`` naming it.
    """
    if n is not None:
        return _check(n, "n (torch threads)")
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            return _check(int(raw), ENV)
        except ValueError:
            warnings.warn(f"{ENV}={raw!r} is not an integer in [1, {MAX_THREADS}]; using {DEFAULT_THREADS} thread",
                          RuntimeWarning, stacklevel=2)
    return DEFAULT_THREADS


#: torch's switch for huge pages on large CPU allocations
THP_ENV = "THP_MEM_ALLOC_ENABLE"


def prefer_huge_pages() -> None:
    """Ask torch's CPU allocator for transparent huge pages (see the module docstring), unless the
    environment already decides. It takes effect only before torch's first allocation of 2 MB or more.
    """
    os.environ.setdefault(THP_ENV, "1")


def configure_threads(n: Optional[int] = None) -> int:
    """Set torch's intra-op CPU threads from ``n``, else ``$SADDLE_TORCH_THREADS``, else 1; return it.

    Cheap and idempotent: the app calls it on every script run and each CLI once at start.
    """
    k = requested_threads(n)
    if torch.get_num_threads() != k:
        torch.set_num_threads(k)
    return k


__all__ = ["configure_threads", "prefer_huge_pages", "requested_threads", "DEFAULT_THREADS", "ENV", "THP_ENV"]
