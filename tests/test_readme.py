"""The README is the front door: at most 250 lines, and its code is real (every Python block
compiles; the defense it shows passes the conformance checks every built-in passes)."""

from __future__ import annotations

import re

from conftest import REPO

from privattack.testing import defense_checks

README = (REPO / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_the_readme_is_short() -> None:
    assert len(README.splitlines()) <= 250


def test_every_python_block_compiles() -> None:
    assert len(BLOCKS) >= 3
    for block in BLOCKS:
        compile(block, "README.md", "exec")


def test_the_defense_the_readme_writes_conforms() -> None:
    (block,) = [b for b in BLOCKS if "class NoisyResNet20" in b]
    namespace: dict[str, object] = {}
    exec(block.split("report = ")[0], namespace)  # the class, not its evaluation
    defense = namespace["NoisyResNet20"]()
    for check in defense_checks(defense):
        check(defense)


def test_every_relative_link_leads_to_a_file_of_the_checkout() -> None:
    """The README's and docs' links to docs, results and images exist in a clean checkout."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    missing = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target and not (page.parent / target).exists():
                missing.append(f"{page.relative_to(REPO)} -> {target}")
    assert not missing
