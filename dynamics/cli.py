"""The one command-line front door: flags built from ``hparam`` declarations, strict values, one-line errors.

Every CLI of the project (``app.export``, ``gan_demo.gmm``, ``gan_demo.mnist.train``) builds its
parser with :class:`ArgumentParser`, adds one flag per declared hyperparameter with
:func:`add_hparam_flags` (the same :func:`dynamics.params.hparams` declarations that build the app's
widgets), and wraps its entry point in :func:`front_door`. The contract:

- a bad argument prints exactly one line on stderr, ``prog: error: <message naming the argument>``,
  and exits with code 2; never a traceback;
- values are parsed strictly and never evaluated: numbers must be finite (``inf``, ``nan`` and
  overflowing literals such as ``1e999`` are refused) and inside the declared range; vectors and
  matrices are JSON text of bounded length, nesting depth and size;
- checks happen before any work: :func:`check_writable` probes the output location and
  :func:`read_bounded` refuses input files over a size cap (``/dev/zero`` included).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, Optional

from .params import HParam, hparams
from .validation import json_depth

#: longest accepted text of one scalar value (a float needs far less; this bounds the parser's work)
MAX_SCALAR_CHARS = 64
#: longest accepted JSON text of a vector or matrix value
MAX_ARRAY_CHARS = 20_000
#: most numbers in a vector or matrix value
MAX_ARRAY_ELEMENTS = 64 * 64
#: error exit code of every CLI (argparse's own convention)
EXIT_USAGE = 2


class UsageError(ValueError):
    """A bad command-line argument (printed as one line, exit code 2)."""


# ---- strict value parsers -------------------------------------------------------------------
def _range_text(low: Optional[float], high: Optional[float]) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"[{lo}, {hi}]"


def _in_range(v: float, low: Optional[float], high: Optional[float], name: str) -> None:
    if (low is not None and v < low) or (high is not None and v > high):
        shown = f"{v:g}" if isinstance(v, float) else str(v)
        raise UsageError(f"{name}: {shown} is outside its valid range {_range_text(low, high)}")


def parse_float(text: str, name: str = "value", low: Optional[float] = None, high: Optional[float] = None) -> float:
    """A finite float inside ``[low, high]`` (``inf``, ``nan`` and overflowing literals are refused)."""
    s = str(text).strip()
    if not s or len(s) > MAX_SCALAR_CHARS:
        raise UsageError(f"{name}: expected a number, got {s[:MAX_SCALAR_CHARS]!r}")
    try:
        v = float(s)
    except ValueError:
        raise UsageError(f"{name}: expected a number, got {s!r}") from None
    if not math.isfinite(v):
        raise UsageError(f"{name}: must be a finite number, got {s!r}")
    _in_range(v, low, high, name)
    return v


def parse_int(text: str, name: str = "value", low: Optional[int] = None, high: Optional[int] = None) -> int:
    """An integer written in decimal digits inside ``[low, high]`` (no ``1e3``, ``1.5`` or ``inf``)."""
    s = str(text).strip()
    body = s[1:] if s[:1] in "+-" else s
    if not body.isdigit() or not body.isascii() or len(s) > 20:
        raise UsageError(f"{name}: expected an integer, got {s[:MAX_SCALAR_CHARS]!r}")
    v = int(s)
    _in_range(v, low, high, name)
    return v


def parse_bool(text: str, name: str = "value") -> bool:
    """``true/false``, ``yes/no``, ``on/off`` or ``1/0`` (any case)."""
    s = str(text).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{name}: expected true or false, got {str(text)[:MAX_SCALAR_CHARS]!r}")


def parse_choice(text: str, choices: Sequence[Any], name: str = "value") -> Any:
    """The declared choice whose text is ``text`` (choices may be numbers: ``"2"`` matches ``2``)."""
    for c in choices:
        if str(c) == str(text).strip():
            return c
    raise UsageError(f"{name}: {str(text)[:MAX_SCALAR_CHARS]!r} is not one of {', '.join(map(str, choices))}")


def _reject_constant(token: str) -> NoReturn:
    raise ValueError(f"{token} is not a finite number")


def parse_array(text: str, kind: str, name: str = "value") -> tuple:
    """A JSON number list (vector) or list of lists (matrix) as nested tuples of finite floats.

    The text is bounded in length (:data:`MAX_ARRAY_CHARS`), nesting depth (2 for a matrix, 1 for a
    vector) and element count (:data:`MAX_ARRAY_ELEMENTS`) before and after decoding; never evaluated.

    Raises:
        UsageError: (a ``ValueError``) naming ``name`` for anything else.

    """
    if kind not in ("vector", "matrix"):
        raise ValueError(f"kind must be 'vector' or 'matrix', got {kind!r}")
    s = str(text).strip()
    if len(s) > MAX_ARRAY_CHARS:
        raise UsageError(f"{name}: at most {MAX_ARRAY_CHARS} characters of JSON, got {len(s)}")
    limit = 2 if kind == "matrix" else 1
    if json_depth(s) > limit:
        raise UsageError(f"{name}: a {kind} nests at most {limit} level(s) of brackets")
    try:
        data = json.loads(s, parse_constant=_reject_constant)
    except ValueError as err:  # JSONDecodeError, NaN/Infinity, over-long integer literals
        raise UsageError(f"{name}: not a JSON {kind} ({getattr(err, 'msg', err)})") from None
    if kind == "vector" and not isinstance(data, list):
        data = [data]
    if kind == "matrix" and isinstance(data, list) and data and not isinstance(data[0], list):
        data = [data]
    rows = data if kind == "matrix" else [data]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
        example = "[[1, 0], [0, 1]]" if kind == "matrix" else "[1, 0]"
        raise UsageError(f"{name}: must be a {kind} like {example}")
    if len({len(r) for r in rows}) != 1:
        raise UsageError(f"{name}: rows must all have the same length")
    if sum(len(r) for r in rows) > MAX_ARRAY_ELEMENTS:
        raise UsageError(f"{name}: at most {MAX_ARRAY_ELEMENTS} numbers")
    out = []
    for r in rows:
        row = []
        for v in r:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise UsageError(f"{name}: must contain only numbers, got {json.dumps(v)[:40]}")
            f = float(v) if abs(v) < 1e308 else math.inf  # huge ints: float() would raise OverflowError
            if not math.isfinite(f):
                raise UsageError(f"{name}: all numbers must be finite")
            row.append(f)
        out.append(tuple(row))
    return tuple(out) if kind == "matrix" else out[0]


def parse_value(hp: HParam, text: str, name: Optional[str] = None) -> Any:
    """Parse ``text`` as a value of the declared hyperparameter ``hp`` (kind, range and choices).

    ``none`` is accepted for optional parameters. Algorithm-valued parameters are given by
    registry name and resolved by the caller.
    """
    label = name or hp.name
    if hp.optional and str(text).strip().lower() == "none":
        return None
    if hp.kind == "float":
        return parse_float(text, label, hp.low, hp.high)
    if hp.kind == "int":
        lo = None if hp.low is None else math.ceil(hp.low)
        hi = None if hp.high is None else math.floor(hp.high)
        return parse_int(text, label, lo, hi)
    if hp.kind == "bool":
        return parse_bool(text, label)
    if hp.kind == "choice":
        if "simultaneous" in hp.choices:  # an update order: old spellings through the one alias table
            from .updates import canonical_order

            text = canonical_order(str(text).strip())
        return parse_choice(text, hp.choices, label)
    if hp.kind in ("vector", "matrix"):
        return parse_array(text, hp.kind, label)
    if hp.kind == "formula":  # checked by the safe parser; the CLI shows its reason in one line
        from .formula import FormulaError, parse

        try:
            parse(text)
        except FormulaError as err:
            raise UsageError(f"{label}: {err.reason} (column {err.column + 1} of {text[:60]!r})") from None
        return text
    if hp.kind == "formula":  # text for dynamics.formula's whitelist parser (the game checks it)
        s = str(text)
        if len(s) > MAX_ARRAY_CHARS:
            raise UsageError(f"{label}: at most {MAX_ARRAY_CHARS} characters, got {len(s)}")
        return s
    if hp.kind == "algorithm":
        from .registry import ALGORITHMS

        return parse_choice(text, sorted(ALGORITHMS), label)
    raise ValueError(f"{label}: unknown hyperparameter kind {hp.kind!r}")


def arg_type(hp: HParam, flag: Optional[str] = None) -> Callable[[str], Any]:
    """An argparse ``type=`` for ``hp``: parses strictly and reports errors the argparse way."""
    label = flag or hp.name

    def convert(text: str) -> Any:
        try:
            return parse_value(hp, text, label)
        except ValueError as err:  # argparse prefixes "argument --flag: " itself
            raise argparse.ArgumentTypeError(str(err).removeprefix(f"{label}: ")) from None

    convert.__name__ = hp.kind  # argparse names the type in some messages
    return convert


def value_type(kind: str, *, low: Optional[float] = None, high: Optional[float] = None,
               choices: Sequence[Any] = (), optional: bool = False) -> Callable[[str], Any]:
    """A strict argparse ``type=`` for a plain flag that has no ``hparam`` declaration (``--steps``)."""
    return arg_type(HParam(name="value", default=None, kind=kind, low=low, high=high, choices=tuple(choices),
                           optional=optional))


# ---- the parser and the flag builder -------------------------------------------------------
class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line (``prog: error: ...``), exit code 2.

    Unambiguous prefixes of long flags are refused (``allow_abbrev=False``): a typo never silently
    sets a different hyperparameter.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def flag_name(name: str, prefix: str = "") -> str:
    """The flag of a declared field: ``batch_size`` -> ``--batch-size``; ``prefix="game."`` -> ``--game.a``."""
    return "--" + prefix + (name if "." in prefix else name.replace("_", "-"))


def add_hparam_flags(
    parser: argparse.ArgumentParser | Any,
    cls: Any,
    *,
    prefix: str = "",
    dest_prefix: str = "",
    skip: Iterable[str] = (),
    kinds: Iterable[str] = ("float", "int", "bool", "choice", "vector", "matrix", "formula"),
    aliases: Optional[dict[str, Sequence[str]]] = None,
    help_suffix: str = "",
    defaults: bool = False,
) -> list[tuple[str, str]]:
    """Add one ``--flag`` per declared hyperparameter of ``cls`` to ``parser`` (or an argument group).

    Args:
        parser: The parser or argument group.
        cls: A dataclass (class or instance) whose fields carry ``hparam`` metadata.
        prefix: Flag prefix (``"game."`` gives ``--game.a``; without a dot, ``_`` become ``-``).
        dest_prefix: Prefix of the argparse ``dest`` (keeps equal names of two classes apart).
        skip: Field names to leave out.
        kinds: The hyperparameter kinds that get a flag.
        aliases: Extra option strings per field name (old spellings kept working).
        help_suffix: Appended to every help text (e.g. which game a flag belongs to).
        defaults: Use the declared default as the flag's default (else ``None``: "not given").

    Returns:
        ``(field name, argparse dest)`` pairs, in declaration order.

    """
    skip = set(skip)
    kinds = set(kinds)
    aliases = aliases or {}
    out = []
    for hp in hparams(cls):
        if hp.name in skip or hp.kind not in kinds:
            continue
        flag = flag_name(hp.name, prefix)
        dest = dest_prefix + hp.name
        rng = f" {_range_text(hp.low, hp.high)}" if hp.kind in ("float", "int") else ""
        if hp.kind == "choice":
            rng = f" {{{', '.join(map(str, hp.choices))}}}"
        help_text = f"{hp.help}{rng} (default {hp.default}){help_suffix}".strip()
        metavar = hp.kind.upper() if hp.kind != "choice" else "CHOICE"
        parser.add_argument(flag, *aliases.get(hp.name, ()), dest=dest, type=arg_type(hp, flag),
                            default=hp.default if defaults else None, metavar=metavar,
                            help=help_text.replace("%", "%%"))
        out.append((hp.name, dest))
    return out


def given(args: argparse.Namespace, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``{field name: value}`` of the flags in ``pairs`` that were given (value not ``None``)."""
    ns = vars(args)
    return {name: ns[dest] for name, dest in pairs if ns.get(dest) is not None}


# ---- checks before any work ----------------------------------------------------------------
def check_writable(path: str | Path, *, is_dir: bool = False, what: str = "--out") -> Path:
    """Refuse an output location that cannot be written, before any work starts. Writes nothing.

    ``path`` is a file to write (``is_dir=False``) or a folder to write into. Its nearest existing
    ancestor must be a folder in which a file can be created (probed with a temporary file that
    is removed at once; ``os.access`` alone says yes to root on read-only places such as ``/proc``).

    Raises:
        UsageError: naming ``what``.

    """
    p = Path(path)
    if str(path).strip() == "":
        raise UsageError(f"{what}: empty path")
    if p.exists():
        if is_dir and not p.is_dir():
            raise UsageError(f"{what}: {p} exists and is not a folder")
        if not is_dir and p.is_dir():
            raise UsageError(f"{what}: {p} is a folder, expected a file name")
    anchor = p if is_dir else p.parent
    while not anchor.exists():
        if anchor.parent == anchor:
            break
        anchor = anchor.parent
    if not anchor.is_dir():
        raise UsageError(f"{what}: cannot create {p}: {anchor} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".saddle-probe-", dir=anchor)
    except OSError as err:
        raise UsageError(f"{what}: cannot write to {anchor} ({err.strerror or err})") from None
    os.close(fd)
    os.unlink(probe)
    return p


def read_bounded(path: str | Path, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of ``path``, refusing files larger than ``max_bytes`` (reads at most ``max_bytes + 1``).

    Works for devices and pipes too (``/dev/zero`` is refused after ``max_bytes`` bytes, not read
    until memory runs out).

    Raises:
        UsageError: naming ``what`` for a missing, unreadable, folder or oversized input.

    """
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{what}: {p} is a folder, expected a file")
    try:
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise UsageError(f"{what}: cannot read {p} ({err.strerror or err})") from None
    if len(data) > max_bytes:
        raise UsageError(f"{what}: {p} is larger than {max_bytes} bytes")
    return data


def check_readable(path: str | Path, max_bytes: int, what: str = "file") -> Path:
    """Refuse a missing, non-regular or oversized input file without reading it."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{what}: {p} does not exist")
    if not p.is_file():
        raise UsageError(f"{what}: {p} is not a regular file")
    size = p.stat().st_size
    if size > max_bytes:
        raise UsageError(f"{what}: {p} is {size} bytes, more than the limit of {max_bytes}")
    if not os.access(p, os.R_OK):
        raise UsageError(f"{what}: {p} is not readable")
    return p


# ---- the entry-point wrapper ---------------------------------------------------------------
def one_line(err: BaseException) -> str:
    """The message of ``err`` on one line (OSError: the file name and the reason)."""
    if isinstance(err, OSError) and err.strerror:
        msg = f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    else:
        msg = str(err) or type(err).__name__
    if isinstance(err, KeyError):  # str(KeyError) quotes its argument
        msg = f"unknown key {msg}"
    return " ".join(msg.split())


def fail(prog: str, message: str) -> int:
    """Print ``prog: error: message`` on one line to stderr and return the usage exit code."""
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def front_door(prog: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Decorate a CLI ``main(argv) -> int``: documented errors become one line and exit code 2.

    ``ValueError`` (this includes :class:`UsageError` and argparse errors through
    :class:`ArgumentParser`), ``TypeError``, ``KeyError`` and ``OSError`` are reported as
    ``prog: error: ...`` on stderr; anything else is a bug and keeps its traceback.
    """

    def deco(main: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(main)
        def wrapper(argv: Optional[Sequence[str]] = None) -> int:
            try:
                return main(argv)
            except (ValueError, TypeError, KeyError, OSError) as err:
                return fail(prog, one_line(err))

        return wrapper

    return deco


__all__ = ["ArgumentParser", "UsageError", "add_hparam_flags", "arg_type", "check_readable", "check_writable",
           "fail", "flag_name", "front_door", "given", "one_line", "parse_array", "parse_bool", "parse_choice",
           "parse_float", "parse_int", "parse_value", "read_bounded", "value_type", "EXIT_USAGE", "MAX_ARRAY_CHARS",
           "MAX_ARRAY_ELEMENTS"]
