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
    from vaultsync.sync import PassOptions, PassReport
    from vaultsync.vault import Vault

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def report_error(err: BaseException) -> int:
    """Print an error the user can act on (or a short bug notice) and return the exit code."""
    if isinstance(err, VaultsyncError):
        print(f"vaultsync: {err}", file=sys.stderr)
        return err.exit_code
    if isinstance(err, KeyboardInterrupt):
        print("vaultsync: interrupted", file=sys.stderr)
        return 130
    print(
        f"vaultsync: internal error: {type(err).__name__}: {err}\n"
        "This is a bug in vaultsync, not something you did. Nothing was written for the page in "
        "hand. Run again with VAULTSYNC_DEBUG=1 for details, and please report it.",
        file=sys.stderr,
    )
    return EXIT_FAILED


# ----------------------------------------------------------------------------- selection helpers


def _load(args: argparse.Namespace):
    from vaultsync.config import load_config

    return load_config(Path(args.config) if args.config else None)


def _vaults(args: argparse.Namespace) -> tuple[object, list[Vault]]:
    from vaultsync.vault import select_vaults

    loaded = _load(args)
    return loaded, select_vaults(loaded.config.vaults, args.vault or [], args.kind)


def _options(config, mode: str, want_diff: bool) -> PassOptions:
    from vaultsync.settings import options_from_config

    return options_from_config(config, mode, want_diff)


# ----------------------------------------------------------------------------------- passes


def _run_passes(vaults: list[Vault], options: PassOptions, quiet: bool = False) -> list[PassReport]:
    from vaultsync.sync import run_pass
    from vaultsync.writer import VaultGuard

    guard = VaultGuard([v.root for v in vaults])
    reports = []
    for vault in vaults:
        with _vault_lock(vault, options), _progress(vault, quiet) as tick:
            reports.append(run_pass(vault, options, guard, progress=tick))
    return reports


def _vault_lock(vault: Vault, options: PassOptions):
    """Writing passes take the vault's lock, so a resync and the daemon never write at once."""
    import contextlib

    if options.mode != "write":
        return contextlib.nullcontext()
    from vaultsync.locks import vault_lock
    from vaultsync.paths import default_state_dir

    def waiting() -> None:
        print(
            f"vaultsync: {vault.name}: waiting for another vaultsync pass on this vault "
            "(the daemon?) to finish…",
            file=sys.stderr,
        )

    return vault_lock(options.state_dir or default_state_dir(), vault.root, on_wait=waiting)


class _progress:
    """A rich progress line on an interactive terminal; nothing otherwise."""

    def __init__(self, vault: Vault, quiet: bool) -> None:
        self.vault = vault
        self.enabled = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
        self._progress = None

    def __enter__(self) -> Callable[[], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed} pages"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        task = self._progress.add_task(f"scanning {self.vault.name}")
        progress = self._progress
        return lambda: progress.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def print_summary(report: PassReport, out=None) -> None:
    """The end-of-pass summary: counts, then each skipped or failed page with its reason."""
    out = out or sys.stdout
    s = report.stats
    verb = {"write": "rewritten", "dry-run": "would be rewritten", "check": "would change"}
    label = "[dry run] " if report.mode == "dry-run" else ""
    kind = "Logseq graph" if report.vault.kind == "logseq" else "Obsidian vault"
    rows = [
        ("pages scanned", report.scanned),
        ("Readwise pages", report.readwise),
        (verb[report.mode], len(report.changed)),
        ("duplicates removed", s.duplicates_removed),
        ("highlights moved", s.highlights_moved),
        ("mojibake repaired", s.mojibake_repaired),
        ("sections folded", s.sections_folded),
        ("authors linked", s.authors_linked),
        (
            "author pages",
            f"{len(report.authors_created)} created, {len(report.authors_updated)} updated"
            + (f", {len(report.authors_merged)} merged" if report.authors_merged else ""),
        ),
        ("skipped", len(report.skipped)),
        ("failed", len(report.failed)),
    ]
    print(f"{label}{report.vault.name} ({kind} at {report.vault.root})", file=out)
    for name, value in rows:
        print(f"{label}  {name:<20} {value}", file=out)
    for path, reason in report.skipped:
        print(f"{label}  skipped {path}: {reason}", file=out)
    for path, reason in report.failed:
        print(f"{label}  FAILED  {path}: {reason}", file=out)
    for path, reason in report.left_alone:
        print(f"{label}  left    {path}: {reason}", file=out)


def cmd_resync(args: argparse.Namespace) -> int:
    loaded, vaults = _vaults(args)
    mode = "dry-run" if args.dry_run else "write"
    reports = _run_passes(vaults, _options(loaded.config, mode, args.diff), args.quiet)
    for report in reports:
        if args.diff:
            sys.stdout.write("".join(report.diffs))
        print_summary(report)
    return EXIT_FAILED if any(r.failed for r in reports) else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    loaded, vaults = _vaults(args)
    reports = _run_passes(vaults, _options(loaded.config, "check", args.diff), args.quiet)
    for report in reports:
        if args.diff:
            sys.stdout.write("".join(report.diffs))
        if not args.quiet or report.any_change or report.failed:
            print_summary(report)
    dirty = any(r.any_change or r.failed for r in reports)
    return EXIT_FAILED if dirty else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from vaultsync import demo

    return demo.run(once=args.once or not sys.stdout.isatty(), keep=args.keep)


def cmd_config_validate(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config

    path = Path(args.file) if args.file else None
    loaded = load_config(path)
    if path is None and not loaded.path.exists():
        print(f"no config file at {loaded.path} (run `vaultsync config init` to write one)")
        return EXIT_OK
    n = len(loaded.config.vaults)
    print(f"{loaded.path}: valid ({n} vault{'s' if n != 1 else ''})")
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


def _setup_logging(args: argparse.Namespace) -> None:
    import logging
    import logging.handlers

    level = logging.WARNING if args.quiet else logging.INFO
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        path = Path(args.log_file).expanduser()  # a unit file or launchd does not expand "~"
        try:
            # Reopened when logrotate (or the user) moves the file away.
            handlers.append(logging.handlers.WatchedFileHandler(path, encoding="utf-8"))
        except OSError as err:
            from vaultsync.errors import UsageError

            raise UsageError(
                f"--log-file {path}: cannot open it for appending: {err.strerror or err}; "
                "check that its folder exists and is writable"
            ) from None
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers, force=True
    )
    if args.verbose:
        # Our own details only: watchdog's debug output is several lines per file opened.
        for name in ("vaultsync",):
            logging.getLogger(name).setLevel(logging.DEBUG)


def cmd_run(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config
    from vaultsync.run import Settings, run_daemon
    from vaultsync.settings import options_from_config, state_dir
    from vaultsync.vault import select_vaults

    _setup_logging(args)
    loaded = load_config(Path(args.config) if args.config else None)

    def load():
        fresh = load_config(loaded.path)
        cfg = fresh.config
        vaults = select_vaults(cfg.vaults, [], None) if cfg.vaults else []
        settings = Settings(
            options=options_from_config(cfg),
            quiet_period=cfg.daemon.quiet_period,
            max_delay=cfg.daemon.max_delay,
            reconcile_interval=cfg.daemon.reconcile_interval,
        )
        return vaults, settings

    vaults, settings = load()
    if not vaults:
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
        print(f"vaultsync: warning: {err}", file=sys.stderr)
        return config


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from vaultsync.locks import running_pid
    from vaultsync.settings import state_dir

    state = state_dir(_state_config(args))
    pid = running_pid(state)
    if pid is None:
        print("daemon: not running")
    else:
        # -1: it holds the lock but has not written its pid yet (it is just starting).
        print(f"daemon: running (pid {pid if pid > 0 else 'not recorded yet'})")
    try:
        data = json.loads((state / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        print(f"no status recorded yet in {state}")
        return EXIT_OK
    for name, v in (data.get("vaults") or {}).items():
        print(f"  {name}: {v.get('root')} ({v.get('kind')}, {v.get('watching')})")
        print(f"    last pass: {v.get('last_pass') or 'never'}  {v.get('last_summary', '')}")
    errors = data.get("recent_errors") or []
    print(f"recent errors: {len(errors)}")
    for line in errors[:10]:
        print(f"  {line}")
    return EXIT_OK


def _history(args: argparse.Namespace, cfg=None):
    from vaultsync.history import History
    from vaultsync.settings import state_dir

    cfg = cfg if cfg is not None else _state_config(args)
    return History(
        state_dir(cfg) / "history",
        keep_versions=cfg.history.keep_versions,
        max_total_bytes=int(cfg.history.max_total_mb * 2**20),
    )


def cmd_history(args: argparse.Namespace) -> int:
    history = _history(args)
    path = Path(args.path).resolve()
    versions = history.versions(path)
    if not versions:
        from vaultsync.errors import NoHistory

        raise NoHistory(path)
    print(f"{path}: {len(versions)} earlier version(s), newest first")
    for v in versions:
        print(f"  {v.number:>3}  {v.saved_at:%Y-%m-%d %H:%M:%S} UTC  {v.size:>8} bytes")
    print("restore one with: vaultsync undo PATH --version N")
    return EXIT_OK


def _vault_root_of(path: Path, configured) -> Path:
    for v in configured:
        root = Path(v.path).expanduser().resolve()
        if path.is_relative_to(root):
            return root
    for parent in path.parents:
        if (parent / "logseq" / "config.edn").is_file() or (parent / ".obsidian").is_dir():
            return parent
    from vaultsync.errors import UsageError

    raise UsageError(f"{path} is not inside a configured vault, Logseq graph or Obsidian vault")


def cmd_undo(args: argparse.Namespace) -> int:
    import hashlib

    from vaultsync.errors import PageVanished
    from vaultsync.locks import vault_lock
    from vaultsync.settings import state_dir
    from vaultsync.writer import VaultGuard, read_page, write_atomic

    cfg = _state_config(args)
    history = _history(args, cfg)
    path = Path(args.path).resolve()
    data = history.load(path, args.version)
    root = _vault_root_of(path, cfg.vaults)
    if args.dry_run:
        print(f"[dry run] would restore version {args.version} of {path} ({len(data)} bytes)")
        return EXIT_OK
    # Under the vault's lock, like any writing pass, so a running daemon does not clean the
    # page between the restore and its mark; and marked first, for the same reason.
    with vault_lock(state_dir(cfg), root):
        try:
            snap = read_page(path)
        except PageVanished:
            snap = None
        history.mark_restored(path, data)
        if snap is not None and snap.data != data:
            history.save(path, snap.data)  # the undo itself can be undone
        if snap is None or snap.data != data:
            write_atomic(VaultGuard([root]), snap, path, data)
    digest = hashlib.sha256(data).hexdigest()[:12]
    print(
        f"restored version {args.version} of {path} (sha256 {digest}…); vaultsync leaves it "
        "as it is until the page changes again"
    )
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
    path, then = service.install(
        loaded.path.resolve(), roots, state_dir(loaded.config), force=args.force
    )
    print(f"wrote {path}\nstart it with:\n  {then}")
    return EXIT_OK


def cmd_authors(args: argparse.Namespace) -> int:
    """List each author: canonical page, other names, sources; flag likely duplicates."""
    from vaultsync.authorsync import _page_key, likely_duplicates
    from vaultsync.sync import VaultSession

    loaded, vaults = _vaults(args)
    options = _options(loaded.config, "check", False)
    for vault in vaults:
        session = VaultSession(vault, options)
        session.full_pass()
        authors = sorted(session.plan.authors.values(), key=lambda a: a.name.casefold())
        print(f"{vault.name}: {len(authors)} author{'s' if len(authors) != 1 else ''}")
        for author in authors:
            key = _page_key(vault, author.name)
            page = session.index.names.get(key) if key else None
            # A dry pass names the pages it would create: only a file on disk is a page.
            exists = page is not None and page.exists()
            where = page.relative_to(vault.root).as_posix() if exists else "(no page yet)"
            n = len(author.sources)
            print(f"  {author.name}  —  {n} source{'s' if n != 1 else ''}, page: {where}")
            if author.aliases:
                print(f"    also named: {', '.join(sorted(author.aliases, key=str.casefold))}")
            if author.handles:
                print(f"    handle: {', '.join('@' + h for h in sorted(author.handles))}")
        pairs = likely_duplicates(authors)
        if pairs:
            print("  likely the same person (map one to the other under authors.aliases):")
            for a, b in pairs:
                print(f"    {a!r} ~ {b!r}")
    return EXIT_OK


# ----------------------------------------------------------------------------------- parser


def _selection(p: argparse.ArgumentParser) -> None:
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
    p.add_argument("--diff", action="store_true", help="show a unified diff of every change")
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar; check: print only vaults with changes",
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

    p = sub.add_parser("resync", help="one pass over the vaults: clean every Readwise page now")
    _selection(p)
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would change; write nothing (history included)",
    )
    p.set_defaults(func=cmd_resync)

    p = sub.add_parser("check", help="exit 1 when any page would change, 0 when all are clean")
    _selection(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("demo", help="clean a copy of the bundled sample vaults and show the diff")
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

    p = sub.add_parser("run", help="watch the configured vaults and keep them clean (the daemon)")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every event and pass")
    p.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    p.add_argument("--log-file", metavar="FILE", help="also append the log to FILE")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("status", help="is the daemon running; vaults watched, last passes, errors")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("history", help="list the earlier versions kept of a page")
    p.add_argument("path", help="the page")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("undo", help="restore an earlier version of a page")
    p.add_argument("path", help="the page")
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

    p = sub.add_parser("service", help="install or remove the background service (systemd/launchd)")
    p.add_argument("action", choices=["install", "uninstall"])
    p.add_argument("--force", action="store_true", help="overwrite an existing unit")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_service)

    p = sub.add_parser("authors", help="list authors, their pages, other names and sources")
    _selection(p)
    p.set_defaults(func=cmd_authors)

    p = sub.add_parser("config", help="validate, explain or create the config file")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    c = csub.add_parser("validate", help="check a config file; says what is wrong and where")
    c.add_argument("file", nargs="?", help="default: the usual config location")
    c.set_defaults(func=cmd_config_validate)
    c = csub.add_parser("schema", help="print the config's JSON Schema (for editor completion)")
    c.set_defaults(func=cmd_config_schema)
    c = csub.add_parser("init", help="write a commented config (never overwrites without --force)")
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
        return int(args.func(args))
    except BaseException as err:  # the one place errors become messages
        if isinstance(err, SystemExit):
            raise
        if os.environ.get("VAULTSYNC_DEBUG") and not isinstance(err, VaultsyncError):
            raise
        return report_error(err)
