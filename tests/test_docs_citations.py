"""Every "physics.md §N" cited in catcode/ names a section heading that exists in docs/physics.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = r"§\d+[a-z]?′?"
# A citation: "physics.md" then one or more section marks ("§2, §3a and §3b").
CITATION = re.compile(rf"physics\.md((?:(?:\s|,|;|and|or)*{SECTION})+)")


def cited_sections() -> dict[str, list[str]]:
    """Section mark -> files citing it, over every Python file of the package."""
    out: dict[str, list[str]] = {}
    for path in sorted((ROOT / "catcode").rglob("*.py")):
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            for mark in re.findall(SECTION, match.group(1)):
                out.setdefault(mark, []).append(str(path.relative_to(ROOT)))
    return out


def headings() -> set[str]:
    text = (ROOT / "docs" / "physics.md").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(rf"^#+ ({SECTION})\s", text, flags=re.MULTILINE)}


def test_every_cited_section_exists():
    cited = cited_sections()
    assert len(cited) >= 8, cited  # the package cites most sections; an empty scan would pass vacuously
    missing = {mark: files for mark, files in cited.items() if mark not in headings()}
    assert not missing, f"sections cited in the code but absent from docs/physics.md: {missing}"


def test_citations_point_to_the_file_in_the_repository():
    """No citation of a physics.md outside docs/ (the old shared/physics.md was not in the repo)."""
    bad = []
    for path in sorted((ROOT / "catcode").rglob("*.py")):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in re.finditer(r"[\w./]*physics(?:_model)?\.md", line):
                if m.group(0) != "docs/physics.md":
                    bad.append(f"{path.relative_to(ROOT)}:{line_no}: {m.group(0)}")
    assert not bad, bad


def test_the_section_parser_sees_headings_and_subsections():
    marks = headings()
    assert {"§1", "§2", "§3a", "§3a′", "§3b", "§5"} <= marks
