"""Targeted mutation run: small, deliberate bugs put into a copy of daemon/, each of which the
tests must catch ("kill"). A mutant that survives is a behaviour no test pins down.

    python tests/mutants.py              # every mutant, 2 at a time; exit 1 unless all killed
    python tests/mutants.py guard-       # only the mutants whose name starts so
    python -m pytest -m slow tests/test_mutants.py -s   # the same, in the slow suite

How a mutant runs. daemon/ is copied to a temporary folder (never the working tree is touched);
the mutant's snippet is replaced in the copy; then its test files run with `pytest -x` against
the copy: PYTHONPATH and VAULTSYNC_SOURCE_ROOT (which tests/conftest.py hands to every
subprocess) name the copy, and `-o pythonpath=<copy>` overrides pyproject's in-process
`pythonpath = ["daemon"]`. Two canary mutants prove it, one per way in: each adds a name to
`vaultsync/__init__.py` that a trivial test in tests/test_mutants.py looks for, in-process and in
a subprocess; if a canary survives, the run stops: the tests are not importing the copy.
Hypothesis runs under the "mutants" profile (the ci counts, derandomized, no example database),
so a run is repeatable and leaves nothing in .hypothesis/.

Outcomes: "killed" (a test failed), "SURVIVED" (all passed: write a behaviour test that fails
on the mutant, through public functions or commands, and add its file to the mutant's tests),
"STALE" (the original snippet is not in the file exactly once), "ERROR" (pytest could not run
the tests, e.g. an import error: fix the mutant). Anything but "killed" fails the run.

Updating the list when the code moves: a STALE mutant names its file and snippet. Find the line
that now does the same job, and copy a short, exact piece of it (whitespace included) into
`original`, with the same change in `mutated`; keep snippets to one distinctive line or
expression so that unrelated edits do not make them stale. If the behaviour is gone on purpose,
delete the mutant; if it moved to another file, change `file` too. Run the mutant alone
(`python tests/mutants.py <name>`) to see that it is killed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "daemon"
TIMEOUT = 300.0  # per mutant; a mutant that hangs the tests counts as killed
CANARY_TEST = "tests/test_mutants.py"

# The test files each area's mutants run, with -x: the first failure ends the run. The tests
# written for mutants that once survived come first, as they are the likeliest to fail fast.
KILLERS = "tests/test_mutant_killers.py"
GUARD = (KILLERS, "tests/test_writer_guard.py", "tests/test_writer.py")
NOLOSS = (KILLERS, "tests/test_noloss.py")
IDENTITY = (
    KILLERS,
    "tests/test_highlight_identity.py",
    "tests/test_noloss.py",
    "tests/test_rules.py",
)
FENCE = (
    KILLERS,
    "tests/test_logseq_model.py",
    "tests/test_obsidian_model.py",
    "tests/test_shapes.py",
)
HANDLE = (KILLERS, "tests/test_writer_handle.py", "tests/test_writer_guard.py")
RECOGNISE = (KILLERS, "tests/test_rules.py", "tests/test_shapes.py", "tests/test_samples.py")
RULES = (
    KILLERS,
    "tests/test_rules.py",
    "tests/test_samples.py",
    "tests/test_shapes.py",
    "tests/test_pipeline.py",
)


@dataclass(frozen=True)
class Mutant:
    name: str  # area-what, e.g. "guard-prefix-slash"
    file: str  # under daemon/
    original: str  # an exact snippet, found exactly once in the file
    mutated: str  # what replaces it
    tests: tuple[str, ...]  # test files (or node ids) that must kill it
    means: str  # the bug it stands for

    @property
    def area(self) -> str:
        return self.name.split("-", 1)[0]


MUTANTS: tuple[Mutant, ...] = (
    # ----------------------------------------------------------- canaries: the copy is imported
    Mutant(
        "canary-in-process",
        "vaultsync/__init__.py",
        "__version__ = ",
        "MUTANT_CANARY = True\n__version__ = ",
        (f"{CANARY_TEST}::test_no_mutant_canary_in_process",),
        "the tests import the mutated copy in-process",
    ),
    Mutant(
        "canary-subprocess",
        "vaultsync/__init__.py",
        "__version__ = ",
        "import sys as _sys\n\n_sys.stderr.write('MUTANT CANARY\\n')\n__version__ = ",
        (f"{CANARY_TEST}::test_no_mutant_canary_in_a_subprocess",),
        "`python -c`, `python -m vaultsync` and the `vaultsync` script import the mutated copy",
    ),
    # ----------------------------------------------------------------------------- the guard
    Mutant(
        "guard-prefix-slash",
        "vaultsync/writer/guard.py",
        'else f"{root}/")',
        "else str(root))",
        GUARD,
        "/x/vault-evil/p.md passes for the vault /x/vault (prefix test without its '/')",
    ),
    Mutant(
        "guard-dotdot-component",
        "vaultsync/writer/guard.py",
        'if part in ("", ".", ".."):',
        'if part in ("",):',
        GUARD,
        "a path with '..' after the vault's prefix is taken as inside",
    ),
    Mutant(
        "guard-link-component",
        "vaultsync/writer/guard.py",
        "            if not stat.S_ISDIR(mode):\n                return False",
        "            if stat.S_ISREG(mode):\n                return False",
        GUARD,
        "a folder that is a symbolic link (out of the vault) counts as a real folder",
    ),
    Mutant(
        "guard-inside-parent",
        "vaultsync/writer/guard.py",
        "real.is_relative_to(root)",
        "real.is_relative_to(root.parent)",
        GUARD,
        "a folder beside the vault (a link resolving there) counts as inside",
    ),
    Mutant(
        "guard-target-link",
        "vaultsync/writer/guard.py",
        "        if stat.S_ISLNK(st.st_mode):\n            raise UnsafePathError(",
        "        if False:\n            raise UnsafePathError(",
        GUARD,
        "a page that is a symbolic link is written through",
    ),
    Mutant(
        "guard-control-character",
        "vaultsync/writer/guard.py",
        'if any(unicodedata.category(ch) == "Cc" for ch in name):',
        "if False:",
        GUARD,
        "a file name holding a line break or another control character is written",
    ),
    Mutant(
        "guard-name-length",
        "vaultsync/writer/guard.py",
        "if size > MAX_NAME_BYTES:",
        "if size > MAX_NAME_BYTES + 1:",
        GUARD,
        "a 256-byte file name is attempted (most filesystems refuse it mid-write)",
    ),
    Mutant(
        "guard-new-folder-unchecked",
        "vaultsync/writer/folders.py",
        "real = guard.check(part)  # its parent exists now",
        "real = part  # its parent exists now",
        GUARD,
        "a missing folder is created without asking the guard where it really goes",
    ),
    Mutant(
        "guard-check-folder-trusted",
        "vaultsync/writer/guard.py",
        "        if self._proven_folder(str(folder)):\n            return folder",
        "        if True:\n            return folder",
        GUARD,
        "check_folder accepts any folder, outside the vault or through a link",
    ),
    # ------------------------------------------------------------------- the no-loss check
    Mutant(
        "noloss-highlight",
        "vaultsync/core/noloss.py",
        "    if not dests:\n        return [name]",
        "    if not dests:\n        return []",
        NOLOSS,
        "a highlight gone from the output is not reported as one",
    ),
    Mutant(
        "noloss-note",
        "vaultsync/core/noloss.py",
        "if not any(need <= _subtree_ids(f, kind) for f in found):",
        "if False:",
        NOLOSS,
        "a note gone from under its highlight is not reported",
    ),
    Mutant(
        "noloss-property",
        "vaultsync/core/noloss.py",
        "_property_keys(unit, kind) - _property_keys(dest, kind)",
        "_property_keys(unit, kind) - _property_keys(unit, kind)",
        NOLOSS,
        "a property line dropped from a highlight is not reported",
    ),
    Mutant(
        "noloss-referenced-id",
        "vaultsync/core/noloss.py",
        "formats.of(kind).essential(lost_ids, referenced)",
        "formats.of(kind).essential(lost_ids, frozenset())",
        NOLOSS,
        "an Obsidian ^id another note links to may vanish",
    ),
    Mutant(
        "noloss-logseq-id",
        "vaultsync/core/noloss.py",
        "lost_ids = _all_ids(before) - _all_ids(after)",
        "lost_ids = set()",
        NOLOSS,
        "a Logseq id:: may vanish",
    ),
    Mutant(
        "noloss-lines",
        "vaultsync/core/noloss.py",
        'missing += [f"line {t[:60]!r}" for t in sorted(_lost_lines(before, after))]',
        "missing += []",
        NOLOSS,
        "a line outside any highlight (the user's own) may vanish",
    ),
    Mutant(
        "noloss-covered-by-key",
        "vaultsync/core/noloss.py",
        "_unit_losses(unit, index.get(_unit_key(unit, kind), []), kind, referenced)",
        "_unit_losses(unit, [], kind, referenced)",
        NOLOSS,
        "a unit that moved or changed bytes only (re-indented, repaired) is reported as a loss"
        " (every fold refused)",
    ),
    Mutant(
        "noloss-child-by-text",
        "vaultsync/core/noloss.py",
        "    there: dict[object, list[Item]] = {}\n",
        "    def subtree_key(item: Item, kind: Kind) -> str:\n"
        "        return _label(item, kind)\n\n"
        "    there: dict[object, list[Item]] = {}\n",
        NOLOSS,
        "a note is found again by its first line's text only: a property, a link or a"
        " grandchild lost from it is not reported",
    ),
    Mutant(
        "noloss-link-stripped",
        "vaultsync/core/noloss.py",
        "        return highlight_key(item, kind)\n",
        "        return tuple(\n"
        "            k.replace('[[', '').replace(']]', '') for k in highlight_key(item, kind)\n"
        "        )\n",
        NOLOSS,
        "a highlight whose link the user added was stripped by a rule is taken as the same one",
    ),
    Mutant(
        "noloss-property-by-name",
        "vaultsync/core/noloss.py",
        "        comparable(text)\n        for line in item.lines[1:]",
        "        comparable(text).split('::')[0]\n        for line in item.lines[1:]",
        NOLOSS,
        "a highlight's property whose value changed (tags:: [[todo]] → tags::) is not reported",
    ),
    # ---------------------------------------------------------------------- highlight identity
    Mutant(
        "identity-position-dropped",
        "vaultsync/core/highlights.py",
        'return ("at", position, str(loc.order_key), text)',
        'return ("at", position, text)',
        IDENTITY,
        "one passage at Location 1 and Location 900 (a book repeating itself) is merged into one",
    ),
    Mutant(
        "identity-placeholders-merged",
        "vaultsync/core/rules.py",
        'if key[0] == "placeholder":  # `Highlighted Image` twice: two images',
        "if False:  # `Highlighted Image` twice: two images",
        IDENTITY,
        "two `Highlighted Image` placeholders (two images) are merged into one",
    ),
    Mutant(
        "identity-placeholder-key",
        "vaultsync/core/highlights.py",
        "    if is_placeholder(text):\n        where",
        "    if False:\n        where",
        IDENTITY,
        "a placeholder is keyed by its text only, like any highlight",
    ),
    Mutant(
        "identity-user-link-stripped",
        "vaultsync/core/highlights.py",
        'OBSIDIAN_ID.sub(" ", text)\n    return _collapsed(text)',
        'OBSIDIAN_ID.sub(" ", text)\n'
        '    return _collapsed(text.replace("[[", "").replace("]]", ""))',
        IDENTITY,
        "`Alpha [[beta]]` (the user's link) is taken as a copy of `Alpha beta`; beta loses a"
        " backlink",
    ),
    Mutant(
        "identity-note-properties-ignored",
        "vaultsync/core/highlights.py",
        "                props.append(_collapsed(repaired(raw)))",
        "                pass",
        IDENTITY,
        "two notes differing by a property line (tags:: [[todo]]) are merged, the property lost",
    ),
    # ------------------------------------------------------------------------------ dedupe
    Mutant(
        "dedupe-tweet-key",
        "vaultsync/core/highlights.py",
        'return ("tweet", str(loc.status_id), text)',
        'return ("tweet", text)',
        RULES,
        "two tweets with the same text (different status ids) are merged into one",
    ),
    Mutant(
        "dedupe-mojibake",
        "vaultsync/core/highlights.py",
        "    text = repaired(text)\n",
        "",
        RULES,
        "a copy differing only by mojibake is not recognised as a copy",
    ),
    Mutant(
        "dedupe-different-ids",
        "vaultsync/core/rules.py",
        "if ids_dup and ids_keeper and ids_dup != ids_keeper:",
        "if False:",
        RULES,
        "copies carrying different ids that must survive are merged",
    ),
    Mutant(
        "dedupe-property-conflict",
        "vaultsync/core/rules.py",
        "elif have[key][1] != value:",
        "elif False:",
        RULES,
        "copies disagreeing on a property are merged, one value lost",
    ),
    Mutant(
        "dedupe-dup-children",
        "vaultsync/core/rules.py",
        "        keeper.children.append(child)\n",
        "",
        RULES,
        "the notes under a removed copy are not moved to the kept one",
    ),
    Mutant(
        "dedupe-across-sections",
        "vaultsync/core/rules.py",
        "        section.items = kept\n",
        "        section.items = kept\n        seen = {}\n",
        RULES,
        "copies in different sections are not deduplicated",
    ),
    Mutant(
        "dedupe-user-blocks",
        "vaultsync/core/rules.py",
        "            if is_highlight(item, page.kind):\n                key = highlight_key(",
        "            if True:\n                key = highlight_key(",
        RULES,
        "the user's own repeated lines are deduplicated like highlights",
    ),
    Mutant(
        "dedupe-unreferenced-obsidian-id",
        "vaultsync/core/rules.py",
        "    return formats.of(kind).essential(set(item_ids(item, kind)), referenced)",
        "    return set(item_ids(item, kind))",
        RULES,
        "Obsidian copies carrying different ^ids no note links to are never merged",
    ),
    Mutant(
        "dedupe-child-with-id-dropped",
        "vaultsync/core/rules.py",
        "        if match is not None and essential_ids(child, kind, referenced) <= {",
        "        if match is not None or essential_ids(child, kind, referenced) <= {",
        RULES,
        "a note under a copy is dropped as a repeat although it carries an id that must stay",
    ),
    # ------------------------------------------------------------------------------- order
    Mutant(
        "order-reversed",
        "vaultsync/core/rules.py",
        "key=lambda i: keys[i])",
        "key=lambda i: keys[i], reverse=True)",
        RULES,
        "highlights sorted in descending order",
    ),
    Mutant(
        "order-mixed-kinds",
        "vaultsync/core/rules.py",
        "if len(groups) < 2 or len(kinds) != 1:",
        "if len(groups) < 2:",
        RULES,
        "a section mixing tweets, locations and pages is sorted as one",
    ),
    Mutant(
        "order-user-items-travel",
        "vaultsync/core/rules.py",
        "        elif groups:\n            groups[-1].append(item)",
        "        elif False:\n            groups[-1].append(item)",
        RULES,
        "the user's own items do not travel with the highlight before them",
    ),
    Mutant(
        "order-indent",
        "vaultsync/core/rules.py",
        "    if _indent(section.items) is None:\n        return 0\n    lead",
        "    lead",
        RULES,
        "a section whose items are indented differently is reordered (depths change)",
    ),
    Mutant(
        "order-page-vs-location",
        "vaultsync/core/links.py",
        "Link(label, url, kind if number is not None else None, number)",
        'Link(label, url, "location" if number is not None else None, number)',
        RULES,
        "Page and Location numbers are sorted together",
    ),
    Mutant(
        "order-stable",
        "vaultsync/core/rules.py",
        "key=lambda i: keys[i])",
        "key=lambda i: (keys[i], -i))",
        RULES,
        "highlights at the same position swap places (the sort is not stable)",
    ),
    Mutant(
        "order-first-section-only",
        "vaultsync/core/rules.py",
        "order_section(section, page.kind) for section in page.sections)",
        "order_section(section, page.kind) for section in page.sections[:1])",
        RULES,
        "only the first section is ordered (a section kept under the user's heading is not)",
    ),
    # -------------------------------------------------------------------------------- fold
    Mutant(
        "fold-logseq-emptied-section-kept",
        "vaultsync/core/logseq.py",
        "return all(not body(line).strip() or _folded(body(line)) for line in",
        "return False and all(not body(line).strip() for line in",
        RULES,
        "an emptied 'New highlights added' section stays in a Logseq page",
    ),
    Mutant(
        "fold-obsidian-emptied-section-kept",
        "vaultsync/core/obsidian.py",
        "return all(not body(line).strip() for line in section.head[1:])",
        "return False",
        RULES,
        "an emptied '## New highlights added' section stays in an Obsidian note",
    ),
    Mutant(
        "fold-user-heading",
        "vaultsync/core/rules.py",
        "        if not synced(section.head[0]):\n            continue",
        "        if False:\n            continue",
        RULES,
        "a section under a heading of the user's own is folded into the first",
    ),
    Mutant(
        "fold-empty-user-heading",
        "vaultsync/core/rules.py",
        "        elif not section.is_new and id(section) not in copied:\n            continue",
        "        elif False:\n            continue",
        RULES,
        "an empty first-sync heading the user keeps is dropped",
    ),
    Mutant(
        "fold-indent",
        "vaultsync/core/rules.py",
        "if indent is None or _indent(section.items) != indent:",
        "if indent is None:",
        RULES,
        "a section indented otherwise than the first is folded (its items change depth)",
    ),
    Mutant(
        "fold-nothing",
        "vaultsync/core/rules.py",
        "            target.items.extend(section.items)\n            section.items = []\n",
        "            continue\n",
        RULES,
        "later sections are never folded",
    ),
    Mutant(
        "fold-remove-empty-ignored",
        "vaultsync/core/rules.py",
        "if remove_empty and removable(section):",
        "if removable(section):",
        RULES,
        "remove_empty_sections: false in the config still drops emptied sections",
    ),
    # ------------------------------------------------------------------------------ fences
    Mutant(
        "fence-other-marker-closes",
        "vaultsync/core/model.py",
        "m is not None and m.group(1)[0] == marker[0] and len(m.group(1)) >= len(marker)",
        "m is not None and len(m.group(1)) >= len(marker)",
        FENCE,
        "`~~~` closes a fence opened with backticks: the user's code is taken as blocks",
    ),
    Mutant(
        "fence-shorter-closes",
        "vaultsync/core/model.py",
        "m.group(1)[0] == marker[0] and len(m.group(1)) >= len(marker)",
        "m.group(1)[0] == marker[0]",
        FENCE,
        "three backticks close a fence opened with four",
    ),
    # ---------------------------------------------------------------- the writer's held folder
    Mutant(
        "handle-component-followed",
        "vaultsync/writer/folders.py",
        "flags = os.O_DIRECTORY | NOFOLLOW | CLOEXEC",
        "flags = os.O_DIRECTORY | CLOEXEC",
        HANDLE,
        "a folder swapped for a link after the guard's check is followed out of the vault",
    ),
    # ------------------------------------------------------------------------- recognition
    Mutant(
        "recognise-without-signal",
        "vaultsync/core/normalize.py",
        "    return in_folder or _signal(page, text)",
        "    return True",
        RECOGNISE,
        "another tool's note shaped like Readwise's (no Readwise signal) is cleaned",
    ),
    Mutant(
        "recognise-digest-frontmatter",
        "vaultsync/core/normalize.py",
        "if formats.of(page.kind).frontmatter and not _readwise_frontmatter(page):",
        "if False:",
        RECOGNISE,
        "a script's digest of tweets (its own frontmatter) is taken for a Readwise note",
    ),
)


@dataclass(frozen=True)
class Result:
    mutant: Mutant
    outcome: str  # killed, SURVIVED, STALE, ERROR
    seconds: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "killed"


def apply(source: Path, mutant: Mutant) -> str | None:
    """The mutated text of the mutant's file in `source`, or None when the snippet is stale."""
    path = source / mutant.file
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if text.count(mutant.original) != 1:
        return None
    return text.replace(mutant.original, mutant.mutated)


def _pytest_command(copy: Path, tests: Sequence[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "--no-header",
        "-p",
        "no:cacheprovider",
        "-o",
        f"pythonpath={copy}",
        *tests,
    ]


def _environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(copy),
        VAULTSYNC_SOURCE_ROOT=str(copy),
        HYPOTHESIS_PROFILE="mutants",
        PYTHONDONTWRITEBYTECODE="1",  # a same-size mutant must never meet a stale .pyc
    )
    return env


def run_one(mutant: Mutant, copy: Path, pristine: Path) -> Result:
    """Mutate `copy` (a copy of daemon/), run the mutant's tests, put the file back."""
    start = time.monotonic()
    mutated = apply(pristine, mutant)
    if mutated is None:
        return Result(mutant, "STALE", 0.0, f"snippet not found once in daemon/{mutant.file}")
    target = copy / mutant.file
    target.write_text(mutated, encoding="utf-8")
    try:
        proc = subprocess.run(
            _pytest_command(copy, mutant.tests),
            cwd=ROOT,
            env=_environment(copy),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return Result(mutant, "killed", time.monotonic() - start, "timed out")
    finally:
        shutil.copyfile(pristine / mutant.file, target)
    seconds = time.monotonic() - start
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    detail = lines[-1] if lines else ""
    if proc.returncode == 0:
        return Result(mutant, "SURVIVED", seconds, detail)
    if proc.returncode == 1:  # tests ran and one failed
        return Result(mutant, "killed", seconds, detail)
    return Result(mutant, "ERROR", seconds, "\n".join(lines[-15:]))


def _copy_source(dest: Path) -> Path:
    shutil.copytree(SOURCE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def run_all(
    mutants: Iterable[Mutant],
    jobs: int = 2,
    report: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run the canaries first (stop if one survives), then the rest, `jobs` at a time."""
    mutants = list(mutants)
    canaries = [m for m in MUTANTS if m.area == "canary"]
    others = [m for m in mutants if m.area != "canary"]
    with tempfile.TemporaryDirectory(prefix="vaultsync-mutants-") as tmp:
        base = Path(tmp)
        pristine = _copy_source(base / "pristine")
        copies: Queue[Path] = Queue()
        for i in range(max(1, jobs)):
            copies.put(_copy_source(base / f"copy{i}"))

        def one(mutant: Mutant) -> Result:
            copy = copies.get()
            try:
                result = run_one(mutant, copy, pristine)
            finally:
                copies.put(copy)
            if report is not None:
                report(result)
            return result

        results = [one(m) for m in canaries]
        if not all(r.ok for r in results):
            return results  # the tests do not import the copy: nothing else would mean anything
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results += list(pool.map(one, others))
    return results


def table(results: Sequence[Result]) -> str:
    width = max(len(r.mutant.name) for r in results)
    rows = [f"{'mutant':<{width}}  {'outcome':<8}  seconds", "-" * (width + 19)]
    for r in results:
        rows.append(f"{r.mutant.name:<{width}}  {r.outcome:<8}  {r.seconds:7.1f}")
    killed = sum(r.ok for r in results)
    rows.append(f"{killed} of {len(results)} killed, {sum(r.seconds for r in results):.0f} s")
    for r in results:
        if not r.ok:
            rows.append(f"\n{r.outcome} {r.mutant.name}: {r.mutant.means}")
            rows.append(f"  daemon/{r.mutant.file}: {r.mutant.original!r}")
            rows.append(f"  tests: {' '.join(r.mutant.tests)}")
            if r.detail:
                rows.append("  " + r.detail.replace("\n", "\n  "))
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="run only mutants whose name starts so")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.prefixes or m.name.startswith(tuple(args.prefixes))]
    if not chosen:
        parser.error("no mutant matches")
    start = time.monotonic()
    results = run_all(chosen, args.jobs, report=lambda r: print(f"{r.outcome:8} {r.mutant.name}"))
    print()
    print(table(results))
    print(f"wall clock {time.monotonic() - start:.0f} s, {args.jobs} at a time")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
