r"""Any generator/discriminator pair as a :class:`dynamics.Game`, with S seeds trained side by side.

The iterate of the engine is ``z`` (S, P_x + P_y): row ``s`` is the flat parameter vector of seed
``s``'s generator (``x``, the min player) followed by its discriminator's (``y``, the max player).
Losses are evaluated for all rows at once, so S seeds are the batch dimension of :func:`dynamics.run`
and every registered algorithm trains them through the same classes. Plain MLPs (``nn.Sequential``
of ``nn.Linear`` and elementwise activations, e.g. :mod:`gan_demo.models`) run as batched matmuls
(``baddbmm``) on views of the flat parameters; any other module goes through
``torch.func.functional_call`` + ``vmap`` over the stacked parameters (the model-ensembling recipe).

Speed: the field ``xi`` (and ``xi_x``, ``xi_y``) is overridden with plain ``torch.autograd``: one
forward pass, the generator's gradient from the logits on its own samples only, one reverse pass
of V for both players when the game is zero-sum, and one autograd leaf per parameter tensor. Inside
a ``torch.func`` transform (the engine's ``jvp``/``vjp``/Jacobians) the inherited ``torch.func``
field is used instead, and under an outer autograd computation the graph is kept, so second-order
algorithms differentiate through the same field.

Randomness: the game is stochastic. :meth:`GANGame.sample` returns a copy holding this step's
minibatch (real points, latent noise and, for WGAN-GP, interpolation weights). Row ``s`` draws
from its own ``torch.Generator`` seeded by ``mix(seeds[s], step)``, never from the runner's shared
generator, so a seed's run does not depend on how many seeds train together. The un-sampled game
evaluates on a fixed evaluation batch (seeded by ``eval_seed``), which is what ``Trajectory.f``
reports.

Shapes: ``S`` rows (seeds), ``N`` samples per minibatch, ``d`` data dimension, ``k`` latent
dimension, ``P_x``/``P_y`` parameters of G/D.

Example:
    >>> import torch, dynamics
    >>> from gan_demo.game import GANGame
    >>> G = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    >>> D = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    >>> game = GANGame(generator=G, discriminator=D,
    ...                real_sampler=lambda n, g: torch.randn(n, 2, generator=g, device=g.device),
    ...                latent_sampler=lambda n, g: torch.randn(n, 4, generator=g, device=g.device),
    ...                seeds=(0, 1, 2), batch_size=32)
    >>> z0 = game.init_params(dtype=torch.float32)            # (3, P_x + P_y)
    >>> traj = dynamics.run(game, dynamics.make_algorithm("gda", lr=0.01), z0, steps=5,
    ...                     dtype=torch.float32, metrics=False)
    >>> tuple(traj.z_final.shape) == (3, game.dim)
    True

"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Optional, Union

import torch
from torch import nn
from torch.func import functional_call, vmap

from dynamics.autodiff import needs_graph
from dynamics.game import Game
from dynamics.params import hparam
from dynamics.torch_internals import in_func_transform, outside_func_transforms
from dynamics.types import Tensor

from .models import MLP, Discriminator

#: a player's parameters: flat (S, P) or unflattened {name: (S, ...)}
Params = Union[Tensor, dict[str, Tensor]]
#: ``sampler(n, generator) -> (n, d)`` tensor on ``generator.device`` (any float dtype; it is cast)
Sampler = Callable[[int, torch.Generator], Tensor]

LOSSES = ("saturating", "non_saturating", "wgan", "wgan_gp", "hinge")
INITS = ("orthogonal", "default")

_MASK64 = (1 << 64) - 1


def mix_seed(seed: int, step: int) -> int:
    """A well-mixed 63-bit seed for ``(seed, step)`` (SplitMix64 finaliser on both words).

    Distinct ``(seed, step)`` pairs give unrelated streams; the result does not depend on anything
    else (batch size, number of rows, device), which makes seeds reproducible one at a time.
    """
    v = (int(seed) * 0x9E3779B97F4A7C15 + int(step) * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & _MASK64
    v = ((v ^ (v >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    v = ((v ^ (v >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (v ^ (v >> 31)) & ((1 << 63) - 1)


#: parameter-free, elementwise layers the batched-matmul fast path can apply as they are
_ELEMENTWISE = (nn.ReLU, nn.Tanh, nn.LeakyReLU, nn.ELU, nn.Softplus, nn.Sigmoid, nn.Identity, nn.GELU, nn.SiLU)

#: one layer of an MLP plan: ("linear", weight name, bias name or None) or ("act", module)
PlanStep = tuple[Any, ...]


def mlp_plan(module: nn.Module) -> Optional[tuple[tuple[PlanStep, ...], bool]]:
    """The layers of a plain MLP as ``(steps, squeeze_last)``, or ``None`` for any other module.

    Plain means ``nn.Sequential`` (or :class:`~gan_demo.models.MLP` / ``Discriminator`` with their
    own forward) of ``nn.Linear`` and parameter-free elementwise activations. Such a module is run
    for all rows at once with ``baddbmm`` on views of the flat parameters: the same numbers as
    ``functional_call`` + ``vmap`` without their per-call Python overhead, which dominates on
    2D-mixture nets. Anything else takes the general ``functional_call`` + ``vmap`` route.
    """
    squeeze = False
    if type(module) is nn.Sequential:
        seq, prefix = module, ""
    elif isinstance(module, MLP) and type(module).forward in (MLP.forward, Discriminator.forward):
        seq, prefix = module.net, "net."
        squeeze = type(module).forward is Discriminator.forward
    else:
        return None
    if type(seq) is not nn.Sequential:
        return None
    steps: list[PlanStep] = []
    for name, layer in seq.named_children():
        if type(layer) is nn.Linear:
            steps.append(("linear", f"{prefix}{name}.weight", None if layer.bias is None else f"{prefix}{name}.bias"))
        elif type(layer) in _ELEMENTWISE:
            steps.append(("act", layer))
        else:
            return None
    return tuple(steps), squeeze


def run_plan(plan: tuple[tuple[PlanStep, ...], bool], params: dict[str, Tensor], u: Tensor) -> Tensor:
    """Apply an :func:`mlp_plan` to inputs (S, N, n_in) with per-row parameters {name: (S, ...)}."""
    steps, squeeze = plan
    h = u
    for step in steps:
        if step[0] == "linear":
            w = params[step[1]]  # (S, out, in)
            if step[2] is None:
                h = torch.bmm(h, w.transpose(1, 2))
            else:
                h = torch.baddbmm(params[step[2]].unsqueeze(1), h, w.transpose(1, 2))  # (S, N, out)
        else:
            h = step[1](h)
    return h.squeeze(-1) if squeeze else h


def _flat(grads: Sequence[Tensor], rows: int) -> Tensor:
    """Per-parameter gradients [(S, ...)] -> one (S, P) row-major flat gradient (layout order)."""
    return grads[0].reshape(rows, -1) if len(grads) == 1 else torch.cat([g.reshape(rows, -1) for g in grads], 1)


# ---- flat parameters <-> modules ------------------------------------------------------------------
@dataclass(frozen=True)
class ParamLayout:
    """Where each named parameter of a module lives in its flat vector."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    offsets: tuple[int, ...]
    numel: int

    @classmethod
    def of(cls, module: nn.Module) -> ParamLayout:
        """Layout of ``module.named_parameters()`` in order; buffers are refused (see below)."""
        buffers = [n for n, _ in module.named_buffers()]
        if buffers:
            # functional_call would need per-row buffer stacks (BatchNorm statistics); not supported
            raise ValueError(f"modules with buffers are not supported (found {buffers[:3]}); "
                             "use parameter-only layers (no BatchNorm)")
        names, shapes, offsets, off = [], [], [], 0
        for name, p in module.named_parameters():
            names.append(name)
            shapes.append(tuple(p.shape))
            offsets.append(off)
            off += p.numel()
        if off == 0:
            raise ValueError("module has no parameters")
        return cls(tuple(names), tuple(shapes), tuple(offsets), off)

    def unflatten(self, flat: Tensor) -> dict[str, Tensor]:
        """(S, P) -> {name: (S, *shape)} views (no copy; differentiable)."""
        rows = flat.shape[0]
        return {n: flat[:, o : o + math.prod(s)].reshape(rows, *s)
                for n, s, o in zip(self.names, self.shapes, self.offsets)}

    def flatten(self, params: dict[str, Tensor]) -> Tensor:
        """{name: (*shape)} -> (P,) in layout order."""
        return torch.cat([params[n].reshape(-1) for n in self.names])


def init_flat(module: nn.Module, seeds: Sequence[int], init: str = "orthogonal", gain: float = 1.0,
              dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu") -> Tensor:
    """Fresh flat parameters (S, P) for ``module``'s architecture, one independent init per seed.

    Args:
        module: A template; its own parameters are not touched (a copy is re-initialised).
        seeds: One integer per row; row s depends only on ``seeds[s]``.
        init: ``"orthogonal"`` (weights orthogonal with ``gain``, biases zero: the Unrolled-GAN and
            Mangoubi et al. setting) or ``"default"`` (each layer's own ``reset_parameters``).
        gain: Gain of the orthogonal init.
        dtype: dtype of the result.
        device: device of the result.

    Returns:
        (S, P) tensor.

    """
    if init not in INITS:
        raise ValueError(f"init={init!r} is not one of {list(INITS)}")
    layout = ParamLayout.of(module)
    rows = []
    for seed in seeds:
        m = copy.deepcopy(module).to("cpu", torch.float32)
        if init == "orthogonal":
            g = torch.Generator().manual_seed(mix_seed(seed, -7))
            with torch.no_grad():
                for _name, p in m.named_parameters():
                    if p.ndim >= 2:
                        nn.init.orthogonal_(p, gain=gain, generator=g)
                    else:
                        p.zero_()
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(mix_seed(seed, -7))
                for sub in m.modules():
                    if hasattr(sub, "reset_parameters"):
                        sub.reset_parameters()
        rows.append(layout.flatten(dict(m.named_parameters())).detach())
    return torch.stack(rows).to(dtype=dtype, device=device)


def module_from_flat(template: nn.Module, flat: Tensor) -> nn.Module:
    """A copy of ``template`` holding the parameters ``flat`` (P,) (for sampling, plotting, export)."""
    layout = ParamLayout.of(template)
    if flat.ndim != 1 or flat.shape[0] != layout.numel:
        raise ValueError(f"expected flat parameters of shape ({layout.numel},), got {tuple(flat.shape)}")
    m = copy.deepcopy(template).to(device=flat.device, dtype=flat.dtype)
    params = layout.unflatten(flat[None])
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(params[name][0])
    return m


class GANBatch(NamedTuple):
    """One step's randomness, row-major: every tensor is (S, N, ...)."""

    real: Tensor  # (S, N, d) real points
    noise: Tensor  # (S, N, k) latent codes (shared by both players' losses this step)
    eps: Tensor  # (S, N, 1) uniform weights for WGAN-GP interpolates


# ---- the game ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, eq=False)
class GANGame(Game):
    r"""A GAN as a general-sum game between the generator's and the discriminator's parameters.

    With $D$ the discriminator's logit and $\sigma$ the sigmoid, the value is
    $$ V(x, y) = \mathbb{E}_{p}\log\sigma(D_y(u)) + \mathbb{E}_{q}\log(1 - \sigma(D_y(G_x(\zeta)))) $$
    and each player minimises its own loss ($\ell_y$ plus penalties):

    | ``loss_type`` | $\ell_x$ (generator) | $\ell_y$ (discriminator) |
    |---|---|---|
    | saturating | $V$ | $-V$ |
    | non_saturating | $-\mathbb{E}\log\sigma(D(G(\zeta)))$ | $-V$ |
    | wgan (clip $c$ by projection) | $-\mathbb{E}D(G(\zeta))$ | $\mathbb{E}D(G(\zeta)) - \mathbb{E}D(u)$ |
    | wgan_gp | as wgan | wgan $+\lambda\,\mathbb{E}(\lVert\nabla D(\hat u)\rVert - 1)^2$ |
    | hinge | $-\mathbb{E}D(G(\zeta))$ | $\mathbb{E}[1 - D(u)]_+ + \mathbb{E}[1 + D(G(\zeta))]_+$ |

    R1/R2 add $\tfrac{\gamma}{2}\mathbb{E}\lVert\nabla_u D(u)\rVert^2$ over real (R1) or generated (R2)
    points to $\ell_y$. The iterate is $z = (x, y)$ with one row per seed.

    Fields that are not hyperparameters: ``generator``/``discriminator`` (templates: their
    architecture is used, their own weights are not), ``real_sampler``/``latent_sampler``
    (``f(n, generator) -> (n, dim)``), ``seeds`` (one per row) and ``batch`` (set by
    :meth:`sample`).

    References:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (arXiv:1406.2661).
        Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017 (arXiv:1701.07875).
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017 (arXiv:1704.00028).
        Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
        ICML 2018 (arXiv:1801.04406).

    """

    name: ClassVar[str] = "gan"
    stochastic: ClassVar[bool] = True
    divergence_bound: ClassVar[float] = 1e4

    generator: nn.Module = field(repr=False)
    discriminator: nn.Module = field(repr=False)
    real_sampler: Sampler = field(repr=False)
    latent_sampler: Sampler = field(repr=False)
    seeds: tuple[int, ...] = (0,)

    loss_type: str = hparam("saturating", choices=LOSSES, help="GAN loss (see the table)")
    batch_size: int = hparam(64, low=1, high=8192, help="minibatch size N (real and generated)")
    clip: float = hparam(0.01, low=1e-4, high=10.0, log=True,
                         help="WGAN weight clip c: D's parameters are projected onto [-c, c]")
    gp_weight: float = hparam(10.0, low=0.0, high=1000.0, help="WGAN-GP penalty weight λ")
    r1: float = hparam(0.0, low=0.0, high=1000.0, help="R1 penalty γ on real points (0 = off)")
    r2: float = hparam(0.0, low=0.0, high=1000.0, help="R2 penalty γ on generated points (0 = off)")
    eval_size: int = hparam(512, low=1, high=65536, advanced=True,
                            help="size of the fixed evaluation batch behind value() / Trajectory.f")
    eval_seed: int = hparam(12345, low=0, high=2**31 - 1, advanced=True, help="seed of the evaluation batch")

    batch: Optional[GANBatch] = field(default=None, repr=False)
    #: ``vmap`` randomness mode for the players' forward passes: "error" (default) refuses random
    #: layers; "different" lets a player use dropout (e.g. the Smoothed-GDA repo's always-on
    #: dropout in D), drawn from torch's global generator, independently per row
    randomness: str = field(default="error", repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.generator, nn.Module) or not isinstance(self.discriminator, nn.Module):
            raise TypeError("generator and discriminator must be torch.nn.Module instances")
        seeds = tuple(int(s) for s in self.seeds)
        if not seeds:
            raise ValueError("seeds must hold at least one seed (one row per seed)")
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "_g_layout", ParamLayout.of(self.generator))
        object.__setattr__(self, "_d_layout", ParamLayout.of(self.discriminator))
        object.__setattr__(self, "_g_plan", mlp_plan(self.generator))
        object.__setattr__(self, "_d_plan", mlp_plan(self.discriminator))
        # probe the samplers once so bad ones fail here, not in the middle of a run
        g = torch.Generator().manual_seed(0)
        real = self.real_sampler(2, g)
        noise = self.latent_sampler(2, g)
        if real.ndim != 2 or real.shape[0] != 2 or noise.ndim != 2 or noise.shape[0] != 2:
            raise ValueError("samplers must return (n, dim) tensors; got "
                             f"real {tuple(real.shape)}, noise {tuple(noise.shape)}")
        object.__setattr__(self, "_data_dim", int(real.shape[1]))
        object.__setattr__(self, "_latent_dim", int(noise.shape[1]))
        out = self._g_raw(noise)
        if out.shape != (2, real.shape[1]):
            raise ValueError(f"generator maps {tuple(noise.shape)} to {tuple(out.shape)}; "
                             f"expected (2, {real.shape[1]}) to match the data")
        logits = self._d_raw(real)
        if logits.reshape(2, -1).shape[1] != 1:
            raise ValueError(f"discriminator must output one logit per point, got {tuple(logits.shape)}")

    @property  # type: ignore[override]
    def zero_sum(self) -> bool:
        """True only for the saturating loss without R1/R2 (then ``l_y = -l_x``, ``loss()`` is V).

        Zero-sum-only algorithms (and the one-pass zero-sum field) then apply; every other loss
        is general-sum and goes through :meth:`losses`.
        """
        return self.loss_type == "saturating" and self.r1 == 0 and self.r2 == 0

    def _g_raw(self, noise: Tensor) -> Tensor:
        with torch.no_grad():  # a float copy: never mutate the caller's template
            return copy.deepcopy(self.generator).float()(noise.float())

    def _d_raw(self, pts: Tensor) -> Tensor:
        with torch.no_grad():
            return copy.deepcopy(self.discriminator).float()(pts.float())

    # ---- layout -----------------------------------------------------------------------------
    @property
    def g_layout(self) -> ParamLayout:
        return self._g_layout  # type: ignore[attr-defined]

    @property
    def d_layout(self) -> ParamLayout:
        return self._d_layout  # type: ignore[attr-defined]

    @property
    def dim_x(self) -> int:
        return self.g_layout.numel

    @property
    def dim_y(self) -> int:
        return self.d_layout.numel

    @property
    def y_block_sizes(self) -> tuple[int, ...]:
        """Sizes of the discriminator's parameter tensors in layout order (per-tensor penalties)."""
        return tuple(math.prod(s) for s in self.d_layout.shapes)

    @property
    def data_dim(self) -> int:
        return self._data_dim  # type: ignore[attr-defined]

    @property
    def latent_dim(self) -> int:
        return self._latent_dim  # type: ignore[attr-defined]

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def init_params(self, init: str = "orthogonal", gain: float = 1.0, dtype: torch.dtype = torch.float32,
                    device: str | torch.device = "cpu", init_seeds: Optional[Sequence[int]] = None) -> Tensor:
        """Initial iterate z0 (S, P_x + P_y): G and D of row s initialised from ``seeds[s]``.

        Args:
            init: ``"orthogonal"`` or ``"default"`` (see :func:`init_flat`).
            gain: Orthogonal gain.
            dtype: dtype of z0 (pass the same dtype to :func:`dynamics.run`).
            device: device of z0.
            init_seeds: Override the per-row init seeds (default: ``self.seeds``).

        """
        seeds = self.seeds if init_seeds is None else tuple(init_seeds)
        # G and D of one seed get different streams: offset the D seed
        x = init_flat(self.generator, seeds, init, gain, dtype, device)  # (S, P_x)
        y = init_flat(self.discriminator, [mix_seed(s, -11) for s in seeds], init, gain, dtype, device)
        return torch.cat([x, y], dim=1)

    # ---- randomness ------------------------------------------------------------------------
    def draw(self, seed: int, n: int, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
        """``(real (n, d), noise (n, k), eps (n, 1))`` from one generator seeded with ``seed``."""
        g = torch.Generator(device=device).manual_seed(int(seed))
        real = self.real_sampler(n, g)
        noise = self.latent_sampler(n, g)
        eps = torch.rand(n, 1, generator=g, device=device)
        return real, noise, eps

    def sample(self, generator: torch.Generator, like: Tensor, step: int) -> GANGame:
        """Copy holding this step's minibatch; row s uses only ``(seeds[s], step)``, never ``generator``."""
        if like.shape[0] != self.n_seeds:
            raise ValueError(f"the iterate has {like.shape[0]} rows but the game has {self.n_seeds} seeds; "
                             "build the game with one seed per row")
        parts = [self.draw(mix_seed(s, step), self.batch_size, like.device) for s in self.seeds]
        batch = GANBatch(*(torch.stack(p).to(like.dtype) for p in zip(*parts)))  # each (S, N, ...)
        return self.with_batch(batch)

    def with_batch(self, batch: Optional[GANBatch]) -> GANGame:
        """A shallow copy holding ``batch`` (no re-validation: it runs once per step)."""
        new = copy.copy(self)
        object.__setattr__(new, "batch", batch)
        return new

    def eval_batch(self, like: Tensor) -> GANBatch:
        """The fixed evaluation batch (shared by all rows), expanded to ``like``'s rows, cached."""
        cache = self.__dict__.setdefault("_eval_cache", {})
        key = (like.dtype, like.device)
        if key not in cache:
            # drawn outside any torch.func transform so that the cached tensors are plain
            with outside_func_transforms():
                real, noise, eps = self.draw(mix_seed(self.eval_seed, -1), self.eval_size, like.device)
                cache[key] = tuple(t.to(like.dtype) for t in (real, noise, eps))
        return GANBatch(*(t.expand(like.shape[0], *t.shape) for t in cache[key]))

    def current_batch(self, like: Tensor) -> GANBatch:
        b = self.batch
        if b is None or b.real.shape[0] != like.shape[0]:
            return self.eval_batch(like)
        return b

    # ---- batched forward passes (vmap over rows) --------------------------------------------
    def generate(self, x: Params, noise: Tensor) -> Tensor:
        """Generated points (S, N, d) from generator parameters x (S, P_x) and noise (S, N, k).

        ``x`` may also be the unflattened ``{name: (S, ...)}`` dict (the field's leaves).
        """
        params = x if isinstance(x, dict) else self.g_layout.unflatten(x)
        if self._g_plan is not None:  # type: ignore[attr-defined]
            return run_plan(self._g_plan, params, noise)  # type: ignore[attr-defined]
        return vmap(lambda p, u: functional_call(self.generator, p, (u,)), randomness=self.randomness)(params, noise)

    def discriminate(self, y: Params, pts: Tensor) -> Tensor:
        """Logits (S, N) of discriminators y (S, P_y) (or their dict) on points (S, N, d) (or shared (N, d))."""
        params = y if isinstance(y, dict) else self.d_layout.unflatten(y)
        rows = next(iter(params.values())).shape[0]
        if self._d_plan is not None:  # type: ignore[attr-defined]
            u = pts if pts.ndim == 3 else pts.expand(rows, *pts.shape)
            return run_plan(self._d_plan, params, u).reshape(rows, -1)  # type: ignore[attr-defined]
        dims = (0, 0) if pts.ndim == 3 else (0, None)
        out = vmap(lambda p, u: functional_call(self.discriminator, p, (u,)), in_dims=dims,
                   randomness=self.randomness)(params, pts)
        return out.reshape(rows, -1)

    def input_grad(self, y: Params, pts: Tensor) -> Tensor:
        """∇_u D_y(u) (S, N, d) at points (S, N, d): the penalties' and the app's gradient arrows.

        Differentiable in ``y`` and ``pts`` whenever gradients are being recorded (the penalties).
        """
        if not in_func_transform():
            # recorded: a penalty inside a loss being differentiated
            leaves = y.values() if isinstance(y, dict) else (y,)
            keep = torch.is_grad_enabled() and (pts.requires_grad or any(t.requires_grad for t in leaves))
            with torch.enable_grad():
                u = pts if (keep and pts.requires_grad) else pts.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(self.discriminate(y, u).sum(), u, create_graph=keep)
            return g
        params = y if isinstance(y, dict) else self.d_layout.unflatten(y)

        def one(p: dict[str, Tensor], u: Tensor) -> Tensor:  # (N, d) -> (N, d)
            def total(v: Tensor) -> Tensor:
                return functional_call(self.discriminator, p, (v,)).sum()
            return torch.func.grad(total)(u)

        return vmap(one, randomness=self.randomness)(params, pts)

    # ---- losses --------------------------------------------------------------------------------
    def _logits(self, x: Params, y: Params, b: GANBatch) -> tuple[Tensor, Tensor, Tensor]:
        fake = self.generate(x, b.noise)  # (S, N, d)
        d_real, d_fake = self._both_logits(y, b.real, fake)
        return fake, d_real, d_fake

    def _both_logits(self, y: Params, real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
        """D's logits (S, N), (S, N) on real and generated points in one pass over (S, 2N, d)."""
        n = real.shape[1]
        both = self.discriminate(y, torch.cat([real, fake], dim=1))  # (S, 2N)
        return both[:, :n], both[:, n:]

    def _value(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        if self.loss_type in ("saturating", "non_saturating"):
            # log σ(a) = -softplus(-a), log(1 - σ(a)) = -softplus(a)
            return -nn.functional.softplus(-d_real).mean(1) - nn.functional.softplus(d_fake).mean(1)
        return d_real.mean(1) - d_fake.mean(1)

    def generator_loss(self, d_fake: Tensor) -> Tensor:
        """The generator's loss (S,) as a function of the logits on its samples (S, N) only.

        (For the saturating loss the real-data term of V is constant in x and left out.) The app
        differentiates this with respect to the generated points to draw GAN Lab's arrows.
        """
        if self.loss_type == "saturating":
            return -nn.functional.softplus(d_fake).mean(1)
        if self.loss_type == "non_saturating":
            return nn.functional.softplus(-d_fake).mean(1)
        return -d_fake.mean(1)

    def _d_loss(self, y: Params, b: GANBatch, fake: Tensor, d_real: Tensor, d_fake: Tensor,
                v: Optional[Tensor] = None) -> Tensor:
        """The discriminator's loss (S,) from its logits; the penalties treat ``fake`` as points."""
        lt = self.loss_type
        if lt == "hinge":
            l_y = torch.relu(1.0 - d_real).mean(1) + torch.relu(1.0 + d_fake).mean(1)
        else:
            l_y = -(self._value(d_real, d_fake) if v is None else v)
        if lt == "wgan_gp" and self.gp_weight > 0:
            # the penalty is a function of y only (fake enters as a point); x's loss is unaffected
            hat = b.eps * b.real + (1.0 - b.eps) * fake  # (S, N, d)
            gn = self.input_grad(y, hat).norm(dim=2)  # (S, N)
            l_y = l_y + self.gp_weight * ((gn - 1.0) ** 2).mean(1)
        if self.r1 > 0:
            l_y = l_y + 0.5 * self.r1 * self.input_grad(y, b.real).pow(2).sum(2).mean(1)
        if self.r2 > 0:
            l_y = l_y + 0.5 * self.r2 * self.input_grad(y, fake).pow(2).sum(2).mean(1)
        return l_y

    def losses(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """``(l_x, l_y)`` (S,), (S,) on this step's minibatch (the evaluation batch if un-sampled)."""
        b = self.current_batch(x)
        fake, d_real, d_fake = self._logits(x, y, b)
        v = self._value(d_real, d_fake)  # (S,)
        l_x = v if self.loss_type == "saturating" else self.generator_loss(d_fake)
        return l_x, self._d_loss(y, b, fake, d_real, d_fake, v)

    # ---- the field: plain autograd, each player's gradient from what it needs -------------------
    def _field(self, z: Tensor, want_x: bool, want_y: bool) -> tuple[Optional[Tensor], Optional[Tensor]]:
        """``(grad_x l_x, grad_y l_y)`` (either may be skipped) with one forward pass.

        The generator's gradient needs only the logits on its own samples; the discriminator's
        needs no graph through the generator. Zero-sum: one reverse pass of V for both players.
        When ``z`` is itself being differentiated (Jacobian products, unrolling), the graph is
        kept (``create_graph``) and nothing is detached, so cross-derivatives stay exact.
        """
        x, y = self.split(z)
        create = needs_graph(z)
        b = self.current_batch(z)
        opts = dict(create_graph=create, allow_unused=True, materialize_grads=True)
        with torch.enable_grad():
            if create:  # differentiate with respect to (views of) z itself
                xx, yy = x, y
                wrt_x, wrt_y = [x], [y]
            else:
                # one leaf per parameter tensor: gradients with respect to views of one flat leaf
                # would each be scattered into a zero (S, P) buffer and summed (half the time)
                xx = self._leaves(self.g_layout, x, want_x)
                yy = self._leaves(self.d_layout, y, want_y)
                wrt_x, wrt_y = list(xx.values()), list(yy.values())
            fake = self.generate(xx, b.noise)  # (S, N, d); no graph when only y's gradient is wanted
            if not want_y:  # the generator's loss needs the logits on its own samples only
                d_fake = self.discriminate(yy, fake)  # (S, N)
                gx = torch.autograd.grad(self.generator_loss(d_fake).sum(), wrt_x, **opts)
                return _flat(gx, z.shape[0]), None
            d_real, d_fake = self._both_logits(yy, b.real, fake)  # (S, N) each
            if want_x and self.zero_sum:
                g = torch.autograd.grad(self._value(d_real, d_fake).sum(), wrt_x + wrt_y, **opts)
                return _flat(g[: len(wrt_x)], z.shape[0]), -_flat(g[len(wrt_x) :], z.shape[0])
            l_y = self._d_loss(yy, b, fake, d_real, d_fake)
            gx = None
            if want_x:
                gx = _flat(torch.autograd.grad(self.generator_loss(d_fake).sum(), wrt_x, retain_graph=True, **opts),
                           z.shape[0])
            gy = torch.autograd.grad(l_y.sum(), wrt_y, **opts)
            return gx, _flat(gy, z.shape[0])

    @staticmethod
    def _leaves(layout: ParamLayout, flat: Tensor, grad: bool) -> dict[str, Tensor]:
        """{name: (S, ...)} views of ``flat``, each its own autograd leaf when ``grad``."""
        params = layout.unflatten(flat.detach())
        return {n: p.detach().requires_grad_(True) for n, p in params.items()} if grad else params

    def xi(self, z: Tensor) -> Tensor:
        """The descent field (S, P_x + P_y) (``torch.func`` route inside a transform)."""
        if in_func_transform():
            return super().xi(z)
        gx, gy = self._field(z, True, True)
        return torch.cat([gx, gy], dim=1)

    def xi_x(self, z: Tensor) -> Tensor:
        """``grad_x l_x`` (S, P_x): a generator and a discriminator pass on the fake samples only."""
        if in_func_transform():
            return super().xi_x(z)
        return self._field(z, True, False)[0]

    def xi_y(self, z: Tensor) -> Tensor:
        """``grad_y l_y`` (S, P_y): no gradient through the generator."""
        if in_func_transform():
            return super().xi_y(z)
        return self._field(z, False, True)[1]

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """The zero-sum objective V (S,) (meaningful when :attr:`zero_sum`; see :meth:`value`)."""
        return self.value(x, y)

    def value(self, x: Tensor, y: Tensor) -> Tensor:
        """The un-penalised objective (S,) (what ``Trajectory.f`` reports).

        V for the BCE losses, ``E D(real) - E D(fake)`` for wgan/wgan_gp/hinge; on the un-sampled
        game it uses the fixed evaluation batch.
        """
        b = self.current_batch(x)
        _, d_real, d_fake = self._logits(x, y, b)
        return self._value(d_real, d_fake)

    def project(self, z: Tensor) -> Tensor:
        """WGAN weight clipping: D's parameters onto [-clip, clip]; identity for the other losses."""
        if self.loss_type != "wgan":
            return z
        x, y = self.split(z)
        return torch.cat([x, y.clamp(-self.clip, self.clip)], dim=1)

    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return ((-2.0, 2.0), (-2.0, 2.0))

    def config(self) -> dict[str, Any]:
        """Hyperparameters plus the seeds (architecture and data are the caller's config)."""
        return {**super().config(), "seeds": list(self.seeds)}


__all__ = ["GANGame", "GANBatch", "ParamLayout", "init_flat", "module_from_flat", "mix_seed", "LOSSES", "INITS",
           "Sampler"]
