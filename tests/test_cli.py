"""The CLI front door (dynamics/cli.py): strict values, one-line errors, exit code 2, checks before work.

Each of the three CLIs gets a table of bad arguments; every case must exit with code 2, print
exactly one line on stderr (``prog: error: ...``), no traceback, and write nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dynamics import cli

REPO = Path(__file__).resolve().parents[1]


# ---- value parsers ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "1e999", "-1e400", "", "1,5", "0x10", "1" * 100, "two"])
def test_parse_float_refuses(text):
    with pytest.raises(cli.UsageError):
        cli.parse_float(text, "--lr")


def test_parse_float_range_and_values():
    assert cli.parse_float(" 2e-4 ") == 2e-4
    assert cli.parse_float("-3", low=-5, high=5) == -3.0
    with pytest.raises(cli.UsageError, match=r"--lr: 7 is outside its valid range \[0, 5\]"):
        cli.parse_float("7", "--lr", 0, 5)


@pytest.mark.parametrize("text", ["1.5", "1e3", "inf", "nan", "", "9" * 30, "٣", "0x1", "+-1"])
def test_parse_int_refuses(text):
    with pytest.raises(cli.UsageError):
        cli.parse_int(text, "--steps")


def test_parse_int_bool_choice():
    assert cli.parse_int("+12") == 12 and cli.parse_int("-3") == -3
    with pytest.raises(cli.UsageError, match="outside"):
        cli.parse_int("0", "--steps", 1, 10)
    assert cli.parse_bool("Yes") is True and cli.parse_bool("off") is False
    with pytest.raises(cli.UsageError):
        cli.parse_bool("maybe")
    assert cli.parse_choice("2", (1, 2, 3)) == 2
    with pytest.raises(cli.UsageError, match="not one of"):
        cli.parse_choice("4", (1, 2, 3))


@pytest.mark.parametrize("text", [
    "[" * 3000 + "]" * 3000,  # used to raise RecursionError
    "[[[1]]]",
    "[1e999, 1]",
    "[NaN]",
    "[Infinity]",
    "[[1, 2], [3]]",
    '["a"]',
    "[true]",
    "[]",
    "[" + "1" * 5000 + "]",  # over-long integer literal
    "[" + ",".join(["1"] * 5000) + "]",  # too many numbers
    "x" * (cli.MAX_ARRAY_CHARS + 1),
    "__import__('os')",
])
def test_parse_array_refuses(text):
    with pytest.raises(cli.UsageError):
        cli.parse_array(text, "matrix", "--game.A")


def test_parse_array_values():
    assert cli.parse_array("[[1, 0], [0, 2.5]]", "matrix") == ((1.0, 0.0), (0.0, 2.5))
    assert cli.parse_array("[1, 2]", "matrix") == ((1.0, 2.0),)
    assert cli.parse_array("3", "vector") == (3.0,)
    with pytest.raises(cli.UsageError, match="nests at most 1"):
        cli.parse_array("[[1]]", "vector")


# ---- checks before work ---------------------------------------------------------------------------
def test_read_bounded_caps_devices_and_files(tmp_path):
    with pytest.raises(cli.UsageError, match="larger than 1000 bytes"):
        cli.read_bounded("/dev/zero", 1000, "--csv")
    f = tmp_path / "a.csv"
    f.write_bytes(b"0,1\n")
    assert cli.read_bounded(f, 4) == b"0,1\n"
    with pytest.raises(cli.UsageError, match="larger"):
        cli.read_bounded(f, 3)
    with pytest.raises(cli.UsageError, match="cannot read"):
        cli.read_bounded(tmp_path / "missing.csv", 10)
    with pytest.raises(cli.UsageError, match="folder"):
        cli.read_bounded(tmp_path, 10)


def test_check_writable_writes_nothing(tmp_path):
    (tmp_path / "file").write_text("x")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli.check_writable(tmp_path / "new" / "deeper" / "x.gif") == tmp_path / "new" / "deeper" / "x.gif"
    with pytest.raises(cli.UsageError, match="not a folder"):
        cli.check_writable(tmp_path / "file" / "x.gif")
    with pytest.raises(cli.UsageError, match="not a folder"):
        cli.check_writable(tmp_path / "file", is_dir=True)
    with pytest.raises(cli.UsageError, match="is a folder"):
        cli.check_writable(tmp_path)
    with pytest.raises(cli.UsageError, match="cannot write"):
        cli.check_writable("/proc/saddle-test/x.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_front_door_turns_documented_errors_into_one_line(capsys):
    @cli.front_door("prog")
    def main(argv):
        kind = argv[0]
        if kind == "value":
            raise ValueError("bad\nvalue")
        if kind == "os":
            raise FileNotFoundError(2, "No such file or directory", "/x")
        if kind == "usage":
            p = cli.ArgumentParser(prog="prog")
            p.add_argument("--n", type=cli.value_type("int", low=1))
            p.parse_args(["--n", "0"])
        raise RuntimeError("a bug keeps its traceback")

    for kind, msg in [("value", "bad value"), ("os", "/x: No such file or directory"),
                      ("usage", "argument --n: 0 is outside its valid range [1, inf]")]:
        assert main([kind]) == 2
        err = capsys.readouterr().err
        assert err == f"prog: error: {msg}\n"
    with pytest.raises(RuntimeError):
        main(["bug"])


def test_no_abbreviations():
    p = cli.ArgumentParser(prog="p")
    p.add_argument("--steps-total", type=int)
    with pytest.raises(cli.UsageError):
        p.parse_args(["--steps", "3"])


# ---- the three CLIs ---------------------------------------------------------------------------------
def _csv(tmp: Path, text: str) -> str:
    f = tmp / "in.csv"
    f.write_text(text)
    return str(f)


EXPORT_CASES = [
    ["--preset", "ftr_f1"],  # bilinear has no presets (was a KeyError)
    ["--game", "quadratic", "--preset", "nope"],
    ["--game", "nope"],
    ["--algorithms", "gda,nope"],
    ["--algorithms", ","],
    ["--steps", "0"],
    ["--steps", "inf"],
    ["--steps", "1e999"],
    ["--steps", "99999999"],
    ["--seed", "1.5"],
    ["--lr", "nan"],
    ["--gda.lr", "1e999"],
    ["--gda.lr", "-1"],
    ["--x0", "inf"],
    ["--zoom", "0"],
    ["--frames", "0"],
    ["--fps", "1e999"],
    ["--size", "10"],
    ["--game.A", "[" * 3000],
    ["--game.A", "[[1, 2], [3]]"],
    ["--game", "quadratic", "--game.A", "[[1]]"],
    ["--game", "quadratic", "--game.b", "[1, 2]"],
    ["--game", "formula", "--game.f", "__import__('os').system('true')"],
    ["--game", "formula", "--game.f", "9**9**9"],
    ["--game", "formula", "--game.f", "x*y", "--game.A", "[[1]]"],
    ["--averaging.base", "nope"],
    ["--momentum.order", "sideways"],
    ["--bogus", "1"],
    ["--ste", "3"],  # no abbreviations
    ["OUT:x.txt"],
    ["OUT:file/x.gif"],
    ["OUT:/proc/saddle/x.gif"],
]

GMM_CASES = [
    ["--steps", "0"],
    ["--steps", "inf"],
    ["--seeds", "0"],
    ["--seeds", "100000"],
    ["--every", "0"],
    ["--algorithm", "nope"],
    ["--algorithm", "adam", "--lr", "1e999"],
    ["--algorithm", "adam", "--lr", "-1"],
    ["--algorithm", "adam", "--beta1", "2"],
    ["--algorithm", "greedy_minmax", "--k", "1.5"],
    ["--dataset", "nope"],
    ["--dataset", "custom"],
    ["--sigma", "-1"],
    ["--sigma", "nan"],
    ["--radius", "1e999"],
    ["--loss", "nope"],
    ["--batch-size", "0"],
    ["--g-width", "0"],
    ["--latent-dim", "1e6"],
    ["--activation", "gelu2"],
    ["--gain", "inf"],
    ["--dtype", "float16"],
    ["--device", "banana"],
    ["--threads", "-1"],
    ["--csv", "/dev/zero"],
    ["--csv", "CSV:0,1,nan\n"],
    ["--csv", "CSV:x,y\n"],
    ["--csv", "CSV:0,1\n1,0,2\n"],
    ["--csv", "CSV:0,1,-1\n1,0,1\n"],
    ["--csv", "CSV:1000,0\n"],
    ["--csv", "missing.csv"],
    ["--resume", "missing.safetensors"],
    ["OUT:file/sub"],
    ["OUT:/proc/saddle"],
    ["--bogus"],
]

MNIST_CASES = [
    ["--preset", "nope"],
    ["--algorithm", "nope"],
    ["--log-every", "0"],  # was a ZeroDivisionError
    ["--log-every", "3"],  # eval_every 50 is not a multiple
    ["--steps", "0"],
    ["--steps", "1e3"],
    ["--batch-size", "-1"],
    ["--arch", "nope"],
    ["--loss-type", "nope"],
    ["--init", "nope"],
    ["--digits", "0a"],
    ["--digits", "00"],
    ["--seeds", "1,x"],
    ["--seeds", ",".join(["1"] * 65)],
    ["--hp", "lr=inf"],
    ["--hp", "lr=1e999"],
    ["--hp", "lr=-1"],
    ["--hp", "nope=1"],
    ["--hp", "order=sideways"],
    ["--hp", "lr"],
    ["--algorithm", "sgda", "--hp", "optimizer=rmsprop"],
    ["--preset", "exp2-gda", "--eval-every", "7"],
    ["--resume", "missing"],
    ["OUT:file/sub"],
    ["OUT:/proc/saddle"],
    ["--bogus"],
]


def _argv(case: list[str], tmp: Path, default_out: str) -> list[str]:
    out = default_out
    argv = []
    for a in case:
        if a.startswith("OUT:"):
            out = a[4:] if a[4:].startswith("/") else str(tmp / a[4:])
        elif a.startswith("CSV:"):
            argv.append(_csv(tmp, a[4:]))
        elif a.startswith("missing"):
            argv.append(str(tmp / a))
        else:
            argv.append(a)
    return argv + ["--out", out]


def _check_one_line(rc: int, err: str, tmp: Path, before: set[str]) -> None:
    lines = err.strip("\n").split("\n")
    assert rc == 2, err
    assert len(lines) == 1 and ": error: " in lines[0], err
    assert "Traceback" not in err
    after = {str(p.relative_to(tmp)) for p in tmp.rglob("*")}
    assert after == before, f"wrote {after - before}"


def _run_table(main, case, tmp_path, capsys, out):
    (tmp_path / "file").write_text("x")
    argv = _argv(case, tmp_path, str(tmp_path / out))
    before = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}
    rc = main(argv)
    cap = capsys.readouterr()
    _check_one_line(rc, cap.err, tmp_path, before)
    assert cap.out == ""


@pytest.mark.parametrize("case", EXPORT_CASES, ids=lambda c: " ".join(c)[:40])
def test_export_bad_arguments(case, tmp_path, capsys):
    from app.export import main

    _run_table(main, case, tmp_path, capsys, "anim/x.gif")


@pytest.mark.parametrize("case", GMM_CASES, ids=lambda c: " ".join(c)[:40])
def test_gmm_bad_arguments(case, tmp_path, capsys):
    from gan_demo.gmm import main

    _run_table(main, case, tmp_path, capsys, "run")


@pytest.mark.parametrize("case", MNIST_CASES, ids=lambda c: " ".join(c)[:40])
def test_mnist_train_bad_arguments(case, tmp_path, capsys):
    from gan_demo.mnist.train import main

    _run_table(main, case, tmp_path, capsys, "run")


def test_gmm_csv_weights_near_float_limit_are_valid():
    """Weights of 1e308 used to overflow their sum and fail mid-training ("invalid multinomial")."""
    import torch

    from gan_demo.data import make_dataset, parse_csv

    centres, weights = parse_csv(b"0,1,1e308\n1,0,1e308\n")
    mix = make_dataset("custom", centres=centres, weights=weights)
    assert mix.weights.tolist() == [0.5, 0.5]
    assert mix.sample(8, torch.Generator().manual_seed(0)).shape == (8, 2)


def test_mnist_train_without_preset_uses_the_declared_default_algorithm():
    from gan_demo.mnist.train import build_parser, config_from_args

    cfg = config_from_args(build_parser().parse_args(["--steps", "10"]))
    assert cfg.algorithm["name"] == "adam" and cfg.steps == 10


def test_flags_come_from_the_declarations():
    from gan_demo.gmm import GMMConfig, make_parser
    from gan_demo.models import ModelConfig

    p, groups = make_parser("adam")
    a = p.parse_args(["--sigma", "0.05", "--g-width", "32", "--lr", "0.01", "--loss", "hinge"])
    assert cli.given(a, groups["config"]) == {"sigma": 0.05, "loss_type": "hinge"}
    assert cli.given(a, groups["model"]) == {"g_width": 32}
    assert cli.given(a, groups["algorithm"]) == {"lr": 0.01}
    # the defaults are the dataclasses' own: nothing retyped in the parser
    assert GMMConfig(**cli.given(a, groups["config"])).batch_size == GMMConfig().batch_size
    assert ModelConfig(**cli.given(a, groups["model"])).latent_dim == ModelConfig().latent_dim


REAL_PROCESS_CASES = [
    ("app.export", ["--preset", "ftr_f1", "--out", "x.gif"]),
    ("gan_demo.gmm", ["--csv", "/dev/zero"]),
    ("gan_demo.mnist.train", ["--log-every", "0"]),
]
# one interpreter (torch is imported once) runs each CLI as ``python -m`` does, with a real sys.argv
_RUNNER = """
import contextlib, io, json, runpy, sys
out = []
for module, argv in json.loads(sys.argv[1]):
    sys.argv = [module, *argv]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as e:
            code = e.code
    out.append([code, err.getvalue()])
print(json.dumps(out))
"""


@pytest.mark.slow
def test_real_processes_print_one_line_and_exit_2():
    import json

    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(REAL_PROCESS_CASES)], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    for (module, _), (code, err) in zip(REAL_PROCESS_CASES, json.loads(r.stdout.splitlines()[-1])):
        assert code == 2, (module, err)
        assert err.count("\n") == 1 and err.startswith(f"python -m {module}: error: "), (module, err)
        assert "Traceback" not in err
    assert not (REPO / "x.gif").exists()


@pytest.mark.parametrize("argv", [
    "--dataset four4 --steps 1500 --seeds 10 --every 100 --threads 1 --lr 1e-3 --lr-x 1e-3 --lr-y 1e-4 --beta1 0.5"
    " --algorithm greedy_minmax --variant gaussian --rate 4 --k 6 --optimizer adam --criterion d_loss",
    "--dataset ring8 --seeds 5 --activation tanh --gain 1.4 --batch-size 256 --lr 1e-3 --beta1 0.5 --steps 2000"
    " --algorithm unrolled --unroll-steps 5 --optimizer adam",
])
def test_documented_gmm_commands_parse(argv):
    import dynamics
    from gan_demo.gmm import GMMConfig, make_parser
    from gan_demo.models import ModelConfig

    pre, _ = make_parser()
    p, groups = make_parser(pre.parse_known_args(argv.split())[0].algorithm)
    a = p.parse_args(argv.split())
    GMMConfig(**cli.given(a, groups["config"]), model=ModelConfig(**cli.given(a, groups["model"])))
    dynamics.make_algorithm(a.algorithm, **cli.given(a, groups["algorithm"]))
