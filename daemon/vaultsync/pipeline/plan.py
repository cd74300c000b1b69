"""The author plan made only when first asked for (see PendingPlan)."""

from __future__ import annotations

import json
from collections.abc import Callable

from vaultsync.core.identity import Author, AuthorPlan


class PendingPlan(AuthorPlan):
    """An author plan made the first time it is asked for: a settled pass does not need it
    (Logseq's author links do not depend on it), the daemon's next update may."""

    def __init__(self, make: Callable[[], AuthorPlan], canonical: str | None = None) -> None:
        # (no dataclass fields set). `canonical`: the map the settled vault's plan had (JSON,
        # from the state cache), which the plan would make again from the same inputs.
        self._make: Callable[[], AuthorPlan] | None = make
        self._plan: AuthorPlan | None = None
        self._canonical = canonical
        self._known: dict[str, str] | None = None

    def _made(self) -> AuthorPlan:
        if self._plan is None:
            assert self._make is not None
            self._plan, self._make = self._make(), None
        return self._plan

    @property  # type: ignore[override]
    def authors(self) -> dict[str, Author]:
        return self._made().authors

    @property  # type: ignore[override]
    def canonical(self) -> dict[str, str]:
        if self._plan is None and self._canonical is not None and self._known is None:
            try:
                known = json.loads(self._canonical)
            except ValueError:
                known = None
            ok = isinstance(known, dict) and all(isinstance(v, str) for v in known.values())
            self._known, self._canonical = (known if ok else None), None
        if self._plan is None and self._known is not None:
            return self._known
        return self._made().canonical
