"""Seeded property-based fuzz of the engine's front door over the whole registry.

Every game x algorithm, hyperparameters drawn from their declared ranges and beyond (out of range,
NaN, inf, huge integers, strings, booleans), odd starts (NaN, inf, huge, complex, strings, wrong
shapes), dtypes and devices. The properties:

* the only exceptions are the documented ones (``dynamics.InvalidArgument`` / ``InvalidType``, and
  the formula parser's ``FormulaError``, a ``ValueError`` carrying the column);
* a run that returns has no NaN/inf in ``f`` or ``|xi|`` on a row that is not flagged as diverged;
* no run gets past its work budget: a run that returns fits ``budget``;
* the spectrum functions obey the same error contract.

The fast subset runs in CI (a few seconds); ``pytest -m fuzz`` runs the long campaign.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import dynamics
from dynamics import spectrum
from dynamics.formula import FormulaError

DOCUMENTED = (dynamics.InvalidArgument, dynamics.InvalidType, FormulaError)
GAMES = sorted(dynamics.GAMES)
ALGORITHMS = sorted(dynamics.ALGORITHMS)

ODD_VALUES = st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e999, -1.0, 0.0, 10**30, -(10**30), 1.5,
                              "0.1", "abc", True, None, [1.0], 1j, np.float32(0.5), np.int64(3)])


def _number(hp) -> st.SearchStrategy:
    lo = -1e3 if hp.low is None else hp.low
    hi = 1e3 if hp.high is None else hp.high
    if hp.kind == "int":
        inside = st.integers(int(math.ceil(lo)), int(min(hi, lo + 20)))  # small: keeps inner loops short
    elif hp.log and lo > 0:
        inside = st.floats(math.log(lo), math.log(hi)).map(math.exp)
    else:
        inside = st.floats(lo, hi, allow_nan=False)
    return st.one_of(inside, inside, inside, ODD_VALUES)


def _matrix() -> st.SearchStrategy:
    good = st.integers(1, 3).flatmap(lambda n: st.integers(1, 3).flatmap(
        lambda m: st.lists(st.lists(st.floats(-3, 3), min_size=m, max_size=m), min_size=n, max_size=n)))
    odd = st.sampled_from([[[float("nan")]], [[[1.0]]], [[1.0, 2.0], [3.0]], "A", [], [[1e999]], [[True]]])
    return st.one_of(good, good, odd)


@st.composite
def hyperparameters(draw, cls) -> dict:
    out = {}
    for hp in dynamics.hparams(cls):
        if hp.kind == "algorithm" or hp.kind == "formula" or not draw(st.booleans()):
            continue  # keep the default (nested algorithms and formula text have their own tests)
        if hp.kind in ("float", "int"):
            out[hp.name] = draw(_number(hp))
        elif hp.kind == "choice":
            out[hp.name] = draw(st.one_of(st.sampled_from(hp.choices), st.sampled_from(["nope", 3, None])))
        elif hp.kind == "bool":
            out[hp.name] = draw(st.one_of(st.booleans(), st.sampled_from([0, "yes", None])))
        elif hp.kind == "matrix":
            out[hp.name] = draw(_matrix())
        elif hp.kind == "vector":
            out[hp.name] = draw(st.one_of(st.lists(st.floats(-3, 3), min_size=1, max_size=3),
                                          st.sampled_from([[float("nan")], "b", [[1.0]]])))
    return out


@st.composite
def starts(draw, dim: int):
    kind = draw(st.sampled_from(["good", "good", "good", "scaled", "odd"]))
    n = draw(st.integers(1, 4))
    if kind == "odd":
        return draw(st.sampled_from([[float("nan")] * dim, [float("inf")] * dim, "start", [1j] * dim,
                                     [[[0.5] * dim]], [0.5] * (dim + 1), [[True] * dim], np.zeros((0, dim)),
                                     torch.zeros(dim, dtype=torch.complex64), torch.ones(dim, dtype=torch.int64),
                                     torch.empty(dim, device="meta"), [10**400] * dim]))
    scale = 10.0 ** draw(st.integers(-3, 8)) if kind == "scaled" else 1.0
    values = draw(st.lists(st.floats(-2, 2), min_size=n * dim, max_size=n * dim))
    return np.asarray(values).reshape(n, dim) * scale


RUN_OPTIONS = st.fixed_dictionaries({
    "steps": st.one_of(st.integers(0, 25), st.sampled_from([-1, 2.5, float("nan"), "10", 10**30])),
    "dtype": st.sampled_from([None, None, torch.float64, torch.float32, torch.float16, torch.int64, torch.bool,
                              torch.complex64, "float64"]),
    "device": st.sampled_from(["cpu", "cpu", "cpu", "meta", "banana", "cuda:7", 3]),
    "seed": st.one_of(st.integers(0, 2**31), st.sampled_from([1.5, float("inf"), 1e999, -1, 2**70, "3"])),
    "bound": st.one_of(st.none(), st.sampled_from([float("nan"), float("inf"), 1e3, 0.0, -1.0, "big"])),
    "record_every": st.one_of(st.none(), st.integers(1, 5), st.sampled_from([0, 1.5, "2"])),
    "budget": st.one_of(st.none(), st.floats(1.0, 1e4), st.sampled_from([float("nan"), -1.0, 0.0])),
})


def check_run(game_name: str, algo_name: str, game_kwargs: dict, algo_kwargs: dict, data: st.DataObject) -> None:
    try:
        game = dynamics.make_game(game_name, **game_kwargs)
    except DOCUMENTED:
        game = dynamics.make_game(game_name)
    try:
        algo = dynamics.make_algorithm(algo_name, **algo_kwargs)
    except DOCUMENTED:
        algo = dynamics.make_algorithm(algo_name)
    z0 = data.draw(starts(game.dim), label="z0")
    opts = data.draw(RUN_OPTIONS, label="options")
    try:
        traj = dynamics.run(game, algo, z0, **opts)
    except DOCUMENTED:
        return
    # no run past its budget
    budget = dynamics.MAX_WORK if opts["budget"] is None else opts["budget"]
    assert dynamics.work_estimate(game, algo, opts["steps"], traj.diverged.shape[0]) <= budget
    # no NaN/inf in f or |xi| on a row that is not flagged
    ok = ~traj.diverged
    assert torch.isfinite(traj.f[:, ok]).all(), (traj.f, traj.diverged)
    assert torch.isfinite(traj.grad_norm[:, ok]).all(), (traj.grad_norm, traj.diverged)
    assert torch.isfinite(traj.z[:, ok]).all()
    # rows flagged keep their finite prefix
    for b in torch.nonzero(traj.diverged).flatten().tolist():
        k = int((traj.steps < traj.diverged_at[b] + int(traj.steps[0])).sum())
        assert torch.isfinite(traj.z[:k, b]).all()
    # the spectrum functions follow the same contract
    if game.dim <= 4:
        try:
            r = spectrum.spectral_radius(game, algo, z0)
        except DOCUMENTED:
            return
        assert r.shape == (np.asarray(z0).reshape(-1, game.dim).shape[0],)


def _property(max_examples: int):
    @seed(20261130)
    @settings(max_examples=max_examples, deadline=None, derandomize=False, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(game_name=st.sampled_from(GAMES), algo_name=st.sampled_from(ALGORITHMS), data=st.data())
    def prop(game_name: str, algo_name: str, data: st.DataObject) -> None:
        game_kwargs = data.draw(hyperparameters(dynamics.GAMES[game_name]), label="game kwargs")
        algo_kwargs = data.draw(hyperparameters(dynamics.ALGORITHMS[algo_name]), label="algorithm kwargs")
        check_run(game_name, algo_name, game_kwargs, algo_kwargs, data)

    return prop


test_fuzz_engine_fast = _property(60)


@pytest.mark.fuzz
def test_fuzz_engine_long(request: pytest.FixtureRequest) -> None:
    if "fuzz" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the long campaign runs with: pytest -m fuzz tests/test_fuzz_engine.py")
    _property(1500)()


@pytest.mark.parametrize("game_name", GAMES)
@pytest.mark.parametrize("algo_name", ALGORITHMS)
def test_every_pair_runs_or_refuses_clearly_at_defaults(game_name: str, algo_name: str) -> None:
    game, algo = dynamics.make_game(game_name), dynamics.make_algorithm(algo_name)
    z0 = torch.randn(3, game.dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for dtype in (torch.float64, torch.float32):
        try:
            traj = dynamics.run(game, algo, z0, steps=5, dtype=dtype)
        except DOCUMENTED:
            continue
        ok = ~traj.diverged
        assert torch.isfinite(traj.f[:, ok]).all() and torch.isfinite(traj.grad_norm[:, ok]).all()


@pytest.mark.parametrize(("kwargs", "error"), [
    (dict(seed=1.5), dynamics.InvalidArgument),
    (dict(seed=float("inf")), dynamics.InvalidArgument),
    (dict(seed=1e999), dynamics.InvalidArgument),
    (dict(seed=2**70), dynamics.InvalidArgument),
    (dict(seed="3"), dynamics.InvalidType),
    (dict(bound=float("nan")), dynamics.InvalidArgument),
    (dict(device="meta"), dynamics.InvalidArgument),
    (dict(device="banana"), dynamics.InvalidArgument),
    (dict(dtype=torch.int64), dynamics.InvalidArgument),
    (dict(dtype=torch.bool), dynamics.InvalidArgument),
    (dict(dtype=torch.complex128), dynamics.InvalidArgument),
    (dict(dtype=torch.float16), dynamics.InvalidArgument),
    (dict(steps=10**30), dynamics.InvalidArgument),
    (dict(budget=10.0), dynamics.BudgetExceeded),
])
def test_run_options_from_the_campaign(kwargs: dict, error: type) -> None:
    opts = dict(steps=100) | kwargs
    with pytest.raises(error) as info:
        dynamics.run(dynamics.make_game("bilinear"), dynamics.make_algorithm("gda"), 1.0, 1.0, **opts)
    name = next(iter(kwargs))
    assert name in str(info.value)  # the message names the argument


def _deep(n: int) -> list:
    v: list = []
    for _ in range(n):
        v = [v]
    return v


@pytest.mark.parametrize(("x0", "error"), [
    ("1.0", dynamics.InvalidType),
    (1j, dynamics.InvalidType),
    ([True], dynamics.InvalidType),
    (torch.tensor([1 + 2j]), dynamics.InvalidType),
    (torch.empty(1, device="meta"), dynamics.InvalidArgument),
    (_deep(3000), dynamics.InvalidArgument),
    ([[[1.0]]], dynamics.InvalidArgument),
    ([10**400], dynamics.InvalidArgument),
])
def test_bad_starts_from_the_campaign(x0, error: type) -> None:
    with pytest.raises(error, match="x0"):
        dynamics.run(dynamics.make_game("bilinear"), dynamics.make_algorithm("gda"), x0, 1.0, steps=3)


def test_integer_starts_are_converted_exactly() -> None:
    traj = dynamics.run(dynamics.make_game("bilinear"), dynamics.make_algorithm("gda", lr=0.5), torch.tensor([1]), 2,
                        steps=1)
    assert traj.z.dtype == torch.float64 and traj.z[-1].tolist() == [[0.0, 2.5]]


@pytest.mark.parametrize(("name", "kwargs"), [
    ("bilinear", dict(A=[[[1.0]]])),
    ("bilinear", dict(b=[float("nan")], A=[[1.0]])),
    ("bilinear", dict(c=[float("inf")], A=[[1.0]])),
    ("bilinear", dict(A="A")),
    ("quadratic", dict(P=[[float("nan")]])),
    ("quadratic", dict(B=[[1.0, float("nan")]])),
    ("quadratic", dict(Q=[[1.0, 2.0], [3.0]])),
    ("quadratic", dict(a=float("nan"))),
])
def test_bad_game_parameters_from_the_campaign(name: str, kwargs: dict) -> None:
    with pytest.raises(DOCUMENTED) as info:
        dynamics.make_game(name, **kwargs)
    assert next(iter(kwargs)) in str(info.value)


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ("[1, 2]", 1), ("[[1, 2], [3, 4]]", 2), ('["[[[", 1]', 1), ('["a\\"[[", [2]]', 2),
    ("[" * 100_000, 100_000), ("[" * 3000, 3000), ("]]][", 1), ('{"a": [1]}', 2),
])
def test_json_depth_counts_brackets_outside_strings_without_decoding(text: str, depth: int) -> None:
    # the one nesting check of the CLI's --game.A and the app's URL values (dynamics.validation.json_depth)
    from dynamics import cli
    from dynamics.validation import json_depth

    assert json_depth(text) == depth
    if 2 < len(text) <= cli.MAX_ARRAY_CHARS and depth > 2:  # refused before json.loads can recurse
        with pytest.raises(cli.UsageError, match="nests at most 2"):
            cli.parse_array(text, "matrix", "--game.A")
