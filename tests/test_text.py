"""Bytes to lines and back: every byte kept (BOM, endings, a missing final newline)."""

from __future__ import annotations

import pytest

from vaultsync.core.text import (
    NotUtf8,
    body,
    decode,
    dominant_newline,
    ending,
    join_lines,
    split_lines,
)
from vaultsync.render import error_message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "a\n",
        "a\r\nb\r\n",
        "a\nb",
        "\n\n",
        "a\rb\n",  # a lone CR is not a line break
        "a\u2028b\u2029c\x0bd\x0ce\x85f\n",  # nor are the other Unicode breaks
        "\ufeffa\n",
        "a\r",
        "\r\n",
    ],
)
def test_split_lines_keeps_every_character(text: str) -> None:
    lines = split_lines(text)
    assert "".join(lines) == text
    assert all(line.endswith("\n") for line in lines[:-1])


def test_split_lines_splits_only_at_line_feed() -> None:
    assert split_lines("a\rb\u2028c\nd") == ["a\rb\u2028c\n", "d"]
    assert split_lines("a\r\nb\r\n") == ["a\r\n", "b\r\n"]
    assert split_lines("") == []


@pytest.mark.parametrize(
    ("line", "text", "end"),
    [
        ("abc\n", "abc", "\n"),
        ("abc\r\n", "abc", "\r\n"),
        ("abc", "abc", ""),
        ("abc\r", "abc\r", ""),
        ("a\rb\n", "a\rb", "\n"),
        ("\r\r\n", "\r", "\r\n"),
    ],
)
def test_body_and_ending(line: str, text: str, end: str) -> None:
    assert body(line) == text
    assert ending(line) == end
    assert body(line) + ending(line) == line


def test_dominant_newline() -> None:
    assert dominant_newline(["a\r\n", "b\r\n", "c\n"]) == "\r\n"
    assert dominant_newline(["a\r\n", "b\n", "c\n"]) == "\n"
    assert dominant_newline([]) == "\n"
    assert dominant_newline(["no ending"]) == "\n"


def test_join_lines_gives_a_moved_last_line_an_ending() -> None:
    # The file's last line ("b", no ending) moved up: it needs one; "a\n" became last.
    assert join_lines(["b", "a\n"], "\n", final_newline=False) == "b\na"
    assert join_lines(["b", "a\r\n"], "\r\n", final_newline=True) == "b\r\na\r\n"
    assert join_lines(["x", "y"], "\n", final_newline=True) == "x\ny\n"
    assert join_lines([], "\n", final_newline=True) == ""


def test_join_lines_is_identity_on_untouched_lines() -> None:
    for text in ["a\nb", "a\r\nb\r\n", "a\rb\n\n", "x"]:
        lines = split_lines(text)
        assert join_lines(lines, "\n", text.endswith("\n")) == text


def test_decode_keeps_the_bom() -> None:
    assert decode(b"\xef\xbb\xbfhi\n") == "\ufeffhi\n"


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"\xff", 1, 1),
        (b"ok\nbad \xc3(\n", 2, 5),
        ("h\u00e9llo 👇 ".encode() + b"\xfe", 1, 9),  # columns count characters, not bytes
        (b"\xef\xbb\xbfab\xc3", 1, 3),  # a BOM is not a column
        (b"a\r\nb\r\n\x80", 3, 1),
    ],
)
def test_decode_says_where_the_bytes_are_not_utf8(data: bytes, line: int, column: int) -> None:
    with pytest.raises(NotUtf8) as err:
        decode(data)
    assert (err.value.line, err.value.column) == (line, column)
    message = error_message(err.value)  # (the core words nothing: render does)
    assert f"line {line}" in message and f"column {column}" in message
    assert "UTF-8" in message
