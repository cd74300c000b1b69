"""Reading the config's YAML safely (plain data only, never Python objects): the line of every
key (`KeyLines`), keys given twice, and PyYAML's complaints turned into advice that shows the
line as it should read."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from vaultsync.errors import ConfigProblem

# libyaml's safe loader, when PyYAML was built with it: the same documents, many times faster
# (the pure-Python one took seconds on a config of a few megabytes).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while a file becomes nodes and data: the many
    long-lived objects made it run again and again over all of them, so reading took more
    than linear time (16 times the file: 35 times as long). Nothing made here is cyclic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_yaml(text: str) -> tuple[yaml.Node | None, Any, list[ConfigProblem]]:
    """The file's node tree, its data and the problems found reading it (node None: unreadable)."""
    with _no_gc_pauses():
        return _read_yaml(text)


def _read_yaml(text: str) -> tuple[yaml.Node | None, Any, list[ConfigProblem]]:
    """Parse YAML safely: plain data only, never Python objects. Returns (node, data, problems).

    A valid file is read by libyaml when present; a file it rejects is read again by PyYAML's
    own loader, whose messages (and their advice below) the user sees."""
    if _FAST_LOADER is not None:
        fast = _FAST_LOADER(text)
        try:
            node = fast.get_single_node()
            if node is None:
                return None, None, []
            problems = _duplicate_keys(node)  # before constructing, which flattens merges
            return node, fast.construct_document(node), problems
        except (yaml.YAMLError, ValueError):
            pass  # reported below, in PyYAML's words
        finally:
            fast.dispose()
    return _read_yaml_slowly(text)


def _read_yaml_slowly(text: str) -> tuple[yaml.Node | None, Any, list[ConfigProblem]]:
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # checks every character first: may raise ReaderError
        node = loader.get_single_node()
        if node is None:
            return None, None, []
        problems = _duplicate_keys(node)
        return node, loader.construct_document(node), problems
    except yaml.constructor.ConstructorError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else None
        what = f"invalid YAML: {err.problem}"
        tag = re.search(r"for the tag '([^']*)'", err.problem or "")
        if tag:
            shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            what = (
                f"the tag '{shown}' is not allowed; the config holds plain values only "
                "(text, numbers, true/false, lists and keys)"
            )
        return None, None, [ConfigProblem(what, line=line)]
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else None
        what = f"invalid YAML: {err.problem or err}"
        context_line = err.context_mark.line + 1 if err.context_mark else None
        if err.context and context_line not in (None, line):
            what += f" ({err.context} on line {context_line})"
        if "'\\t'" in what:
            what += "; indent with spaces, YAML does not allow tabs"
        else:
            column = err.problem_mark.column if err.problem_mark else 0
            what += _yaml_advice(err.problem or "", text, line, column)
        return None, None, [ConfigProblem(what, line=line)]
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        char = f"U+{err.character:04X}" if isinstance(err.character, int) else err.character
        what = f"the file holds a character YAML does not allow ({char})"
        return None, None, [ConfigProblem(what, line=line)]
    except yaml.YAMLError as err:  # pragma: no cover - every PyYAML error is one of the above
        return None, None, [ConfigProblem(f"invalid YAML: {err}")]
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_advice(problem: str, text: str, line: int | None, column: int) -> str:
    """Plain advice, with the line as it should read, for PyYAML's most common complaints."""
    lines = text.splitlines()
    if line is None or not 0 < line <= len(lines):
        return ""
    here = lines[line - 1]
    token = re.search(r"found character '(.)' that cannot start any token", problem)
    if token or "expected alphabetic or numeric character, but found '*'" in problem:
        char = token.group(1) if token else "*"
        while column > 0 and here[column - 1] in "*&!":  # PyYAML points past `**`
            column -= 1
        why = (
            f"a value starting with '{char}' means something else in YAML"
            if char in "*&!%|>"
            else f"YAML does not allow '{char}' at the start of a key or value"
        )
        return f"; {why}: put the text in quotes, as in: {_quoted_from(here, column).strip()}"
    indentation = "expected <block end>" in problem or "mapping values are not allowed" in problem
    if indentation:
        value = here.split(": ", 1)[1] if ": " in here else ""
        if ": " in value:  # `key: text: more` – the text holds ': '
            head = here[: len(here) - len(value)]
            return f"; put text holding ': ' in quotes, as in: {head.strip()} {quote(value)}"
        column = _sibling_key_column(lines, line)
        if column is not None and column != len(here) - len(here.lstrip(" ")):
            fixed = " " * column + here.strip()
            return (
                f"; check the indentation: keys of one group line up under each other, so "
                f"line {line} should start in column {column + 1}: '{fixed}'"
            )
        return "; check the indentation, and put text holding ': ' in quotes"
    return ""


def quote(value: str) -> str:
    """`value`, trimmed, in YAML double quotes."""
    inner = value.strip()
    return '"' + inner.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quoted_from(line: str, column: int) -> str:
    """`line` with the key or value starting at `column` put in double quotes."""
    rest = line[column:]
    end = rest.find(": ")
    if end == -1 or rest.rstrip().endswith(":"):
        end = len(rest.rstrip().rstrip(":")) if rest.rstrip().endswith(":") else len(rest)
    text, after = rest[:end], rest[end:]
    quoted = quote(text)
    key = line[:column].rstrip()
    if key.endswith(":") and key.split()[-1][:-1] in ("include", "exclude"):
        quoted = f"[{quoted}]"  # a list of patterns
    return line[:column] + quoted + after


def _sibling_key_column(lines: list[str], line: int) -> int | None:
    """The column where the keys of the group above `line` start, or None."""
    for above in reversed(lines[: line - 1]):
        stripped = above.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(above) - len(above.lstrip(" "))
        if stripped.startswith("- "):
            return indent + 2 + len(stripped[2:]) - len(stripped[2:].lstrip(" "))
        return indent
    return None


def _duplicate_keys(root: yaml.Node) -> list[ConfigProblem]:
    """A key given twice in one mapping: YAML keeps the last silently, which hides mistakes."""
    problems: list[ConfigProblem] = []
    seen_nodes: set[int] = set()

    def walk(node: yaml.Node, loc: tuple[str | int, ...]) -> None:
        if id(node) in seen_nodes:  # an alias: already checked, and would multiply the walk
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                line = key.start_mark.line + 1
                if key.value in first_line:
                    what = f"this key is also on line {first_line[key.value]}; keep one"
                    problems.append(ConfigProblem(what, key_path((*loc, key.value)), line))
                else:
                    first_line[key.value] = line
                walk(value, (*loc, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))

    walk(root, ())
    return problems


def key_path(loc: tuple[str | int, ...]) -> str:
    """('vaults', 0, 'path') -> 'vaults[0].path'."""
    out = ""
    for seg in loc:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", seg):
            out += f".{seg}" if out else seg
        else:
            out += f"['{seg}']"
    return out


class KeyLines:
    """The line of every key and list item in the YAML, indexed once by key path.

    Looking each problem's key up by scanning its mapping made reporting n problems take
    n * n steps (20,000 unknown keys: half a minute); the index makes it linear."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._lines: dict[tuple[str | int, ...], int] = {}
        if root is not None:
            self._index(root)

    def _index(self, root: yaml.Node) -> None:
        seen: set[int] = set()  # an alias is indexed once, where it is first met
        stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
        while stack:
            node, loc = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                # In order, so the last of duplicate keys wins, as in YAML; merged keys ('<<')
                # come before the mapping's own.
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode):
                        here = (*loc, key.value)
                        self._lines[here] = key.start_mark.line + 1
                        stack.append((value, here))
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    here = (*loc, index)
                    self._lines[here] = item.start_mark.line + 1
                    stack.append((item, here))

    def of(self, loc: tuple[str | int, ...]) -> int | None:
        """The 1-based line of the key at `loc`, or of the nearest parent found in the YAML."""
        key = tuple(seg if isinstance(seg, int) else str(seg) for seg in loc)
        for end in range(len(key), 0, -1):
            line = self._lines.get(key[:end])
            if line is not None:
                return line
        return None
