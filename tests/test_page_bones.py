"""Every notebook page has the course bones (Overview, Prerequisites with a time to learn,
Summary, What next), and every exercise a label and a solution."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dataprints import book

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("**/*.py"))
BONES = ("## Overview", "## Prerequisites", "**Time to learn:**", "## Summary", "## What next")


def key(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def missing_bones(text: str) -> list[str]:
    return [b for b in BONES if b not in text]


def exercise_problems(text: str) -> list[str]:
    """Exercises without a label or without a solution; gated solutions left open."""
    problems = []
    for block in re.findall(r"```\{exercise\}\n((?:# [^\n]*\n|#\n)*?)# ```", text):
        label = re.search(r":label: (\S+)", block)
        if not label:
            problems.append(f"exercise without :label: ({block.splitlines()[0][:60]})")
            continue
        name = label.group(1)
        if not re.search(rf"\{{solution(-start)?\}} {re.escape(name)}\n", text):
            problems.append(f"exercise {name} has no solution")
    if text.count("{solution-start}") != text.count("{solution-end}"):
        problems.append("a {solution-start} without its {solution-end}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=key)
def test_page_has_bones_and_every_exercise_a_solution(path):
    text = path.read_text()
    assert not missing_bones(text), f"{key(path)} lacks {missing_bones(text)}"
    assert text.index("## Overview") < text.index('# %% tags=["parameters"]')
    if "{exercise}" in text:
        assert text.rindex("## What next") > text.rindex("```{exercise}")
    assert not exercise_problems(text), exercise_problems(text)
    if "Needs a GPU" in text:
        assert f"{{admonition}} {book.GPU_ADMONITION}\n" in text  # the teachers' table reads it


def test_the_checks_catch_a_missing_solution_and_missing_bones():
    text = "# ```{exercise}\n# :label: a\n# Do it.\n# ```\n"
    assert exercise_problems(text) == ["exercise a has no solution"]
    assert exercise_problems(text + "# ```{solution} a\n# :class: dropdown\n# x\n# ```\n") == []
    assert exercise_problems("# ```{exercise}\n# Do it.\n# ```\n")[0].startswith(
        "exercise without")
    assert missing_bones("## Overview\n## Summary") == ["## Prerequisites", "**Time to learn:**",
                                                         "## What next"]
