"""Type aliases and the shape conventions used throughout the engine.

Shapes (nanoGPT-style comments in the code refer to these letters):

* ``B``  -- number of independent starts (the batch); every row is its own run.
* ``D``  -- ``dim_x + dim_y``, the joint state ``z = (x, y)``.
* ``T``  -- number of recorded iterates (``steps // record_every + 1``).

Sign convention (written once, used everywhere): ``x`` is the min player, ``y`` the max player,
the simultaneous descent field is ``xi(z) = (grad_x l_x, grad_y l_y)``, which for a zero-sum game
with objective ``f`` is ``(grad_x f, -grad_y f)``. Every algorithm *descends* along ``xi``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

import numpy as np
import torch

Tensor = torch.Tensor
State = Any  # a NamedTuple of (B, ...) tensors, or () for memoryless algorithms
ArrayLike = Union[float, int, list, tuple, np.ndarray, torch.Tensor]
Matvec = Callable[[Tensor], Tensor]
