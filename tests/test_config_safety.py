"""Config that cannot be meant is refused; the state folder, the unit file and the config file
itself are handled as a hostile or unlucky user would leave them (issue 13, items 5 and 7)."""

from __future__ import annotations

import fcntl
import os
import plistlib
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from vaultsync import paths, render, service, writer
from vaultsync.config import load_config, parse_config
from vaultsync.errors import ConfigError, UsageError, VaultsyncError

WAIT = 30.0  # seconds: generous, only reached when something is wrong


def wait_for(predicate: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def write(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def obsidian_vault(folder: Path) -> Path:
    (folder / ".obsidian").mkdir(parents=True)
    return folder


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [p.render() for p in caught.value.problems]


# ---------------------------------------------------------------------------------------------
# Vaults that cannot be meant


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/", "root of a file system"),
        ("/etc", "system folder (/etc)"),
        ("/proc", "system folder (/proc)"),
        ("/proc/self", "system folder (/proc)"),  # anything below /proc too
        ("/sys/kernel", "system folder (/sys)"),
        ("/dev", "system folder (/dev)"),
        ("/usr/share", "system folder (/usr)"),
        ("/var", "system folder (/var)"),
        ("/boot", "system folder (/boot)"),
        ("$HOME", "your home folder"),
        ("'~'", "your home folder"),  # bare ~ is YAML's null
    ],
)
def test_a_vault_that_cannot_be_meant_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, why: str
) -> None:
    if not Path(os.path.expandvars(path)).exists() and path not in ("$HOME", "'~'"):
        pytest.skip(f"{path} does not exist here")
    home = tmp_path / "home"
    obsidian_vault(home)  # a home that is also a vault folder: still refused
    monkeypatch.setenv("HOME", str(home))
    config = write(tmp_path, f"vaults:\n  - path: {path}\n    kind: obsidian\n")
    [problem] = problems(config)
    assert problem.startswith("line 2, 'vaults[0].path': ")
    assert why in problem and "not a notes folder" in problem
    assert "give the folder that holds your notes" in problem  # the fix


def test_a_folder_holding_the_home_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "people" / "me"))
    (tmp_path / "people" / "me").mkdir(parents=True)
    config = write(tmp_path, f"vaults:\n  - path: {tmp_path / 'people'}\n    kind: obsidian\n")
    [problem] = problems(config)
    assert "holds your home folder" in problem


def test_a_link_to_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes").symlink_to("/")
    config = write(tmp_path, "vaults:\n  - path: notes\n    kind: obsidian\n")
    [problem] = problems(config)
    assert "root of a file system" in problem


@pytest.mark.parametrize(
    ("folder", "home", "refused"),
    [
        # Linux and macOS
        ("/media/me/Drive/Notes", "/home/me", None),
        ("/run/media/me/Drive/Notes", "/home/me", None),
        ("/home/me/Notes", "/home/me", None),
        ("/tmp/notes", "/home/me", None),
        ("/srv/notes", "/home/me", None),
        ("/dev/shm/notes", "/home/me", None),  # a RAM disk, like /tmp
        ("/dev/shm", "/home/me", "system folder (/dev)"),
        ("/Volumes/Drive/Notes", "/Users/me", None),
        ("/Users/me/Library/Mobile Documents/iCloud~md~obsidian/Documents/V", "/Users/me", None),
        ("/home", "/home/me", "holds your home folder"),
        ("/media", "/home/me", "system folder"),
        ("/run/media", "/home/me", "system folder"),
        ("/usr/local/notes", "/home/me", "system folder (/usr)"),
        ("/System/Volumes/Data", "/Users/me", "system folder (/System)"),
        ("/Library/Application Support", "/Users/me", "system folder (/Library)"),
        ("/Users", "/Users/me", "holds your home folder"),
        ("/Volumes", "/Users/me", "system folder"),
        ("/private/etc/x", "/Users/me", "system folder (/private/etc)"),
    ],
)
def test_system_folders_on_posix(folder: str, home: str, refused: str | None) -> None:
    reason = paths.unsafe_vault(PurePosixPath(folder), PurePosixPath(home), windows=False)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in render.unsafe_vault(reason)


@pytest.mark.parametrize(
    ("folder", "refused"),
    [
        ("C:\\", "root of a file system"),
        ("D:\\", "root of a file system"),
        ("C:\\Windows", "system folder"),
        ("c:\\windows\\System32", "system folder"),
        ("C:\\Program Files\\Notes", "system folder"),
        ("C:\\Program Files (x86)", "system folder"),
        ("C:\\ProgramData\\x", "system folder"),
        ("C:\\Users", "holds your home folder"),
        ("C:\\Users\\me", "your home folder"),
        ("C:\\Users\\me\\Documents\\Notes", None),
        ("D:\\Notes", None),
    ],
)
def test_system_folders_on_windows(folder: str, refused: str | None) -> None:
    home = PureWindowsPath("C:\\Users\\me")
    reason = paths.unsafe_vault(PureWindowsPath(folder), home, windows=True)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in render.unsafe_vault(reason)


def test_control_characters_in_a_vault_path_are_refused(tmp_path: Path) -> None:
    odd = obsidian_vault(tmp_path / "a\nb")  # exists: still refused
    config = write(tmp_path, f"vaults:\n  - path: {str(odd)!r}\n".replace("'", '"'))
    [problem] = problems(config)
    assert "U+000A (a line break)" in problem and "'vaults[0].path'" in problem
    config = write(tmp_path, 'vaults:\n  - path: "notes\\tx"\n')
    [problem] = problems(config)
    assert "U+0009" in problem


@pytest.mark.parametrize("given", ["/", "HOME", "NEWLINE", "/proc/self"])
def test_the_vault_option_gets_the_same_refusal(tmp_path: Path, given: str) -> None:
    home = obsidian_vault(tmp_path / "home")
    odd = obsidian_vault(tmp_path / "a\nb")
    vault = {"HOME": str(home), "NEWLINE": str(odd)}.get(given, given)
    config = write(tmp_path, "vaults: []\n")
    for command in (["check"], ["resync"]):
        done = run_cli(
            *command,
            "--vault",
            vault,
            "--kind",
            "obsidian",
            "--config",
            str(config),
            env={"HOME": str(home)},
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "pages scanned" not in done.stdout  # refused before any walk
        assert "not a notes folder" in done.stderr or "control character" in done.stderr


def test_a_set_but_empty_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTES", "")
    obsidian_vault(tmp_path / "v")
    for text in ("path: $NOTES/", "path: $NOTES", "path: ${NOTES}/v"):
        config = write(tmp_path, f"vaults:\n  - {text}\n    kind: obsidian\n")
        [problem] = problems(config)
        assert "$NOTES is set but empty" in problem and "'vaults[0].path'" in problem
    config = write(tmp_path, "state_dir: $NOTES/state\n")
    [problem] = problems(config)
    assert "$NOTES is set but empty" in problem and "'state_dir'" in problem


# ---------------------------------------------------------------------------------------------
# The state folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_shared_state_folder_keeps_its_mode_under_the_daemon(tmp_path: Path) -> None:
    """`vaultsync run` with a state folder of mode 1777: the folder keeps its mode (sticky bit
    included), the daemon keeps its state in a private subfolder."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    vault = obsidian_vault(tmp_path / "vault")
    config = write(tmp_path, f"vaults:\n  - path: {vault}\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "run", "--config", str(config)],
        env={**os.environ, "VAULTSYNC_STATE_DIR": str(shared)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        own = shared / "vaultsync"
        started = [own / "daemon.pid", shared / "daemon.pid"]  # the latter: before the fix
        wait_for(lambda: any(p.exists() for p in started) or proc.poll() is not None, "the daemon")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=WAIT)
    assert stat.S_IMODE(shared.lstat().st_mode) == 0o1777
    assert mode(own) == 0o700
    assert not (shared / "daemon.pid").exists()


def test_a_private_state_folder_is_used_as_it_is(tmp_path: Path) -> None:
    """Every state folder an earlier vaultsync used is private (it made it so): nothing moves.
    Nor does anything in a folder of the user's own that others may read but not write."""
    state = tmp_path / "state"
    (state / "history").mkdir(parents=True)
    state.chmod(0o700)
    assert paths.state_folder(state) == state
    assert paths.state_folder(tmp_path / "new") == tmp_path / "new"  # created private later
    state.chmod(0o755)  # others may read it, not write it: used as it is, never chmodded
    assert paths.state_folder(state) == state
    assert mode(state) == 0o755


def test_an_earlier_state_in_a_shared_folder_moves_into_the_private_subfolder(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared"
    (shared / "cache").mkdir(parents=True)
    (shared / "cache" / "abc.sqlite").write_bytes(b"cache")
    (shared / "history" / "p1").mkdir(parents=True)
    (shared / "history" / "p1" / "1.md").write_bytes(b"before")
    (shared / "status.json").write_text("{}")
    (shared / "other-program.txt").write_text("not ours")
    shared.chmod(0o777)

    own = paths.state_folder(shared)
    assert own == shared / "vaultsync" and mode(own) == 0o700
    assert (own / "cache" / "abc.sqlite").read_bytes() == b"cache"
    assert (own / "history" / "p1" / "1.md").read_bytes() == b"before"
    assert (own / "status.json").exists()
    assert (shared / "other-program.txt").exists() and mode(shared) == 0o777
    assert paths.state_folder(shared) == own  # and from then on, the same folder


def test_no_move_while_an_earlier_daemon_runs_there(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "history").mkdir(parents=True)
    shared.chmod(0o775)  # its group may write it
    fd = os.open(shared / "daemon.pid", os.O_RDWR | os.O_CREAT, 0o600)
    os.write(fd, b"4321\n")
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(VaultsyncError, match="pid 4321.*stop it"):
            paths.state_folder(shared)
    finally:
        os.close(fd)
    assert (shared / "history").is_dir() and not (shared / "vaultsync").exists()


def test_a_subfolder_someone_else_made_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "vaultsync").mkdir(parents=True)
    shared.chmod(0o1777)
    (shared / "vaultsync").chmod(0o777)  # planted by another user
    with pytest.raises(VaultsyncError, match="not a folder of your own"):
        paths.state_folder(shared)
    assert mode(shared / "vaultsync") == 0o777


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs chown")
def test_a_state_folder_of_another_user_is_not_taken_over(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 4242, 4242)
    assert paths.state_folder(theirs) == theirs / "vaultsync"


def test_config_state_dir_goes_the_same_way(tmp_path: Path) -> None:
    from vaultsync.settings import state_dir

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    config = parse_config(f"state_dir: {shared}\n".encode(), tmp_path / "c.yaml")
    assert state_dir(config) == shared / "vaultsync"
    assert config.resolved_state_dir() == shared / "vaultsync"


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o1777)
    writer.ensure_private_dir(loose)
    assert stat.S_IMODE(loose.lstat().st_mode) == 0o1777


# ---------------------------------------------------------------------------------------------
# The systemd unit and the launchd agent


def systemd_words(value: str) -> list[str]:
    """A unit setting's value split into words by systemd's rules (systemd.syntax(7)):
    blanks separate words, double and single quotes group, a backslash escapes (C escapes)."""
    escapes = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    words: list[str] = []
    word: list[str] | None = None
    quote: str | None = None
    chars = iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars, None)
            assert nxt is not None, f"a lone backslash ends {value!r}"
            word = (word or []) + [escapes.get(nxt, nxt)]
        elif quote is not None:
            if char == quote:
                quote = None
            else:
                word = (word or []) + [char]
        elif char in " \t":
            if word is not None:
                words.append("".join(word))
                word = None
        elif char in "'\"":
            quote, word = char, word or []
        else:
            word = (word or []) + [char]
    assert quote is None, f"an unclosed quote in {value!r}"
    if word is not None:
        words.append("".join(word))
    return words


def unescape_specifiers(word: str, exec_line: bool) -> str:
    """systemd's second step: '%x' specifiers, and in Exec lines '$VAR' variables."""
    out, i = [], 0
    while i < len(word):
        pair = word[i : i + 2]
        if pair == "%%" or (exec_line and pair == "$$"):
            out.append(pair[0])
            i += 2
            continue
        assert word[i] != "%", f"a specifier systemd would expand in {word!r}"
        assert not (exec_line and word[i] == "$"), f"a variable systemd would expand in {word!r}"
        out.append(word[i])
        i += 1
    return "".join(out)


def read_unit(text: str) -> dict[str, list[str]]:
    """Each line of the unit: key -> value, a line break ending every setting."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


HOSTILE = [
    "My Graph 100%",
    'Vault "B" 5$',
    "$HOME and ${HOME}",
    "%h %i %%",
    "back\\slash\\n not a newline",
    "ends with a backslash\\",
    "semi;colon ; alone",
    "it's 'quoted'",
    "  leading and trailing  ",
    "Ünïcødé 📚",
    "=equals=",
]


def test_hostile_paths_read_back_exactly_from_the_unit(tmp_path: Path) -> None:
    vaults = [tmp_path / name for name in HOSTILE]
    config = tmp_path / "conf $dir %n" / 'c "x".yaml'
    state = tmp_path / "state %t $S"
    unit = service.systemd_unit(config, vaults, state)
    settings = read_unit(unit)
    [exec_start] = settings["ExecStart"]
    command = [unescape_specifiers(w, True) for w in systemd_words(exec_start)]
    assert command[-3:] == ["run", "--config", str(config)]
    [writable] = settings["ReadWritePaths"]
    got = [unescape_specifiers(w, False) for w in systemd_words(writable)]
    assert got == [*(f"-{p}" for p in vaults), str(state)]  # "-": a missing vault is skipped
    [env] = settings["Environment"]
    assert [unescape_specifiers(w, False) for w in systemd_words(env)] == [
        f"VAULTSYNC_STATE_DIR={state}"
    ]
    verify_with_systemd(tmp_path, unit)


def verify_with_systemd(tmp_path: Path, unit: str) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return
    path = tmp_path / "units" / "vaultsync.service"
    path.parent.mkdir(exist_ok=True)
    path.write_text(unit, encoding="utf-8")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    done = subprocess.run(
        [tool, "--user", "verify", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
    )
    if "Failed to initialize manager" in done.stderr:
        return
    complaints = [line for line in done.stderr.splitlines() if str(path) in line]
    assert complaints == [], done.stderr


@pytest.mark.parametrize("bad", ["\n", "\r", "\x00", "\x1b", "\x7f", "\udcff"])
def test_what_cannot_be_quoted_is_refused(tmp_path: Path, bad: str) -> None:
    injected = tmp_path / f"notes{bad}ExecStartPre=/bin/sh -c evil"
    for vaults, state, config in (
        ([injected], tmp_path / "s", tmp_path / "c.yaml"),
        ([], injected, tmp_path / "c.yaml"),
        ([], tmp_path / "s", injected),
    ):
        with pytest.raises(UsageError, match="unit file"):
            service.systemd_unit(config, vaults, state)


def test_private_tmp_only_when_no_path_is_in_tmp() -> None:
    def unit(config: str, vault: str, state: str) -> str:
        return service.systemd_unit(Path(config), [Path(vault)], Path(state))

    assert "PrivateTmp=yes" in unit("/srv/c.yaml", "/srv/notes", "/srv/state")
    assert "PrivateTmp" not in unit("/tmp/c.yaml", "/srv/notes", "/srv/state")  # the config
    assert "PrivateTmp" not in unit("/srv/c.yaml", "/var/tmp/notes", "/srv/state")
    assert "PrivateTmp" not in unit("/srv/c.yaml", "/srv/notes", "/tmp/state")


def test_the_unit_says_what_works_in_a_user_unit() -> None:
    unit = service.systemd_unit(Path("/srv/c.yaml"), [Path("/srv/n")], Path("/srv/s"))
    settings = read_unit(unit)
    assert "IPAddressDeny" not in settings  # a user manager skips it: it would only mislead
    assert settings["RestrictAddressFamilies"] == ["AF_UNIX"]
    assert "user namespaces" in unit and "253" in unit
    namespace_part = unit[unit.index("user namespaces") :]
    for key in ("ProtectSystem", "ProtectHome", "ReadWritePaths", "PrivateTmp"):
        assert f"\n{key}=" in namespace_part  # listed under the comment that says so


def test_launchd_values_are_escaped_and_control_characters_refused(tmp_path: Path) -> None:
    config = tmp_path / "a & b <c> ]]> 'd' \"e\"" / "config.yaml"
    state = tmp_path / "state </string><key>x</key>"
    agent = plistlib.loads(service.launchd_plist(config, state, state / "log").encode())
    assert agent["ProgramArguments"][-1] == str(config)
    assert agent["EnvironmentVariables"] == {"VAULTSYNC_STATE_DIR": str(state)}
    with pytest.raises(UsageError, match="control character"):
        service.launchd_plist(tmp_path / "a\nb", state, state / "log")


# ---------------------------------------------------------------------------------------------
# A config file others may change


def validate(config: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("config", "validate", str(config))


def test_a_config_everyone_may_write_warns_but_works(tmp_path: Path) -> None:
    config = write(tmp_path, "vaults: []\n")
    config.chmod(0o666)
    done = validate(config)
    assert done.returncode == 0 and "valid" in done.stdout
    assert "warning" in done.stderr and "may be changed by everyone (mode 666)" in done.stderr
    assert f"chmod go-w {config}" in done.stderr
    config.chmod(0o620)
    assert "may be changed by its group" in validate(config).stderr
    config.chmod(0o600)
    assert validate(config).stderr == ""


def test_a_linked_config_is_named_as_a_link(tmp_path: Path) -> None:
    target = write(tmp_path, "vaults: []\n", name="real.yaml")
    target.chmod(0o666)
    link = tmp_path / "config.yaml"
    link.symlink_to(target)
    done = validate(link)
    assert done.returncode == 0
    assert f"config {link} is a link to {target}, which may be changed by everyone" in done.stderr


def test_a_config_in_a_folder_others_may_write_warns(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    config = write(folder, "vaults: []\n")
    config.chmod(0o600)
    folder.chmod(0o777)
    assert "in a folder others may write" in validate(config).stderr
    folder.chmod(0o1777)  # sticky: others cannot replace the file
    assert validate(config).stderr == ""


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs chown")
def test_a_config_owned_by_another_user_warns(tmp_path: Path) -> None:
    config = write(tmp_path, "vaults: []\n")
    config.chmod(0o644)
    os.chown(config, 4242, 4242)
    # Run as root here, so the owner counts as another user only when it is not root.
    done = validate(config)
    assert "owned by another user (uid 4242)" in done.stderr


# ---------------------------------------------------------------------------------------------
# Validation stays linear in the file's size


def calls(action: Callable[[], object]) -> int:
    """How many Python and C functions `action` calls: a measure of work that a loaded machine
    does not blur (a loop in Python code calls isinstance, str, get ... each time round)."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def refused(text: str, where: Path) -> Callable[[], None]:
    def run() -> None:
        with pytest.raises(ConfigError):
            parse_config(text.encode(), where)

    return run


def test_many_problems_are_reported_in_linear_time(tmp_path: Path) -> None:
    """10 times the unknown keys is about 10 times the work (it was 36 times, and growing:
    each problem's line was looked up by scanning its mapping; 20,000 keys took 42 s)."""

    def bad_keys(n: int) -> str:
        return "rules:\n" + "".join(f"  unknown_{i}: true\n" for i in range(n))

    small = calls(refused(bad_keys(500), tmp_path / "c.yaml"))
    large = calls(refused(bad_keys(5_000), tmp_path / "c.yaml"))
    assert large / small < 15, f"500 keys: {small} calls, 5,000 keys: {large}"


def test_a_large_valid_file_is_read_in_linear_time(tmp_path: Path) -> None:
    vault = obsidian_vault(tmp_path / "v")

    def big(n: int) -> Callable[[], object]:
        lines = [f"vaults:\n  - path: {vault}\n    exclude:\n"]
        lines += [f"      - 'x{i}/**'\n" for i in range(n)]
        lines += ["authors:\n  aliases:\n"] + [f"    'n{i}': 'N {i}'\n" for i in range(n)]
        text = "".join(lines).encode()
        return lambda: parse_config(text, tmp_path / "c.yaml")

    small, large = calls(big(500)), calls(big(5_000))
    assert large / small < 15, f"500 entries: {small} calls, 5,000: {large}"


# ---------------------------------------------------------------------------------------------
# No dead ends (issue 15, item 5)


def test_overlapping_vaults_are_a_config_error_naming_both(tmp_path: Path) -> None:
    outer = obsidian_vault(tmp_path / "nest")
    inner = obsidian_vault(outer / "Inner")
    for first, second in ((outer, inner), (inner, outer)):
        config = write(tmp_path, f"vaults:\n  - path: {first}\n  - path: {second}\n")
        [problem] = problems(config)
        assert problem.startswith("line 3, 'vaults[1].path': ")
        assert f"{inner} (vaults[" in problem and f"inside {outer} (vaults[" in problem
        assert "may not overlap" in problem


def test_the_same_folder_twice_is_named(tmp_path: Path) -> None:
    vault = obsidian_vault(tmp_path / "v")
    (tmp_path / "link").symlink_to(vault)
    config = write(tmp_path, f"vaults:\n  - path: {vault}\n  - path: link\n    name: other\n")
    [problem] = problems(config)
    assert f"the folder {vault} is already used by vaults[0]" in problem


def test_many_vaults_are_checked_for_overlap_in_linear_time(tmp_path: Path) -> None:
    def config(n: int) -> Callable[[], object]:
        for i in range(n):
            (tmp_path / "vs" / f"v{i}" / ".obsidian").mkdir(parents=True, exist_ok=True)
        text = "vaults:\n" + "".join(f"  - path: {tmp_path / 'vs' / f'v{i}'}\n" for i in range(n))
        return lambda: parse_config(text.encode(), tmp_path / "c.yaml")

    small, large = calls(config(100)), calls(config(1_000))
    assert large / small < 15, f"100 vaults: {small} calls, 1,000: {large}"


@pytest.mark.parametrize("kind", ["Logseq", "LOGSEQ", " logseq "])
def test_kind_is_case_insensitive(tmp_path: Path, kind: str) -> None:
    graph = tmp_path / "g"
    (graph / "logseq").mkdir(parents=True)
    config = write(tmp_path, f"vaults:\n  - path: {graph}\n    kind: '{kind}'\n")
    assert load_config(config).config.vaults[0].kind == "logseq"


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        (
            'authors:\n  aliases:\n    @david_perell on Twitter: "David Perell"\n',
            'put the text in quotes, as in: "@david_perell on Twitter": "David Perell"',
        ),
        ("authors:\n  aliases:\n    x: @david\n", 'as in: x: "@david"'),
        ("vaults:\n  - path: v\n    include: **/*.md\n", 'as in: include: ["**/*.md"]'),
        ("authors:\n  folder: Books: Readwise\n", 'as in: folder: "Books: Readwise"'),
        (
            "vaults:\n  - path: v\n   kind: logseq\n",
            "line 3 should start in column 5: '    kind: logseq'",
        ),
        (
            "vaults:\n  - path: v\n      kind: logseq\n",
            "line 3 should start in column 5: '    kind: logseq'",
        ),
        (
            "rules:\n  dedupe: true\n order: false\n",
            "line 3 should start in column 3: '  order: false'",
        ),
    ],
)
def test_yaml_mistakes_come_with_the_fix(tmp_path: Path, text: str, advice: str) -> None:
    [problem] = problems(write(tmp_path, text))
    assert problem.startswith("line 3: invalid YAML: ") or problem.startswith("line 2: ")
    assert advice in problem


def test_a_list_given_as_text_shows_the_list(tmp_path: Path) -> None:
    vault = obsidian_vault(tmp_path / "v")
    config = write(tmp_path, f"vaults:\n  - path: {vault}\n    include: Readwise/**/*.md\n")
    [problem] = problems(config)
    assert problem == (
        "line 3, 'vaults[0].include': should be a list (got 'Readwise/**/*.md'); "
        'write it as a list: include: ["Readwise/**/*.md"]'
    )
