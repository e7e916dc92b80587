"""A safe parser for game formulas typed by a person: ``"x*y + 0.1*x**2"`` -> a torch function.

The text is parsed with :func:`ast.parse` in ``eval`` mode and the tree is checked node by node
against a whitelist; the accepted tree is then *compiled by walking it* into nested Python
closures over torch operations. ``eval``, ``exec`` and ``compile`` never see the text, and nothing
outside the whitelist (attributes, subscripts, comprehensions, lambdas, calls to anything but the
function table) can be reached. The grammar is documented in ``docs/formula.md``:

* numbers (finite), the constants ``pi`` and ``e``;
* the players' variables: ``x`` and ``y`` for scalar players, or ``x1, x2, ...`` and
  ``y1, y2, ...`` (up to :data:`MAX_DIM` each) for vector players (one style per player);
* ``+ - * /``, unary ``-`` and ``+``, and ``**`` with a *constant* exponent of absolute value at
  most :data:`MAX_EXPONENT` (so ``9**9**9`` is refused instead of computed);
* the functions of :data:`FUNCTIONS` (``min``/``max`` take two or more arguments, the others one).

Caps: :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting, :data:`MAX_NODES`
tree nodes. Every refusal raises :class:`FormulaError`, a ``ValueError`` whose message names the
problem and points at the offending token with a caret under a copy of the text.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

import torch
import torch.nn.functional as F

from .types import Tensor

MAX_LENGTH = 1000
MAX_DEPTH = 100
MAX_NODES = 400
MAX_EXPONENT = 100.0
MAX_DIM = 16

#: name -> (torch function of one tensor, math function of one float); min/max are handled apart
FUNCTIONS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[float], float]]] = {
    "exp": (torch.exp, math.exp),
    "log": (torch.log, math.log),
    "sin": (torch.sin, math.sin),
    "cos": (torch.cos, math.cos),
    "tanh": (torch.tanh, math.tanh),
    "sqrt": (torch.sqrt, math.sqrt),
    "abs": (torch.abs, abs),
    "sigmoid": (torch.sigmoid, lambda v: 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))),
    "softplus": (F.softplus, lambda v: v + math.log1p(math.exp(-v)) if v > 0 else math.log1p(math.exp(v))),
}
VARIADIC = ("min", "max")
CONSTANTS = {"pi": math.pi, "e": math.e}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPS = {
    ast.BitXor: "'^' is not a power here: write x**2",
    ast.FloorDiv: "'//' is not allowed: use /",
    ast.Mod: "'%' is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
    ast.BitOr: "'|' is not allowed",
    ast.BitAnd: "'&' is not allowed",
}
_NODE_WORDS = {
    ast.Attribute: "attribute access ('.name')",
    ast.Subscript: "indexing ('[...]')",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Lambda: "a lambda",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'... if ... else ...'",
    ast.NamedExpr: "':='",
    ast.Starred: "'*' unpacking",
    ast.JoinedStr: "an f-string",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield from'",
}

Value = Union[float, Tensor]
Compiled = Callable[[Tensor, Tensor], Value]


class FormulaError(ValueError):
    """A formula was refused. ``str(err)`` is the whole message: the reason, then the text with a
    caret under the offending token. ``reason``, ``column`` (0-based) and ``text`` are kept apart
    for widgets that draw their own marker.
    """

    def __init__(self, reason: str, text: str, column: int = 0, width: int = 1) -> None:
        self.reason = reason
        self.text = text
        self.column = max(0, min(column, len(text)))
        self.width = max(1, width)
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.text) > 120:  # never echo a huge text back; point into a window around the column
            lo = max(0, self.column - 40)
            shown = ("…" if lo else "") + self.text[lo : lo + 80] + "…"
            caret_at = self.column - lo + (1 if lo else 0)
        else:
            shown, caret_at = self.text, self.column
        shown = "".join(c if c.isprintable() else "?" for c in shown)
        caret = " " * caret_at + "^" * min(self.width, max(1, len(shown) - caret_at))
        return f"{self.reason} (column {self.column + 1})\n  {shown}\n  {caret}"


@dataclass(frozen=True)
class Formula:
    """A parsed formula: call it on ``x`` (B, dim_x) and ``y`` (B, dim_y) to get (B,).

    ``dim_x``/``dim_y`` are the dimensions the text needs (1 for ``x``, ``k`` for ``x1..xk``,
    0 when the player does not appear); ``vector_x``/``vector_y`` say whether it uses ``x1, ...``.
    """

    text: str
    names: frozenset  # the variable names it uses, e.g. {"x", "y"}
    dim_x: int
    dim_y: int
    vector_x: bool
    vector_y: bool
    size: int  # tree nodes (numbers, names, operators, calls): the cost of one evaluation
    _fn: Compiled

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        out = self._fn(x, y)
        if isinstance(out, torch.Tensor):
            return out.expand(x.shape[0]) if out.ndim == 0 else out
        return torch.full((x.shape[0],), float(out), dtype=x.dtype, device=x.device)  # a constant formula


def _short(token: str, limit: int = 24) -> str:
    """A user's token for a message, cut so that a message never echoes a huge input."""
    return token if len(token) <= limit else token[: limit - 1] + "…"


def _variable(name: str) -> tuple[str, int, bool] | None:
    """``"x"`` -> ("x", 0, False); ``"y3"`` -> ("y", 2, True); anything else -> None."""
    if name in ("x", "y"):
        return name, 0, False
    if len(name) >= 2 and name[0] in "xy" and name[1:].isdigit() and name[1] != "0":
        return name[0], int(name[1:]) - 1, True
    return None


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.nodes = 0
        self.used: dict[str, set[int]] = {"x": set(), "y": set()}
        self.names: set[str] = set()
        self.style: dict[str, tuple[bool, str]] = {}  # player -> (vector?, first name seen)

    def fail(self, reason: str, node: ast.AST) -> FormulaError:
        col = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None)
        width = (end - col) if isinstance(end, int) and getattr(node, "end_lineno", 1) == 1 else 1
        return FormulaError(reason, self.text, col, width)

    def operator_fail(self, reason: str, node: ast.BinOp) -> FormulaError:
        """Point at the operator itself: the first non-space, non-bracket character between the operands."""
        lo = getattr(node.left, "end_col_offset", None)
        hi = getattr(node.right, "col_offset", None)
        if isinstance(lo, int) and isinstance(hi, int) and node.lineno == node.end_lineno:
            for i in range(lo, hi):
                if self.text[i] not in " ()":
                    width = 1
                    while i + width < hi and self.text[i + width] not in " ()":
                        width += 1
                    return FormulaError(reason, self.text, i, width)
        return self.fail(reason, node)

    # every method returns either a Python float (a constant sub-expression, folded now) or a
    # closure (x, y) -> tensor
    def visit(self, node: ast.AST, depth: int) -> float | Compiled:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(f"formula too long: more than {MAX_NODES} terms", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"formula nested too deeply (more than {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        word = _NODE_WORDS.get(type(node), f"'{type(node).__name__}'")
        raise self.fail(f"{word} is not allowed in a formula", node)

    def constant(self, node: ast.Constant) -> float:
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            what = "a string" if isinstance(v, (str, bytes)) else repr(v)
            raise self.fail(f"{what} is not allowed: only numbers", node)
        try:
            f = float(v)
        except OverflowError:
            raise self.fail("number too large", node) from None
        if not math.isfinite(f):
            raise self.fail("number too large", node)
        return f

    def name(self, node: ast.Name) -> float | Compiled:
        n = node.id
        if n in CONSTANTS:
            return CONSTANTS[n]
        var = _variable(n)
        if var is None:
            if n in FUNCTIONS or n in VARIADIC:
                raise self.fail(f"'{n}' is a function: write {n}(...)", node)
            raise self.fail(f"unknown name '{_short(n)}': use x, y (or x1, x2, … and y1, y2, …), pi, e", node)
        player, index, vector = var
        if index >= MAX_DIM:
            raise self.fail(f"'{_short(n)}': at most {MAX_DIM} coordinates per player", node)
        seen = self.style.setdefault(player, (vector, n))
        if seen[0] != vector:
            raise self.fail(f"'{_short(n)}' mixes styles with '{_short(seen[1])}': use either {player} or "
                            f"{player}1, {player}2, … for one player", node)
        self.used[player].add(index)
        self.names.add(n)
        col = index
        if player == "x":
            return lambda x, y: x[:, col]
        return lambda x, y: y[:, col]

    def unary(self, node: ast.UnaryOp, depth: int) -> float | Compiled:
        if isinstance(node.op, ast.Not):
            raise self.fail("'not' is not allowed", node)
        if isinstance(node.op, ast.Invert):
            raise self.fail("'~' is not allowed", node)
        a = self.visit(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return a
        if not callable(a):
            return -a
        return lambda x, y: -a(x, y)

    def exponent(self, node: ast.AST, depth: int) -> float:
        e = self.visit(node, depth + 1)
        if callable(e):
            raise self.fail("the exponent of ** must be a number (write exp(y*log(x)) for x**y)", node)
        if abs(e) > MAX_EXPONENT:
            raise self.fail(f"exponent {e:g} is too large (at most {MAX_EXPONENT:g} in absolute value)", node)
        return e

    def binop(self, node: ast.BinOp, depth: int) -> float | Compiled:
        op = type(node.op)
        if op not in _BINOPS:
            raise self.operator_fail(_REFUSED_OPS.get(op, f"operator {op.__name__} is not allowed"), node)
        # a left-leaning chain (a + b + c + ...) is long, not deep: only the right operand nests
        a = self.visit(node.left, depth if isinstance(node.left, ast.BinOp) else depth + 1)
        if op is ast.Pow:
            e = self.exponent(node.right, depth)
            if not callable(a):
                return self.fold(lambda: math.pow(a, e), node)
            if e == 2.0:  # the common case, and exact: a*a instead of pow
                return lambda x, y: (lambda t: t * t)(a(x, y))
            return lambda x, y: a(x, y) ** e
        b = self.visit(node.right, depth + 1)
        if not callable(a) and not callable(b):
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b}
            return self.fold(ops[op], node)
        fa = a if callable(a) else (lambda x, y, c=a: c)
        fb = b if callable(b) else (lambda x, y, c=b: c)
        if op is ast.Add:
            return lambda x, y: fa(x, y) + fb(x, y)
        if op is ast.Sub:
            return lambda x, y: fa(x, y) - fb(x, y)
        if op is ast.Mult:
            return lambda x, y: fa(x, y) * fb(x, y)
        return lambda x, y: fa(x, y) / fb(x, y)

    def fold(self, thunk: Callable[[], float], node: ast.AST) -> float:
        """Evaluate a constant sub-expression now (plain float arithmetic, never ``eval``)."""
        try:
            v = float(thunk())
        except (OverflowError, ZeroDivisionError, ValueError):
            v = math.nan
        if not math.isfinite(v):
            raise self.fail("this constant part is not a finite number", node)
        return v

    def call(self, node: ast.Call, depth: int) -> float | Compiled:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only the listed functions can be called, e.g. exp(x)", node.func)
        fname = node.func.id
        if fname not in FUNCTIONS and fname not in VARIADIC:
            raise self.fail(f"unknown function '{_short(fname)}': use one of "
                            f"{', '.join(sorted([*FUNCTIONS, *VARIADIC]))}", node.func)
        if node.keywords:
            raise self.fail(f"{fname}() takes no keyword arguments", node.keywords[0].value)
        args = [self.visit(a, depth + 1) for a in node.args]
        if fname in VARIADIC:
            if len(args) < 2:
                raise self.fail(f"{fname}() needs at least two arguments", node)
            return self.variadic(fname, args, node)
        if len(args) != 1:
            raise self.fail(f"{fname}() takes exactly one argument, got {len(args)}", node)
        tfn, mfn = FUNCTIONS[fname]
        a = args[0]
        if not callable(a):
            return self.fold(lambda: mfn(a), node)
        return lambda x, y: tfn(a(x, y))

    def variadic(self, fname: str, args: list, node: ast.AST) -> float | Compiled:
        consts = [a for a in args if not callable(a)]
        funcs = [a for a in args if callable(a)]
        pick = min if fname == "min" else max
        if not funcs:
            return pick(consts)
        c = pick(consts) if consts else None
        pair = torch.minimum if fname == "min" else torch.maximum

        def fn(x: Tensor, y: Tensor) -> Tensor:
            out = funcs[0](x, y)
            for f in funcs[1:]:
                out = pair(out, f(x, y))
            if c is not None:
                out = out.clamp(max=c) if fname == "min" else out.clamp(min=c)
            return out

        return fn


def _precheck(text: str) -> None:
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, got {type(text).__name__}", "", 0)
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula too long: {len(text)} characters (at most {MAX_LENGTH})", text, MAX_LENGTH)
    if not text.strip():
        raise FormulaError("the formula is empty", text, 0)
    for i, ch in enumerate(text):
        if not (ch == " " or (ch.isascii() and ch.isprintable())):
            hint = " (use - for minus)" if ch in "−–" else " (use ** for powers)" if ch in "²³" else ""
            raise FormulaError(f"character {ch!r} is not allowed{hint}", text, i)
    level = 0
    for i, ch in enumerate(text):  # bracket nesting (the tree walk below caps operator nesting)
        level += (ch == "(") - (ch == ")")
        if level > MAX_DEPTH:
            raise FormulaError(f"formula nested too deeply (more than {MAX_DEPTH} levels)", text, i)


def parse(text: str) -> Formula:
    """Parse and check a formula; the result is a torch function (see the module docstring).

    Raises:
        FormulaError: for anything outside the grammar, with the offending column marked.

    """
    _precheck(text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        col = (err.offset or 1) - 1
        msg = err.msg or "invalid syntax"
        unclosed = col >= len(text.rstrip()) and text.count("(") > text.count(")")
        if "never closed" in msg or "unexpected EOF" in msg or unclosed:
            msg = "unbalanced brackets: a '(' is never closed"
        elif "unmatched" in msg:
            msg = "unbalanced brackets: a ')' has no matching '('"
        elif "too many nested" in msg:
            msg = f"formula nested too deeply (more than {MAX_DEPTH} levels)"
        elif "decimal literal" in msg:
            msg = "a number runs into a name: write 2*x, not 2x"
        elif msg.startswith("invalid syntax"):
            msg = "invalid syntax (a missing operator? write 2*x, not 2x)"
        raise FormulaError(msg, text, col) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(f"formula nested too deeply (more than {MAX_DEPTH} levels)", text, 0) from None
    comp = _Compiler(text)
    try:
        out = comp.visit(tree.body, 0)
    except RecursionError:
        raise FormulaError(f"formula nested too deeply (more than {MAX_DEPTH} levels)", text, 0) from None
    fn: Compiled = out if callable(out) else (lambda x, y, c=out: c)

    def dim(player: str) -> int:
        idx = comp.used[player]
        return (max(idx) + 1) if idx else 0

    vx = comp.style.get("x", (False, ""))[0]
    vy = comp.style.get("y", (False, ""))[0]
    return Formula(text=text, names=frozenset(comp.names), dim_x=dim("x"), dim_y=dim("y"),
                   vector_x=vx, vector_y=vy, size=comp.nodes, _fn=fn)


__all__ = ["FormulaError", "Formula", "parse", "FUNCTIONS", "VARIADIC", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH",
           "MAX_NODES", "MAX_EXPONENT", "MAX_DIM"]
