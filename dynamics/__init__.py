"""Saddle's engine: min-max games, the algorithms of the GAN-training literature, one batched loop.

Sign convention (the only one): ``z = (x, y)``, ``x`` minimises and ``y`` maximises ``f``, and
``xi(z) = (grad_x f, -grad_y f)`` (general-sum: ``(grad_x l_x, grad_y l_y)``). Every algorithm
descends along ``xi``: plain GDA is ``z <- z - lr * xi(z)``.

    >>> import dynamics
    >>> game = dynamics.make_game("bilinear")
    >>> algo = dynamics.make_algorithm("extragradient", lr=0.1)
    >>> traj = dynamics.run(game, algo, [1.0], [1.0], steps=100)
    >>> round(float(traj.z[-1].norm()), 6)
    0.85994
"""

from . import algorithms as _algorithms  # noqa: F401  (registers the algorithms)
from . import games as _games  # noqa: F401  (registers the games)
from .algorithm import Algorithm, GradientAlgorithm
from .errors import BudgetExceeded, DeviceUnavailable, InvalidArgument, InvalidType
from .game import Game
from .params import HParam, hparam, hparams
from .registry import ALGORITHMS, GAMES, from_config, make_algorithm, make_game, register_algorithm, register_game
from .runner import (
    MAX_RECORD_BYTES,
    MAX_RECORDED_ELEMENTS,
    MAX_WORK,
    Trajectory,
    evaluate,
    initial_point,
    run,
    work_estimate,
)
from .threads import prefer_huge_pages

# before torch's first large allocation (it reads the switch then): a run's record pages in cheaply
prefer_huge_pages()

__all__ = [
    "ALGORITHMS", "GAMES", "Algorithm", "BudgetExceeded", "DeviceUnavailable", "GradientAlgorithm", "Game", "HParam",
    "InvalidArgument", "InvalidType", "MAX_RECORDED_ELEMENTS", "MAX_RECORD_BYTES", "MAX_WORK",
    "Trajectory", "evaluate", "from_config", "hparam", "hparams", "initial_point", "make_algorithm",
    "make_game", "register_algorithm", "register_game", "run", "work_estimate",
]
