"""The deep hypothesis profile reaches every property test: no test fixes its own count of
examples except through hypo_profiles.scaled / examples, which the deep profile raises."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
HELPER = TESTS / "hypo_profiles.py"


def fixed_counts(source: str) -> list[int]:
    """Line numbers where a count of examples is set other than through the helper: a
    `max_examples=` keyword, an assignment to `.max_examples`, or a profile registered or
    loaded."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            if any(k.arg == "max_examples" for k in node.keywords):
                lines.append(node.lineno)
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in (
                "register_profile",
                "load_profile",
            ):
                lines.append(node.lineno)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "max_examples" for t in targets):
                lines.append(node.lineno)
    return sorted(lines)


def test_no_test_fixes_its_count_of_examples_outside_the_helper() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        if path != HELPER and "node_modules" not in path.parts
        for line in fixed_counts(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], (
        "use hypo_profiles.scaled(n) (or examples(n)) so HYPOTHESIS_PROFILE=deep raises it: "
        + ", ".join(offenders)
    )


def test_the_checker_sees_each_way_of_fixing_a_count() -> None:
    source = (
        "@settings(max_examples=5)\ndef t(): pass\n"
        "s = settings(deadline=None, max_examples=7)\n"
        "T.settings.max_examples = 3\n"
        "settings.register_profile('x', max_examples=1)\n"
        "settings.load_profile('x')\n"
        "@scaled(5, deadline=None)\ndef u(): pass\n"
    )
    assert fixed_counts(source) == [1, 3, 4, 5, 5, 6]


def _counts_under(profile: str) -> list[int]:
    """Each scaled test's count, the state machine's included, read from a fresh interpreter
    with HYPOTHESIS_PROFILE=`profile` (the profile is read once, at import)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import hypo_profiles as h; h.load()\n"
        "from hypothesis import settings\n"
        "print(settings.default.max_examples, h.scaled(25).max_examples,"
        " h.scaled(300).max_examples, h.scaled(12, deep=300).max_examples)\n"
    )
    env = dict(os.environ, HYPOTHESIS_PROFILE=profile)
    out = subprocess.run(
        [sys.executable, "-c", code, str(TESTS)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [int(n) for n in out.split()]


def test_the_deep_profile_raises_every_count() -> None:
    assert _counts_under("ci") == [60, 25, 300, 12]
    assert _counts_under("deep") == [2000, 2000, 2000, 300]
