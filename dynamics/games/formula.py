"""A game typed as a formula: ``make_game("formula", f="x*y + 0.1*x**2")``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import torch

from ..formula import Formula as ParsedFormula
from ..formula import FormulaError, parse
from ..game import Game
from ..params import hparam
from ..registry import register_game
from ..stationary import stationary_point
from ..types import Tensor

#: the examples offered by the app (the game's presets); each is a complete parameter set
PRESETS: dict[str, dict[str, Any]] = {
    "bilinear": dict(f="x*y"),
    "cg_paper": dict(f="(1 + x**2)*(100 - y**2)", view=(-3.0, 3.0, -5.0, 5.0)),
    "double_wells": dict(f="(x**2 - 1)**2/4 + x*y - (y**2 - 1)**2/4", view=(-2.0, 2.0, -2.0, 2.0)),
    "forsaken": dict(f="x*(y - 0.45) + x**2/4 - x**4/2 + x**6/6 - (y**2/4 - y**4/2 + y**6/6)",
                     view=(-1.5, 1.5, -1.5, 1.5)),
    "bilinear_y_clipped": dict(f="x*y", y_box=(-1.0, 1.0), view=(-1.2, 2.2, -1.2, 1.2)),
    "general_sum": dict(f="x**2/2 + x*y", g="y**2/2 - 2*x*y"),
}


def _box(v: Any, name: str) -> Optional[tuple[float, float]]:
    if v is None:
        return None
    try:
        lo, hi = (float(e) for e in v)
    except (TypeError, ValueError):
        raise ValueError(f"formula: {name} must be [low, high], got {v!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"formula: {name} must be two finite numbers with low < high, got {v!r}")
    return (lo, hi)


@register_game("formula")
@dataclass(frozen=True, kw_only=True)
class FormulaGame(Game):
    r"""Any game a person can type: the objective (or both losses) as a formula.

    $$ \min_{x \in X} \max_{y \in Y} f(x, y) \qquad\text{or, general-sum,}\qquad
       \min_{x \in X} f(x, y),\ \ \min_{y \in Y} g(x, y) $$

    The text is parsed by :mod:`dynamics.formula` (a whitelist of numbers, ``x``/``y`` or
    ``x1, x2, …``/``y1, y2, …``, ``+ - * / **``, and exp, log, sin, cos, tanh, sqrt, abs, sigmoid,
    softplus, min, max; the grammar is in ``docs/formula.md``) into a torch function, so the field
    $\xi = (\nabla_x f, -\nabla_y f)$ (general-sum $(\nabla_x f, \nabla_y g)$) and every Jacobian
    come from automatic differentiation: every algorithm and the spectrum work on it. ``x_box`` /
    ``y_box`` = [low, high] confine each coordinate of a player (projection after every step).
    The presets are the examples of the app, among them the conjugate-gradient paper's toy
    $f = (1 + x^2)(100 - y^2)$ (saddle at the origin, $f = 100$ there; the paper starts at
    $(2, -4)$) and Hsieh et al.'s "forsaken" game written out.

    References:
        Naganuma, Iiduka, "Conjugate Gradient Method for Generative Adversarial Networks",
        AISTATS 2023 (arXiv:2203.14495). Hsieh, Mertikopoulos, Cevher, "The limits of min-max
        optimization algorithms: convergence to spurious non-critical sets", ICML 2021
        (arXiv:2006.09065). Gidel et al., "A Variational Inequality Perspective on GANs", ICLR 2019
        (the bilinear game with $y$ clipped to $[-1, 1]$).

    """

    presets = PRESETS

    f: str = hparam("x*y", kind="formula", help="the objective f(x, y): x minimises it, y maximises it "
                    "(general-sum: x's loss)")
    g: Optional[str] = hparam(None, kind="formula", optional=True,
                              help="y's own loss, minimised by y (set it for a general-sum game)")
    x_box: Optional[tuple] = hparam(None, kind="vector", optional=True,
                                    help="[low, high] for every coordinate of x (projection)")
    y_box: Optional[tuple] = hparam(None, kind="vector", optional=True,
                                    help="[low, high] for every coordinate of y (projection)")
    view: tuple = hparam((-2.0, 2.0, -2.0, 2.0), kind="vector", advanced=True,
                         help="plotting window [x_min, x_max, y_min, y_max]")

    def __post_init__(self) -> None:
        super().__post_init__()  # kinds: f and g are text
        parsed = [parse(self.f)] + ([] if self.g is None else [parse(self.g)])
        for player in ("x", "y"):
            styles = {getattr(p, f"vector_{player}") for p in parsed if getattr(p, f"dim_{player}") > 0}
            if len(styles) > 1:
                raise ValueError(f"formula: f and g must write {player} the same way "
                                 f"({player} in both, or {player}1, {player}2, … in both)")
        object.__setattr__(self, "x_box", _box(self.x_box, "x_box"))
        object.__setattr__(self, "y_box", _box(self.y_box, "y_box"))
        try:
            view = tuple(float(v) for v in self.view)
        except (TypeError, ValueError):
            raise ValueError(f"formula: view must be [x_min, x_max, y_min, y_max], got {self.view!r}") from None
        if len(view) != 4 or not all(math.isfinite(v) for v in view) or not (view[0] < view[1] and view[2] < view[3]):
            raise ValueError(f"formula: view must be [x_min, x_max, y_min, y_max] with min < max, got {self.view!r}")
        object.__setattr__(self, "view", view)
        # not fields: rebuilt from the text whenever the game is (replace, config round trips)
        object.__setattr__(self, "_parsed", tuple(parsed))
        object.__setattr__(self, "_dims", (max(1, *(p.dim_x for p in parsed)), max(1, *(p.dim_y for p in parsed))))

    # a parsed formula holds closures: pickle/deepcopy the parameters and parse again
    def __reduce__(self) -> tuple:
        return (_rebuild, (self.config(),))

    def eval_cost(self) -> float:
        """Work of one field evaluation per coordinate: a forward and a backward pass over every
        node of the parsed tree(s), about three elementwise operations per node.
        """
        return max(1.0, 3.0 * sum(p.size for p in self._parsed) / self.dim)

    @property
    def zero_sum(self) -> bool:  # type: ignore[override]
        return self.g is None

    @property
    def dim_x(self) -> int:
        return self._dims[0]

    @property
    def dim_y(self) -> int:
        return self._dims[1]

    @property
    def formulas(self) -> tuple[ParsedFormula, ...]:
        """The parsed ``f`` (and ``g``)."""
        return self._parsed

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        return self._parsed[0](x, y)  # (B,)

    def losses(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        f = self._parsed[0](x, y)
        return (f, -f) if self.g is None else (f, self._parsed[1](x, y))

    def project(self, z: Tensor) -> Tensor:
        if self.x_box is None and self.y_box is None:
            return z
        x, y = self.split(z)
        if self.x_box is not None:
            x = x.clamp(*self.x_box)
        if self.y_box is not None:
            y = y.clamp(*self.y_box)
        return self.join(x, y)

    @property
    def constrained(self) -> bool:
        return self.x_box is not None or self.y_box is not None

    def check_start(self, z: Tensor) -> None:
        """Raise ``ValueError`` if the losses or the field are not finite at every start in ``z``
        (B, D): the formula is undefined there (log of a negative number, a division by zero ...).
        A batch where only some starts are bad (a basin map) runs, and those rows stop at once.
        """
        with torch.no_grad():
            x, y = self.split(z)
            lx, ly = self.losses(x, y)
            ok = torch.isfinite(lx) & torch.isfinite(ly) & torch.isfinite(self.xi(z)).all(dim=1)  # (B,)
        if bool(ok.any()):
            return
        x0, y0 = (", ".join(f"{float(v):g}" for v in part[0]) for part in (x, y))
        which = "f or g" if self.g is not None else "f"
        raise ValueError(f"formula: {which} or its gradient is not finite at the start x = ({x0}), y = ({y0}) "
                         f"(the formula is undefined there): move the start or change the formula")

    def equilibrium(self) -> Optional[tuple[tuple[float, ...], tuple[float, ...]]]:
        """A stationary point of the field found by Newton's method from the centre of the view
        (``None`` if none was found there); :func:`dynamics.stationary.stationary_point` searches
        from any start.
        """
        cache = self.__dict__.setdefault("_equilibrium_cache", {})
        if "eq" not in cache:
            cx, cy = (self.view[0] + self.view[1]) / 2, (self.view[2] + self.view[3]) / 2
            z0 = torch.tensor([cx] * self.dim_x + [cy] * self.dim_y, dtype=torch.float64)
            try:
                z = stationary_point(self, z0)
            except (RuntimeError, ValueError):  # a singular or undefined linear algebra corner
                z = None
            cache["eq"] = None if z is None else (tuple(z[: self.dim_x].tolist()), tuple(z[self.dim_x :].tolist()))
        return cache["eq"]

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        v = self.view
        return ((v[0], v[1]), (v[2], v[3]))


def _rebuild(config: dict[str, Any]) -> FormulaGame:
    cfg = dict(config)
    cfg.pop("name", None)
    return FormulaGame(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})


__all__ = ["FormulaGame", "FormulaError", "PRESETS"]
