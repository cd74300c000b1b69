"""The swap race: another local process exchanges a vault folder with a symbolic link to a folder
outside the vault (renameat2 RENAME_EXCHANGE), as fast as it can, while vaultsync writes pages
into that folder. Nothing may land outside: no page, no temp file, no rewrite of a file there.

The writer holds the folder open from the vault root down (no link followed at any level) and
works relative to that handle, so a swap can only make a write refuse. The same race run
against the path-based fallback (what every write did before) is the control that shows the
race is real: there, files do land outside. Figures: docs/reliability.md, "The swap race".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from vaultsync import writer
from vaultsync.errors import VaultsyncError
from vaultsync.writer import VaultGuard, read_page, write_atomic

RENAME_EXCHANGE = 2
AT_FDCWD = -100

# The swapper: exchanges two names until the stop file appears; prints "ready" after its
# first successful exchange and its count of exchanges at the end.
SWAPPER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
swap = libc.renameat2
swap.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
a, b, stop = (os.fsencode(x) for x in sys.argv[1:4])
count, told = 0, False
while not os.path.exists(stop):
    for _ in range(64):
        if swap(-100, a, -100, b, 2) == 0:
            count += 1
    if count and not told:
        print("ready", flush=True)
        told = True
print(count, flush=True)
"""


def _exchange(a: Path, b: Path) -> bool:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    fn = libc.renameat2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def _exchange_supported(tmp: Path) -> str | None:
    """Why the race cannot run here, or None when it can."""
    if sys.platform != "linux":
        return "renameat2 is Linux-only"
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return "the C library has no renameat2"
    a, b = tmp / "probe-a", tmp / "probe-b"
    a.mkdir()
    b.symlink_to(a)
    ok = _exchange(a, b)
    err = ctypes.get_errno()
    b.unlink() if b.is_symlink() else b.rmdir()
    a.unlink() if a.is_symlink() else a.rmdir()
    if not ok:
        return f"RENAME_EXCHANGE not supported here: {errno.errorcode.get(err, err)}"
    return None


@dataclass
class Race:
    swaps: int = 0
    attempts: int = 0
    written: int = 0
    refused: int = 0
    rewrites: int = 0
    outside: int = 0  # files found outside the vault that the race put there
    decoys_changed: int = 0


@pytest.fixture
def arena(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    why = _exchange_supported(tmp_path)
    if why:
        pytest.skip(why)
    vault = tmp_path / "vault"
    authors = vault / "Readwise" / "Authors"
    authors.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    # The link sits in the vault next to the folder: a swap moves the real folder to that
    # name (still inside) and puts the link where the folder was.
    (vault / "Readwise" / ".swap").symlink_to(outside, target_is_directory=True)
    yield vault, authors, outside


DECOYS = 20


def run_race(
    vault: Path,
    authors: Path,
    outside: Path,
    *,
    enough: int,
    cap: int,
    fd: bool,
    longer_until_escape: int = 0,
) -> Race:
    """Write pages into `authors` while another process swaps it with a link to `outside`.

    Keeps going until at least `enough` writes landed and `enough` were refused (the race was
    met both ways), or `cap` attempts. Half the attempts create new pages, half rewrite pages
    made before the race; a rewrite reads either by path (which may read a decoy outside) or
    through the guard's handle. `longer_until_escape`: past `cap`, go on for up to that many
    more attempts while nothing has landed outside yet.
    """
    guard = VaultGuard([vault])
    for i in range(DECOYS):  # pages in the vault, and decoys of the same names outside
        (authors / f"old{i}.md").write_bytes(b"- in the vault\n")
        (outside / f"old{i}.md").write_bytes(b"- decoy outside\n")
    stop = vault.parent / "stop-swapping"
    stop.unlink(missing_ok=True)
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(authors), str(authors.parent / ".swap"), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    race = Race()
    landed: dict[str, bytes] = {}
    old = writer.folders.DIR_FD_SUPPORTED
    writer.folders.DIR_FD_SUPPORTED = fd
    try:
        assert swapper.stdout is not None
        assert swapper.stdout.readline().strip() == "ready"
        while min(race.written, race.refused) < enough:
            past_cap = race.attempts - cap
            if past_cap >= longer_until_escape:
                break
            if past_cap >= 0 and past_cap % 100 == 0 and _escaped(outside):
                break
            race.attempts += 1
            data = f"- page {race.attempts}\n".encode()
            try:
                if race.attempts % 2:
                    name = f"new{race.attempts}.md"
                    write_atomic(guard, None, authors / name, data)
                else:
                    name = f"old{race.attempts // 2 % DECOYS}.md"
                    by_handle = race.attempts % 4 == 0
                    snap = read_page(authors / name, guard=guard if by_handle else None)
                    write_atomic(guard, snap, authors / name, data)
                    race.rewrites += 1
                race.written += 1
                landed[name] = data
            except VaultsyncError:
                race.refused += 1
    finally:
        writer.folders.DIR_FD_SUPPORTED = old
        stop.touch()
        out, _ = swapper.communicate(timeout=60)
    race.swaps = int(out.split()[-1])
    if authors.is_symlink():  # put the folder back where it belongs for the next run
        assert _exchange(authors, authors.parent / ".swap")
    decoys = {f"old{i}.md" for i in range(DECOYS)}
    for path in outside.rglob("*"):
        if path.name in decoys:
            race.decoys_changed += path.read_bytes() != b"- decoy outside\n"
        else:
            race.outside += 1
    if not race.outside and not race.decoys_changed:
        for name, data in landed.items():  # every write reported done is in the vault
            assert (authors / name).read_bytes() == data
        assert not [p for p in authors.iterdir() if writer.is_temp_file(p)]
    return race


def _escaped(outside: Path) -> bool:
    for path in outside.iterdir():
        if not path.name.startswith("old") or path.read_bytes() != b"- decoy outside\n":
            return True
    return False


def _report(label: str, race: Race) -> None:
    print(
        f"\n{label}: {race.swaps} swaps, {race.attempts} writes attempted "
        f"({race.rewrites} rewrites landed), {race.written} written, {race.refused} refused, "
        f"{race.outside} files outside the vault, {race.decoys_changed} outside files rewritten"
    )


def _assert_race_met_and_nothing_escaped(race: Race) -> None:
    assert race.swaps > 0 and race.attempts > 0
    assert race.written > 0 and race.refused > 0  # the swap was met: some writes refused
    assert race.outside == 0
    assert race.decoys_changed == 0


def test_the_swap_race_puts_nothing_outside(arena: tuple[Path, Path, Path]) -> None:
    if not writer.DIR_FD_SUPPORTED:
        pytest.skip("no dir_fd on this platform: the fallback writes by path")
    race = run_race(*arena, enough=40, cap=20_000, fd=True)
    _report("quick race", race)
    _assert_race_met_and_nothing_escaped(race)


@pytest.mark.slow
def test_the_swap_race_at_length_and_its_control(arena: tuple[Path, Path, Path]) -> None:
    """10,000 writes against the swapper; then the path-based fallback in the same race, which
    must put files outside (else this test could not see an escape): past 10,000 writes it
    goes on, up to 40,000 more, until something escaped."""
    if not writer.DIR_FD_SUPPORTED:
        pytest.skip("no dir_fd on this platform: the fallback writes by path")
    vault, authors, outside = arena
    race = run_race(vault, authors, outside, enough=10**9, cap=10_000, fd=True)
    _report("race, writes held in their folder", race)
    _assert_race_met_and_nothing_escaped(race)

    control = run_race(
        vault, authors, outside, enough=10**9, cap=10_000, fd=False, longer_until_escape=40_000
    )
    _report("control, writes by path", control)
    assert control.swaps > 0
    assert control.outside + control.decoys_changed > 0
