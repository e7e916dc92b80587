"""Scenes from the literature: frozen specs, one click away on the toy-games page.

A scene fixes the game and its parameters, the algorithms and their hyperparameters, the start,
the number of steps and the seed, plus two or three sentences saying what to look at. Loading a
scene writes the widget keys (:mod:`app.widgets`), so the URL then reproduces it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .compute import AlgoConfig, GameConfig, items


@dataclass(frozen=True)
class Scene:
    key: str
    title: str
    text: str
    game: str
    algorithms: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    game_params: tuple[tuple[str, Any], ...] = ()
    x0: float = 1.0
    y0: float = 0.5
    steps: int = 300
    seed: int = 0
    zoom: float = 1.0
    look_for: str = ""  # one line for the class: what is about to happen when Play is pressed

    def game_config(self) -> GameConfig:
        return (self.game, self.game_params)

    def algo_configs(self) -> list[AlgoConfig]:
        return list(self.algorithms)

    def algorithm_names(self) -> list[str]:
        return [name for name, _ in self.algorithms]


def _algo(name: str, **kw: Any) -> tuple[str, tuple[tuple[str, Any], ...]]:
    return (name, items(kw))


SCENES: tuple[Scene, ...] = (
    Scene(
        "gda_vs_eg", "GDA vs extragradient on xy",
        "On $f = xy$ simultaneous GDA spirals **out** for every step size: each step multiplies the distance "
        "to the saddle by $\\sqrt{1+\\eta^2}$. Extragradient evaluates the field at a look-ahead point first and "
        "spirals **in**, by $\\sqrt{1-\\eta^2+\\eta^4}$ per step.",
        "bilinear", (_algo("gda", lr=0.1), _algo("extragradient", lr=0.1)),
        look_for="GDA's path grows outward turn after turn while extragradient's closes in on ★.",
    ),
    Scene(
        "gda_spirals", "GDA spirals out on xy",
        "The rotational field of the bilinear game makes every simultaneous gradient step overshoot the circle "
        "it should follow, so the iterates spiral away from the equilibrium. Raise η and watch the spiral open "
        "faster; the basin map shows no start converges.",
        "bilinear", (_algo("gda", lr=0.2),), x0=0.3, y0=0.2, steps=150, zoom=1.6,
        look_for='Every turn of the spiral is wider than the last: GDA never settles, whatever η.',
    ),
    Scene(
        "alt_gda_cycles", "Alternating GDA cycles",
        "If the max player answers the min player's new move (Gauss–Seidel), the update matrix has determinant 1: "
        "for $\\eta < 2$ the iterates stay on a closed orbit forever, conserving $x^2 + y^2 - \\eta xy$. Neither "
        "divergence nor convergence.",
        "bilinear", (_algo("alt_gda", lr=0.3), _algo("gda", lr=0.3)), steps=120, zoom=1.4,
        look_for='Alternating GDA goes round the same closed loop forever; simultaneous GDA drifts outward.',
    ),
    Scene(
        "eg_ogda_converge", "Extragradient and OGDA converge",
        "Extragradient (a look-ahead step) and optimistic GDA (a correction with the previous gradient, "
        "$z_{t+1} = z_t - 2\\eta\\xi_t + \\eta\\xi_{t-1}$) both converge linearly on the bilinear game where plain "
        "GDA diverges. OGDA needs one gradient per step, EG two.",
        "bilinear", (_algo("extragradient", lr=0.2), _algo("ogda", lr=0.2), _algo("gda", lr=0.2)), steps=200,
        zoom=1.4,
        look_for='Extragradient and OGDA spiral into ★; plain GDA spirals out.',
    ),
    Scene(
        "negative_momentum", "Negative momentum helps only alternating updates",
        "Gidel et al. (2019): with alternating updates a negative momentum $\\beta \\approx -0.5$ turns the "
        "bilinear cycle into convergence, while the same momentum with simultaneous updates still diverges "
        "(and positive momentum makes both worse).",
        "bilinear",
        (_algo("momentum", lr=0.3, beta=-0.5, order="x_first"),
         _algo("momentum", lr=0.3, beta=-0.5, order="simultaneous")),
        steps=300, zoom=1.4,
        look_for='With β = −0.5 the alternating run spirals into ★; the simultaneous one spirals out.',
    ),
    Scene(
        "consensus_sga", "Consensus optimization and SGA",
        "Both add a second-order correction to GDA. Consensus optimization descends the Hamiltonian "
        "$\\tfrac12\\|\\xi\\|^2$ too ($\\xi + \\gamma H^\\top\\xi$); SGA adds $\\lambda A^\\top\\xi$ with the "
        "antisymmetric part $A$ of the Jacobian. On $xy$ the Jacobian is purely antisymmetric, so the two "
        "coincide (the paths overlap) and pull the spiral straight into the saddle; switch to the quadratic "
        "game to see them differ.",
        "bilinear", (_algo("consensus", lr=0.1, gamma=1.0), _algo("sga", lr=0.1, lam=1.0), _algo("gda", lr=0.1)),
        steps=200,
        look_for='Consensus and SGA draw one and the same path into ★; GDA spirals out.',
    ),
    Scene(
        "cgd_large_step", "CGD with a large step",
        "Competitive gradient descent solves the local bilinear game between the players at every step, which "
        "adds the interaction term $(I + \\eta^2 D_{xy}D_{yx})^{-1}$. It converges on $xy$ even with $\\eta = 1$, "
        "where GDA is gone after a handful of steps.",
        "bilinear", (_algo("cgd", lr=1.0), _algo("gda", lr=1.0)), steps=60, zoom=1.6,
        look_for='At η = 1 CGD reaches ★ in a few steps; GDA leaves the box almost at once.',
    ),
    Scene(
        "ftr_f1", "Follow-the-Ridge on f₁ (a local minimax point)",
        "$f_1 = -3x^2 - y^2 + 4xy$: the origin is a local minimax point but not a Nash point, and GDA is repelled "
        "from it. FTR adds $\\eta_x H_{yy}^{-1}H_{yx}\\nabla_x f$ to the max player's step to stay on the ridge "
        "$\\nabla_y f = 0$ and converges.",
        "quadratic", (_algo("ftr", lr=0.05), _algo("gda", lr=0.05)),
        game_params=items(dict(a=-6.0, b=4.0, c=2.0)), x0=2.0, y0=2.5, steps=200,
        look_for='GDA is pushed away from the origin; FTR follows the ridge into it.',
    ),
    Scene(
        "ftr_f2", "Follow-the-Ridge on f₂ (not a local minimax point)",
        "$f_2 = 3x^2 + y^2 + 4xy$: here GDA converges to the origin, but it is not a local minimax point "
        "($f$ is convex in $y$), and FTR, which only converges to local minimax points, is repelled.",
        "quadratic", (_algo("ftr", lr=0.05), _algo("gda", lr=0.05)),
        game_params=items(dict(a=6.0, b=4.0, c=-2.0)), x0=1.0, y0=-0.5, steps=200,
        look_for='This time GDA converges to the origin and FTR is pushed away.',
    ),
    Scene(
        "dirac_plain", "Dirac-GAN without regularisation",
        "Mescheder et al. (2018): the generator is a point mass at $\\theta$, the discriminator $D(x) = \\psi x$, "
        "the data sit at 0. The Jacobian at the equilibrium has eigenvalues $\\pm i/2$: simultaneous GDA "
        "spirals away and alternating GDA circles forever. Compare with the R1 scene.",
        "dirac_gan", (_algo("gda", lr=0.2), _algo("alt_gda", lr=0.2)), game_params=items(dict(loss_type="gan")),
        x0=1.0, y0=1.0, steps=400, zoom=1.5,
        look_for='Simultaneous GDA spirals away from ★; alternating GDA circles it forever.',
    ),
    Scene(
        "dirac_r1", "Dirac-GAN with R1",
        "The same Dirac-GAN with the R1 gradient penalty $\\tfrac\\gamma2\\|\\nabla_x D\\|^2$ on real data "
        "($\\gamma = 0.3$): the eigenvalues move to $-\\gamma/2 \\pm \\sqrt{\\gamma^2/4 - 1/4}$, into the left "
        "half-plane, and both GDA variants converge. $\\gamma = 1$ is critical damping.",
        "dirac_gan", (_algo("gda", lr=0.2), _algo("alt_gda", lr=0.2)),
        game_params=items(dict(loss_type="gan", reg="r1", gamma=0.3)), x0=1.0, y0=1.0, steps=400, zoom=1.5,
        look_for='With the R1 penalty both GDA variants spiral into ★.',
    ),
    Scene(
        "greedy_box", "The greedy min-max algorithm on box-bilinear",
        "Mangoubi, Sachdeva & Vishnoi: the min player proposes a step and keeps it only if the max player's "
        "greedy answer does not increase the loss; every few steps the proposal is accepted unconditionally. "
        "On $xy$ over a box GDA runs into the walls; the greedy algorithm stays near the saddle. "
        "Accepted (●), rejected (✕) and unconditional (◆) proposals are marked.",
        "box_bilinear", (_algo("greedy_minmax", lr=0.1), _algo("gda", lr=0.1)), x0=1.0, y0=1.0, steps=300,
        look_for='GDA runs into the walls of the box; greedy min-max stays near ★.',
    ),
    Scene(
        "cg_paper_rates", "Conjugate gradient: constant against diminishing steps",
        "Naganuma & Iiduka's toy game $f = (1 + x^2)(100 - y^2)$, typed as a formula, from $(2, -4)$ with "
        "alternating conjugate-gradient steps. The saddle is the origin, where $f = 100$. $f$ is strongly convex "
        "in $x$ (curvature $2(100 - y^2)$) but only weakly concave in $y$ (curvature $2(1 + x^2)$): $x$ settles "
        "within a few steps, $y$ crawls. With the constant step $\\eta = 0.004$ both reach the saddle "
        "($f \\approx 99.97$ after 400 steps); the diminishing step $\\eta/\\sqrt{t+1}$ leaves $y$ far away "
        "($f \\approx 91.4$). (The paper's own steps, $5\\cdot10^{-6}$ to $5\\cdot10^{-5}$, barely move $y$ in "
        "400 steps.)",
        "formula",
        (_algo("conjugate_gradient", lr=0.004, order="x_first"),
         _algo("conjugate_gradient", lr=0.004, order="x_first", schedule="inv_sqrt")),
        game_params=items(dict(f="(1 + x**2)*(100 - y**2)")), x0=2.0, y0=-4.0, steps=400, zoom=3.0,
        look_for="Both runs jump to x = 0 within a few steps, then creep up the y-axis towards ★: the constant "
        "step arrives (f → 100), the diminishing one is still near y = −3.",
    ),
    Scene(
        "sgda_nonconvex", "Smoothed GDA on a nonconvex–concave game",
        "Smoothed GDA (Zhang et al. 2020) adds a proximal term $\\tfrac p2\\|x - z\\|^2$ that pulls $x$ "
        "towards a slowly moving anchor $z$; the smoothing stabilises the min player where plain GDA oscillates "
        "on a nonconvex–concave objective.",
        "nonconvex_concave", (_algo("sgda", lr=0.05, p=2.0, beta=0.05), _algo("gda", lr=0.05)), x0=1.5, y0=0.8,
        steps=600,
        look_for='Plain GDA keeps oscillating; smoothed GDA settles down.',
    ),
)

BY_KEY: dict[str, Scene] = {s.key: s for s in SCENES}
DEFAULT = SCENES[0]


def log_values(name: str) -> dict[str, list[float]]:
    """Every numeric value the scenes use for algorithm ``name`` (so log sliders can show them)."""
    out: dict[str, list[float]] = {}
    for s in SCENES:
        for algo, params in s.algorithms:
            if algo == name:
                for k, v in params:
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        out.setdefault(k, []).append(float(v))
    return out


__all__ = ["Scene", "SCENES", "BY_KEY", "DEFAULT", "log_values"]
