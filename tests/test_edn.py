"""The EDN reader behind logseq/config.edn (vaultsync.core.edn): values, what never counts as a
setting (comments, `#_` discards, strings), and errors with their line and column."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.core.edn import EdnError, Keyword, Symbol, Tagged, read
from vaultsync.render import error_message

FIXTURES = Path(__file__).parent / "fixtures_edn"
K = Keyword


def test_logseq_default_like_file() -> None:
    config = read((FIXTURES / "default-like.edn").read_text(encoding="utf-8"))
    assert K("pages-directory") not in config  # only in a comment and in a discard
    assert K("journals-directory") not in config
    assert config[K("file/name-format")] == K("triple-lowbar")
    assert config.where[K("file/name-format")][0] == 103  # the real line, not a remark's
    assert config[K("hidden")] == ("/archived", "/drafts/private")
    assert config[K("editor/placeholder")].startswith("Type here; ;; :pages-directory")
    assert config[K("property-pages/excludelist")] == frozenset({K("author-note"), K("draft")})
    queries = config[K("default-queries")][K("journals")]
    assert [q[K("title")] for q in queries] == ["🔨 NOW", "📅 NEXT"]
    assert config[K("custom/created")] == Tagged("inst", "2024-03-01T10:00:00.000-00:00")
    settings = config[K("graph/settings")]
    assert settings[K("ratio")] == Fraction(3, 4) and settings[K("char")] == "a"
    assert settings[K("nothing")] is None and settings[K("big")] == -12


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", None),
        (";; nothing but a remark\n", None),
        ("\ufeff{:a 1}", {K("a"): 1}),
        ("{:a 1, :b 2}", {K("a"): 1, K("b"): 2}),
        ("{#_ :a #_ 1 :b 2}", {K("b"): 2}),
        ("{#_#_ :a 1 :b 2}", {K("b"): 2}),
        ('{:a "x ;; :b 2"}', {K("a"): "x ;; :b 2"}),
        ('{:a "q\\"uote\\n\\u00e9"}', {K("a"): 'q"uote\né'}),
        ("[\\a \\newline \\u00e9 \\( \\space]", ("a", "\n", "é", "(", " ")),
        ("(fn [h] (get h :block/priority))", None),
        ("#{1 2}", frozenset({1, 2})),
        ('#"a\\"b"', Tagged("regex", 'a\\"b')),
        ("#my/tag [1]", Tagged("my/tag", (1,))),
        ("#:x{:y 1 :_/z 2}", {K("x/y"): 1, K("z"): 2}),
        ("[1 -2 +3 1.5e3 3/4 7N 1.5M ##Inf]", (1, -2, 3, 1500.0, Fraction(3, 4), 7, 1.5, 1e999)),
        ("[nil true false sym ns/sym]", (None, True, False, Symbol("sym"), Symbol("ns/sym"))),
        ("{:a 1} {:b 2}", {K("a"): 1}),  # like Clojure's read-string: the first form only
        ("{{:a 1} :map-key}", {((K("a"), 1),): K("map-key")}),
    ],
)
def test_values(text: str, value: object) -> None:
    got = read(text)
    if text.startswith("(fn"):
        assert got[0] == Symbol("fn") and got[2][2] == K("block/priority")
    else:
        assert got == value


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        ("{:a 1\n :b [1 2\n :c 3}", 3, 6, "`}` where `]` was expected"),
        ("{:a 1\n", 2, 1, "never closed"),
        ('{:a 1\n :b "abc\n :c 3}', 2, 5, "string starts here and is never closed"),
        ("{:a 1\n :a 2}", 2, 2, "duplicate key `:a`"),
        ("{:a 1\n :b}", 1, 1, "odd number"),
        ("{:a 1 #_}", 1, 7, "nothing after it"),
        ('{:a "x\\q"}', 1, 7, "unknown escape"),
        ("[1x]", 1, 2, "not a number"),
        ("]", 1, 1, "nothing open"),
        ("#?(:clj 1)", 1, 1, "not something EDN can hold"),
        ("[\\bogus]", 1, 2, "unknown character literal"),
        ("[::auto]", 1, 2, "not a keyword"),
        ("#{1 1}", 1, 5, "duplicate item"),
        ("[" * 300, 1, 201, "nested too deeply"),
    ],
)
def test_errors_say_where(text: str, line: int, column: int, says: str) -> None:
    with pytest.raises(EdnError) as caught:
        read(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    words = error_message(caught.value)  # the core words nothing: render does
    assert says in words
    assert words.startswith(f"line {line}, column {column}: ")


# ---- a property: values written with remarks, commas and discards around them read back -------

names = st.from_regex(r"[a-z][a-z0-9?!*+-]{0,6}(/[a-z][a-z0-9-]{0,6})?", fullmatch=True)
atoms = st.one_of(
    st.integers(-(10**12), 10**12),
    st.text(max_size=12),
    names.map(Keyword),
    names.filter(lambda n: n not in ("nil", "true", "false")).map(Symbol),
    st.booleans(),
    st.none(),
)


def values(leaves):
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(tuple),
            st.dictionaries(names.map(Keyword), inner, max_size=4),
        ),
        max_leaves=12,
    )


def write(value: object, junk: st.DataObject) -> str:
    """EDN for `value`, with remarks, commas and discarded forms between the parts."""

    def gap() -> str:
        return junk.draw(
            st.sampled_from(
                [" ", ",", "\n", ' ;; :pages-directory "x"\n', " #_ :hidden ", ' #_"y" ', "\t"]
            )
        )

    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, Keyword):
        return f":{value.name}"
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, tuple):
        return "[" + gap() + gap().join(write(v, junk) for v in value) + gap() + "]"
    assert isinstance(value, dict)
    pairs = (write(k, junk) + gap() + write(v, junk) for k, v in value.items())
    return "{" + gap() + gap().join(pairs) + gap() + "}"


@given(values(atoms), st.data())
def test_written_values_read_back(value: object, junk: st.DataObject) -> None:
    assert read(write(value, junk)) == value
