"""The config layer: loading, problems with key and line, schema, example and docs in step."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from vaultsync import paths, writer
from vaultsync.config import (
    Config,
    LoadedConfig,
    VaultConfig,
    config_schema,
    example_config_text,
    init_config,
    load_config,
    parse_config,
)
from vaultsync.errors import ConfigError, ConfigProblem, UsageError, VaultsyncError
from vaultsync.vault import detect_kind

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config.example.yaml"
DOCS = REPO / "docs" / "configuration.md"


def write(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def obsidian_vault(folder: Path) -> Path:
    (folder / ".obsidian").mkdir(parents=True)
    return folder


def logseq_graph(folder: Path) -> Path:
    (folder / "logseq").mkdir(parents=True)
    (folder / "logseq" / "config.edn").write_text("{}\n")
    return folder


def problems_of(path: Path) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.path == path
    return caught.value.problems


def only_problem_of(load: Any) -> ConfigProblem:
    with pytest.raises(ConfigError) as caught:
        load()
    [problem] = caught.value.problems
    return problem


def only_problem(path: Path) -> ConfigProblem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------------------------------------
# Valid configs and defaults


def test_full_valid_config(tmp_path: Path) -> None:
    logseq = logseq_graph(tmp_path / "graphs" / "Work")
    obsidian = obsidian_vault(tmp_path / "Notes")
    path = write(
        tmp_path,
        f"""\
vaults:
  - name: Work graph
    path: {logseq}
    include: ["pages/*.md"]
    exclude: ["pages/Private*"]
  - path: {obsidian}
    kind: obsidian
    poll: true
rules:
  order: false
  repair_encoding: false
authors:
  folder: People/
  split_multiple: true
  aliases:
    "@david_perell on Twitter": David Perell
daemon:
  quiet_period: 1.5
  max_delay: 10
  reconcile_interval: 0
history:
  keep_versions: 0
  max_total_mb: 50
state_dir: {tmp_path / "state"}
""",
    )
    loaded = load_config(path)
    assert isinstance(loaded, LoadedConfig)
    assert loaded.path == path
    cfg = loaded.config
    work, notes = cfg.vaults
    assert (work.name, work.path, work.kind) == ("Work graph", logseq.resolve(), "logseq")
    assert work.include == ["pages/*.md"] and work.exclude == ["pages/Private*"]
    assert work.poll is False
    assert (notes.name, notes.path, notes.kind, notes.poll) == ("Notes", obsidian, "obsidian", True)
    assert notes.include == ["**/*.md"]
    assert cfg.rules.order is False and cfg.rules.repair_encoding is False
    assert cfg.rules.dedupe is True
    assert cfg.authors.folder == "People"
    assert cfg.authors.split_multiple is True
    assert cfg.authors.aliases == {"@david_perell on Twitter": "David Perell"}
    assert (cfg.daemon.quiet_period, cfg.daemon.max_delay) == (1.5, 10.0)
    assert cfg.daemon.reconcile_interval == 0
    assert (cfg.history.keep_versions, cfg.history.max_total_mb) == (0, 50.0)
    assert cfg.state_dir == tmp_path / "state"
    assert cfg.resolved_state_dir() == tmp_path / "state"


def test_defaults() -> None:
    cfg = Config()
    assert cfg.vaults == []
    rules = cfg.rules
    assert all(
        getattr(rules, name)
        for name in (
            "dedupe",
            "fold_sections",
            "remove_empty_sections",
            "order",
            "repair_encoding",
            "link_author",
            "author_pages",
        )
    )
    assert cfg.authors.folder == "Readwise/Authors"
    assert cfg.authors.split_multiple is False and cfg.authors.aliases == {}
    assert (cfg.daemon.quiet_period, cfg.daemon.max_delay) == (2.0, 30.0)
    assert cfg.daemon.reconcile_interval == 3600.0
    assert (cfg.history.keep_versions, cfg.history.max_total_mb) == (10, 200.0)
    assert cfg.state_dir is None
    # Defaults are copies, never shared between configs.
    assert Config().rules is not cfg.rules
    assert Config().authors.aliases is not cfg.authors.aliases


def test_vault_defaults(tmp_path: Path) -> None:
    vault = obsidian_vault(tmp_path / "My Notes")
    cfg = load_config(write(tmp_path, "vaults:\n  - path: My Notes\n")).config
    (only,) = cfg.vaults
    assert only.name == "My Notes"
    assert only.path == vault
    assert only.kind == "obsidian"
    assert only.include == ["**/*.md"] and only.exclude == [] and only.poll is False


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "null\n", "~\n"])
def test_empty_file_is_empty_config(tmp_path: Path, text: str) -> None:
    assert load_config(write(tmp_path, text)).config == Config()


def test_key_without_value_means_default(tmp_path: Path) -> None:
    text = "vaults:\nrules:\n  # dedupe: false\nauthors:\n  folder:\ndaemon:\nhistory:\n"
    assert load_config(write(tmp_path, text)).config == Config()


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\xef\xbb\xbfrules:\n  dedupe: false\n")
    assert load_config(path).config.rules.dedupe is False


def test_default_state_dir_when_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTSYNC_STATE_DIR", str(tmp_path / "default-state"))
    assert Config().resolved_state_dir() == tmp_path / "default-state"


# ---------------------------------------------------------------------------------------------
# Paths: ~, $VARS, relative


def test_tilde_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    vault = obsidian_vault(home / "Notes")
    monkeypatch.setenv("HOME", str(home))
    cfg = load_config(write(tmp_path, "vaults:\n  - path: ~/Notes\nstate_dir: ~/state\n")).config
    assert cfg.vaults[0].path == vault
    assert cfg.state_dir == home / "state"


def test_environment_variables_are_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = obsidian_vault(tmp_path / "sync" / "Notes")
    monkeypatch.setenv("SYNC_ROOT", str(tmp_path / "sync"))
    text = "vaults:\n  - path: $SYNC_ROOT/Notes\n  - path: ${SYNC_ROOT}/Notes/\n    name: again\n"
    problems = problems_of(write(tmp_path, text))
    # Both spellings name the same folder: the second is refused as a repeat, which shows
    # that both expanded to it.
    assert [(p.key, p.line) for p in problems] == [("vaults[1].path", 3)]
    assert str(vault) in problems[0].message
    assert "already used by vaults[0]" in problems[0].message


def test_unset_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_VAULTSYNC_VAR", raising=False)
    problem = only_problem(write(tmp_path, "vaults:\n  - path: $NO_SUCH_VAULTSYNC_VAR/x\n"))
    assert problem.key == "vaults[0].path"
    assert "$NO_SUCH_VAULTSYNC_VAR is not set" in problem.message


def test_relative_paths_are_relative_to_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = logseq_graph(tmp_path / "graph")
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not where relative paths start
    path = write(config_dir, "vaults:\n  - path: ../graph\nstate_dir: state\n")
    cfg = load_config(path).config
    assert cfg.vaults[0].path == vault
    assert cfg.vaults[0].path.is_absolute()
    assert cfg.state_dir == config_dir / "state"


def test_relative_config_path_is_anchored_at_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = obsidian_vault(tmp_path / "v")
    write(tmp_path, "vaults:\n  - path: v\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(Path("config.yaml")).config.vaults[0].path == vault


# ---------------------------------------------------------------------------------------------
# Vault folders and kinds


def test_a_missing_folder_loads_so_the_other_vaults_keep_working(tmp_path: Path) -> None:
    # A folder on a drive that is not plugged in: the config is valid; the commands leave the
    # vault out with a warning (tests/test_no_dead_ends.py) and the daemon waits for it.
    missing = tmp_path / "Obsidain"
    path = write(tmp_path, f"vaults:\n  - name: notes\n    path: {missing}\n")
    [vault] = load_config(path).config.vaults
    assert (vault.name, vault.path, vault.kind) == ("notes", missing, "auto")


def test_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    problem = only_problem(write(tmp_path, "vaults:\n  - path: notes.md\n"))
    assert problem.key == "vaults[0].path"
    assert "is a file, not a folder" in problem.message


@pytest.mark.parametrize("value", ['""', "", "'  '"])
def test_empty_path(tmp_path: Path, value: str) -> None:
    # An empty path would otherwise mean the config file's own folder.
    problem = only_problem(write(tmp_path, f"vaults:\n  - path: {value}\n"))
    assert problem.key == "vaults[0].path"
    assert "empty" in problem.message


def test_kind_is_detected(tmp_path: Path) -> None:
    logseq = logseq_graph(tmp_path / "a")
    obsidian = obsidian_vault(tmp_path / "b")
    assert detect_kind(logseq).kind == "logseq"
    assert detect_kind(obsidian).kind == "obsidian"
    cfg = load_config(write(tmp_path, "vaults:\n  - path: a\n  - path: b\n")).config
    assert [v.kind for v in cfg.vaults] == ["logseq", "obsidian"]


@pytest.mark.parametrize("markers", ["neither", "both"])
def test_undetectable_kind_asks_for_kind(tmp_path: Path, markers: str) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    if markers == "both":
        logseq_graph(folder)
        obsidian_vault(folder)
    problem = only_problem(write(tmp_path, "vaults:\n  - path: v\n"))
    assert (problem.key, problem.line) == ("vaults[0].kind", 2)
    assert markers in problem.message
    assert "set 'kind: logseq' or 'kind: obsidian'" in problem.message
    # Saying the kind settles it.
    text = "vaults:\n  - path: v\n    kind: logseq\n"
    assert load_config(write(tmp_path, text)).config.vaults[0].kind == "logseq"


def test_vault_built_in_code(tmp_path: Path) -> None:
    vault = VaultConfig(path=obsidian_vault(tmp_path / "Notes"))
    assert (vault.name, vault.kind) == ("Notes", "obsidian")


# ---------------------------------------------------------------------------------------------
# Unknown, missing and wrong keys


def test_unknown_key_suggests_and_gives_line(tmp_path: Path) -> None:
    vault = obsidian_vault(tmp_path / "v")
    path = write(tmp_path, f"vaults:\n  - name: v\n    path: {vault}\n    pathh: x\n")
    problem = only_problem(path)
    assert problem == ConfigProblem("unknown key (did you mean 'path'?)", "vaults[0].pathh", 4)


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ("vault: []\n", "vault", "vaults"),
        ("rules:\n  dedup: false\n", "rules.dedup", "dedupe"),
        ("daemon:\n  quiet: 3\n", "daemon.quiet", None),
        ("history:\n  keep_version: 3\n", "history.keep_version", "keep_versions"),
        ("authors:\n  alias: {}\n", "authors.alias", "aliases"),
    ],
)
def test_unknown_keys_everywhere(
    tmp_path: Path, text: str, key: str, suggestion: str | None
) -> None:
    problem = only_problem(write(tmp_path, text))
    assert problem.key == key
    assert problem.line == text.count("\n")
    if suggestion:
        assert problem.message == f"unknown key (did you mean '{suggestion}'?)"
    else:
        assert problem.message.startswith("unknown key (known keys here: quiet_period,")


def test_missing_path_points_at_the_vault(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "rules:\n  dedupe: true\nvaults:\n  - name: x\n"))
    assert problem == ConfigProblem("required key is missing", "vaults[0].path", 4)


@pytest.mark.parametrize(
    ("text", "key", "line", "expected"),
    [
        ("daemon:\n  quiet_period: soon\n", "daemon.quiet_period", 2, "(got 'soon')"),
        ("rules:\n  dedupe: maybe\n", "rules.dedupe", 2, "should be a valid boolean"),
        ("history:\n  keep_versions: 2.5\n", "history.keep_versions", 2, "(got 2.5)"),
        ("history:\n  max_total_mb: .inf\n", "history.max_total_mb", 2, "finite"),
        ("vaults:\n  path: x\n", "vaults", 1, "should be a valid list (got a group of keys)"),
        ("vaults:\n  - ~/Notes\n", "vaults[0]", 2, "each vault should be keys"),
        ("rules: true\n", "rules", 1, "should be a group of keys (got true)"),
        ("state_dir: 5\n", "state_dir", 1, "should be a path (got 5)"),
        ("authors:\n  aliases:\n    a: [b]\n", "authors.aliases.a", 3, "(got a list)"),
        ("authors:\n  folder: ../up\n", "authors.folder", 2, "no '..'"),
        ("authors:\n  folder: /abs\n", "authors.folder", 2, "not absolute"),
        ("authors:\n  folder: 'C:\\x'\n", "authors.folder", 2, "not absolute"),
        ("authors:\n  folder: a/../../b\n", "authors.folder", 2, "no '..'"),
        ("daemon:\n  quiet_period: 0\n", "daemon.quiet_period", 2, "greater than 0 (got 0)"),
        ("daemon:\n  quiet_period: 5\n  max_delay: 4\n", "daemon.max_delay", 3, "quiet_period"),
        ("daemon:\n  reconcile_interval: 59\n", "daemon.reconcile_interval", 2, "at least 60"),
        ("daemon:\n  reconcile_interval: -1\n", "daemon.reconcile_interval", 2, "(got -1)"),
        ("history:\n  keep_versions: -1\n", "history.keep_versions", 2, "(got -1)"),
        ("history:\n  max_total_mb: 0\n", "history.max_total_mb", 2, "(got 0)"),
    ],
)
def test_wrong_values(tmp_path: Path, text: str, key: str, line: int, expected: str) -> None:
    problem = only_problem(write(tmp_path, text))
    assert (problem.key, problem.line) == (key, line)
    assert expected in problem.message
    assert "Input" not in problem.message and "pydantic" not in problem.message


def test_wrong_kind_and_patterns(tmp_path: Path) -> None:
    vault = obsidian_vault(tmp_path / "v")
    text = f"vaults:\n  - path: {vault}\n    kind: obsidain\n    include: [../*.md]\n"
    problems = problems_of(write(tmp_path, text))
    assert [(p.key, p.line) for p in problems] == [("vaults[0].kind", 3), ("vaults[0].include", 4)]
    assert "should be 'auto', 'logseq' or 'obsidian' (got 'obsidain')" in problems[0].message
    assert "no '..'" in problems[1].message


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("''", "is empty"),
        ("'pages\\\\*.md'", "write '/' between folders"),
        ("'a/../../b'", "no '..'"),
        ("/", "matches the whole vault"),
        ("./", "matches the whole vault"),
    ],
)
def test_bad_patterns(tmp_path: Path, pattern: str, expected: str) -> None:
    obsidian_vault(tmp_path / "v")
    text = f"vaults:\n  - path: v\n    exclude:\n      - '**/*.tmp.md'\n      - {pattern}\n"
    problem = only_problem(write(tmp_path, text))
    assert (problem.key, problem.line) == ("vaults[0].exclude", 3)
    assert expected in problem.message


def test_root_anchored_pattern_is_fine(tmp_path: Path) -> None:
    obsidian_vault(tmp_path / "v")
    text = "vaults:\n  - path: v\n    include: [/Readwise/**/*.md, ./pages/*.md]\n"
    assert load_config(write(tmp_path, text)).config.vaults[0].include[0] == "/Readwise/**/*.md"


def test_valid_boundaries(tmp_path: Path) -> None:
    text = (
        "daemon:\n  quiet_period: 3\n  max_delay: 3\n  reconcile_interval: 60\n"
        "authors:\n  folder: .\nhistory:\n  keep_versions: 0\n"
    )
    cfg = load_config(write(tmp_path, text)).config
    assert cfg.daemon.max_delay == 3 and cfg.daemon.reconcile_interval == 60
    assert cfg.authors.folder == "."


def test_multiple_problems_reported_together_in_line_order(tmp_path: Path) -> None:
    text = """\
daemon:
  quiet_period: soon
vaults:
  - pathh: x
  - path: "x\\0"
    kind: obsidain
rules:
  dedupe: maybe
color: blue
"""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    got = [(p.line, p.key) for p in caught.value.problems]
    assert got == [
        (2, "daemon.quiet_period"),
        (4, "vaults[0].path"),
        (4, "vaults[0].pathh"),
        (5, "vaults[1].path"),
        (6, "vaults[1].kind"),
        (8, "rules.dedupe"),
        (9, "color"),
    ]
    message = str(caught.value)
    assert message.startswith(f"{path}: 7 problems\n")
    assert "  - line 4, 'vaults[0].pathh': unknown key (did you mean 'path'?)" in message


def test_key_given_twice(tmp_path: Path) -> None:
    text = "rules:\n  dedupe: true\nhistory:\n  keep_versions: 3\nrules:\n  order: false\n"
    problem = only_problem(write(tmp_path, text))
    assert problem == ConfigProblem("this key is also on line 1; keep one", "rules", 5)


def test_yaml_anchors_and_merge_keys_work(tmp_path: Path) -> None:
    for name in ("a", "b"):
        obsidian_vault(tmp_path / name)
    text = """\
vaults:
  - &base
    path: a
    include: ['R/**/*.md']
  - <<: *base
    path: b
"""
    cfg = load_config(write(tmp_path, text)).config
    assert [(v.name, v.include) for v in cfg.vaults] == [("a", ["R/**/*.md"]), ("b", ["R/**/*.md"])]


# ---------------------------------------------------------------------------------------------
# Duplicate vaults


def test_duplicate_names(tmp_path: Path) -> None:
    obsidian_vault(tmp_path / "one" / "Notes")
    obsidian_vault(tmp_path / "two" / "Notes")
    obsidian_vault(tmp_path / "three")
    text = "vaults:\n  - path: one/Notes\n  - path: two/Notes\n  - path: three\n    name: notes\n"
    problems = problems_of(write(tmp_path, text))
    # The second defaults to the same folder name; the third differs only in case.
    assert [(p.key, p.line) for p in problems] == [("vaults[1].name", 3), ("vaults[2].name", 5)]
    assert "the name 'Notes' is already used by vaults[0]" in problems[0].message
    assert "set a different 'name'" in problems[0].message


def test_duplicates_reported_with_other_problems(tmp_path: Path) -> None:
    obsidian_vault(tmp_path / "a")
    (tmp_path / "a" / "n.md").write_text("a file, not a folder")
    obsidian_vault(tmp_path / "b")
    text = (
        "vaults:\n  - path: a\n    name: x\n  - path: a/n.md\n  - path: b\n    name: x\n"
        "daemon:\n  quiet_period: -1\n"
    )
    problems = problems_of(write(tmp_path, text))
    assert [p.key for p in problems] == ["vaults[1].path", "vaults[2].name", "daemon.quiet_period"]


def test_same_folder_twice(tmp_path: Path) -> None:
    obsidian_vault(tmp_path / "a")
    text = "vaults:\n  - path: a\n    name: one\n  - path: ./a/\n    name: two\n"
    problem = only_problem(write(tmp_path, text))
    assert (problem.key, problem.line) == ("vaults[1].path", 4)
    assert "list each folder once" in problem.message


def test_duplicates_refused_in_code(tmp_path: Path) -> None:
    vault = obsidian_vault(tmp_path / "a")
    with pytest.raises(ValueError, match="already used"):
        Config(vaults=[VaultConfig(path=vault), VaultConfig(path=vault, name="b")])


# ---------------------------------------------------------------------------------------------
# The file itself: missing, unreadable, not YAML, not UTF-8, not a mapping, unsafe


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    problem = only_problem(path)
    assert "`vaultsync config init`" in problem.message and "fix the path" in problem.message


def test_default_missing_file_is_an_empty_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "xdg" / "vaultsync" / "config.yaml"
    monkeypatch.delenv("VAULTSYNC_CONFIG")
    monkeypatch.setattr(paths, "default_config_path", lambda: default)
    loaded = load_config()
    assert loaded == LoadedConfig(path=default, config=Config())


def test_a_missing_file_named_by_the_variable_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo.yaml"
    monkeypatch.setenv("VAULTSYNC_CONFIG", str(missing))
    problem = only_problem_of(load_config)
    assert "no such file, and $VAULTSYNC_CONFIG names it" in problem.message
    monkeypatch.setenv("VAULTSYNC_CONFIG", os.devnull)  # the way to say "no config"
    assert load_config().config == Config()


def test_default_file_is_read_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "rules:\n  order: false\n")
    monkeypatch.setenv("VAULTSYNC_CONFIG", str(path))
    loaded = load_config()
    assert loaded.path == path and loaded.config.rules.order is False


def test_config_path_is_a_folder(tmp_path: Path) -> None:
    assert "is a folder" in only_problem(tmp_path).message


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "rules: {}\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert only_problem(path).message == "cannot read the file: Permission denied"


def test_yaml_syntax_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  dedupe: true\n   order: false\n")
    problem = only_problem(path)
    assert problem.line == 3
    assert problem.message.startswith("invalid YAML: mapping values are not allowed here")


def test_unclosed_bracket(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "a: 1\nvaults: [one, two\n"))
    assert problem.message.startswith("invalid YAML: expected ',' or ']'")
    assert "on line 2" in problem.message


def test_tab_indentation_hint(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "rules:\n\tdedupe: true\n"))
    assert problem.line == 2
    assert "YAML does not allow tabs" in problem.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"rules:\n  dedupe: true\n# caf\xe9\n")
    problem = only_problem(path)
    assert problem.line == 3
    assert problem.message == "not UTF-8 text (byte 0xe9); save it as UTF-8"
    assert str(path) in str(ConfigError(path, [problem]))


def test_control_character(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"rules:\n  dedupe: true\nx: \x01\n")
    problem = only_problem(path)
    assert problem.line == 3
    assert "U+0001" in problem.message


@pytest.mark.parametrize(
    ("text", "shape"),
    [("- a\n- b\n", "a list"), ("hello\n", "the value 'hello'"), ("42\n", "the value 42")],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, shape: str) -> None:
    problem = only_problem(write(tmp_path, text))
    assert problem.line == 1
    assert problem.message == f"the file holds {shape}; it should hold keys such as 'vaults:'"


def test_python_tags_are_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (
        f"rules:\n  dedupe: true\nstate_dir: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    problem = only_problem(write(tmp_path, text))
    assert not marker.exists()
    assert problem.line == 3
    assert "the tag '!!python/object/apply:os.system' is not allowed" in problem.message


def test_multiple_documents(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "rules: {}\n---\nrules: {}\n"))
    assert "invalid YAML" in problem.message and problem.line == 2


# ---------------------------------------------------------------------------------------------
# No traceback for anything a user can write


YAML_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
KEYS = st.sampled_from(
    [
        "vaults", "rules", "authors", "daemon", "history", "state_dir", "path", "name", "kind",
        "include", "exclude", "poll", "dedupe", "order", "folder", "aliases", "quiet_period",
        "max_delay", "reconcile_interval", "keep_versions", "max_total_mb", "other",
    ]
)  # fmt: skip
YAML_DATA = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)


@given(data=YAML_DATA)
def test_any_yaml_data_gives_a_config_or_a_config_error(data: Any) -> None:
    raw = yaml.safe_dump({"vaults": data} if isinstance(data, list) else data).encode()
    try:
        parse_config(raw, Path("/nonexistent-vaultsync/config.yaml"))
    except ConfigError as err:
        assert err.problems
        assert all(p.message for p in err.problems)
        str(err)


@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_give_a_config_or_a_config_error(raw: bytes) -> None:
    try:
        parse_config(raw, Path("/nonexistent-vaultsync/config.yaml"))
    except ConfigError as err:
        assert err.problems


SECTIONS = st.fixed_dictionaries(
    {},
    optional={
        "rules": st.fixed_dictionaries(
            {}, optional={k: st.booleans() for k in ("dedupe", "order", "author_pages")}
        ),
        "daemon": st.fixed_dictionaries(
            {"quiet_period": st.floats(0.01, 10), "max_delay": st.floats(10, 100)},
            optional={"reconcile_interval": st.just(0) | st.floats(60, 10**6)},
        ),
        "history": st.fixed_dictionaries(
            {}, optional={"keep_versions": st.integers(0, 1000), "max_total_mb": st.floats(1, 1e4)}
        ),
        "authors": st.fixed_dictionaries(
            {},
            optional={
                "split_multiple": st.booleans(),
                "aliases": st.dictionaries(
                    st.text(min_size=1).filter(str.strip),
                    st.text(min_size=1).filter(str.strip),
                    max_size=3,
                ),
            },
        ),
    },
)


@given(data=SECTIONS)
def test_valid_settings_round_trip(data: dict[str, Any]) -> None:
    cfg = parse_config(yaml.safe_dump(data).encode(), Path("/nonexistent-vaultsync/c.yaml"))
    dumped = cfg.model_dump()
    for section, values in data.items():
        for key, value in values.items():
            assert dumped[section][key] == value


# ---------------------------------------------------------------------------------------------
# Schema, example and docs in step


def schema_keys(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every property of the schema, walked recursively through $refs: name -> property."""
    defs = schema.get("$defs", {})
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                walk(defs[ref.rsplit("/", 1)[-1]])
            for name, prop in node.get("properties", {}).items():
                target = defs.get(str(prop.get("$ref", "")).rsplit("/", 1)[-1], {})
                # pydantic leaves out a field's description when its model has the same one.
                found[name] = {"description": target.get("description"), **prop}
                walk(prop)
            for key in ("items", "anyOf", "allOf", "additionalProperties"):
                child = node.get(key)
                for item in child if isinstance(child, list) else [child]:
                    walk(item)

    walk(schema)
    return found


def test_schema_is_complete() -> None:
    schema = config_schema()
    json.dumps(schema)  # serialisable
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    keys = schema_keys(schema)
    assert set(keys) >= {"vaults", "path", "kind", "dedupe", "aliases", "keep_versions"}
    assert len(keys) == 28
    for name, prop in keys.items():
        assert prop.get("description"), f"{name} has no description"
    for name, model in schema["$defs"].items():
        assert model["additionalProperties"] is False, name


def test_example_file_is_the_builtin_text_byte_for_byte() -> None:
    assert EXAMPLE.read_bytes() == example_config_text().encode("utf-8")


def test_example_validates_and_holds_the_defaults() -> None:
    loaded = load_config(EXAMPLE)
    assert loaded.config == Config()


def test_example_names_every_key() -> None:
    text = example_config_text()
    for name in schema_keys(config_schema()):
        pattern = rf"^#?\s*(- )?{re.escape(name)}:"
        assert re.search(pattern, text, re.MULTILINE), f"{name} is not in the example"


def test_example_vaults_validate_when_uncommented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    logseq_graph(home / "Logseq")
    obsidian_vault(home / "Obsidian" / "Notes")
    monkeypatch.setenv("HOME", str(home))
    lines = example_config_text().splitlines(keepends=True)
    start = lines.index("vaults: []\n")
    end = lines.index("\n", start)
    block = [re.sub(r"^# ?", "", line) for line in lines[start + 1 : end]]
    text = "".join(lines[:start] + block + lines[end:])
    cfg = load_config(write(tmp_path, text)).config
    assert [(v.name, v.kind) for v in cfg.vaults] == [("Logseq", "logseq"), ("Notes", "obsidian")]
    assert cfg.vaults[1].include == ["Readwise/**/*.md"]


def doc_rows() -> dict[str, str]:
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `(\w+)` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_docs_describe_every_key_with_its_default() -> None:
    rows = doc_rows()
    for name, prop in schema_keys(config_schema()).items():
        assert name in rows, f"{name} is missing from docs/configuration.md"
        default = prop.get("default")
        is_section = isinstance(default, dict) and default != {}
        if default is not None and not is_section:
            cells = rows[name].split(" | ")
            assert f"`{json.dumps(default)}`" == cells[2], f"default of {name} in the docs"


def test_docs_list_what_is_always_excluded() -> None:
    ignore = pytest.importorskip("vaultsync.ignore")  # the walk owns the list; the docs follow it
    docs = DOCS.read_text(encoding="utf-8")
    for pattern in ignore.ALWAYS_EXCLUDED:
        assert f"`{pattern.removeprefix('**/')}`" in docs, pattern


def test_docs_error_examples_are_real_output() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    examples = re.findall(
        r"<!-- errors-example -->\n```yaml\n(.*?)```\n.*?```\n(.*?)```", docs, re.DOTALL
    )
    assert len(examples) == 2
    if Path("/srv/notes/Logseq").exists():  # pragma: no cover - the example needs it missing
        pytest.skip("/srv/notes/Logseq exists on this machine")
    for config_text, output in examples:
        with pytest.raises(ConfigError) as caught:
            parse_config(config_text.encode(), Path("/home/ana/.config/vaultsync/config.yaml"))
        assert str(caught.value) == output.rstrip("\n")


# ---------------------------------------------------------------------------------------------
# init


def test_init_writes_the_example_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "config.yaml"
    assert init_config(path, force=False) == path
    assert path.read_text(encoding="utf-8") == example_config_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path).config == Config()
    assert os.listdir(path.parent) == ["config.yaml"]  # no temp file left


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  order: false\n")
    with pytest.raises(UsageError) as caught:
        init_config(path, force=False)
    assert str(caught.value) == f"{path} exists; use --force to overwrite"
    assert path.read_text() == "rules:\n  order: false\n"
    init_config(path, force=True)
    assert path.read_text(encoding="utf-8") == example_config_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_init_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "cfg" / "vaultsync" / "config.yaml"
    monkeypatch.setenv("VAULTSYNC_CONFIG", str(default))
    assert init_config(None, force=False) == default
    assert load_config().path == default


def test_init_onto_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        init_config(tmp_path, force=True)


def test_init_failure_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError) as caught:
        init_config(blocker / "config.yaml", force=False)
    assert "cannot write the file" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# paths


def test_default_paths_follow_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULTSYNC_CONFIG", str(tmp_path / "c.yaml"))
    monkeypatch.setenv("VAULTSYNC_STATE_DIR", str(tmp_path / "s"))
    assert paths.default_config_path() == tmp_path / "c.yaml"
    assert paths.default_state_dir() == tmp_path / "s"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("VAULTSYNC_CONFIG", "~/x.yaml")
    assert paths.default_config_path() == tmp_path / "x.yaml"


@pytest.mark.skipif(os.name == "nt" or os.uname().sysname != "Linux", reason="XDG layout")
def test_default_paths_on_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VAULTSYNC_CONFIG", "VAULTSYNC_STATE_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.default_config_path() == tmp_path / ".config" / "vaultsync" / "config.yaml"
    assert paths.default_state_dir() == tmp_path / ".local" / "state" / "vaultsync"
    monkeypatch.setenv("VAULTSYNC_CONFIG", "")  # empty counts as unset
    assert paths.default_config_path() == tmp_path / ".config" / "vaultsync" / "config.yaml"


def test_ensure_private_dir(tmp_path: Path) -> None:
    new = tmp_path / "a" / "b"
    assert writer.ensure_private_dir(new) == new
    assert stat.S_IMODE(new.stat().st_mode) == 0o700
    assert stat.S_IMODE(new.parent.stat().st_mode) == 0o700
    # A folder vaultsync did not create keeps its mode (the state folder is chosen private by
    # paths.state_folder; tests/test_config_safety.py).
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    writer.ensure_private_dir(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o755


def test_ensure_private_dir_with_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("")
    with pytest.raises(VaultsyncError, match="is a file"):
        writer.ensure_private_dir(tmp_path / "state")
    with pytest.raises(VaultsyncError, match="cannot create or use"):
        writer.ensure_private_dir(tmp_path / "state" / "sub")


PACKAGE = REPO / "daemon" / "vaultsync" / "config"


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_each_module_of_the_config_package_is_small_and_says_its_job(module: str) -> None:
    """Issue 14: one job per module, named in its docstring, and no module over ~400 lines."""
    import ast

    text = (PACKAGE / module).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400
    assert ast.get_docstring(ast.parse(text))


def test_the_package_gives_callers_the_names_they_import() -> None:
    """Other modules import from `vaultsync.config`, never from one of its modules."""
    import vaultsync.config as config

    for name in config.__all__:
        assert getattr(config, name) is not None
    for name in ("Config", "VaultConfig", "LoadedConfig", "load_config", "parse_config"):
        assert name in config.__all__
    users = [
        p
        for p in (REPO / "daemon" / "vaultsync").rglob("*.py")
        if PACKAGE not in p.parents and "vaultsync.config." in p.read_text(encoding="utf-8")
    ]
    assert users == []
