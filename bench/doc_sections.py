"""Replacing one marked section of docs/benchmarks.md, so each script rewrites only its own figures."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Put body between <!-- name:start --> and <!-- name:end -->, appending the section if it is new."""
    section = f"<!-- {name}:start -->\n{body.strip()}\n<!-- {name}:end -->"
    current = doc.read_text()
    pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*<!-- {re.escape(name)}:end -->", re.S)
    doc.write_text(
        pattern.sub(lambda _: section, current)
        if pattern.search(current)
        else current.rstrip() + "\n\n" + section + "\n"
    )


def replace_marked(section: str, doc: Path = DOC) -> None:
    """Write a section that already carries its <!-- name:start --> and <!-- name:end --> markers."""
    found = re.match(r"<!-- ([\w-]+):start -->(.*)<!-- \1:end -->\s*$", section.strip(), re.S)
    if found is None:
        raise ValueError("the section must start and end with its markers")
    write_section(found.group(1), found.group(2), doc)
