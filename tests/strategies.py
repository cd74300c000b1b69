"""Hypothesis strategies over the page generators in pagegen.py.

Every knob and the seed are drawn by hypothesis, so a failing example shrinks toward a clean,
small page (booleans to False, counts to their minimum, the seed to 0). Pass a knob to fix it,
as a value or as a strategy: `logseq_pages(repeats=True, kind=st.sampled_from(["books"]))`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

try:  # pytest puts tests/ on sys.path (no tests/__init__.py) …
    from pagegen import (
        KINDS,
        ORDINARY_KINDS,
        GeneratedPage,
        logseq_page_with_truth,
        obsidian_page_with_truth,
        ordinary_note,
    )
except ModuleNotFoundError:  # … and `from tests.strategies import …` needs the package path
    from tests.pagegen import (
        KINDS,
        ORDINARY_KINDS,
        GeneratedPage,
        logseq_page_with_truth,
        obsidian_page_with_truth,
        ordinary_note,
    )

SEEDS: SearchStrategy[int] = st.integers(min_value=0, max_value=2**32 - 1)
DEFECTS = ("repeats", "shuffle", "mojibake")  # and extra_sections > 0
USER_KNOBS = ("user_blocks", "ids")  # what the user added: not defects, must survive
BYTE_KNOBS = ("crlf", "bom", "no_final_newline")
# Shapes of real exports (U+00A0, no links, child-block links, collapsed::, inline fields,
# counter lines): drawn for the property tests to exercise; False shrinks to the default shape.
SHAPE_KNOBS = ("shapes",)


def _as_strategy(value: object) -> SearchStrategy:
    return value if isinstance(value, SearchStrategy) else st.just(value)


@st.composite
def _pages(
    draw: st.DrawFn,
    build: Callable[..., GeneratedPage],
    fixed: dict[str, object],
    max_highlights: int,
    extra_knobs: dict[str, SearchStrategy],
) -> GeneratedPage:
    def pick(name: str, default: SearchStrategy) -> object:
        return draw(_as_strategy(fixed[name]) if name in fixed else default)

    knobs: dict[str, object] = {}
    for name, strategy in extra_knobs.items():
        knobs[name] = pick(name, strategy)
    knobs["kind"] = pick("kind", st.sampled_from(KINDS))
    knobs["extra_sections"] = extra = pick("extra_sections", st.integers(0, 3))
    assert isinstance(extra, int)
    knobs["n_highlights"] = pick(
        "n_highlights", st.integers(1 + extra, max(1 + extra, max_highlights))
    )
    for name in DEFECTS + USER_KNOBS + BYTE_KNOBS + SHAPE_KNOBS:
        knobs[name] = pick(name, st.booleans())
    seed = pick("seed", SEEDS)
    assert isinstance(seed, int)
    return build(random.Random(seed), **knobs)


_KNOBS = {
    "kind",
    "extra_sections",
    "n_highlights",
    "seed",
    *DEFECTS,
    *USER_KNOBS,
    *BYTE_KNOBS,
    *SHAPE_KNOBS,
}


def _check_knobs(fixed: dict[str, object], extra: set[str] | None = None) -> None:
    unknown = set(fixed) - _KNOBS - (extra or set())
    if unknown:
        raise TypeError(f"unknown knobs: {sorted(unknown)}")


def logseq_pages(*, max_highlights: int = 12, **fixed: object) -> SearchStrategy[GeneratedPage]:
    """Logseq Readwise pages with their truth; any knob (or `seed`) given is fixed."""
    _check_knobs(fixed)
    return _pages(logseq_page_with_truth, fixed, max_highlights, {})


def obsidian_pages(*, max_highlights: int = 12, **fixed: object) -> SearchStrategy[GeneratedPage]:
    """Obsidian Readwise pages (both templates) with their truth; any knob given is fixed."""
    _check_knobs(fixed, {"template"})
    templates = st.sampled_from(("default", "custom"))
    return _pages(obsidian_page_with_truth, fixed, max_highlights, {"template": templates})


def readwise_pages(**fixed: object) -> SearchStrategy[GeneratedPage]:
    """Either app's Readwise pages."""
    return st.one_of(logseq_pages(**fixed), obsidian_pages(**fixed))


def clean_logseq_pages(**fixed: object) -> SearchStrategy[GeneratedPage]:
    """Logseq pages without defects (user blocks, ids and byte quirks still drawn)."""
    knobs: dict[str, object] = dict.fromkeys(DEFECTS, False) | {"extra_sections": 0}
    return logseq_pages(**(knobs | fixed))


def clean_obsidian_pages(**fixed: object) -> SearchStrategy[GeneratedPage]:
    """Obsidian pages without defects (user blocks, ids and byte quirks still drawn)."""
    knobs: dict[str, object] = dict.fromkeys(DEFECTS, False) | {"extra_sections": 0}
    return obsidian_pages(**(knobs | fixed))


def ordinary_notes(kind: str | None = None) -> SearchStrategy[str]:
    """Notes a person wrote, in either app's style; never Readwise pages."""
    kinds = st.just(kind) if kind else st.sampled_from(ORDINARY_KINDS)
    return st.builds(lambda k, seed: ordinary_note(random.Random(seed), k), kinds, SEEDS)
