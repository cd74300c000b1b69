"""Hypothesis profiles, and the one way a property test sets its own number of examples.

"ci" (the default) keeps the suite quick; "deep" is the slow run (HYPOTHESIS_PROFILE=deep);
"mutants" is "ci" made repeatable, for tests/mutants.py. A test
that needs another count than the profile's says so with `scaled(n)` (or `examples(n)`): n under
"ci", at least DEEP_EXAMPLES under "deep", so the deep run reaches every property test.
tests/test_hypo_profiles.py fails on a `max_examples=` written anywhere else.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 60
DEEP_EXAMPLES = 2000
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


def load() -> None:
    """Register both profiles and load the one HYPOTHESIS_PROFILE names (tests/conftest.py)."""
    common: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
    settings.register_profile("ci", max_examples=CI_EXAMPLES, **common)
    settings.register_profile("deep", max_examples=DEEP_EXAMPLES, **common)
    # The mutation run (tests/mutants.py): the ci counts, the same examples every run, and no
    # example database (a mutant's failures must not be replayed against the real code).
    settings.register_profile(
        "mutants", max_examples=CI_EXAMPLES, derandomize=True, database=None, **common
    )
    settings.load_profile(PROFILE)


def examples(ci: int, deep: int = DEEP_EXAMPLES) -> int:
    """The test's own count `ci` under "ci"; under "deep", `deep` or `ci` if that is more.

    `deep` is lowered only where one example is a whole run (the vault state machine)."""
    return max(ci, deep) if PROFILE == "deep" else ci


def scaled(ci: int, *, deep: int = DEEP_EXAMPLES, **kwargs: Any) -> settings:
    """`@settings(max_examples=…, **kwargs)` with the count from `examples`."""
    return settings(max_examples=examples(ci, deep), **kwargs)
