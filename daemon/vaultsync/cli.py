"""The `vaultsync` command: argument parsing, then one call into the library per subcommand.

Heavy modules are imported inside the commands so that `vaultsync --help` starts fast. Every
error a user can cause is a VaultsyncError; `report_error` is the one place that prints them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync import __version__
from vaultsync.errors import VaultsyncError

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassOptions, PassReport
    from vaultsync.vault import Vault

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def report_error(err: BaseException) -> int:
    """Print an error the user can act on (or a short bug notice) and return the exit code:
    the one place an error becomes a CLI message (its words: render.cli_error)."""
    from vaultsync.logs import print_error
    from vaultsync.render import cli_error

    print_error(cli_error(err))
    if isinstance(err, VaultsyncError):
        return err.exit_code
    if isinstance(err, KeyboardInterrupt):
        return 130
    return EXIT_FAILED


# ----------------------------------------------------------------------------- selection helpers


def _load(args: argparse.Namespace):
    from vaultsync.config import load_config

    return load_config(Path(args.config) if args.config else None)


def _vaults(args: argparse.Namespace, remember: bool | None = None) -> tuple[object, list[Vault]]:
    """The config and the vaults a command works on. `remember` (the pass commands): use the
    validated config the last `resync` kept when it still holds (no pydantic, no YAML), and
    when True keep this one for the next command."""
    from vaultsync.vault import select_vaults

    if remember is None:
        loaded = _load(args)
    else:
        from vaultsync import configcache

        loaded = configcache.load(Path(args.config) if args.config else None, remember)
    return loaded, select_vaults(loaded.config.vaults, args.vault or [], args.kind, warn=_warn)


def _warn(message: str) -> None:
    """A warning on stderr: the command goes on (stdout stays the results, --json included)."""
    from vaultsync.render import warning

    print(warning(message), file=sys.stderr)


def _warn_unmatched(reports: list[PassReport]) -> None:
    """A vault whose include/exclude let no page through passes "successfully" with nothing
    done; say why (vault.filter_warning)."""
    from vaultsync.vault import filter_warning

    for report in reports:
        if report.scanned == 0:
            problem = filter_warning(report.vault)
            if problem:
                _warn(problem)


def _options(config, mode: str, want_diff: bool, verbose: bool = False) -> PassOptions:
    from vaultsync.settings import options_from_config

    options = options_from_config(config, mode, want_diff)
    options.list_pages = verbose  # -v: the walk notes what each page is
    return options


# ----------------------------------------------------------------------------------- passes


def _run_passes(vaults: list[Vault], options: PassOptions, quiet: bool = False) -> list[PassReport]:
    from vaultsync.pipeline.passes import run_passes

    def progress(vault: Vault) -> _progress:
        return _progress(vault, quiet)

    reports = run_passes(vaults, options, on_wait=_say_waiting, progress=progress)
    _warn_unmatched(reports)
    return reports


def _say_waiting(vault: Vault) -> None:
    """Why a writing pass waits: the vault's lock is held (by the daemon or another resync)."""
    print(
        f"vaultsync: {vault.name}: waiting for another vaultsync pass on this vault "
        "(the daemon?) to finish…",
        file=sys.stderr,
    )


class _progress:
    """A rich progress line on an interactive terminal; nothing otherwise.

    While the walk runs it counts the files; once the pass knows how many pages it will clean
    it shows "cleaning N/M pages" and an estimate of the time left (see _ProgressLine)."""

    def __init__(self, vault: Vault, quiet: bool) -> None:
        self.vault = vault
        self.enabled = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
        self._line: _ProgressLine | None = None

    def __enter__(self) -> Callable[..., None] | None:
        if not self.enabled:
            return None
        self._line = _ProgressLine(self.vault.name)
        return self._line

    def __exit__(self, *exc: object) -> None:
        if self._line is not None:
            self._line.stop()


class _ProgressLine:
    """The pass's progress callback, drawn with rich. Called with no argument per file walked,
    and with ("cleaning", done, total) in the clean phase.

    Drawn by hand, not by rich's timer thread: at each change of phase, at the first clean
    step that gives an estimate, then at most ten times a second. So what a person sees
    first (the total, then the estimate) does not depend on how fast the machine is."""

    REDRAW = 0.1  # seconds between redraws within a phase

    def __init__(self, name: str) -> None:
        import time

        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn

        from vaultsync.render import plural

        self._plural = plural
        self._clock = time.monotonic
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[count]}{task.fields[eta]}"),
            console=Console(stderr=True),
            transient=True,
            auto_refresh=False,
        )
        self._progress.start()
        self._name = name
        self._task = self._progress.add_task(f"scanning {name}", count="0 files", eta="")
        self._files = 0
        self._phase = "scanning"
        self._drawn = 0.0
        self._estimated = False

    def __call__(self, phase: str | None = None, done: int = 0, total: int = 0) -> None:
        if phase is None:
            self._files += 1
            self._update(self._plural(self._files, "file"), "", force=self._files == 1)
            return
        first = phase != self._phase
        if first:
            self._phase = phase
            self._progress.reset(self._task, total=total)
            self._progress.update(self._task, description=f"{phase} {self._name}")
        self._progress.update(self._task, completed=done)
        eta = self._eta()
        self._update(
            f"{done}/{total} pages", eta, force=first or (bool(eta) and not self._estimated)
        )
        self._estimated = self._estimated or bool(eta)

    def _eta(self) -> str:
        task = self._progress.tasks[0]
        left = task.time_remaining
        if left is None or task.completed < 2:
            return ""
        minutes, seconds = divmod(int(left + 0.5), 60)
        return f", about {minutes}:{seconds:02d} left"

    def _update(self, count: str, eta: str, force: bool) -> None:
        self._progress.update(self._task, count=count, eta=eta)
        now = self._clock()
        if force or now - self._drawn >= self.REDRAW:
            self._drawn = now
            self._progress.refresh()

    def stop(self) -> None:
        self._progress.stop()


def print_summary(report: PassReport, out=None, diffs: bool = False, verbose: bool = False) -> None:
    """The end-of-pass summary (render.summary), coloured diffs on a terminal only."""
    from vaultsync.render import summary, use_colour

    out = out or sys.stdout
    out.write(summary(report, diffs=diffs, verbose=verbose, colour=use_colour(out)))


def _quiet_and_clean(report: PassReport) -> bool:
    # A page held after undo is no news for -q: the user put it back on purpose.
    skipped = [path for path, _reason in report.skipped if path not in report.held]
    return not (report.any_change or report.failed or skipped)


def _print_json(command: str, reports: list[PassReport], code: int, verbose: bool) -> None:
    import json

    from vaultsync.render import passes_json

    data = passes_json(command, reports, code, verbose)
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_resync(args: argparse.Namespace) -> int:
    loaded, vaults = _vaults(args, remember=not args.dry_run)
    mode = "dry-run" if args.dry_run else "write"
    refused = _leased_elsewhere(vaults, loaded.config) if mode == "write" else set()
    vaults = [v for v in vaults if v.name not in refused]
    want_diff = args.diff and not args.json
    options = _options(loaded.config, mode, want_diff, args.verbose)
    reports = _run_passes(vaults, options, args.quiet or args.json)
    code = EXIT_FAILED if refused or any(r.failed for r in reports) else EXIT_OK
    if args.json:
        _print_json("resync", reports, code, args.verbose)
        return code
    for report in reports:
        if args.quiet and _quiet_and_clean(report):
            continue  # -q: a vault where nothing happened says nothing
        print_summary(report, diffs=args.diff, verbose=args.verbose)
    return code


def _leased_elsewhere(vaults: list[Vault], config) -> set[str]:
    """Vaults another machine's daemon cleans (lease.py): a resync here would conflict."""
    from vaultsync.lease import resync_refusal
    from vaultsync.render import refused_here
    from vaultsync.settings import state_dir

    refused = set()
    for vault in vaults:
        why = resync_refusal(vault.root, state_dir(config))
        if why:
            print(refused_here(vault.name, why), file=sys.stderr)
            refused.add(vault.name)
    return refused


def cmd_check(args: argparse.Namespace) -> int:
    loaded, vaults = _vaults(args, remember=False)
    want_diff = args.diff and not args.json
    options = _options(loaded.config, "check", want_diff, args.verbose)
    reports = _run_passes(vaults, options, args.quiet or args.json)
    dirty = any(r.any_change or r.failed for r in reports)
    code = EXIT_FAILED if dirty else EXIT_OK
    if args.json:
        _print_json("check", reports, code, args.verbose)
        return code
    for report in reports:
        if not args.quiet or report.any_change or report.failed:
            print_summary(report, diffs=args.diff, verbose=args.verbose)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from vaultsync import demo

    def show(report: PassReport) -> None:
        # The vault's header, then its diffs (coloured on a terminal), then the counts.
        print_summary(report, sys.stdout, diffs=True)

    return demo.run(once=args.once or not sys.stdout.isatty(), keep=args.keep, show=show)


def cmd_completion(args: argparse.Namespace) -> int:
    """A shell completion script, made from the parser itself by shtab (so it never drifts from
    the commands and options)."""
    import shtab

    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK


def cmd_config_validate(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config

    path = Path(args.file) if args.file else None
    loaded = load_config(path)
    if not loaded.path.exists():
        print(
            f"vaultsync: no config file at {loaded.path} (run `vaultsync config init` to write "
            "one)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from vaultsync.vault import MissingVault

    for v in loaded.config.vaults:
        if not Path(v.path).exists():
            _warn(str(MissingVault(v.name or Path(v.path).name, Path(v.path))))
    n = len(loaded.config.vaults)
    print(f"{loaded.path}: valid ({n} vault{'s' if n != 1 else ''})")
    return EXIT_OK


def explain_lines(model: object, prefix: str = "") -> list[str]:
    """Each key of a loaded config: its path, its current value and what it means (the
    description the schema gives), in the order the models declare them."""
    from pydantic import BaseModel

    lines: list[str] = []
    assert isinstance(model, BaseModel)
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        meaning = field.description or ""
        if isinstance(value, BaseModel):
            lines.append(f"{key}:  {meaning}")
            lines.extend(explain_lines(value, key + "."))
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            lines.append(f"{key}:  {meaning}")
            for i, item in enumerate(value):
                lines.extend(explain_lines(item, f"{key}[{i}]."))
        else:
            shown = "(none)" if value is None or value == [] or value == {} else repr(value)
            if isinstance(value, Path):
                shown = str(value)
            lines.append(f"{key} = {shown}")
            if meaning:
                lines.append(f"    {meaning}")
    return lines


def cmd_config_explain(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config

    loaded = load_config(Path(args.file) if args.file else None)
    where = loaded.path if loaded.path.exists() else f"{loaded.path} (absent: the defaults)"
    print(f"# {where}")
    for line in explain_lines(loaded.config):
        print(line)
    return EXIT_OK


def cmd_config_schema(args: argparse.Namespace) -> int:
    import json

    from vaultsync.config import config_schema

    print(json.dumps(config_schema(), indent=2))
    return EXIT_OK


def cmd_config_init(args: argparse.Namespace) -> int:
    from vaultsync.config import init_config

    path = init_config(Path(args.file) if args.file else None, force=args.force)
    print(f"wrote {path}; edit `vaults:` to name your graphs and vaults")
    return EXIT_OK


def _setup_logging(args: argparse.Namespace, state: Path | None) -> None:
    """The daemon's log: journald under systemd, the terminal, or stderr plus a rotating file in
    the state folder (see vaultsync.logs)."""
    import logging

    from vaultsync.logs import handlers_for

    level = logging.WARNING if args.quiet else logging.INFO
    # A unit file or launchd does not expand "~".
    log_file = Path(args.log_file).expanduser() if args.log_file else None
    handlers = handlers_for(log_file=log_file, state_dir=state)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    if args.verbose:
        # Our own details only: watchdog's debug output is several lines per file opened.
        logging.getLogger("vaultsync").setLevel(logging.DEBUG)


def cmd_run(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config
    from vaultsync.run import Settings, run_daemon
    from vaultsync.settings import options_from_config, state_dir
    from vaultsync.vault import select_vaults

    loaded = load_config(Path(args.config) if args.config else None)
    _setup_logging(args, state_dir(loaded.config))

    def load():
        import logging

        fresh = load_config(loaded.path)
        cfg = fresh.config
        # A vault whose folder is missing is waited for (Daemon._check_waiting), not an error.
        waiting: list = []
        warn = logging.getLogger("vaultsync").warning
        vaults = select_vaults(cfg.vaults, [], None, warn, waiting) if cfg.vaults else []
        settings = Settings(
            options=options_from_config(cfg),
            quiet_period=cfg.daemon.quiet_period,
            max_delay=cfg.daemon.max_delay,
            reconcile_interval=cfg.daemon.reconcile_interval,
            waiting=waiting,
        )
        return vaults, settings

    vaults, settings = load()
    if not vaults and not settings.waiting:
        import logging

        logging.getLogger("vaultsync").warning(
            "no vaults configured in %s; add some under `vaults:` and they are picked up "
            "without a restart",
            loaded.path,
        )
    return run_daemon(
        vaults,
        settings.options,
        state_dir=state_dir(loaded.config),
        config_path=loaded.path,
        load=load,
        settings=settings,
    )


def _state_config(args: argparse.Namespace):
    """The config, for commands that need only its state and history settings (status,
    history, undo). When the file does not validate as a whole (say a vault's folder is on a
    drive that is not plugged in), its `state_dir` and `history` keys are still used, and the
    problem is printed as a warning."""
    import yaml
    from pydantic import ValidationError

    from vaultsync.config import Config
    from vaultsync.errors import ConfigError

    try:
        return _load(args).config
    except ConfigError as err:
        if err.path is None:
            raise
        try:
            data = yaml.safe_load(err.path.read_bytes())
            if not isinstance(data, dict):
                raise err from None
            wanted = {k: data[k] for k in ("state_dir", "history") if k in data}
            config = Config.model_validate(
                wanted, context={"config_dir": err.path.absolute().parent}
            )
        except (OSError, yaml.YAMLError, ValidationError):
            raise err from None
        from vaultsync.render import warning

        print(warning(err), file=sys.stderr)
        return config


EXIT_NOT_RUNNING = 3  # `status` with no daemon, as `systemctl is-active` says "inactive"


STATUS_ACTIONS = 10  # the daemon's last actions `status` shows


def _status_data(args: argparse.Namespace) -> dict:
    """What `status` shows, as data: the daemon (from its lock), its log, the last status file."""
    import json

    from vaultsync.activity import recent
    from vaultsync.locks import running_pid
    from vaultsync.logs import log_file_path
    from vaultsync.settings import state_dir

    state = state_dir(_state_config(args))
    pid = running_pid(state)
    log = log_file_path(state)
    try:
        recorded = json.loads((state / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    return {
        "running": pid is not None,
        # -1: it holds the lock but has not written its pid yet (it is just starting).
        "pid": pid if pid is not None and pid > 0 else None,
        "state_dir": str(state),
        "log": str(log) if log.is_file() else None,
        "vaults": (recorded or {}).get("vaults") or {},
        "recent_errors": (recorded or {}).get("recent_errors") or [],
        "recorded": recorded is not None,
        # The daemon's last actions, newest first (the activity log, vaultsync.activity).
        "actions": recent(state, STATUS_ACTIONS)[::-1],
    }


def cmd_status(args: argparse.Namespace) -> int:
    data = _status_data(args)
    code = EXIT_OK if data["running"] else EXIT_NOT_RUNNING
    if args.json:
        import json

        from vaultsync.render import JSON_VERSION

        print(json.dumps({"version": JSON_VERSION, **data}, indent=2, ensure_ascii=False))
        return code
    from vaultsync.render import status_lines

    for line in status_lines(data):
        print(line)
    return code


def cmd_log(args: argparse.Namespace) -> int:
    """The daemon's activity log: the last N entries, then (with -f) each new one."""
    from vaultsync.activity import tail
    from vaultsync.render import describe_entry
    from vaultsync.settings import state_dir

    state = state_dir(_state_config(args))
    shown, following = tail(state, args.lines)
    for entry in shown:
        print(describe_entry(entry), flush=True)
    if not args.follow:
        if not shown:
            print(f"no activity recorded yet in {state}", file=sys.stderr)
        return EXIT_OK
    try:
        for entry in following:
            print(describe_entry(entry), flush=True)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def _signal_daemon(args: argparse.Namespace, signum: int, done: str) -> int:
    """Send the running daemon a signal (`stop`: SIGTERM, `reload`: SIGHUP)."""
    from vaultsync.locks import running_pid
    from vaultsync.render import daemon_state
    from vaultsync.settings import state_dir

    state = state_dir(_state_config(args))
    pid = running_pid(state)
    if pid is None:
        print(daemon_state("not running", state=state), file=sys.stderr)
        return EXIT_NOT_RUNNING
    if pid < 0:
        print(daemon_state("starting"), file=sys.stderr)
        return EXIT_FAILED
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        print(daemon_state("exited", pid=pid), file=sys.stderr)
        return EXIT_NOT_RUNNING
    except PermissionError:
        from vaultsync.errors import UsageError

        raise UsageError(
            f"the daemon (pid {pid}) belongs to another user; run this as that user"
        ) from None
    print(f"{done} (pid {pid})")
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    import signal

    return _signal_daemon(args, signal.SIGTERM, "asked the daemon to stop")


def cmd_reload(args: argparse.Namespace) -> int:
    import signal

    return _signal_daemon(args, signal.SIGHUP, "asked the daemon to reload its config")


def _history(args: argparse.Namespace, cfg=None):
    from vaultsync.history import History
    from vaultsync.settings import state_dir

    cfg = cfg if cfg is not None else _state_config(args)
    return History(
        state_dir(cfg) / "history",
        keep_versions=cfg.history.keep_versions,
        max_total_bytes=int(cfg.history.max_total_mb * 2**20),
    )


def _page_arg(history, typed: str) -> Path:
    """The page `typed` names: a path (absolute, or relative to here), or as a user names a
    page (see History.find). One match or an error that says what to type."""
    from vaultsync.errors import NoHistory, UsageError

    as_path = Path(typed).expanduser().resolve()
    if as_path.is_file() or history.versions(as_path) or history.restored_hash(as_path):
        return as_path
    found = history.find(typed)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NoHistory(as_path if os.sep in typed or typed.endswith(".md") else Path(typed))
    listed = "\n".join(f"  {p}" for p in found)
    raise UsageError(
        f"{typed!r} names {len(found)} pages with history; give one of their paths:\n{listed}"
    )


def cmd_history(args: argparse.Namespace) -> int:
    history = _history(args)
    if args.path is None:
        return _list_history(history)
    path = _page_arg(history, args.path)
    versions = history.versions(path)
    if not versions:
        from vaultsync.errors import NoHistory

        raise NoHistory(path)
    from vaultsync.render import history_lines

    for line in history_lines(path, versions, history.is_held(path)):
        print(line)
    return EXIT_OK


def _list_history(history) -> int:
    """`history` with no page: every page with history, its versions, the newest one's time,
    and whether it is held after undo."""
    from vaultsync.render import history_list

    entries = history.entries()
    held = {entry.path for entry in entries if history.is_held(entry.path)}
    for line in history_list(entries, held):
        print(line)
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    """Let pages held after undo be cleaned again."""
    from vaultsync.render import not_held, released

    history = _history(args)
    for typed in args.pages:
        path = _page_arg(history, typed)
        if history.release(path):
            print(released(path))
        else:
            # Not an error: releasing twice leaves the page as releasing once does.
            print(not_held(path), file=sys.stderr)
    return EXIT_OK


def _vault_root_of(path: Path, configured) -> Path:
    for v in configured:
        root = Path(v.path).expanduser().resolve()
        if path.is_relative_to(root):
            return root
    from vaultsync.vault import detect_kind

    for parent in path.parents:
        if detect_kind(parent).is_vault:
            return parent
    from vaultsync.errors import UsageError

    raise UsageError(f"{path} is not inside a configured vault, Logseq graph or Obsidian vault")


def cmd_undo(args: argparse.Namespace) -> int:
    from vaultsync.history import undo
    from vaultsync.settings import state_dir

    cfg = _state_config(args)
    history = _history(args, cfg)
    path = _page_arg(history, args.path)

    def vault_root() -> Path:
        return _vault_root_of(path, cfg.vaults)

    done = undo(history, path, args.version, vault_root, state_dir(cfg), dry_run=args.dry_run)
    from vaultsync.render import restored

    print(restored(done, path, dry_run=args.dry_run))
    return EXIT_OK


def cmd_service(args: argparse.Namespace) -> int:
    from vaultsync import service
    from vaultsync.settings import state_dir

    if args.action == "uninstall":
        path, advice = service.uninstall()
        print(f"removed {path}; {advice}" if path else "no vaultsync service was installed")
        return EXIT_OK
    loaded = _load(args)
    if not loaded.path.exists():
        from vaultsync.errors import UsageError

        raise UsageError(
            f"no config at {loaded.path}; run `vaultsync config init` and name your vaults first"
        )
    roots = [Path(v.path).expanduser().resolve() for v in loaded.config.vaults]
    if args.print:
        path, text, then = service.service_file(
            loaded.path.resolve(), roots, state_dir(loaded.config)
        )
        # The file's text alone on stdout (`> file` gives the unit); where it goes on stderr.
        print(f"# vaultsync service install would write {path}:", file=sys.stderr)
        sys.stdout.write(text)
        return EXIT_OK
    path, then = service.install(
        loaded.path.resolve(), roots, state_dir(loaded.config), force=args.force
    )
    print(f"wrote {path}\nstart it with:\n  {then}")
    return EXIT_OK


def _authors_data(vault: Vault, options: PassOptions) -> dict:
    """Each author of one vault as data: canonical page, other names, handles, sources."""
    from vaultsync.core.byline import likely_duplicates, page_key
    from vaultsync.pipeline.session import VaultSession

    session = VaultSession(vault, options)
    session.full_pass()
    authors = sorted(session.plan.authors.values(), key=lambda a: a.name.casefold())
    rows = []
    for author in authors:
        key = page_key(vault.kind, author.name)
        page = session.index.names.get(key) if key else None
        # A dry pass names the pages it would create: only a file on disk is a page.
        exists = page is not None and page.exists()
        rows.append(
            {
                "name": author.name,
                "page": page.relative_to(vault.root).as_posix() if exists else None,
                "aliases": sorted(author.aliases, key=str.casefold),
                "handles": sorted(author.handles),
                "sources": sorted({s.link for s in author.sources if s.link}),
            }
        )
    return {
        "vault": vault.name,
        "authors": rows,
        "likely_duplicates": [list(pair) for pair in likely_duplicates(authors)],
    }


def cmd_authors(args: argparse.Namespace) -> int:
    """List each author: canonical page, other names, sources; flag likely duplicates."""
    from vaultsync.render import authors_lines

    loaded, vaults = _vaults(args)
    options = _options(loaded.config, "check", False)
    found = [_authors_data(vault, options) for vault in vaults]
    if args.json:
        import json

        from vaultsync.render import JSON_VERSION

        print(json.dumps({"version": JSON_VERSION, "vaults": found}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for data in found:
        for line in authors_lines(data):
            print(line)
    return EXIT_OK


# ----------------------------------------------------------------------------------- parser


def _command(sub, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line help is also its `--help` description."""
    return sub.add_parser(name, help=text, description=text)


def _selection(p: argparse.ArgumentParser, *, passes: bool = True) -> None:
    p.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $VAULTSYNC_CONFIG or "
        "the user config folder, ~/.config/vaultsync/config.yaml on Linux)",
    )
    p.add_argument(
        "--vault",
        metavar="PATH_OR_NAME",
        action="append",
        help="work on this vault only: a configured name or path, or any folder "
        "(used with defaults); repeatable. Default: every configured vault",
    )
    p.add_argument(
        "--kind",
        choices=["logseq", "obsidian"],
        help="the vault's kind, when it cannot be detected",
    )
    if not passes:
        return
    p.add_argument("--diff", action="store_true", help="show a unified diff of every change")
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar, and nothing for a vault where nothing changed",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list each page left as it was, with why (not a Readwise page, nothing "
        "to change, …)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON (the shape is in docs/scripting.md)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaultsync",
        description="Keeps the Readwise pages in Logseq graphs and Obsidian vaults clean: each "
        "highlight once, in thread or location order, readable, linked to its author.",
        epilog="Exit codes: 0 done, 1 a page failed or `check` found changes, 2 usage or "
        "config error.",
    )
    parser.add_argument("--version", action="version", version=f"vaultsync {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _command(sub, "resync", "one pass over the vaults: clean every Readwise page now")
    _selection(p)
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would change; write nothing (history included)",
    )
    p.set_defaults(func=cmd_resync)

    p = _command(sub, "check", "exit 1 when any page would change, 0 when all are clean")
    _selection(p)
    p.set_defaults(func=cmd_check)

    p = _command(sub, "demo", "clean a copy of the bundled sample vaults and show the diff")
    p.add_argument(
        "--once",
        action="store_true",
        help="exit after the first pass (the default when output is not a terminal)",
    )
    p.add_argument(
        "--keep",
        metavar="DIR",
        help="copy the samples here instead of a temporary folder, and keep them",
    )
    p.set_defaults(func=cmd_demo)

    p = _command(sub, "run", "watch the configured vaults and keep them clean (the daemon)")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every event and pass")
    p.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    p.add_argument("--log-file", metavar="FILE", help="also append the log to FILE")
    p.set_defaults(func=cmd_run)

    p = _command(sub, "status", "is the daemon running; vaults watched, last passes, errors")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.add_argument("--json", action="store_true", help="print it as JSON (docs/scripting.md)")
    p.set_defaults(func=cmd_status)

    p = _command(sub, "log", "the daemon's activity: each page it cleaned or failed, and when")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.add_argument(
        "-n", "--lines", type=int, default=20, metavar="N", help="show the last N (default 20)"
    )
    p.add_argument(
        "-f", "--follow", action="store_true", help="then show each new entry as it comes"
    )
    p.set_defaults(func=cmd_log)

    p = _command(sub, "stop", "stop the running daemon (SIGTERM: it finishes the page in hand)")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_stop)

    p = _command(sub, "reload", "make the running daemon read its config again now (SIGHUP)")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_reload)

    p = _command(
        sub, "history", "list the pages with earlier versions kept, or one page's versions"
    )
    p.add_argument(
        "path",
        nargs="?",
        metavar="PAGE",
        help="a page: its name as you type it in the app (case ignored) or its path; "
        "none: every page with history",
    )
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_history)

    p = _command(sub, "undo", "restore an earlier version of a page")
    p.add_argument("path", metavar="PAGE", help="a page: its name or its path")
    p.add_argument(
        "--version",
        type=int,
        default=1,
        metavar="N",
        help="which version (1 = the newest; see `vaultsync history PATH`)",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would be restored")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_undo)

    p = _command(sub, "release", "let pages held after `undo` be cleaned again")
    p.add_argument("pages", nargs="+", metavar="PAGE", help="a page: its name or its path")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_release)

    p = _command(sub, "service", "install or remove the background service (systemd/launchd)")
    p.add_argument("action", choices=["install", "uninstall"])
    p.add_argument("--force", action="store_true", help="overwrite an existing unit")
    p.add_argument(
        "--print",
        action="store_true",
        help="install: print the unit (or launchd agent) instead of writing it",
    )
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_service)

    p = _command(sub, "authors", "list authors, their pages, other names and sources")
    _selection(p, passes=False)
    p.add_argument("--json", action="store_true", help="print it as JSON (docs/scripting.md)")
    p.set_defaults(func=cmd_authors)

    p = _command(sub, "completion", "print a shell completion script (bash, zsh or tcsh)")
    p.add_argument("shell", choices=["bash", "zsh", "tcsh"])
    p.set_defaults(func=cmd_completion)

    p = _command(sub, "config", "validate, explain or create the config file")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    c = _command(csub, "validate", "check a config file; says what is wrong and where")
    c.add_argument("file", nargs="?", help="default: the usual config location")
    c.set_defaults(func=cmd_config_validate)
    c = _command(csub, "explain", "print every setting: its current value and what it means")
    c.add_argument("file", nargs="?", help="default: the usual config location")
    c.set_defaults(func=cmd_config_explain)
    c = _command(csub, "schema", "print the config's JSON Schema (for editor completion)")
    c.set_defaults(func=cmd_config_schema)
    c = _command(csub, "init", "write a commented config (never overwrites without --force)")
    c.add_argument("file", nargs="?", help="default: the usual config location")
    c.add_argument("--force", action="store_true", help="overwrite an existing file")
    c.set_defaults(func=cmd_config_init)
    p.set_defaults(func=lambda a: (p.print_help(), EXIT_USAGE)[1])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except BaseException as err:  # the one place errors become messages
        if isinstance(err, SystemExit):
            raise
        if os.environ.get("VAULTSYNC_DEBUG") and not isinstance(err, VaultsyncError):
            raise
        return report_error(err)


def _reader_went_away() -> int:
    """`vaultsync status | head -3`: the reader closed the pipe; that is not an error. Python's
    last flush of stdout at exit would fail again, so stdout is pointed at /dev/null first."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return EXIT_OK
