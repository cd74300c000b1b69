"""A small reader for EDN, the format of Logseq's `logseq/config.edn`. Pure: text in, values out.

Only what a config file can hold is needed, but all of it has to be read correctly: a setting
is a key of the top-level map, never text inside a `;` comment, a `#_` discarded form or a
string. Values come back as Python values:

| EDN                       | Python                                           |
| ------------------------- | ------------------------------------------------ |
| `{:a 1}`                  | `EdnMap` (a dict; `.where[key]` = (line, column)) |
| `[1 2]`, `(1 2)`          | tuple                                            |
| `#{1 2}`                  | frozenset                                        |
| `"text"`, `\\c`            | str                                              |
| `:ns/name`, `sym`         | `Keyword("ns/name")`, `Symbol("sym")`            |
| `1`, `1.5`, `3/4`, `##Inf`| int, float, Fraction, float                      |
| `nil`, `true`, `false`    | None, True, False                                |
| `#tag form`, `#"re"`      | `Tagged("tag", value)`, `Tagged("regex", text)`  |

Like Clojure's `read-string` (what Logseq uses), the first form of the text is read and the
rest is not looked at. Anything malformed raises `EdnError` with the line and column.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any

_WHITESPACE = frozenset(" \t\n\r\f\v,\ufeff")
# Characters that end a token (a symbol, keyword, number or character literal).
_TERMINATORS = _WHITESPACE | frozenset('()[]{}";\\')
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_NAMED_CHARS = {
    "newline": "\n",
    "space": " ",
    "tab": "\t",
    "return": "\r",
    "backspace": "\b",
    "formfeed": "\f",
}
_STRING_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\", '"': '"', "b": "\b", "f": "\f"}
_INT = re.compile(r"[+-]?\d+N?")
_FLOAT = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?M?")
_RATIO = re.compile(r"[+-]?\d+/\d+")
_SYMBOLIC = {"Inf": float("inf"), "-Inf": float("-inf"), "NaN": float("nan")}
_MAX_DEPTH = 200  # far beyond any config; keeps a hostile file from exhausting the stack


@dataclass(frozen=True)
class Keyword:
    """`:name` or `:ns/name` (stored without the colon)."""

    name: str

    def __str__(self) -> str:
        return f":{self.name}"


@dataclass(frozen=True)
class Symbol:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Tagged:
    """A tagged literal (`#inst "…"`, `#uuid "…"`, any `#my/tag form`), or a regex `#"…"`."""

    tag: str
    value: Any


class EdnMap(dict):  # type: ignore[type-arg]
    """A map, with where each key was written: `where[key]` = (line, column), 1-based."""

    def __init__(self) -> None:
        super().__init__()
        self.where: dict[Any, tuple[int, int]] = {}


class EdnProblem(Enum):
    """What makes the text unreadable EDN (EdnError's `problem`). The core words nothing: the
    words are render/errors.py's, made from the problem and the error's fields."""

    DISCARD_NOTHING = "`#_` with nothing after it"
    UNEXPECTED_CLOSER = "a closer with nothing open"  # `text`: the closer
    TOO_DEEP = "nested too deeply"
    NEVER_CLOSED = "never closed"  # `opener`, `closer`, `opened`
    WRONG_CLOSER = "the wrong closer"  # `text`: the closer met; `opener`, `closer`, `opened`
    ODD_MAP = "a key without a value"
    DUPLICATE_KEY = "a key twice in a map"  # `text`: the key as EDN
    STRING_NOT_CLOSED = "a string never closed"
    UNKNOWN_ESCAPE = "an unknown escape"  # `text`: the character after the backslash
    REGEX_NOT_CLOSED = "a regex never closed"
    DUPLICATE_ITEM = "an item twice in a set"  # `text`: the item as EDN
    UNKNOWN_SYMBOLIC = "an unknown ##value"  # `text`: its name
    TAG_WITHOUT_VALUE = "a tag with no value"  # `text`: the tag
    BAD_DISPATCH = "an unknown # form"  # `text`: the character after `#`
    BAD_NAMESPACED_MAP = "a #: without a namespace and a map"
    BACKSLASH_AT_END = "a backslash at the end"
    UNKNOWN_CHARACTER = "an unknown character literal"  # `text`: its name
    NOT_A_KEYWORD = "not a keyword"  # `text`: the token
    DIVIDES_BY_ZERO = "a ratio over zero"  # `text`: the token
    NOT_A_NUMBER = "not a number"  # `text`: the token


class EdnError(ValueError):
    """The text is not readable EDN: what is wrong (`problem`, and the text, brackets and the
    opening bracket's (line, column) it names) and where (1-based `line` and `column`)."""

    def __init__(
        self,
        problem: EdnProblem,
        line: int,
        column: int,
        text: str = "",
        opener: str = "",
        closer: str = "",
        opened: tuple[int, int] = (0, 0),
    ) -> None:
        super().__init__(problem, line, column)
        self.problem, self.line, self.column = problem, line, column
        self.text, self.opener, self.closer, self.opened = text, opener, closer, opened


def read(text: str) -> Any:
    """The first form of `text` (None when it holds only white space and comments)."""
    return _Reader(text).read_top()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0
        # Offsets where lines start, for turning an offset into (line, column) by bisection.
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # ---- positions and errors ----------------------------------------------------------------

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def error(self, problem: EdnProblem, offset: int | None = None, **fields: Any) -> EdnError:
        line, column = self.where(self.pos if offset is None else offset)
        return EdnError(problem, line, column, **fields)

    # ---- reading -------------------------------------------------------------------------------

    def read_top(self) -> Any:
        if not self.skip_space():
            return None
        return self.read_form()

    def skip_space(self) -> bool:
        """Skip white space, commas, comments and `#_` discarded forms; False at the end."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c in _WHITESPACE:
                self.pos += 1
            elif c == ";":
                end = text.find("\n", self.pos)
                self.pos = n if end == -1 else end + 1
            elif text.startswith("#_", self.pos):
                start = self.pos
                self.pos += 2
                if not self.skip_space() or text[self.pos] in ")]}":
                    raise self.error(EdnProblem.DISCARD_NOTHING, start)
                self.read_form()  # read and dropped: a discarded form is not a setting
            else:
                return True
        return False

    def read_form(self) -> Any:
        """One form starting at self.pos (white space already skipped)."""
        text, start = self.text, self.pos
        c = text[start]
        if c in _CLOSERS:
            self.pos += 1
            items = self.read_items(_CLOSERS[c], start)
            return self.make_map(items, start) if c == "{" else tuple(v for v, _ in items)
        if c in ")]}":
            raise self.error(EdnProblem.UNEXPECTED_CLOSER, text=c)
        if c == '"':
            return self.read_string()
        if c == "#":
            return self.read_dispatch()
        if c == "\\":
            return self.read_char()
        return self.read_atom(self.read_token())

    def read_items(self, closer: str, start: int) -> list[tuple[Any, int]]:
        """The forms up to `closer`, each with its offset."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error(EdnProblem.TOO_DEEP, start)
        items: list[tuple[Any, int]] = []
        opener = self.text[start]
        while True:
            if not self.skip_space():
                raise self.error(
                    EdnProblem.NEVER_CLOSED, opener=opener, closer=closer, opened=self.where(start)
                )
            c = self.text[self.pos]
            if c == closer:
                self.pos += 1
                self.depth -= 1
                return items
            if c in ")]}":
                raise self.error(
                    EdnProblem.WRONG_CLOSER,
                    text=c,
                    opener=opener,
                    closer=closer,
                    opened=self.where(start),
                )
            offset = self.pos
            items.append((self.read_form(), offset))

    def make_map(self, items: list[tuple[Any, int]], start: int) -> EdnMap:
        if len(items) % 2:
            raise self.error(EdnProblem.ODD_MAP, start)
        out = EdnMap()
        for (key, offset), (value, _) in zip(items[::2], items[1::2], strict=True):
            key = _hashable(key)
            if key in out:
                raise self.error(EdnProblem.DUPLICATE_KEY, offset, text=_show(key))
            out[key] = value
            out.where[key] = self.where(offset)
        return out

    def read_string(self) -> str:
        text, start = self.text, self.pos
        out: list[str] = []
        i = start + 1
        while True:
            end = _next_quote_or_backslash(text, i)
            if end == -1:
                raise self.error(EdnProblem.STRING_NOT_CLOSED, start)
            out.append(text[i:end])
            if text[end] == '"':
                self.pos = end + 1
                return "".join(out)
            escape = text[end + 1 : end + 2]
            if escape in _STRING_ESCAPES:
                out.append(_STRING_ESCAPES[escape])
                i = end + 2
            elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[end + 2 : end + 6]):
                out.append(chr(int(text[end + 2 : end + 6], 16)))
                i = end + 6
            else:
                raise self.error(EdnProblem.UNKNOWN_ESCAPE, end, text=escape)

    def read_regex(self) -> Tagged:
        """`#"…"`: not EDN (Clojure code only) but harmless to read; the text is kept as is."""
        text, start = self.text, self.pos
        i = start + 2
        while i < len(text):
            if text[i] == "\\":
                i += 2
            elif text[i] == '"':
                self.pos = i + 1
                return Tagged("regex", text[start + 2 : i])
            else:
                i += 1
        raise self.error(EdnProblem.REGEX_NOT_CLOSED, start)

    def read_dispatch(self) -> Any:
        text, start = self.text, self.pos
        nxt = text[start + 1 : start + 2]
        if nxt == "{":
            self.pos += 2
            items = self.read_items("}", start + 1)
            out: set[Any] = set()
            for value, offset in items:
                value = _hashable(value)
                if value in out:
                    raise self.error(EdnProblem.DUPLICATE_ITEM, offset, text=_show(value))
                out.add(value)
            return frozenset(out)
        if nxt == "#":
            self.pos += 2
            name = self.read_token()
            if name not in _SYMBOLIC:
                raise self.error(EdnProblem.UNKNOWN_SYMBOLIC, start, text=name)
            return _SYMBOLIC[name]
        if nxt == '"':
            return self.read_regex()
        if nxt == ":":
            return self.read_namespaced_map(start)
        if nxt and nxt.isalpha():
            self.pos += 1
            tag = self.read_token()
            if not self.skip_space():
                raise self.error(EdnProblem.TAG_WITHOUT_VALUE, start, text=tag)
            return Tagged(tag, self.read_form())
        raise self.error(EdnProblem.BAD_DISPATCH, start, text=nxt)

    def read_namespaced_map(self, start: int) -> EdnMap:
        """`#:ns{:a 1}` means `{:ns/a 1}` (`:_/a` stays `:a`)."""
        self.pos += 2
        ns = self.read_token()
        if not ns or self.text[self.pos : self.pos + 1] != "{":
            raise self.error(EdnProblem.BAD_NAMESPACED_MAP, start)
        inner = self.read_form()
        out = EdnMap()
        for written, value in inner.items():
            key = written
            if isinstance(written, Keyword) and "/" not in written.name:
                key = Keyword(f"{ns}/{written.name}")
            elif isinstance(written, Keyword) and written.name.startswith("_/"):
                key = Keyword(written.name[2:])
            out[key] = value
            out.where[key] = inner.where[written]
        return out

    def read_char(self) -> str:
        start = self.pos
        self.pos += 2  # the backslash and the character after it, whatever it is
        if self.pos > len(self.text):
            raise self.error(EdnProblem.BACKSLASH_AT_END, start)
        name = self.text[start + 1] + self.read_token()
        if len(name) == 1:
            return name
        if name in _NAMED_CHARS:
            return _NAMED_CHARS[name]
        if re.fullmatch(r"u[0-9a-fA-F]{4}", name):
            return chr(int(name[1:], 16))
        raise self.error(EdnProblem.UNKNOWN_CHARACTER, start, text=name)

    def read_token(self) -> str:
        text, start, n = self.text, self.pos, len(self.text)
        end = start
        while end < n and text[end] not in _TERMINATORS:
            end += 1
        self.pos = end
        return text[start:end]

    def read_atom(self, token: str) -> Any:
        start = self.pos - len(token)
        if token.startswith(":"):
            if len(token) == 1 or token.startswith("::") or token.endswith("/"):
                raise self.error(EdnProblem.NOT_A_KEYWORD, start, text=token)
            return Keyword(token[1:])
        if token[:1].isdigit() or (token[:1] in "+-" and token[1:2].isdigit()):
            return self.read_number(token, start)
        if token == "nil":
            return None
        if token in ("true", "false"):
            return token == "true"
        return Symbol(token)

    def read_number(self, token: str, start: int) -> int | float | Fraction:
        if _INT.fullmatch(token):
            return int(token.rstrip("N"))
        if _RATIO.fullmatch(token):
            numerator, denominator = token.split("/")
            if int(denominator) == 0:
                raise self.error(EdnProblem.DIVIDES_BY_ZERO, start, text=token)
            return Fraction(int(numerator), int(denominator))
        if _FLOAT.fullmatch(token):
            return float(token.rstrip("M"))
        raise self.error(EdnProblem.NOT_A_NUMBER, start, text=token)


def _next_quote_or_backslash(text: str, start: int) -> int:
    quote = text.find('"', start)
    backslash = text.find("\\", start)
    if backslash == -1 or (quote != -1 and quote < backslash):
        return quote
    return backslash


def _hashable(value: Any) -> Any:
    """Map keys and set items must be hashable: a map or a list holding one is frozen."""
    if isinstance(value, dict):
        return tuple((_hashable(k), _hashable(v)) for k, v in value.items())
    if isinstance(value, tuple):
        return tuple(_hashable(v) for v in value)
    return value


def _show(value: Any) -> str:
    return f"`{value}`" if isinstance(value, Keyword | Symbol) else repr(value)
