"""The words of a vault's and a path's problems: a control character in a path, a folder that
cannot be a vault, a kind that cannot be told or contradicts the folder, include/exclude
patterns that let no page through, and a Logseq graph's config.edn that cannot be followed.

Each function takes the typed value the module that found the problem returns (`paths.py`,
`vault_kind.py`, `vault.py`, `vault_settings.py`); kinds are looked up by their enum's value, so
this module imports none of them."""

from __future__ import annotations

from typing import Any

# ------------------------------------------------------------------------------- paths


def control_character(control: Any) -> str:
    """A control character in a path (a `paths.ControlCharacter`): which, and the fix."""
    code = control.code
    line_break = " (a line break)" if code in (0x0A, 0x0D) else ""
    return (
        f"holds the control character U+{code:04X}{line_break}; rename the folder, or fix the path"
    )


_FIX = "give the folder that holds your notes (the graph's or vault's own folder)"

_UNSAFE = {
    "control": lambda u: f"the path {control_character(u.control)}",
    "root": lambda u: f"{u.folder} is the root of a file system, not a notes folder; {_FIX}",
    "home": lambda u: f"{u.folder} is your home folder, not a notes folder; {_FIX}",
    "holds home": lambda u: f"{u.folder} holds your home folder; {_FIX}",
    "system": lambda u: f"{u.folder} is a system folder ({u.system}), not a notes folder; {_FIX}",
}


def unsafe_vault(unsafe: Any) -> str:
    """Why a folder cannot be a vault (a `paths.UnsafeVault`), and the fix."""
    return _UNSAFE[unsafe.kind.value](unsafe)


# ------------------------------------------------------------------------------- kinds

_KIND_FIX = (
    "pass --kind logseq|obsidian, or set 'kind: logseq' or 'kind: obsidian' for this vault "
    "in the config"
)


def undetected_kind(detection: Any) -> str:
    """Why a folder's kind cannot be told (a `vault_kind.Detection` whose kind is None): what
    was found, and the fix."""
    folder = detection.folder
    if not detection.is_vault:
        found = "it has neither logseq/config.edn nor .obsidian/"
        return f"cannot tell what {folder} is: {found}; {_KIND_FIX}"
    logseq, obsidian = detection.shapes
    pages = (
        f"{logseq} Readwise page(s) in Logseq's shape and {obsidian} in Obsidian's"
        if logseq or obsidian
        else "no Readwise page to judge by"
    )
    return (
        f"cannot tell what {folder} is: it has both logseq/config.edn and .obsidian/ (opened "
        f"in both apps?) and {pages}; {_KIND_FIX}"
    )


def vault_refused(reason: Any) -> str:
    """A folder refused as a vault (`errors.VaultRefused.reason`): a `paths.UnsafeVault` or a
    `vault_kind.Detection` that could not tell the kind."""
    if type(reason).__name__ == "Detection":
        return undetected_kind(reason)
    return unsafe_vault(reason)


def kind_contradiction(found: Any) -> str:
    """The warning when the kind given for a vault contradicts its folder (a
    `vault_kind.KindContradiction`): its Readwise pages would not be found."""
    # Imported here: the core's formats cost ~20 ms to import, and every command imports the
    # renderer (through errors.py) while only this rare warning needs them.
    from vaultsync.core import formats

    fmt = formats.of(found.detected)
    given, detected = found.given, found.detected
    return (
        f"vault {found.name!r} is given kind {given}, but {found.root} has {fmt.marker}: it is "
        f"{fmt.named}, and its Readwise pages are not found as {given} pages; set "
        f"'kind: {detected}' (or 'kind: auto') for it, or pass --kind {detected}"
    )


# ------------------------------------------------------------------------------- include/exclude


def filter_problem(problem: Any) -> str:
    """Why a pass cleaned no page of a vault holding Markdown files (a `vault.FilterProblem`):
    its include or exclude patterns, and the fix."""
    patterns = ", ".join(repr(p) for p in problem.patterns)
    if not problem.excluded:
        return (
            f"{problem.vault}: include [{patterns}] matches none of the .md files in "
            f"{problem.root}, so no page is cleaned; patterns are relative to the vault's "
            "folder (e.g. 'Readwise/**/*.md'), or leave include out for every page"
        )
    return (
        f"{problem.vault}: exclude [{patterns}] leaves out every page include matches, so no "
        "page is cleaned; exclude only the folders to skip (e.g. 'Archive/**')"
    )


# ------------------------------------------------------------------------------- config.edn

_BROKEN = {
    "os error": lambda b: f"cannot read it ({b.detail})",
    "not utf-8": lambda b: f"line {b.line}, column {b.column}: bytes that are not UTF-8",
    "edn": lambda b: f"line {b.line}, column {b.column}: {b.detail}",
    "not a map": lambda b: "holds no settings map (`{…}`) at its top",
}


def settings_broken(broken: Any) -> str:
    """Why a graph's config.edn could not be read as a whole (a `vault_settings.Broken`):
    where and what."""
    return _BROKEN[broken.kind.value](broken)


# What a setting's value should be, by its EDN key ({default}: the folder used instead).
_EXPECTED = {
    "pages-directory": 'a folder name such as "{default}"',
    "journals-directory": 'a folder name such as "{default}"',
    "file/name-format": "`:triple-lowbar` or `:legacy`",
    "hidden": 'a vector of paths such as ["/archived"]',
}


def _at(p: Any) -> str:
    return f"{p.path}: line {p.line}, column {p.column}: `:{p.key}`"


_SETTING_PROBLEMS = {
    "broken": lambda p: (
        f"{p.path}: {settings_broken(p.broken)}; Logseq's defaults are used for this graph "
        "until it is fixed"
    ),
    "wrong type": lambda p: (
        f"{_at(p)} should be {_EXPECTED[p.key].format(default=p.default)}; "
        "using Logseq's default for it"
    ),
    "not inside": lambda p: (
        f"{_at(p)} {p.given!r} is not a folder inside the graph; using {p.default}/"
    ),
    "hidden unusable": lambda p: (
        f"{p.path}: `:hidden` entries not followed (they would hide the whole graph or leave "
        "it): " + ", ".join(f'"{e}"' for e in p.entries)
    ),
}


def setting_problem(problem: Any) -> str:
    """A problem with a graph's config.edn (a `vault_settings.SettingProblem`): the file, where,
    what, and what is used instead."""
    return _SETTING_PROBLEMS[problem.kind.value](problem)


# ------------------------------------------------------------------------------- a vault in status

# A vault's "last pass" summary in `status` when no pass ran: another machine's daemon cleans
# it ({who}: the lease's holder), or its folder is missing and the daemon waits for it.
_VAULT_STATES = {
    "not cleaning here": "not cleaning here: {who}",
    "folder missing": "folder missing; watched for",
}


def vault_state(state: str, **fields: object) -> str:
    """A watched vault's summary in `status` when it had no pass to sum up."""
    return _VAULT_STATES[state].format(**fields)
