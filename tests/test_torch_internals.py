"""Private torch APIs live in dynamics/torch_internals.py only, and still behave as the code assumes.

When a torch upgrade breaks one of them, this file fails first and says which (the project pins
torch==2.13.0).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import torch

from dynamics import torch_internals as ti

REPO = Path(__file__).resolve().parents[1]


def test_private_apis_exist_in_this_torch():
    ti.check()  # raises RuntimeError naming the API and the torch version


def test_in_func_transform_sees_every_transform():
    assert ti.in_func_transform() is False
    seen = []

    def f(x):
        seen.append(ti.in_func_transform())
        return (x * x).sum()

    torch.func.grad(f)(torch.ones(3))
    torch.func.vmap(lambda x: f(x))(torch.ones(2, 3))
    torch.func.jvp(f, (torch.ones(3),), (torch.ones(3),))
    assert seen == [True, True, True]
    assert ti.in_func_transform() is False


def test_outside_func_transforms_makes_plain_tensors():
    made = []

    def f(x):
        with ti.outside_func_transforms():
            made.append(torch.ones(3, dtype=x.dtype))
        return (x * made[-1]).sum()

    g = torch.func.grad(f)(torch.full((3,), 2.0))
    assert torch.equal(g, torch.ones(3))  # the constant took no part in the transform
    c = made[-1]
    assert not ti.is_func_wrapped(c)  # plain: safe to cache
    wrapped = []
    torch.func.grad(lambda x: (wrapped.append(ti.is_func_wrapped(x)) or x * x).sum())(torch.ones(2))
    assert wrapped == [True]
    assert torch.equal(c + 1, torch.full((3,), 2.0))


def test_no_other_module_uses_private_torch_apis():
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    allowed = {"dynamics/torch_internals.py", "tests/test_torch_internals.py"}
    pattern = re.compile(r"torch\._C\b|torch\._functorch|_DisableFuncTorch|peek_interpreter_stack")
    bad = [f for f in files if f not in allowed and (REPO / f).is_file() and pattern.search((REPO / f).read_text())]
    assert not bad, f"private torch APIs outside dynamics/torch_internals.py: {bad}"
