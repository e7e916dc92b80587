"""The safe formula parser (dynamics/formula.py): accepted grammar, refusals with their messages,
and property tests over random whitelisted expression trees."""

from __future__ import annotations

import ast
import math
import string
from collections.abc import Callable

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamics import formula
from dynamics.formula import FormulaError, parse

Fn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

# (text, the same function written by hand in torch on x (B, dx), y (B, dy))
ACCEPTED: list[tuple[str, Fn]] = [
    ("x*y", lambda x, y: x[:, 0] * y[:, 0]),
    ("x*y + 0.1*x**2", lambda x, y: x[:, 0] * y[:, 0] + 0.1 * x[:, 0] ** 2),
    ("(1 + x**2)*(100 - y**2)", lambda x, y: (1 + x[:, 0] ** 2) * (100 - y[:, 0] ** 2)),
    ("-x**2 + 3*x*y - y**2/2", lambda x, y: -x[:, 0] ** 2 + 3 * x[:, 0] * y[:, 0] - y[:, 0] ** 2 / 2),
    ("x*(y - 0.45) + x**2/4 - x**4/2 + x**6/6 - (y**2/4 - y**4/2 + y**6/6)",
     lambda x, y: x[:, 0] * (y[:, 0] - 0.45) + x[:, 0] ** 2 / 4 - x[:, 0] ** 4 / 2 + x[:, 0] ** 6 / 6
     - (y[:, 0] ** 2 / 4 - y[:, 0] ** 4 / 2 + y[:, 0] ** 6 / 6)),
    ("exp(-x**2) * sin(y) + cos(x*y)",
     lambda x, y: torch.exp(-x[:, 0] ** 2) * torch.sin(y[:, 0]) + torch.cos(x[:, 0] * y[:, 0])),
    ("tanh(x) - sigmoid(y) + softplus(x - y)",
     lambda x, y: torch.tanh(x[:, 0]) - torch.sigmoid(y[:, 0]) + torch.nn.functional.softplus(x[:, 0] - y[:, 0])),
    ("log(1 + x**2) + sqrt(1 + y**2)", lambda x, y: torch.log(1 + x[:, 0] ** 2) + torch.sqrt(1 + y[:, 0] ** 2)),
    ("abs(x) * y", lambda x, y: torch.abs(x[:, 0]) * y[:, 0]),
    ("max(x, y) + min(x, -y, 0.3)",
     lambda x, y: torch.maximum(x[:, 0], y[:, 0]) + torch.minimum(x[:, 0], -y[:, 0]).clamp(max=0.3)),
    ("x**3 - x**-2 + x**0.5 * 0", lambda x, y: x[:, 0] ** 3 - x[:, 0] ** -2.0 + x[:, 0] ** 0.5 * 0),
    ("2**3*x + pi*y - e", lambda x, y: 8 * x[:, 0] + math.pi * y[:, 0] - math.e),
    ("+x - -y", lambda x, y: x[:, 0] + y[:, 0]),
    ("x1*y1 + 2*x2*y2 + 0.5*x1**2", lambda x, y: x[:, 0] * y[:, 0] + 2 * x[:, 1] * y[:, 1] + 0.5 * x[:, 0] ** 2),
    ("x3 * y", lambda x, y: x[:, 2] * y[:, 0]),
    ("1.5", lambda x, y: torch.full((x.shape[0],), 1.5, dtype=x.dtype)),
]


def _points(n: int, dx: int, dy: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    # positive-ish away from 0 so x**-2 and x**0.5 stay smooth; both signs for the rest
    x = torch.rand(n, dx, generator=g, dtype=torch.float64) * 2 + 0.2
    y = torch.rand(n, dy, generator=g, dtype=torch.float64) * 4 - 2
    return x, y


@pytest.mark.parametrize("text, ref", ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_formula_value_and_gradient_match_torch(text: str, ref: Fn) -> None:
    f = parse(text)
    dx, dy = max(f.dim_x, 1), max(f.dim_y, 1)
    for seed in range(3):
        x, y = _points(16, dx, dy, seed)
        x1, y1 = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
        x2, y2 = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
        got, want = f(x1, y1), ref(x2, y2)
        assert got.shape == (16,)
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
        if want.requires_grad:
            gx, gy = torch.autograd.grad(got.sum(), (x1, y1), allow_unused=True, materialize_grads=True)
            wx, wy = torch.autograd.grad(want.sum(), (x2, y2), allow_unused=True, materialize_grads=True)
            torch.testing.assert_close(gx, wx, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(gy, wy, rtol=1e-12, atol=1e-12)


def test_dimensions_and_names() -> None:
    f = parse("x1*y2 + x3")
    assert (f.dim_x, f.dim_y, f.vector_x, f.vector_y) == (3, 2, True, True)
    assert f.names == {"x1", "x3", "y2"}
    g = parse("x**2")
    assert (g.dim_x, g.dim_y, g.vector_x) == (1, 0, False)
    assert g.size == 3 and parse("exp(x) + 2*3").size == 6  # nodes, constants folded after counting


# (text, a fragment of the message, the 1-based column the caret points at)
REFUSED: list[tuple[str, str, int]] = [
    ("__import__('os')", "unknown function '__import__'", 1),
    ("x.__class__", "attribute access", 1),
    ("().__class__", "attribute access", 1),
    ("[x for x in y]", "list comprehension", 1),
    ("lambda: 0", "lambda", 1),
    ("9**9**9", "exponent 3.8742e+08 is too large", 4),
    ("x" * 10_000, "formula too long: 10000 characters", 1001),
    ("z + 1", "unknown name 'z'", 1),
    ("x + foo", "unknown name 'foo'", 5),
    ("(x + y", "unbalanced brackets: a '(' is never closed", 1),
    ("x + y)", "unbalanced brackets: a ')' has no matching '('", 6),
    ("exp(x", "unbalanced brackets", 4),
    ("x^2", "'^' is not a power here: write x**2", 2),
    ("2x", "write 2*x", 1),
    ("x**y", "the exponent of ** must be a number", 4),
    ("x**101", "exponent 101 is too large", 4),
    ("1/0 + x", "not a finite number", 1),
    ("log(-1) + x", "not a finite number", 1),
    ("1e999*x", "number too large", 1),
    ("open('f')", "unknown function 'open'", 1),
    ("x.real", "attribute access", 1),
    ("x[0]", "indexing", 1),
    ("exp(x, y)", "exp() takes exactly one argument, got 2", 1),
    ("exp(x=1)", "no keyword arguments", 7),
    ("min(x)", "at least two arguments", 1),
    ("exp", "'exp' is a function", 1),
    ("x < y", "comparison", 1),
    ("x if y else 1", "if ... else", 1),
    ("x + 'a'", "a string is not allowed", 5),
    ("x − y", "character '−' is not allowed (use - for minus)", 3),
    ("x\ny", "character '\\n' is not allowed", 2),
    ("x1 + x", "mixes styles", 6),
    ("x17", "at most 16 coordinates", 1),
    ("x // 2", "'//' is not allowed", 3),
    ("not x", "'not' is not allowed", 1),
    ("", "the formula is empty", 1),
    ("  ", "the formula is empty", 1),
    ("(" * 150 + "x" + ")" * 150, "nested too deeply", None),
    ("-" * 500 + "x", "nested too deeply", None),
    ("x" + "+x" * 450, "more than 400", 1),
    ("q" * 900, "unknown name 'qqqqqqqqqqqqqqqqqqqqqqq…'", 1),
    ("x17" + "7" * 500, "coordinates per player", 1),
    ("(lambda: 0)()", "only the listed functions can be called", 2),
    ("getattr(x, 'y')", "unknown function 'getattr'", 1),
    ("{}", "a dict", 1),
    ("x := 1", "invalid syntax", None),
]


@pytest.mark.parametrize("text, fragment, column", REFUSED, ids=[repr(t[:24]) for t, _, _ in REFUSED])
def test_refused_formula_has_one_clear_message(text: str, fragment: str, column: int | None) -> None:
    with pytest.raises(FormulaError) as info:
        parse(text)
    err = info.value
    assert isinstance(err, ValueError)
    msg = str(err)
    assert fragment in msg
    if column is not None:
        assert err.column == column - 1
        assert f"(column {column})" in msg
    # the last line is the caret line, aligned under the shown text
    lines = msg.split("\n")
    assert len(lines) == 3 and lines[2].strip().startswith("^")
    assert len(msg) < 400  # never echoes a huge input back


def test_non_string_is_refused() -> None:
    with pytest.raises(FormulaError, match="must be text"):
        parse(3)  # type: ignore[arg-type]


def test_parser_never_reaches_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled function is a tree of closures: eval/exec never run, and compile runs only as
    ast.parse's parser (PyCF_ONLY_AST: a syntax tree, never code objects)."""
    import builtins

    real_compile = builtins.compile

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("eval/exec reached")

    def only_ast(source: object, filename: object, mode: str, flags: int = 0, *a: object, **k: object) -> object:
        assert flags & ast.PyCF_ONLY_AST, "compile() asked for code, not a syntax tree"
        return real_compile(source, filename, mode, flags, *a, **k)

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    monkeypatch.setattr(builtins, "compile", only_ast)
    f = parse("x*y + exp(-x**2) + max(x, y)")
    x, y = _points(4, 1, 1, 0)
    assert torch.isfinite(f(x, y)).all()
    with pytest.raises(FormulaError):
        parse("__import__('os').system('true')")


# ---- property tests -------------------------------------------------------------------------------------
#
# Random whitelisted expression trees, each generated together with a reference evaluator written
# independently in plain floats (math); the parsed formula must agree with it wherever both are finite.

_UNARY = {
    "exp": math.exp, "sin": math.sin, "cos": math.cos, "tanh": math.tanh, "abs": abs,
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
    "softplus": lambda v: math.log1p(math.exp(-abs(v))) + max(v, 0.0),
    "log": math.log, "sqrt": math.sqrt,
}


def _safe(fn: Callable[..., float], *args: float) -> float:
    try:
        return float(fn(*args))
    except (OverflowError, ValueError, ZeroDivisionError):
        return math.nan


Tree = tuple[str, Callable[[float, float], float]]


def _leaves() -> st.SearchStrategy[Tree]:
    nums = st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.1, 1.5, 10.0])
    return st.one_of(
        st.just(("x", lambda x, y: x)),
        st.just(("y", lambda x, y: y)),
        nums.map(lambda c: (repr(c), lambda x, y, c=c: c)),
    )


def _extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    def binop(op: str) -> st.SearchStrategy[Tree]:
        f = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "/": lambda a, b: a / b}[op]
        return st.tuples(children, children).map(
            lambda ab: (f"({ab[0][0]} {op} {ab[1][0]})",
                        lambda x, y, a=ab[0][1], b=ab[1][1]: _safe(f, a(x, y), b(x, y))))

    power = st.tuples(children, st.sampled_from([2, 3, -1, 0.5])).map(
        lambda ce: (f"({ce[0][0]})**{ce[1]}", lambda x, y, a=ce[0][1], e=ce[1]: _safe(math.pow, a(x, y), e)))
    unary = st.tuples(st.sampled_from(sorted(_UNARY)), children).map(
        lambda nc: (f"{nc[0]}({nc[1][0]})", lambda x, y, fn=_UNARY[nc[0]], a=nc[1][1]: _safe(fn, a(x, y))))
    neg = children.map(lambda c: (f"-({c[0]})", lambda x, y, a=c[1]: -a(x, y)))
    minmax = st.tuples(st.sampled_from(["min", "max"]), children, children).map(
        lambda t: (f"{t[0]}({t[1][0]}, {t[2][0]})",
                   lambda x, y, p=(min if t[0] == "min" else max), a=t[1][1], b=t[2][1]:
                   math.nan if math.isnan(a(x, y)) or math.isnan(b(x, y)) else p(a(x, y), b(x, y))))
    return st.one_of(binop("+"), binop("-"), binop("*"), binop("/"), power, unary, neg, minmax)


TREES = st.recursive(_leaves(), _extend, max_leaves=12)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(tree=TREES, px=st.floats(-3, 3), py=st.floats(-3, 3))
def test_random_trees_agree_with_a_reference_evaluator(tree: Tree, px: float, py: float) -> None:
    text, ref = tree
    try:
        f = parse(text)
    except FormulaError:
        return  # e.g. a constant sub-expression that is not finite: refused with the documented error
    x = torch.tensor([[px]], dtype=torch.float64)
    y = torch.tensor([[py]], dtype=torch.float64)
    got = float(f(x, y)[0])
    want = ref(px, py)
    if math.isfinite(want) and math.isfinite(got) and abs(want) < 1e100:
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (text, got, want)


def _smooth_bounded() -> st.SearchStrategy[str]:
    """Smooth formulas whose every intermediate value stays bounded on [-2, 2]² (powers only of a
    bounded tanh/sin, at most 10 leaves), so no overflow can hide a non-finite derivative."""
    leaf = st.one_of(st.just("x"), st.just("y"), st.sampled_from(["0.5", "1", "2", "-1.5"]))

    def extend(ch: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(ch, st.sampled_from(["+", "-", "*"]), ch).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["tanh", "sin"]), ch, st.sampled_from([2, 3])).map(
                lambda t: f"{t[0]}({t[1]})**{t[2]}"),
            st.tuples(st.sampled_from(["sin", "cos", "tanh", "sigmoid", "softplus"]), ch)
            .map(lambda t: f"{t[0]}({t[1]})"),
        )

    return st.recursive(leaf, extend, max_leaves=10)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=_smooth_bounded(), seed=st.integers(0, 2**16))
def test_field_is_finite_where_the_smooth_formula_is(text: str, seed: int) -> None:
    import dynamics

    game = dynamics.make_game("formula", f=text)
    g = torch.Generator().manual_seed(seed)
    z = torch.rand(8, 2, generator=g, dtype=torch.float64) * 4 - 2
    x, y = game.split(z)
    assert torch.isfinite(game.loss(x, y)).all(), text
    assert torch.isfinite(game.xi(z)).all(), text
    assert torch.isfinite(game.losses(x, y)[1]).all()


_ALPHABET = string.ascii_letters + string.digits + " +-*/()._,'[]:^%<>=!@#{}\\\"\n"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(alphabet=_ALPHABET, max_size=60) | st.text(max_size=40))
def test_arbitrary_text_raises_only_the_documented_error(text: str) -> None:
    try:
        f = parse(text)
    except FormulaError as err:
        assert str(err)
        return
    x, y = _points(3, max(f.dim_x, 1), max(f.dim_y, 1), 0)
    with torch.no_grad():
        out = f(x, y)
    assert out.shape == (3,)
    # whatever was accepted is inside the grammar: re-check the tree's node types
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load,
               ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
    assert all(isinstance(n, allowed) for n in ast.walk(ast.parse(text, mode="eval")))
    assert all(n.id in formula.FUNCTIONS or n.id in formula.VARIADIC or n.id in formula.CONSTANTS
               or n.id[0] in "xy" for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name))
