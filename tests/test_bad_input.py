"""Bad input, one test each, asserting what the user sees.

Most cases live together in one Logseq graph and one Obsidian vault, each cleaned by a single
real `vaultsync resync` process (module fixtures); each test then checks its own page: its bytes,
and the line of the summary that names it. What a root user cannot set up on disk (unreadable
files, read-only folders) is simulated in process, through the same CLI entry point. No output
ever holds a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from vaultsync import cli
from vaultsync.pipeline import store
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import make_vault

try:
    from genvault import files
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import files

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 300.0  # generous: a 50 MB page and a 1 MB line on a slow machine
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

HEAD_LOGSEQ = (
    "title:: {title} (highlights)\nauthor:: {author}\ncategory:: #books\n\n"
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
)
HEAD_OBSIDIAN = (
    "# {title}\n\n## Metadata\n- Author: {author}\n- Category: #books\n\n## Highlights\n"
)


def link(n: int) -> str:
    return f"([Location {n}](https://readwise.io/to_kindle?action=open&asin=B0X&location={n}))"


def logseq_page(title: str, body: str, author: str = "[[Ada Quinn]]") -> str:
    return HEAD_LOGSEQ.format(title=title, author=author) + body


def obsidian_page(title: str, body: str, author: str = "[[Ada Quinn]]") -> str:
    return HEAD_OBSIDIAN.format(title=title, author=author) + body


def twice(line: str, indent: str = "\t") -> str:
    """A highlight written twice (the duplicate the pass removes)."""
    return f"{indent}- {line}\n{indent}- {line}\n"


# Author names that try to leave the vault or break the file system; (name, refused because).
ESCAPING_AUTHORS = [
    ("../../escape", None),
    ("/etc/passwd", None),
    ("~/home-dir", None),
    ("C:\\Windows\\evil", None),
    ("CON", None),
    ("nul.txt", None),
    ("a" * 300, "too long for a file name"),
    ("...", "only dots"),
    ("..", "only dots"),
    ("Bad\x00Name", "control characters"),
]


@dataclass
class Run:
    """One `vaultsync resync` over a prepared vault, and what it left behind."""

    root: Path
    outside: Path
    before: dict[str, bytes]
    after: dict[str, bytes]
    outside_before: dict[str, bytes]
    code: int
    out: str
    err: str

    def line_for(self, rel: str) -> str:
        """The summary line that names the page."""
        path = str(self.root / rel)
        lines = [ln for ln in self.out.splitlines() if path + ":" in ln]
        assert lines, f"no line names {rel}:\n{self.out}"
        return lines[0].strip()

    def mentions(self, rel: str) -> bool:
        return str(self.root / rel) + ":" in self.out


def resync(root: Path, base: Path, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ)
    env.update(
        VAULTSYNC_STATE_DIR=str(base / "state"),
        VAULTSYNC_CONFIG=os.devnull,  # no config (a missing file it names is an error)
        CI="1",
    )
    env.pop("VAULTSYNC_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync", "--vault", str(root), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def _outside_tree(base: Path, app: str) -> Path:
    outside = base / "outside"
    (outside / "folder").mkdir(parents=True)
    make = logseq_page if app == "logseq" else obsidian_page
    indent = "\t" if app == "logseq" else ""
    dirty = make("Elsewhere", twice(f"kept outside {link(5)}", indent))
    (outside / "elsewhere.md").write_text(dirty, encoding="utf-8")
    (outside / "folder" / "inside folder.md").write_text(dirty, encoding="utf-8")
    return outside


def _run(root: Path, base: Path, outside: Path) -> Run:
    before, outside_before = files(root), files(outside)
    code, out, err = resync(root, base)
    return Run(root, outside, before, files(root), outside_before, code, out, err)


@pytest.fixture(scope="module")
def logseq_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("bad-logseq")
    root = base / "graph"
    pages = root / "pages"
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    pages.mkdir()
    outside = _outside_tree(base, "logseq")

    latin1 = logseq_page("Latin One", twice(f"caf\u00e9 au lait {link(1)}")).encode("latin-1")
    (pages / "Latin One (highlights).md").write_bytes(latin1)
    (pages / "Picture.md").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + twice(f"x {link(2)}").encode() + bytes(256)
    )
    (pages / "Noise.md").write_bytes(bytes(range(256)) * 4)
    (pages / "Nul (highlights).md").write_text(
        logseq_page("Nul", twice(f"a\x00b {link(3)}")), encoding="utf-8"
    )
    (pages / "Empty.md").write_bytes(b"")
    huge = logseq_page("Huge", twice(f"big {link(4)}")).encode()
    with open(pages / "Huge (highlights).md", "wb") as f:
        f.write(huge)
        f.truncate(50 * 2**20)  # 50 MB (a sparse file: cheap to make)
    long_line = "word " * 200_000  # 1 MB on one line
    (pages / "Long (highlights).md").write_text(
        logseq_page("Long", twice(f"{long_line}{link(6)}")), encoding="utf-8"
    )
    deep = "".join("\t" * (depth + 2) + f"- level {depth}\n" for depth in range(1000))
    (pages / "Deep (highlights).md").write_text(
        logseq_page("Deep", f"\t- the root {link(7)}\n{deep}\t- the root {link(7)}\n"),
        encoding="utf-8",
    )
    tweets = "".join(
        f"\t- a mangled tweet {i} ([View Tweet](https://twitter.com/mangled/status/{digits}))\n"
        for i, digits in enumerate(["1" * 40, "9" * 5000, "2" * 40])
    )
    (pages / "Mangled (highlights).md").write_text(
        logseq_page("Mangled", tweets + tweets, author="[[@mangled on Twitter]]"), encoding="utf-8"
    )
    (pages / "loop.md").symlink_to("loop.md")
    (pages / "a").mkdir()
    (pages / "a" / "b").symlink_to("..", target_is_directory=True)
    (pages / "Outside (highlights).md").symlink_to(outside / "elsewhere.md")
    (pages / "linked folder").symlink_to(outside / "folder", target_is_directory=True)
    for i, (name, _) in enumerate(ESCAPING_AUTHORS):
        text = logseq_page(f"Author {i}", twice(f"by someone {i} {link(100 + i)}"), author=name)
        (pages / f"Author {i} (highlights).md").write_text(text, encoding="utf-8")
    return _run(root, base, outside)


@pytest.fixture(scope="module")
def obsidian_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("bad-obsidian")
    root = base / "vault"
    notes = root / "Readwise" / "Books"
    notes.mkdir(parents=True)
    (root / ".obsidian").mkdir()
    outside = _outside_tree(base, "obsidian")
    deep = "".join("    " * (depth + 1) + f"- level {depth}\n" for depth in range(1000))
    (notes / "Deep.md").write_text(
        obsidian_page("Deep", f"- the root {link(7)}\n{deep}- the root {link(7)}\n"),
        encoding="utf-8",
    )
    (notes / "Outside.md").symlink_to(outside / "elsewhere.md")
    for i, (name, _) in enumerate(ESCAPING_AUTHORS):
        text = obsidian_page(f"Author {i}", twice(f"by someone {i} {link(100 + i)}", ""), name)
        (notes / f"Author {i}.md").write_text(text, encoding="utf-8")
    return _run(root, base, outside)


@pytest.fixture(params=["logseq", "obsidian"])
def any_run(request: pytest.FixtureRequest) -> Run:
    return request.getfixturevalue(f"{request.param}_run")


# ---- the runs as a whole ----------------------------------------------------------------------


def test_no_traceback_and_a_summary(any_run: Run) -> None:
    assert "Traceback" not in any_run.err and "Traceback" not in any_run.out
    assert "internal error" not in any_run.err
    assert re.search(r"pages scanned\s+\d+", any_run.out)
    assert any_run.code == 0  # the page behind a symlink leading out is skipped, not failed


# ---- bytes ------------------------------------------------------------------------------------


def test_bytes_that_are_not_utf8(logseq_run: Run) -> None:
    rel = "pages/Latin One (highlights).md"
    assert logseq_run.line_for(rel).endswith(
        "bytes that are not UTF-8 at line 6, column 7; left untouched "
        "(re-save the page as UTF-8 to have it cleaned)"
    )
    assert logseq_run.after[rel] == logseq_run.before[rel]


def test_a_binary_file_named_md(logseq_run: Run) -> None:
    """With Readwise-looking bytes inside it is skipped with the reason; without, ignored."""
    rel = "pages/Picture.md"
    assert "not UTF-8" in logseq_run.line_for(rel)
    assert logseq_run.after[rel] == logseq_run.before[rel]
    assert not logseq_run.mentions("pages/Noise.md")
    assert logseq_run.after["pages/Noise.md"] == logseq_run.before["pages/Noise.md"]


def test_nul_characters_in_a_page(logseq_run: Run) -> None:
    rel = "pages/Nul (highlights).md"
    after = logseq_run.after[rel].decode("utf-8")
    assert after.count("a\x00b") == 1  # the duplicate went, the NUL stayed
    assert not logseq_run.mentions(rel)


def test_an_empty_file(logseq_run: Run) -> None:
    assert logseq_run.after["pages/Empty.md"] == b""
    assert not logseq_run.mentions("pages/Empty.md")


def test_a_50_mb_page(logseq_run: Run) -> None:
    rel = "pages/Huge (highlights).md"
    assert logseq_run.line_for(rel).endswith(
        "cannot read: it is 50.0 MiB, larger than the 20.0 MiB limit for a page; "
        "vaultsync leaves it alone"
    )
    assert logseq_run.after[rel] == logseq_run.before[rel]


def test_a_1_mb_line(logseq_run: Run) -> None:
    rel = "pages/Long (highlights).md"
    after = logseq_run.after[rel].decode("utf-8")
    assert after.count(link(6)) == 1 and after.count("word ") == 200_000
    assert not logseq_run.mentions(rel)


def test_1000_nesting_levels(any_run: Run) -> None:
    rel = next(k for k in any_run.before if "Deep" in k)
    after = any_run.after[rel].decode("utf-8")
    assert after.count(link(7)) == 1
    for depth in (0, 499, 999):
        assert after.count(f"- level {depth}\n") == 1
    assert not any_run.mentions(rel)


def test_tweet_ids_of_thousands_of_digits(logseq_run: Run) -> None:
    """Damaged ids: no date, no order, but the page is still cleaned and its author linked."""
    after = logseq_run.after["pages/Mangled (highlights).md"].decode("utf-8")
    for i in range(3):
        assert after.count(f"a mangled tweet {i} ") == 1
    assert not logseq_run.mentions("pages/Mangled (highlights).md")


# ---- links ------------------------------------------------------------------------------------


def test_symlink_loops(logseq_run: Run) -> None:
    loop = logseq_run.root / "pages" / "loop.md"
    assert loop.is_symlink() and os.readlink(loop) == "loop.md"
    assert (logseq_run.root / "pages" / "a" / "b").is_symlink()
    assert "loops back" not in logseq_run.err


def test_a_page_behind_a_symlink_leading_out_is_not_written(any_run: Run) -> None:
    rel = next(
        str(p.relative_to(any_run.root))
        for p in any_run.root.rglob("Outside*.md")
        if p.is_symlink()
    )
    assert any_run.line_for(rel).endswith(
        "it is a symbolic link; vaultsync does not write through links; left as it is"
    )
    assert any_run.line_for(rel).startswith("skipped")
    assert files(any_run.outside) == any_run.outside_before


def test_a_folder_linked_out_of_the_vault_is_not_entered(logseq_run: Run) -> None:
    assert not logseq_run.mentions("pages/linked folder/inside folder.md")
    assert files(logseq_run.outside) == logseq_run.outside_before


# ---- author names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "refused"), ESCAPING_AUTHORS, ids=[f"author{i}" for i in range(len(ESCAPING_AUTHORS))]
)
def test_author_names_that_try_to_escape(any_run: Run, name: str, refused: str | None) -> None:
    """The author page lands inside the vault, or is refused with the reason."""
    base = any_run.root.parent
    outside_files = {
        p for p in base.rglob("*") if p.is_file() and not p.is_relative_to(any_run.root)
    }
    assert all(
        p.is_relative_to(base / "state") or p.is_relative_to(any_run.outside) for p in outside_files
    )
    assert files(any_run.outside) == any_run.outside_before
    created = set(any_run.after) - set(any_run.before)
    assert all((any_run.root / rel).resolve().is_relative_to(any_run.root) for rel in created)
    refusals = [ln for ln in any_run.out.splitlines() if "not created:" in ln]
    mine = [ln for ln in refusals if f"author page for {name[:80]!r} " in ln]
    if refused is None:
        assert mine == [], mine
    else:
        assert len(mine) == 1, refusals
        assert refused in mine[0].split("not created:")[1]


# ---- what root cannot set up on disk: in process -----------------------------------------------


@pytest.fixture
def graph_with_a_dirty_page(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    root = tmp_path / "graph"
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (root / "pages").mkdir()
    page = root / "pages" / "Dirty (highlights).md"
    page.write_text(logseq_page("Dirty", twice(f"again {link(9)}")), encoding="utf-8")
    yield root, page


def _resync_in_process(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["resync", "--vault", str(root), "-q"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _refusing_open(refuse: Callable[[str, int], bool], err: int) -> object:
    real_open = os.open

    def fake(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        full = os.fspath(path)
        if kwargs.get("dir_fd") is not None:  # the writer works inside the folder it holds open
            full = os.path.join(os.readlink(f"/proc/self/fd/{kwargs['dir_fd']}"), full)
        if refuse(full, flags):
            raise OSError(err, os.strerror(err), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    return fake


def test_an_unreadable_page(
    graph_with_a_dirty_page: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, page = graph_with_a_dirty_page
    before = page.read_bytes()
    fake = _refusing_open(lambda p, flags: p == str(page), errno.EACCES)
    monkeypatch.setattr(os, "open", fake)
    code, out, _err = _resync_in_process(root, capsys)
    assert f"skipped {page}: cannot read: permission denied; check the file's permissions" in out
    assert code == 0
    monkeypatch.undo()
    assert page.read_bytes() == before


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their permissions")
def test_an_unreadable_page_on_disk(
    graph_with_a_dirty_page: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:  # pragma: no cover - runs only as a normal user
    root, page = graph_with_a_dirty_page
    page.chmod(0)
    try:
        _code, out, _err = _resync_in_process(root, capsys)
    finally:
        page.chmod(0o644)
    assert "cannot read: permission denied" in out


def test_a_read_only_folder(
    graph_with_a_dirty_page: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, page = graph_with_a_dirty_page
    before = page.read_bytes()
    folder = str(page.parent.resolve())

    def refuse(path: str, flags: int) -> bool:
        return bool(flags & os.O_CREAT) and os.path.dirname(path) == folder

    monkeypatch.setattr(os, "open", _refusing_open(refuse, errno.EROFS))
    code, out, _err = _resync_in_process(root, capsys)
    assert (
        f"FAILED  {page}: not written: cannot write into {folder}: read-only or permission "
        "denied; vaultsync needs write access to the vault"
    ) in out
    assert code == 1
    monkeypatch.undo()
    assert page.read_bytes() == before
    assert [n for n in os.listdir(folder) if ".vaultsync-" in n] == []


@pytest.mark.skipif(IS_ROOT, reason="root writes into read-only folders")
def test_a_read_only_folder_on_disk(
    graph_with_a_dirty_page: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:  # pragma: no cover - runs only as a normal user
    root, page = graph_with_a_dirty_page
    page.parent.chmod(0o555)
    try:
        code, out, _err = _resync_in_process(root, capsys)
    finally:
        page.parent.chmod(0o755)
    assert "read-only or permission denied" in out and code == 1


def test_a_page_deleted_between_the_event_and_the_read(
    graph_with_a_dirty_page: tuple[Path, Path],
) -> None:
    """Nothing to report: the page is gone, and a deleted page stays deleted."""
    root, page = graph_with_a_dirty_page
    session = VaultSession(make_vault(root), PassOptions())
    page.unlink()
    report = session.update([page])
    assert report.failed == [] and report.skipped == [] and report.changed == []
    assert not page.exists()


def test_a_page_deleted_between_the_walk_and_the_read(
    graph_with_a_dirty_page: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, page = graph_with_a_dirty_page
    real_read = store.read_page

    def deleting_read(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path) == page and page.exists():
            page.unlink()
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(store, "read_page", deleting_read)
    report = run_pass(make_vault(root), PassOptions())
    assert report.failed == [] and report.skipped == [] and report.changed == []
    assert not page.exists()
