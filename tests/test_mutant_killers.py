"""Behaviour tests added because a mutant of tests/mutants.py survived without them: each pins
down a promise no other test held (the mutant it kills is named in its docstring).

Through public functions only (VaultGuard, write_atomic, normalize_page, parse, find_losses),
so a refactoring that keeps the behaviour keeps them green.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vaultsync import writer
from vaultsync.core.noloss import find_losses
from vaultsync.core.normalize import Rules, normalize_page, parse
from vaultsync.errors import UnsafePathError
from vaultsync.writer import VaultGuard, ensure_folder, write_atomic

HEAD = "title:: T (highlights)\nauthor:: [[A]]\n\n"
FIRST = "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
OBS_HEAD = "# T\n\n## Metadata\n- Author: [[A]]\n\n"


def loc(n: int) -> str:
    return f"([Location {n}](https://readwise.io/to_kindle?action=open&asin=B0X&location={n}))"


def clean(text: str, kind: str = "logseq") -> str:
    """Every rule on, as a pass runs them; the result must pass the no-loss check and settle."""
    out = normalize_page(text, kind, Rules())  # type: ignore[arg-type]
    assert out.is_readwise and out.losses == []
    again = normalize_page(out.text, kind, Rules())  # type: ignore[arg-type]
    assert again.text == out.text, "a second run changed the page"
    return out.text


# ---------------------------------------------------------------------------------- the guard


def test_a_sibling_folder_sharing_the_vaults_name_as_prefix_is_outside(tmp_path: Path) -> None:
    """guard-prefix-slash: /x/vault-evil/p.md is not inside the vault /x/vault."""
    vault, evil = tmp_path / "vault", tmp_path / "vault-evil"
    vault.mkdir()
    evil.mkdir()
    guard = VaultGuard([vault])
    for target in (evil / "p.md", tmp_path / "vaultp.md"):
        with pytest.raises(UnsafePathError, match="outside"):
            guard.check(target)
        with pytest.raises(UnsafePathError):
            write_atomic(guard, None, target, b"x\n")
    assert list(evil.iterdir()) == [] and not (tmp_path / "vaultp.md").exists()
    assert guard.check(vault / "p.md") == vault / "p.md"  # the vault itself still is inside


def test_a_vault_given_with_a_trailing_slash_is_the_same_vault(tmp_path: Path) -> None:
    """guard-prefix-slash, the other way: a root spelled `/x/vault/` guards the same folder."""
    vault, evil = tmp_path / "vault", tmp_path / "vault-evil"
    vault.mkdir()
    evil.mkdir()
    guard = VaultGuard([Path(f"{vault}/")])
    assert guard.check(vault / "p.md") == vault / "p.md"
    with pytest.raises(UnsafePathError):
        guard.check(evil / "p.md")


@pytest.mark.parametrize("by_path", [False, True], ids=["held-folders", "by-path"])
def test_a_missing_folder_that_leads_out_is_never_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_path: bool
) -> None:
    """guard-new-folder-unchecked: each missing folder ensure_folder makes is first checked by
    the guard where it really goes. A path climbing out with `..` past a folder that exists,
    and a folder through a link leading out (where folders are named by path, the platform
    lacking `dir_fd`), are refused and nothing is made outside."""
    if by_path:
        monkeypatch.setattr(writer.folders, "DIR_FD_SUPPORTED", False)
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    (vault / "a").mkdir(parents=True)
    outside.mkdir()
    (vault / "out").symlink_to(outside)
    guard = VaultGuard([vault])
    for folder in (vault / "a" / ".." / ".." / "outside" / "new", vault / "out" / "new" / "x"):
        with pytest.raises(UnsafePathError):
            ensure_folder(guard, folder)
    assert list(outside.iterdir()) == []
    assert ensure_folder(guard, vault / "b" / "c") == vault / "b" / "c"  # inside: made


# ------------------------------------------------------------------------------------- dedupe


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_the_users_own_repeated_lines_are_not_deduplicated(kind: str) -> None:
    """dedupe-user-blocks: only highlights are deduplicated; a line the user wrote twice (under
    two highlights) stays twice, although the no-loss check, which compares lines by their
    text, could not tell one copy was gone."""
    mine = "my note: compare with chapter 3"
    if kind == "logseq":
        text = HEAD + FIRST + f"\t- Alpha {loc(1)}\n\t- {mine}\n\t- Beta {loc(2)}\n\t- {mine}\n"
    else:
        text = OBS_HEAD + f"## Highlights\n- Alpha {loc(1)}\n- {mine}\n- Beta {loc(2)}\n- {mine}\n"
    out = clean(text, kind)
    assert out.count(mine) == 2


# -------------------------------------------------------------------------------------- order


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_highlights_at_the_same_position_keep_their_order(kind: str) -> None:
    """order-stable: two highlights at one location (a passage highlighted in two pieces) stay in
    the order Readwise wrote them while the section is sorted around them."""
    items = [f"Beta {loc(5)}", f"Alpha {loc(5)}", f"Gamma {loc(1)}", f"Delta {loc(5)}"]
    if kind == "logseq":
        text = HEAD + FIRST + "".join(f"\t- {i}\n" for i in items)
    else:
        text = OBS_HEAD + "## Highlights\n" + "".join(f"- {i}\n" for i in items)
    out = clean(text, kind)
    positions = [out.index(word) for word in ("Gamma", "Beta", "Alpha", "Delta")]
    assert positions == sorted(positions)


# --------------------------------------------------------------------------------------- fold


def test_an_empty_first_sync_heading_further_down_is_kept() -> None:
    """fold-empty-user-heading: a "Highlights first synced by" heading with nothing under it,
    further down the page, is not a sync's emptied section (only "New highlights added" ones
    are): the user keeps it, so it stays, whatever else is folded."""
    kept = "- Highlights first synced by [[Readwise]] [[Jan 2nd, 2024]]\n"
    later = "- New highlights added [[Mar 12th, 2023]] at 11:38 AM\n"
    text = HEAD + FIRST + f"\t- a {loc(1)}\n" + later + f"\t- b {loc(3)}\n" + kept
    out = clean(text)
    assert out == HEAD + FIRST + f"\t- a {loc(1)}\n\t- b {loc(3)}\n" + kept


# ---------------------------------------------------------------------------- the no-loss check


@pytest.mark.parametrize(
    "changed",
    ["\t  tags:: [[done]]\n", "\t  tags:: todo\n", "\t  tags::\n", "\t  tagged:: [[todo]]\n"],
)
def test_a_highlights_property_whose_value_changed_is_a_loss(changed: str) -> None:
    """noloss-property-by-name: a property of a highlight is compared whole, its value too: a
    value replaced, a link stripped from it or emptied is a loss, although the property's name
    (or the value, under another name) is still there."""
    kept = "\t  tags:: [[todo]]\n"
    before = HEAD + FIRST + f"\t- Alpha {loc(1)}\n" + kept + f"\t- Beta {loc(2)}\n"
    after = before.replace(kept, changed)
    found = find_losses(parse(before, "logseq"), parse(after, "logseq"))
    assert any(m.startswith("property") and "todo" in m for m in found), found
    assert find_losses(parse(before, "logseq"), parse(before, "logseq")) == []
