"""The daemon follows a Logseq graph's `logseq/config.edn` while it runs, as Logseq does:
`:hidden` and `:pages-directory` edited in Logseq take effect without a restart; a file that no
longer reads is warned about once and its last good settings kept until it is fixed.

Through the real `vaultsync run` (tests/test_daemon.py's harness); nothing sleeps on timing:
each wait polls for a log line or a file with a generous deadline."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

try:  # pytest puts tests/ on sys.path
    from test_daemon import (
        DaemonProcess,
        drop_by_rename,
        messy_page,
        page_name,
        settle,
        write_config,
    )
except ModuleNotFoundError:  # pragma: no cover
    from tests.test_daemon import (
        DaemonProcess,
        drop_by_rename,
        messy_page,
        page_name,
        settle,
        write_config,
    )

SAMPLE_EDN = "{:file/name-format :triple-lowbar\n :preferred-format :markdown}\n"
CHANGED = r"g: .*config\.edn changed: "
BROKEN = r"keeping the settings last read from it"


def write_edn(graph: Path, text: str) -> Path:
    """Save config.edn the way an editor that renames does (never half a file to read)."""
    path = graph / "logseq" / "config.edn"
    temp = path.with_name(".config.edn.saving")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    return path


def edn_with(settings: str) -> str:
    return (
        "{:file/name-format :triple-lowbar\n"
        ' ;; :pages-directory "commented out: not a setting"\n'
        f" {settings}\n"
        " :preferred-format :markdown}\n"
    )


@pytest.fixture
def config(tmp_path: Path, graph: Path) -> Path:
    path = tmp_path / "config.yaml"
    write_config(path, {"g": graph})
    return path


@pytest.fixture
def daemons(tmp_path: Path, config: Path) -> Iterator[Callable[[], DaemonProcess]]:
    """Start a daemon on the config (each killed at teardown, whatever the test did)."""
    started: list[DaemonProcess] = []

    def start() -> DaemonProcess:
        d = DaemonProcess(config, tmp_path / "state", tmp_path / "daemon.log")
        started.append(d)
        return d.start()

    yield start
    for d in started:
        d.kill()


@pytest.fixture
def daemon(daemons: Callable[[], DaemonProcess]) -> DaemonProcess:
    return daemons()


def cleaned_ever(d: DaemonProcess, rel: str) -> bool:
    return d.cleaned("g", rel) > 0


def test_a_folder_added_to_hidden_is_no_longer_cleaned(daemon: DaemonProcess, graph: Path):
    archive = graph / "archive"
    archive.mkdir()
    write_edn(graph, edn_with(':hidden ["/archive"]'))
    daemon.wait_log(CHANGED + r':hidden \["/archive"\] \(was \[\]\)')

    name = page_name("Hidden Away")
    page = drop_by_rename(archive, name, messy_page("Hidden Away"))
    settle(daemon, graph / "pages", "after hiding")
    assert page.read_bytes() == messy_page("Hidden Away")
    assert not cleaned_ever(daemon, f"archive/{name}")
    assert daemon.count(CHANGED) == 1
    assert "Traceback" not in daemon.log()


def test_a_folder_taken_out_of_hidden_is_cleaned_at_once(
    daemons: Callable[..., DaemonProcess], graph: Path
):
    archive = graph / "archive"
    archive.mkdir()
    name = page_name("Was Hidden")
    page = drop_by_rename(archive, name, messy_page("Was Hidden"))
    write_edn(graph, edn_with(':hidden ["archive"]'))
    d = daemons()
    settle(d, graph / "pages", "while hidden")
    assert page.read_bytes() == messy_page("Was Hidden")

    write_edn(graph, edn_with(":hidden []"))
    # What is cleaned changed: a full pass of the graph, no event on the page needed.
    d.wait_cleaned("g", f"archive/{name}")
    line = next(x for x in d.log().splitlines() if re.search(CHANGED, x))
    assert ':hidden [] (was ["archive"])' in line, line


def test_a_new_pages_directory_is_followed(daemon: DaemonProcess, graph: Path):
    write_edn(graph, edn_with(':pages-directory "notes"'))
    daemon.wait_log(CHANGED + r':pages-directory "notes" \(was "pages"\)')

    notes = graph / "notes"
    notes.mkdir()
    data = messy_page("Fresh Notes").replace(b"Ines Halloway", b"Odile Brandt")
    name = page_name("Fresh Notes")
    drop_by_rename(notes, name, data)
    daemon.wait_cleaned("g", f"notes/{name}")
    # The page's new author gets its page where Logseq now keeps pages.
    daemon.wait(lambda: (notes / "Odile Brandt.md").exists(), "the author page in notes/")
    assert not (graph / "pages" / "Odile Brandt.md").exists()
    assert "Traceback" not in daemon.log()


def test_a_broken_config_edn_keeps_the_last_settings_until_fixed(
    daemons: Callable[..., DaemonProcess], config: Path, graph: Path
):
    archive = graph / "archive"
    archive.mkdir()
    write_edn(graph, edn_with(':hidden ["archive"]'))
    d = daemons()

    broken = edn_with(':hidden ["archive"').replace("\n :preferred", "\n :x 1 :preferred")
    path = write_edn(graph, broken)
    d.wait_log(BROKEN)
    line = next(x for x in d.log().splitlines() if BROKEN in x)
    assert str(path) in line and re.search(r"line \d+, column \d+", line), line
    assert "Edit config.edn" in line  # what to do
    status = d.cli("status", "--config", str(config))
    assert "config.edn cannot be read" in status.stdout, status.stdout

    # Saved again, still broken: no second warning. The old settings still hold.
    write_edn(graph, broken)
    name = page_name("Kept Hidden")
    page = drop_by_rename(archive, name, messy_page("Kept Hidden"))
    settle(d, graph / "pages", "while broken")
    assert d.count(BROKEN) == 1
    assert page.read_bytes() == messy_page("Kept Hidden")

    # A config reload while it is broken keeps them too (not Logseq's defaults).
    d.signal_no_wait(1)  # SIGHUP
    d.wait_log(r"config reloaded")
    settle(d, graph / "pages", "reloaded while broken")
    assert page.read_bytes() == messy_page("Kept Hidden")

    # Fixed: said once, followed (the archive is no longer hidden), the warning resolved.
    write_edn(graph, edn_with(":hidden []"))
    d.wait_log(r"g: .*config\.edn reads again")
    d.wait_cleaned("g", f"archive/{name}")
    status = d.cli("status", "--config", str(config))
    assert "config.edn cannot be read" not in status.stdout, status.stdout
    assert d.proc is not None and d.proc.poll() is None
    assert "Traceback" not in d.log()


def test_an_unchanged_config_edn_saved_again_says_nothing(daemon: DaemonProcess, graph: Path):
    write_edn(graph, SAMPLE_EDN)
    write_edn(graph, SAMPLE_EDN.replace(":markdown", ":org"))  # not a setting we follow
    settle(daemon, graph / "pages", "same settings")
    assert daemon.count(r"config\.edn") == 0, daemon.log()


def test_a_journals_folder_change_is_followed_without_a_pass(daemon: DaemonProcess, graph: Path):
    write_edn(graph, edn_with(':journals-directory "days"'))
    daemon.wait_log(CHANGED + r':journals-directory "days" \(was "journals"\); following it now$')
    settle(daemon, graph / "pages", "journals moved")
    assert daemon.count(r"full pass") == 0


def test_a_deleted_config_edn_leaves_the_settings_as_they_were(
    daemons: Callable[..., DaemonProcess], graph: Path
):
    archive = graph / "archive"
    archive.mkdir()
    write_edn(graph, edn_with(':hidden ["archive"]'))
    d = daemons()
    (graph / "logseq" / "config.edn").unlink()  # a sync tool replacing it, a checkout
    name = page_name("Still Hidden")
    page = drop_by_rename(archive, name, messy_page("Still Hidden"))
    settle(d, graph / "pages", "file gone")
    assert page.read_bytes() == messy_page("Still Hidden")
    assert d.count(r"config\.edn") == 0

    write_edn(graph, edn_with(':hidden ["archive"]'))  # back as it was: nothing to say
    settle(d, graph / "pages", "file back")
    assert d.count(r"config\.edn") == 0
    assert page.read_bytes() == messy_page("Still Hidden")


# ------------------------------------------------------------------------------- the pieces


def test_a_reading_says_why_the_file_does_not_read_and_whether_it_is_there(tmp_path: Path):
    from vaultsync.render import setting_problem, settings_broken
    from vaultsync.vault import logseq_settings

    assert logseq_settings(tmp_path).missing
    (tmp_path / "logseq").mkdir()
    write_edn(tmp_path, '{:hidden ["a"]\n')
    settings = logseq_settings(tmp_path)
    assert not settings.missing and settings.hidden == ()
    assert settings.broken is not None
    why = settings_broken(settings.broken)
    assert why.startswith("line 2, column 1: ")
    assert [setting_problem(p) for p in settings.problems] == [
        f"{tmp_path / 'logseq' / 'config.edn'}: {why}; "
        "Logseq's defaults are used for this graph until it is fixed",
    ]
    write_edn(tmp_path, '{:hidden ["a"] :pages-directory 5}')
    settings = logseq_settings(tmp_path)
    assert settings.broken is None and settings.hidden == ("a",)  # one bad value: not broken


def test_setting_changes_name_each_followed_key_and_a_vault_follows_them(tmp_path: Path):
    from vaultsync.vault import LogseqSettings, make_vault, setting_changes

    (tmp_path / "logseq").mkdir()
    write_edn(tmp_path, SAMPLE_EDN)
    vault = make_vault(tmp_path)
    new = LogseqSettings(pages_dir="notes", name_format="triple-lowbar", hidden=("/a",))
    assert setting_changes(vault, new) == [
        ("pages-directory", "pages", "notes"),
        ("hidden", (), ("/a",)),
    ]
    moved = vault.following(new)
    assert (moved.pages_dir, moved.hidden, moved.include) == ("notes", ("/a",), vault.include)
    assert not moved.path_filter.matches("a/page.md") and vault.path_filter.matches("a/page.md")
    assert setting_changes(moved, new) == []
