"""Imports flow one way: app -> gan_demo -> dynamics.

Static check over every module (lazy imports inside functions included): ``dynamics`` never
imports ``gan_demo``, ``app`` or ``streamlit``; ``gan_demo`` never imports ``app`` or ``streamlit``.
(tests/test_registry.py also imports and runs ``dynamics`` with the layers above made unimportable.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {"dynamics": {"gan_demo", "app", "streamlit"}, "gan_demo": {"app", "streamlit"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_static_imports_flow_one_way(package):
    bad = {}
    for path in sorted((REPO / package).rglob("*.py")):
        hit = _imports(path) & FORBIDDEN[package]
        if hit:
            bad[str(path.relative_to(REPO))] = sorted(hit)
    assert not bad, f"{package} imports a layer above it: {bad}"
