#!/usr/bin/env python3
"""The core's part of phase A alone, in one process: every candidate page of a vault (the pages
the byte prefilter admits) normalized, and its author facts read, as a cold pass does.

    PYTHONPATH=daemon python bench/core_pass.py VAULT [--kind logseq] [--repeat 5] [--profile N]

Prints the best CPU time of the repeats and a digest of every result (the normalized text, the
changes, the losses, the author facts): two checkouts that give the same digest on a vault give
the same bytes on it. The core's memos are emptied before each repeat, so each is a cold pass.
`--profile N` prints the top N entries of a cProfile run instead. Standard library and vaultsync.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import sys
import time
from pathlib import Path

from vaultsync.core import byline
from vaultsync.core.links import PREFILTER
from vaultsync.core.normalize import PageContext, Rules, normalize_page


def candidates(vault: Path) -> list[tuple[Path, str]]:
    out = []
    for path in sorted(vault.rglob("*.md")):
        data = path.read_bytes()
        if PREFILTER.search(data):
            try:
                out.append((path, data.decode("utf-8")))
            except UnicodeDecodeError:
                pass  # (a pass skips it too)
    return out


def forget() -> None:
    """Empty every memo of vaultsync's modules (lru_cache): the next run is a cold one."""
    for name, module in list(sys.modules.items()):
        if name.startswith("vaultsync"):
            for value in list(vars(module).values()):
                if hasattr(value, "cache_clear"):
                    value.cache_clear()


def run(pages: list[tuple[Path, str]], kind: str) -> str:
    digest = hashlib.sha256()
    for path, text in pages:
        r = normalize_page(text, kind, Rules(), PageContext())  # type: ignore[arg-type]
        digest.update(repr((r.is_readwise, r.text, r.changed, r.stats, r.losses)).encode())
        digest.update(repr((r.author_given, r.left_alone)).encode())
        if r.is_readwise and r.page is not None:
            facts = byline.page_facts(kind, path, r.page, False, frozenset())  # type: ignore[arg-type]
            digest.update(repr(facts).encode())
    return digest.hexdigest()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("vault", type=Path)
    p.add_argument("--kind", choices=("logseq", "obsidian"), default="logseq")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--profile", type=int, metavar="N", default=0)
    a = p.parse_args()
    pages = candidates(a.vault)
    if any(not text.isascii() for _, text in pages):
        import ftfy  # noqa: F401  (imported before the timing, as a pass with workers does)
    if a.profile:
        forget()
        profile = cProfile.Profile()
        profile.enable()
        digest = run(pages, a.kind)
        profile.disable()
        pstats.Stats(profile).strip_dirs().sort_stats("tottime").print_stats(a.profile)
        print(f"digest {digest}")
        return 0
    best = float("inf")
    for _ in range(a.repeat):
        forget()
        start = time.process_time()
        digest = run(pages, a.kind)
        best = min(best, time.process_time() - start)
    print(f"{len(pages)} candidates, best of {a.repeat}: {best:.3f} s CPU, digest {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
