"""Typed games in the pictures: the equilibrium star from Newton's method at the start, and titles.

No Streamlit here: the toy page and the GIF export both use these (the export shows the formula in
its title, so a shared GIF says which game it is).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Optional

import torch

from dynamics.stationary import stationary_point

from . import compute

#: longest formula shown in a title before it is cut with "…"
TITLE_CHARS = 60


def typed(game_cfg: compute.GameConfig) -> bool:
    """Whether the game is typed as a formula (its equilibrium comes from Newton's method)."""
    return game_cfg[0] == "formula"


@functools.lru_cache(maxsize=256)
def stationary_star(game_cfg: compute.GameConfig, x0: float, y0: float) -> Optional[tuple[float, float]]:
    """The stationary point Newton's method on ξ reaches from the start ``(x0, y0)``, or ``None``.

    Only for planar games (scalar x and y); the point's first coordinates otherwise.
    """
    game = compute.make_game(game_cfg)
    z0 = torch.tensor([x0] * game.dim_x + [y0] * game.dim_y, dtype=torch.float64)
    try:
        z = stationary_point(game, z0)
    except (RuntimeError, ValueError):  # undefined linear algebra somewhere on the way
        return None
    return None if z is None else (float(z[0]), float(z[game.dim_x]))


def with_star(field: compute.FieldGrid, game_cfg: compute.GameConfig, x0: float,
              y0: float) -> tuple[compute.FieldGrid, str]:
    """``field`` with its star moved to Newton's stationary point from the start (typed games only),
    and a note for the caption ("" when nothing changed).
    """
    if not typed(game_cfg):
        return field, ""
    star = stationary_star(game_cfg, float(x0), float(y0))
    field = dataclasses.replace(field, equilibrium=star)
    if star is None:
        return field, ("No stationary point found: Newton's method on ξ from the start did not converge "
                       "(no ★ drawn).")
    return field, (f"★ = the stationary point Newton's method on ξ reaches from the start: "
                   f"({star[0]:.4g}, {star[1]:.4g}).")


def game_title(game_cfg: compute.GameConfig) -> str:
    """``"f = x*y + …"`` (and ``"g = …"``) for typed games, else the game's name."""
    name, params = game_cfg
    if not typed(game_cfg):
        return name
    p = dict(params)

    def cut(text: str) -> str:
        return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"

    f = p.get("f", "x*y")
    return f"f = {cut(f)}" + (f";  g = {cut(p['g'])}" if p.get("g") else "")


__all__ = ["typed", "stationary_star", "with_star", "game_title"]
