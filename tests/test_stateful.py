"""A hypothesis state machine over a real vault on disk: the Readwise plugin appends sections
(fresh highlights, and repeats of earlier ones), the user adds and removes blocks and block ids
and renames pages, the daemon runs incremental and full passes, crashes leave temp files behind
or stop a pass midway. After every step the invariants hold:

- every highlight the plugin ever wrote is on its page (exactly once once a pass cleaned it);
- every line the user added is there, and every block id they added (Obsidian: one a note
  links to);
- after a full pass: no temp file, and a second pass would change nothing;
- nothing outside the vault changes, not even through a symlink that leads out of it.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from vaultsync.history import History
from vaultsync.pipeline import clean
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import make_vault
from vaultsync.writer import is_temp_file

try:
    from genvault import build_vault, files, fresh_highlight, fresh_section
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import build_vault, files, fresh_highlight, fresh_section
try:
    from hypo_profiles import PROFILE, scaled
except ModuleNotFoundError:  # pragma: no cover
    from tests.hypo_profiles import PROFILE, scaled

DEEP = PROFILE == "deep"


def failures(report) -> list:  # type: ignore[no-untyped-def]
    """What a pass failed on, but the page behind the symlink leading out: refusing to write
    through it is the point."""
    return [(p, why) for p, why in report.failed if "symbolic link" not in why]


class Crash(BaseException):
    """The daemon dying in the middle of a pass."""


class VaultMachine(RuleBasedStateMachine):
    """The model: what the plugin and the user wrote, page by page."""

    def __init__(self) -> None:
        super().__init__()
        self.base = Path(tempfile.mkdtemp(prefix="vaultsync-stateful-"))
        self.counter = 0

    def teardown(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    # ---------------------------------------------------------------- set-up

    @initialize(app=st.sampled_from(["logseq", "obsidian"]), seed=st.integers(0, 2**32 - 1))
    def make_vault(self, app: str, seed: int) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.gv = build_vault(self.base / "vault", self.rng, app, pages=3, ordinary=1)
        self.root = self.gv.root
        self.pages: list[str] = sorted(self.gv.truths)
        self.plugin: dict[str, list[str]] = {rel: [] for rel in self.pages}  # fresh markers
        self.user: dict[str, list[str]] = {rel: [] for rel in self.pages}  # user markers
        self.ids: dict[str, list[str]] = {rel: [] for rel in self.pages}
        self.originals = {  # the first line of each generated highlight
            rel: [h.text.split("\n")[0] for h in truth.highlights]
            for rel, truth in self.gv.truths.items()
        }
        self.clean: set[str] = set()  # pages a pass cleaned and nobody touched since
        self.full_clean = False
        # A Readwise page outside the vault, reached from inside through a symlink.
        outside = self.base / "outside"
        outside.mkdir()
        shutil.copy(self.root / self.pages[0], outside / "elsewhere.md")
        link_dir = self.root / ("pages" if app == "logseq" else "Readwise")
        (link_dir / "Linked (highlights).md").symlink_to(outside / "elsewhere.md")
        self.outside = files(outside)
        self.history = History(self.base / "state" / "history")
        self.session = self._session()

    def _session(self) -> VaultSession:
        return VaultSession(make_vault(self.root), PassOptions(history=self.history))

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}z"

    def _touch(self, rel: str) -> None:
        self.clean.discard(rel)
        self.full_clean = False

    # ---------------------------------------------------------------- the plugin

    @rule(data=st.data())
    def plugin_appends_fresh_highlights(self, data: st.DataObject) -> None:
        rel = data.draw(st.sampled_from(self.pages))
        markers = [self._next("hq") for _ in range(data.draw(st.integers(1, 3)))]
        self._append(rel, [fresh_highlight(m) for m in markers])
        self.plugin[rel] += markers

    @precondition(lambda self: any(self.plugin.values()))
    @rule(data=st.data())
    def plugin_repeats_earlier_highlights(self, data: st.DataObject) -> None:
        """Readwise exports highlights again (the duplicates the daemon removes)."""
        rel = data.draw(st.sampled_from([r for r in self.pages if self.plugin[r]]))
        again = data.draw(st.lists(st.sampled_from(self.plugin[rel]), min_size=1, max_size=3))
        self._append(rel, [fresh_highlight(m) for m in again])

    def _append(self, rel: str, highlights: list[str]) -> None:
        path = self.root / rel
        addition = fresh_section(self.app, path.read_bytes(), highlights, self.counter)
        with open(path, "ab") as f:
            f.write(addition)
        self._touch(rel)

    # ---------------------------------------------------------------- the user

    @rule(data=st.data())
    def user_adds_a_block(self, data: st.DataObject) -> None:
        rel = data.draw(st.sampled_from(self.pages))
        marker = self._next("uq")
        path = self.root / rel
        text = path.read_bytes().decode("utf-8")
        newline = "\r\n" if "\r\n" in text else "\n"
        lead = "" if text.endswith("\n") else newline
        if self.app == "logseq":
            line = f"- my own thought {marker}"
        else:  # a paragraph of its own (right under a list item it would belong to the item)
            line = f"{newline}My own thought {marker}"
        path.write_bytes((text + lead + line + newline).encode("utf-8"))
        self.user[rel].append(marker)
        self._touch(rel)

    @precondition(lambda self: any(self.user.values()))
    @rule(data=st.data())
    def user_removes_a_block(self, data: st.DataObject) -> None:
        rel = data.draw(st.sampled_from([r for r in self.pages if self.user[r]]))
        marker = data.draw(st.sampled_from(self.user[rel]))
        path = self.root / rel
        lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
        path.write_bytes("".join(ln for ln in lines if marker not in ln).encode("utf-8"))
        self.user[rel].remove(marker)
        self._touch(rel)

    @precondition(lambda self: any(self.plugin.values()))
    @rule(data=st.data())
    def user_gives_a_highlight_a_block_id(self, data: st.DataObject) -> None:
        """Logseq writes `id::` when a block is referenced; in Obsidian the user adds `^id`
        and links to it from another note."""
        rel = data.draw(st.sampled_from([r for r in self.pages if self.plugin[r]]))
        marker = data.draw(st.sampled_from(self.plugin[rel]))
        path = self.root / rel
        text = path.read_bytes().decode("utf-8")
        lines = text.splitlines(keepends=True)
        at = next((i for i, ln in enumerate(lines) if marker in ln), None)
        if at is None or any(i in lines[at] for i in self.ids[rel]):
            return
        line = lines[at]
        body = line.rstrip("\r\n")
        ending = line[len(body) :] or ("\r\n" if "\r\n" in text else "\n")
        if self.app == "logseq":
            if at + 1 < len(lines) and "id::" in lines[at + 1]:
                return
            block_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            lines.insert(at + 1, f"\t  id:: {block_id}{ending}")
            if not line.endswith("\n"):
                lines[at] = body + ending
        else:
            if re.search(r"\^[\w-]+\s*$", body):
                return
            block_id = f"blk{self.counter}x{self.rng.randrange(10**6)}"
            lines[at] = f"{body} ^{block_id}{ending}"
            refs = self.root / "Refs.md"
            with open(refs, "a", encoding="utf-8") as f:
                f.write(f"- see [[{Path(rel).stem}#^{block_id}]]\n")
        path.write_bytes("".join(lines).encode("utf-8"))
        self.ids[rel].append(block_id)
        self._touch(rel)

    @rule(data=st.data())
    def user_renames_a_page(self, data: st.DataObject) -> None:
        rel = data.draw(st.sampled_from(self.pages))
        new = str(Path(rel).with_name(f"Renamed {self.counter} {Path(rel).name}"))
        self.counter += 1
        if len(os.fsencode(Path(new).name)) > 200:
            return
        os.rename(self.root / rel, self.root / new)
        for model in (self.plugin, self.user, self.ids, self.originals):
            model[new] = model.pop(rel)
        self.pages = sorted(new if r == rel else r for r in self.pages)
        self.clean.discard(rel)
        self.full_clean = False
        self.session.update([self.root / new], [self.root / rel])  # the daemon sees a move
        self.clean.add(new)

    # ---------------------------------------------------------------- the daemon

    @rule(data=st.data())
    def daemon_handles_an_event(self, data: st.DataObject) -> None:
        rel = data.draw(st.sampled_from(self.pages))
        report = self.session.update([self.root / rel])
        assert failures(report) == []
        self.clean.add(rel)

    @rule()
    def daemon_full_pass(self) -> None:
        report = self.session.full_pass()
        assert failures(report) == []
        self.clean = set(self.pages)
        self.full_clean = True

    @rule(writes=st.integers(0, 3))
    def daemon_crashes_midway(self, writes: int) -> None:
        """The pass dies after `writes` page writes; the daemon starts again from scratch."""
        real = clean.write_page
        done = [0]

        def dying(*args, **kwargs):  # type: ignore[no-untyped-def]
            if done[0] >= writes:
                raise Crash()
            done[0] += 1
            return real(*args, **kwargs)

        clean.write_page = dying  # type: ignore[assignment]
        try:
            self.session.full_pass()
        except Crash:
            pass
        finally:
            clean.write_page = real  # type: ignore[assignment]
        self.session = self._session()
        self.clean = set()
        self.full_clean = False

    @rule(data=st.data())
    def crash_leaves_a_temp_file(self, data: st.DataObject) -> None:
        rel = data.draw(st.sampled_from(self.pages))
        path = self.root / rel
        half = path.read_bytes()[: len(path.read_bytes()) // 2]
        temp = path.with_name(f".{path.name}.vaultsync-{self.rng.getrandbits(64):016x}.tmp")
        temp.write_bytes(half)
        self.full_clean = False

    # ---------------------------------------------------------------- invariants

    def _text(self, rel: str) -> str:
        return (self.root / rel).read_bytes().decode("utf-8")

    @invariant()
    def nothing_written_is_lost(self) -> None:
        if not hasattr(self, "root"):
            return
        for rel in self.pages:
            text = self._text(rel)
            for marker in self.plugin[rel]:
                count = text.count(marker)
                assert count >= 1, f"{rel}: the plugin's {marker} was lost"
                if rel in self.clean:
                    assert count == 1, f"{rel}: {marker} is there {count} times after a pass"
            for marker in self.user[rel]:
                assert text.count(marker) == 1, f"{rel}: the user's {marker} was lost"
            for block_id in self.ids[rel]:
                assert block_id in text, f"{rel}: block id {block_id} was lost"
            for first in self.originals[rel]:
                words = first.split()[:6]  # mojibake on a word is repaired, the rest stays
                assert any(w in text for w in words), f"{rel}: highlight {first[:50]!r} lost"

    @invariant()
    def nothing_outside_the_vault_changes(self) -> None:
        if not hasattr(self, "root"):
            return
        assert files(self.base / "outside") == self.outside
        assert sorted(p.name for p in self.base.iterdir()) in (
            ["outside", "vault"],
            ["outside", "state", "vault"],
        )

    @invariant()
    def a_full_pass_leaves_it_all_clean(self) -> None:
        if not getattr(self, "full_clean", False):
            return
        assert [k for k in files(self.root) if is_temp_file(k)] == []
        # A second pass, as the daemon would run it: nothing left to do.
        report = run_pass(make_vault(self.root), PassOptions(history=self.history))
        changed = [p for p in report.changed if not p.is_symlink()]
        assert not changed, f"a second pass changed {changed}"
        assert not report.authors_created and not report.authors_updated
        assert failures(report) == []


# One example is a whole run of the machine: the deep run makes 300 of them, not 2,000.
VaultMachine.TestCase.settings = scaled(
    12,
    deep=300,
    stateful_step_count=40 if DEEP else 20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
TestVault = VaultMachine.TestCase
