"""Living with the command every day (issue 15): pipes, journald, the log file, help pages,
`config explain`, `status` for scripts. Each through the real command, as a person runs it."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vaultsync.logs import journal_fields

try:  # pytest puts tests/ on sys.path
    from terminal import under_pty
except ModuleNotFoundError:  # pragma: no cover
    from tests.terminal import under_pty

WAIT = 60.0  # seconds: generous, only reached when something is wrong


def vaultsync(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
        **kwargs,
    )


# ------------------------------------------------------------------------------ pipes


@pytest.mark.parametrize(
    "args", [("status",), ("config", "explain"), ("--help",), ("config", "schema")]
)
def test_a_closed_pipe_is_not_an_error(args: tuple[str, ...]) -> None:
    # `vaultsync status | head -3`: the reader is gone before the writer is done. The read end
    # is closed before the command starts, so its first write fails: no timing involved.
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "vaultsync", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=WAIT,
            check=False,
        )
    finally:
        os.close(write)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert "BrokenPipe" not in proc.stderr
    assert proc.returncode in (0, 3)  # status with no daemon says 3, and says it quietly


# ------------------------------------------------------------------------------ journald


class Journal:
    """A stand-in for journald's native socket: receives entries, decodes their fields."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(WAIT)

    def entry(self) -> dict[str, str]:
        return decode(self.sock.recv(1 << 20))

    def close(self) -> None:
        self.sock.close()


def decode(data: bytes) -> dict[str, str]:
    """journald's native protocol, read back (the inverse of what the daemon sends)."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            key, _, value = line.partition(b"=")
            fields[key.decode()] = value.decode()
            i = nl + 1
        else:
            (size,) = struct.unpack("<Q", data[nl + 1 : nl + 9])
            fields[line.decode()] = data[nl + 9 : nl + 9 + size].decode()
            i = nl + 9 + size + 1
    return fields


def test_journal_fields_round_trip() -> None:
    fields = decode(journal_fields("two\nlines", 4))
    assert fields == {"MESSAGE": "two\nlines", "PRIORITY": "4", "SYSLOG_IDENTIFIER": "vaultsync"}


def _journal_stream(fd: int) -> str:
    st = os.fstat(fd)
    return f"{st.st_dev}:{st.st_ino}"


def _start_under_journald(tmp_path: Path, config: Path, socket_path: Path) -> subprocess.Popen:
    err_path = tmp_path / "stderr"
    err = open(err_path, "w+b")  # noqa: SIM115 - handed to the child, closed by the test
    env = dict(os.environ)
    env["JOURNAL_STREAM"] = _journal_stream(err.fileno())
    env["VAULTSYNC_JOURNAL_SOCKET"] = str(socket_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=err,
        env=env,
    )
    err.close()
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=WAIT)


def test_under_systemd_each_message_is_one_journal_entry_with_its_priority(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text("vaults: []\n", encoding="utf-8")
    journal = Journal(tmp_path / "journal.sock")
    proc = _start_under_journald(tmp_path, config, journal.path)
    try:
        entry = journal.entry()  # "no vaults configured …" is the first thing it logs
    finally:
        _stop(proc)
        journal.close()
    assert entry["PRIORITY"] == "4"
    assert entry["SYSLOG_IDENTIFIER"] == "vaultsync"
    assert "no vaults configured" in entry["MESSAGE"]
    assert not entry["MESSAGE"][:4].isdigit()  # no timestamp of ours: journald keeps the time
    assert (tmp_path / "stderr").read_bytes() == b""  # nothing doubled on the stream


def test_under_systemd_a_multi_line_config_error_is_one_entry(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text("vaults:\n  - nme: x\n  - path: 3\n    kind: nope\n", encoding="utf-8")
    journal = Journal(tmp_path / "journal.sock")
    proc = _start_under_journald(tmp_path, config, journal.path)
    try:
        entry = journal.entry()
        assert proc.wait(timeout=WAIT) == 2
    finally:
        _stop(proc)
        journal.close()
    assert entry["PRIORITY"] == "3"
    assert "\n" in entry["MESSAGE"] and str(config) in entry["MESSAGE"]


def test_under_systemd_without_the_socket_lines_carry_the_priority_prefix(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text("vaults:\n  - nme: x\n  - path: 3\n", encoding="utf-8")
    proc = _start_under_journald(tmp_path, config, tmp_path / "no-such.sock")
    assert proc.wait(timeout=WAIT) == 2
    lines = (tmp_path / "stderr").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 1
    assert all(line.startswith("<3>") for line in lines), lines


# ------------------------------------------------------------------------- the log file


def test_off_a_terminal_the_daemon_keeps_a_log_file_that_status_names(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text("vaults: []\n", encoding="utf-8")
    state = Path(os.environ["VAULTSYNC_STATE_DIR"])
    log = state / "vaultsync.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline().decode()  # the first message is logged by now
        assert "no vaults configured" in first
        status = vaultsync("status", "--config", str(config))
    finally:
        _stop(proc)
    assert "no vaults configured" in log.read_text(encoding="utf-8")
    assert f"log: {log}" in status.stdout
    # local time with its UTC offset: "2026-12-06 07:30:31+0000 WARNING …"
    stamp = first.split(" WARNING", 1)[0]
    assert len(stamp) == len("2026-12-06 07:30:31+0000") and stamp[-5] in "+-", first


# ------------------------------------------------------------------------ status, help


def test_status_exit_code_says_whether_a_daemon_runs(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text("vaults: []\n", encoding="utf-8")
    assert vaultsync("status", "--config", str(config)).returncode == 3


def _listed(*words: str) -> list[str]:
    """The subcommands `vaultsync [words] --help` lists, as a person reads them."""
    import re

    out = subprocess.run(
        [sys.executable, "-m", "vaultsync", *words, "--help"],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=True,
    ).stdout
    block = out.split("positional arguments:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^    (\w+)", block, flags=re.M)


def _commands() -> list[tuple[str, ...]]:
    """Every subcommand the help lists (and `config`'s actions), so a new one is checked too."""
    found: list[tuple[str, ...]] = [(name,) for name in _listed()]
    found += [("config", action) for action in _listed("config")]
    return found


COMMANDS = _commands()


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_subcommand_help_has_a_description(words: tuple[str, ...]):
    out = vaultsync(*words, "--help").stdout
    usage, _, rest = out.partition("\n\n")
    description = rest.split("\n\n", 1)[0].strip()
    assert description and not description.startswith(("options:", "positional")), out


def test_authors_help_lists_only_options_it_uses():
    out = vaultsync("authors", "--help").stdout
    assert "--diff" not in out and "--quiet" not in out


def test_config_explain_prints_each_key_its_value_and_meaning(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"vaults:\n  - name: g\n    path: '{tmp_path}'\n    kind: logseq\n"
        "daemon:\n  quiet_period: 3\n",
        encoding="utf-8",
    )
    result = vaultsync("config", "explain", str(config))
    assert result.returncode == 0, result.stderr
    assert "daemon.quiet_period = 3.0" in result.stdout
    assert "vaults[0].name = 'g'" in result.stdout
    assert "Seconds a page must stay unchanged" in result.stdout


def test_config_validate_on_a_missing_file_exits_2(tmp_path: Path):
    result = vaultsync(
        "config", "validate", env={**os.environ, "VAULTSYNC_CONFIG": str(tmp_path / "none.yaml")}
    )
    assert result.returncode == 2
    assert "no such file, and $VAULTSYNC_CONFIG names it" in result.stderr


def test_stderr_that_is_a_file_is_the_log_and_nothing_is_written_twice(tmp_path: Path):
    # launchd's StandardErrorPath is the state folder's vaultsync.log itself.
    config = tmp_path / "config.yaml"
    config.write_text("vaults: []\n", encoding="utf-8")
    state = Path(os.environ["VAULTSYNC_STATE_DIR"])
    state.mkdir(parents=True, exist_ok=True)
    log = state / "vaultsync.log"
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vaultsync", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        # Wait on the condition (the first message in the file), never on a fixed time.
        deadline = time.monotonic() + WAIT
        while "no vaults configured" not in log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
    finally:
        _stop(proc)
    assert log.read_text(encoding="utf-8").count("no vaults configured") == 1


# --------------------------------------------------------------- what changed, for scripts

SAMPLES = Path(__file__).parent / "samples"
BOOK = "pages/The Art of Maintenance (highlights).md"


@pytest.fixture
def graph_copy(tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "graph"
    shutil.copytree(SAMPLES / "logseq", dest)
    return dest


def test_resync_lists_each_page_it_cleaned_with_what_the_rules_did(graph_copy: Path):
    result = vaultsync("resync", "--vault", str(graph_copy))
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if BOOK in x)
    # The book page: one repeat, one folded section, highlights put back in location order.
    assert line.strip().startswith(f"cleaned {BOOK}: 1 repeat removed")
    assert "1 section folded" in line and "1 repeats" not in line
    assert "created author page pages/" in result.stdout


def test_resync_json_has_the_documented_shape(graph_copy: Path):
    import json

    result = vaultsync("resync", "--vault", str(graph_copy), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # stdout is the JSON and nothing else
    assert data["version"] == 1 and data["command"] == "resync" and data["exit_code"] == 0
    (vault,) = data["vaults"]
    assert set(vault) == {
        "vault", "kind", "root", "mode", "scanned", "readwise", "changed", "totals",
        "author_pages", "skipped", "failed",
    }  # fmt: skip
    assert vault["kind"] == "logseq" and vault["mode"] == "write"
    book = next(c for c in vault["changed"] if c["path"] == BOOK)
    assert book["rules"]["duplicates_removed"] == 1 and book["rules"]["sections_folded"] == 1
    assert set(vault["author_pages"]) == {"created", "updated", "merged"}
    again = json.loads(vaultsync("check", "--vault", str(graph_copy), "--json").stdout)
    assert again["command"] == "check" and again["exit_code"] == 0
    assert again["vaults"][0]["changed"] == []


def test_check_json_exit_code_and_shape_when_pages_would_change(graph_copy: Path):
    import json

    result = vaultsync("check", "--vault", str(graph_copy), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["exit_code"] == 1 and data["vaults"][0]["mode"] == "check"
    assert any(c["path"] == BOOK for c in data["vaults"][0]["changed"])


def test_quiet_resync_prints_nothing_when_nothing_changed(graph_copy: Path):
    assert vaultsync("resync", "--vault", str(graph_copy)).returncode == 0
    again = vaultsync("resync", "--vault", str(graph_copy), "-q")
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""


def test_the_vault_header_comes_before_its_diffs(graph_copy: Path):
    out = vaultsync("resync", "--vault", str(graph_copy), "--diff", "--dry-run").stdout
    header = out.index("(Logseq graph at")
    assert header < out.index("--- a/") < out.index("pages scanned")
    assert "\x1b[" not in out  # piped: no colour codes


def test_status_json_and_authors_json(graph_copy: Path, tmp_path: Path):
    import json

    config = tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - name: g\n    path: '{graph_copy}'\n", encoding="utf-8")
    status = vaultsync("status", "--config", str(config), "--json")
    assert status.returncode == 3
    data = json.loads(status.stdout)
    assert data["version"] == 1 and data["running"] is False and data["pid"] is None
    assert {"state_dir", "log", "vaults", "recent_errors"} <= set(data)
    authors = vaultsync("authors", "--config", str(config), "--json")
    assert authors.returncode == 0, authors.stderr
    (vault,) = json.loads(authors.stdout)["vaults"]
    assert vault["vault"] == "g" and vault["authors"]
    assert {"name", "page", "aliases", "handles", "sources"} == set(vault["authors"][0])


# ------------------------------------------------------------- on a terminal, as seen


def _under_pty(args: list[str], cwd: Path | None = None) -> str:
    """The command on a pseudo-terminal (tests/terminal.py): what a person sees."""
    return under_pty(args)


def test_on_a_terminal_the_diff_is_coloured(graph_copy: Path):
    shown = _under_pty(["resync", "--vault", str(graph_copy), "--diff", "--dry-run"])
    assert "\x1b[31m-" in shown and "\x1b[32m+" in shown  # removals red, additions green
    assert "pages scanned" in shown


def test_no_color_turns_the_colour_off(graph_copy: Path, monkeypatch: pytest.MonkeyPatch):
    from vaultsync.render import use_colour

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())  # type: ignore[arg-type]


# ---------------------------------------------------------------------- stop, reload


def test_stop_and_reload_reach_the_running_daemon(graph_copy: Path, tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - name: g\n    path: '{graph_copy}'\n", encoding="utf-8")
    log = tmp_path / "daemon.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "run", "--config", str(config), "--log-file", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + WAIT
        while text not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert proc.poll() is None, "the daemon exited"
            assert time.monotonic() < deadline, f"never logged {text!r}"
            time.sleep(0.05)

    try:
        wait_for("watching 1 vault")
        reload = vaultsync("reload", "--config", str(config))
        assert reload.returncode == 0, reload.stderr
        assert f"pid {proc.pid}" in reload.stdout
        wait_for("config reloaded")
        stop = vaultsync("stop", "--config", str(config))
        assert stop.returncode == 0, stop.stderr
        assert proc.wait(timeout=WAIT) == 0
    finally:
        _stop(proc)
    again = vaultsync("stop", "--config", str(config))
    assert again.returncode == 3 and "no daemon is running" in again.stderr


# ----------------------------------------------------------------------- completion


def test_bash_completion_knows_every_command_and_completes_them(tmp_path: Path):
    import shutil

    script = vaultsync("completion", "bash")
    assert script.returncode == 0, script.stderr
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash here")
    path = tmp_path / "vaultsync.bash"
    path.write_text(script.stdout, encoding="utf-8")
    # Ask bash itself what `vaultsync re<TAB>` completes to, as a person's shell would.
    probe = (
        f"source {path}; COMP_WORDS=(vaultsync re); COMP_CWORD=1; COMP_LINE='vaultsync re'; "
        "COMP_POINT=${#COMP_LINE}; _shtab_vaultsync; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    shown = subprocess.run(
        [bash, "--norc", "-c", probe], capture_output=True, text=True, timeout=WAIT
    )
    assert set(shown.stdout.split()) == {"resync", "reload", "release"}, shown.stdout + shown.stderr


def test_zsh_and_tcsh_completion_scripts_are_printed():
    for shell in ("zsh", "tcsh"):
        result = vaultsync("completion", shell)
        assert result.returncode == 0 and "resync" in result.stdout


def test_a_new_author_page_diffs_from_dev_null(graph_copy: Path):
    out = vaultsync("resync", "--vault", str(graph_copy), "--diff", "--dry-run").stdout
    created = [line for line in out.splitlines() if "created author page" in line]
    assert created, out
    name = created[0].split("created author page ", 1)[1]
    assert f"--- /dev/null\n+++ b/{name}\n" in out
    assert f"--- a/{name}" not in out
