"""The repository stands alone: every document it cites lives inside it.

No file names the research notes the project was built from (they are not part of a clone),
the folder beside the clone appears only as the default MNIST data folder (data/mnist), every ``*.md`` path mentioned in
code, docs, README and the app exists, and every ``docs/<file>.md §N`` names a real section.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: names of the outside notes, spelled so that this file does not match itself
OUTSIDE = tuple(n + ".md" for n in ("ALGORITHMS", "GAN_METRICS", "ECOSYSTEM", "PEERS", "STYLE")) + ("GAN_METRICS",)
MD_PATH = re.compile(r"(?<![\w/.:-])((?:[\w-]+/)*[\w.-]+\.md)\b")
SECTION_REF = re.compile(r"docs/(\w+)\.md §(\d+(?:\.\d+)?)")


def _text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.split()
    me = Path(__file__).resolve()
    return [REPO / f for f in out
            if f.endswith((".py", ".md", ".toml", ".txt", ".cfg")) and (REPO / f).is_file() and REPO / f != me]


def test_no_file_cites_the_outside_notes():
    bad = []
    for path in _text_files():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(name in line for name in OUTSIDE):
                bad.append(f"{path.relative_to(REPO)}:{i}: {line.strip()[:80]}")
            if "../shared" in line and "../shared/data/mnist" not in line:
                bad.append(f"{path.relative_to(REPO)}:{i}: {line.strip()[:80]}")
    assert not bad, "references outside the repository:\n" + "\n".join(bad)


def test_every_markdown_path_exists():
    missing = []
    for path in _text_files():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in MD_PATH.finditer(line):
                name = m.group(1)
                if "://" in line[max(0, m.start() - 80): m.start()]:
                    continue  # part of a URL
                if not any((base / name).exists() for base in (REPO, path.parent, REPO / "docs")):
                    missing.append(f"{path.relative_to(REPO)}:{i}: {name}")
    assert not missing, "markdown paths that do not exist:\n" + "\n".join(missing)


def test_every_docs_section_reference_resolves():
    headings: dict[str, set[str]] = {}
    for doc in (REPO / "docs").glob("*.md"):
        headings[doc.stem] = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", doc.read_text(encoding="utf-8"), re.M))
    bad = []
    for path in _text_files():
        text = path.read_text(encoding="utf-8")
        for m in SECTION_REF.finditer(text):
            doc, sec = m.groups()
            if doc not in headings or sec not in headings[doc]:
                bad.append(f"{path.relative_to(REPO)}: docs/{doc}.md §{sec}")
    assert not bad, "section references without a section:\n" + "\n".join(bad)


def test_docs_cover_every_registered_algorithm():
    import dynamics

    text = (REPO / "docs" / "algorithms.md").read_text(encoding="utf-8")
    missing = [name for name in dynamics.ALGORITHMS if f"`{name}`" not in text]
    assert not missing, f"docs/algorithms.md has no entry for {missing}"
    for name, cls in dynamics.ALGORITHMS.items():
        assert "docs/algorithms.md §" in cls.reference, f"{name}.reference must cite its docs section"
