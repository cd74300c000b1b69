"""Bytes to lines and back, keeping every byte: BOM, line endings, a missing final newline."""

from __future__ import annotations

from dataclasses import dataclass

BOM = "\ufeff"


@dataclass(frozen=True)
class NotUtf8(Exception):
    """The page's bytes are not UTF-8 from (1-based) `line`, `column` on; it is skipped and never
    touched (render/errors.py words it)."""

    line: int
    column: int


def decode(data: bytes) -> str:
    """Decode UTF-8 strictly (a BOM stays the first character); NotUtf8 says where it fails."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        # In characters, as an editor shows it: the bytes before the error decode cleanly.
        start = before[before.rfind(b"\n") + 1 :].decode("utf-8")
        column = len(start.removeprefix(BOM) if line == 1 else start) + 1
        raise NotUtf8(line, column) from None


def split_lines(text: str) -> list[str]:
    """Split after each "\\n" only (not at \\r, \\v, \\u2028 …), keeping line endings."""
    if not text:
        return []
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def body(line: str) -> str:
    """The line without its ending ("\\n" or "\\r\\n")."""
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


def ending(line: str) -> str:
    """The line's ending: "\\r\\n", "\\n", or "" for a last line without one."""
    return line[len(body(line)) :]


def dominant_newline(lines: list[str]) -> str:
    """The line ending most lines use; "\\n" when there is none."""
    crlf = sum(1 for line in lines if line.endswith("\r\n"))
    lf = sum(1 for line in lines if line.endswith("\n")) - crlf
    return "\r\n" if crlf > lf else "\n"


def join_lines(lines: list[str], newline: str, final_newline: bool) -> str:
    """Concatenate lines; a line moved away from the end gains an ending, the end keeps its shape.

    Rules move whole blocks: the file's last line may move up (it needs an ending) and another
    line may become last (it keeps the file's "no final newline" shape when the original had it).
    """
    if not lines:
        return ""
    out = [line if line.endswith("\n") else line + newline for line in lines[:-1]]
    last = lines[-1]
    if final_newline and not last.endswith("\n"):
        last += newline
    elif not final_newline and last.endswith("\n"):
        last = body(last)
    out.append(last)
    return "".join(out)
