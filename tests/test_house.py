"""The house rules of the code base (issue 14): no import cycle between vaultsync's modules, no
private name imported across modules, and no file written or deleted outside the writer (the
package vaultsync.writer; except the few allowed below, each with its reason)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vaultsync import errors

PACKAGE = Path(__file__).resolve().parent.parent / "daemon" / "vaultsync"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, ast.Module]:
    return {
        _module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p))
        for p in sorted(PACKAGE.rglob("*.py"))
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import at any depth (functions included), except those under `if TYPE_CHECKING:`,
    which never run and so make no cycle."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The vaultsync modules an import statement loads (a package's own `__init__` aside)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")[: -node.level]
            base = ".".join([*package, base] if base else package)
        # `from package import module` loads the module; `from module import name` the module.
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    return [n for n in names if n in known and n != module and n != "vaultsync"]


def _graph() -> dict[str, set[str]]:
    trees = _sources()
    known = set(trees)
    return {
        m: {t for node in _imports(tree) for t in _targets(m, node, known)}
        for m, tree in trees.items()
    }


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in colour and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        colour[node] = 2
        return None

    for start in sorted(graph):
        if start not in colour and (cycle := visit(start)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle() -> None:
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_name_is_imported_across_modules() -> None:
    trees = _sources()
    known = set(trees)
    found = []
    for module, tree in trees.items():
        for node in ast.walk(tree):  # `if TYPE_CHECKING:` imports too
            if not isinstance(node, ast.ImportFrom):
                continue
            targets = _targets(module, node, known)
            if not targets and not (node.module or "").startswith("vaultsync"):
                continue
            found += [
                f"{module}: from {node.module} import {a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            ]
    assert found == []


PAGE = Path("/vault/pages/a page.md")
PAGE_ERRORS = [
    errors.UnsafePathError(PAGE, errors.Unsafe.OUTSIDE),
    errors.ChangedSinceRead(PAGE),
    errors.PageAppeared(PAGE),
    errors.LossCheckFailed(PAGE, ["a highlight"]),
    errors.PageUnreadable(PAGE, errors.Unreadable.DENIED),
    errors.PageVanished(PAGE),
    errors.WriteFailed(PAGE, errors.WriteProblem.NOT_WRITTEN, PAGE.parent, OSError(28, "full")),
    errors.NoSuchVersion(PAGE, 3, 2),
]


@pytest.mark.parametrize("err", PAGE_ERRORS, ids=lambda e: type(e).__name__)
def test_a_page_error_listed_beside_its_page_leaves_the_path_out(err: errors.PageError) -> None:
    """The reason a pass lists beside a page comes from the error's fields (no prefix is
    stripped off its message), and reads as the message did without the page's name."""
    reason = errors.page_reason(err, PAGE)
    assert str(err) == f"{PAGE}: {reason}"
    assert not reason.startswith(str(PAGE))
    # Beside another page (an author page failing while a source is cleaned) it is said whole.
    assert errors.page_reason(err, Path("/vault/pages/other.md")) == str(err)


def test_other_errors_are_listed_whole() -> None:
    path = Path("/vault/x.md")
    assert errors.page_reason(errors.UsageError(f"{path}: no"), path) == f"{path}: no"
    assert errors.page_reason(errors.LossCheckFailed(None, ["x"]), path).startswith("page: ")
    assert errors.page_reason(OSError(5, "I/O error"), path) == "[Errno 5] I/O error"


# ------------------------------------------------------------------------------ one writer

# File-writing (and deleting) calls allowed outside the writer package: (module, call as
# written) → why.
WRITES_ALLOWED = {
    # SQLite writes its own database file and journal: its transactions are the atomicity a
    # temp file and a rename give a plain file. The file is created private first by
    # writer.touch_private_file, the folder by writer.make_private_dirs.
    ("vaultsync.state.cache", "sqlite3.connect"): "the state cache's database",
    # logging's handlers open, append to and rotate the daemon's log themselves; re-doing
    # that through the writer would copy the standard library. Its folder is made by
    # writer.make_folders; the file is vaultsync's own log, in no vault.
    ("vaultsync.logs", "logging.handlers.RotatingFileHandler"): "the state folder's log",
    ("vaultsync.logs", "logging.handlers.WatchedFileHandler"): "a log file the user names",
    # Not a file written: stdout is pointed at /dev/null once a reader has gone (EPIPE), so
    # the interpreter's last flush at exit has somewhere to go.
    ("vaultsync.cli.main", "os.open"): "os.devnull as stdout after a broken pipe",
    # A fresh folder of the demo's own (the sample vaults are copied into it).
    ("vaultsync.demo", "tempfile.mkdtemp"): "the demo's temporary folder",
}

_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC")
_WRITING_FUNCTIONS = {
    "os.replace", "os.rename", "os.renames", "os.link", "os.symlink", "os.mkdir", "os.makedirs",
    "os.mkfifo", "os.truncate", "shutil.copy", "shutil.copy2", "shutil.copyfile",
    "shutil.copytree", "shutil.move", "tempfile.mkstemp", "tempfile.mkdtemp",
    "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "sqlite3.connect",
    "logging.FileHandler", "logging.handlers.RotatingFileHandler",
    "logging.handlers.TimedRotatingFileHandler", "logging.handlers.WatchedFileHandler",
    # deletions
    "os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree",
}  # fmt: skip
_WRITING_METHODS = {"write_text", "write_bytes", "mkdir", "touch", "rename", "symlink_to",
                    "hardlink_to", "unlink", "rmdir"}  # fmt: skip


def _writes_a_file(call: ast.Call) -> bool:
    name = ast.unparse(call.func)
    if name in _WRITING_FUNCTIONS:
        return True
    if name in ("open", "io.open", "os.fdopen"):
        mode = call.args[1] if len(call.args) > 1 else None
        mode = next((k.value for k in call.keywords if k.arg == "mode"), mode)
        if mode is None:
            return False
        return not isinstance(mode, ast.Constant) or any(c in str(mode.value) for c in "wax+")
    if name == "os.open":
        flags = ast.unparse(call.args[1]) if len(call.args) > 1 else ""
        return any(flag in flags for flag in _WRITE_FLAGS)
    if isinstance(call.func, ast.Attribute):
        method = call.func.attr
        # Path.replace(target) takes one argument; str.replace(old, new) two.
        return method in _WRITING_METHODS or (method == "replace" and len(call.args) == 1)
    return False


def _in_the_writer(module: str) -> bool:
    return module == "vaultsync.writer" or module.startswith("vaultsync.writer.")


def _file_writes() -> set[tuple[str, str, int]]:
    found = set()
    for module, tree in _sources().items():
        if _in_the_writer(module):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _writes_a_file(node):
                found.add((module, ast.unparse(node.func), node.lineno))
    return found


def test_no_module_but_the_writer_writes_a_file() -> None:
    """Every file vaultsync writes or deletes goes through the writer package's functions, but
    for the few calls on WRITES_ALLOWED (each says why)."""
    found = _file_writes()
    unexpected = sorted(w for w in found if w[:2] not in WRITES_ALLOWED)
    assert unexpected == [], "write through vaultsync.writer: " + ", ".join(
        f"{m}:{line} {call}" for m, call, line in unexpected
    )
    stale = set(WRITES_ALLOWED) - {w[:2] for w in found}
    assert not stale, f"no longer needed on the allow-list: {sorted(stale)}"


def test_the_write_finder_sees_writes() -> None:
    code = """
open(p, "w"); open(p, mode="ab"); os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
Path(p).write_text("x"); p.write_bytes(b""); os.replace(a, b); p.replace(q); shutil.move(a, b)
"""
    calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)]
    assert sum(_writes_a_file(c) for c in calls) == 8
    harmless = 'open(p, "rb"); open(p); os.open(p, os.O_RDONLY); "a".replace("a", "b")'
    calls = [n for n in ast.walk(ast.parse(harmless)) if isinstance(n, ast.Call)]
    assert not any(_writes_a_file(c) for c in calls)


def test_the_write_finder_sees_deletions() -> None:
    code = """
os.remove(p); os.unlink(p); os.rmdir(d); os.removedirs(d); shutil.rmtree(d)
Path(p).unlink(); p.unlink(missing_ok=True); Path(d).rmdir(); d.rmdir()
"""
    calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)]
    assert sum(_writes_a_file(c) for c in calls) == 9
    harmless = "os.listdir(d); os.scandir(d); p.exists(); shutil.which(x); os.stat(p)"
    calls = [n for n in ast.walk(ast.parse(harmless)) if isinstance(n, ast.Call)]
    assert not any(_writes_a_file(c) for c in calls)


def test_the_whole_writer_package_is_the_writer() -> None:
    """The scan skips every module of the writer package (and only those), which between them
    hold the writes and deletions the rest of the code hands over."""
    assert _in_the_writer("vaultsync.writer") and _in_the_writer("vaultsync.writer.batch")
    assert not _in_the_writer("vaultsync.writers") and not _in_the_writer("vaultsync.history")
    inside = {
        ast.unparse(node.func).rsplit(".", 1)[-1]
        for module, tree in _sources().items()
        if _in_the_writer(module)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _writes_a_file(node)
    }
    assert {"replace", "unlink", "rmdir", "rmtree", "mkdir", "link"} <= inside


# ------------------------------------------------------------------------------ module size

#: No module is longer than this many physical lines (issue 14): past it, a module has more
#: than one job; split it (a package re-exporting its names keeps callers' imports).
MAX_LINES = 420

#: Modules still over MAX_LINES (paths under daemon/vaultsync/), each being split this round;
#: the lead empties the list when merging. An entry that no longer exists or is back under the
#: limit fails `test_the_size_allow_list_holds_no_stale_entry`, so the list only shrinks.
TOO_BIG: frozenset[str] = frozenset()


def _physical_lines(path: Path) -> int:
    """Lines as an editor shows them: newlines, plus a last line that has none."""
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _too_long(package: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Every module under `package` over `limit` lines: its POSIX path there → its lines."""
    sizes = {p.relative_to(package).as_posix(): _physical_lines(p) for p in package.rglob("*.py")}
    return {name: lines for name, lines in sorted(sizes.items()) if lines > limit}


def test_no_module_is_over_the_size_limit() -> None:
    over = {name: lines for name, lines in _too_long(PACKAGE).items() if name not in TOO_BIG}
    assert over == {}, f"over {MAX_LINES} lines, split by job (docs/architecture.md): " + ", ".join(
        f"daemon/vaultsync/{name} ({lines})" for name, lines in over.items()
    )


def test_the_size_allow_list_holds_no_stale_entry() -> None:
    over = _too_long(PACKAGE)
    stale = sorted(name for name in TOO_BIG if name not in over)
    assert stale == [], (
        f"on TOO_BIG but gone or at most {MAX_LINES} lines now; take off the list: "
        + ", ".join(stale)
    )


def test_the_size_check_flags_a_module_one_line_over(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "at_limit.py").write_text("x = 1\n" * MAX_LINES)
    (package / "over.py").write_text("x = 1\n" * (MAX_LINES + 1))
    # A last line without its newline still counts; a module in a subpackage is found too.
    (package / "sub" / "no_final_newline.py").write_text("x = 1\n" * MAX_LINES + "x = 2")
    (package / "notes.txt").write_text("x\n" * (MAX_LINES + 1))  # not a module
    over = MAX_LINES + 1
    assert _too_long(package) == {"over.py": over, "sub/no_final_newline.py": over}
