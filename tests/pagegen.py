"""Realistic Readwise pages (Logseq and Obsidian) and ordinary notes, for tests and the benchmark.

Every public function is a pure function of a `random.Random`: the same seed gives the same text.
Shapes follow shared/samples and shared/guides/readwise-formats.md; tests/test_pagegen.py checks
them. The `*_with_truth` variants also return what a correct normalizer must keep (`Truth`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

Kind = Literal["tweets", "books", "articles", "tweets_from"]
KINDS: tuple[str, ...] = ("tweets", "books", "articles", "tweets_from")
CATEGORY: Mapping[str, str] = {
    "tweets": "tweets",
    "tweets_from": "tweets",
    "books": "books",
    "articles": "articles",
}
ORDINARY_KINDS: tuple[str, ...] = (
    "journal",
    "outline",
    "markdown",
    "highlights",
    "properties",
    "reading_list",
    "frontmatter",
)

# ---------------------------------------------------------------------------------------------
# Ground truth


@dataclass(frozen=True)
class HighlightTruth:
    """One unique highlight, as a correct normalizer must keep it."""

    key: str  # identity: "status:<id>", "location:<n>", or "read:<id of its first copy>"
    order: int  # canonical sort key: status id, location, or the Reader id's time
    text: str  # clean text (no mojibake) without the location link; lines joined by "\n"
    link: str  # the location link of the first copy, e.g. "([Location 88](https://…))"
    note: str | None  # the Readwise note (without "**Note**: "), lines joined by "\n"
    tags: tuple[str, ...]
    user_children: tuple[str, ...]  # child blocks the user wrote under (one copy of) it
    block_ids: tuple[str, ...]  # `id::` uuids / `^ids` carried by any of its copies
    copies: int  # how often it is written
    section: int  # the section holding its first copy (0 = the first sync)
    mojibake: bool  # written as mojibake: `text` is what ftfy.fix_encoding gives back


@dataclass(frozen=True)
class UserBlockTruth:
    """A block the user wrote among the highlights (no Readwise link)."""

    text: str
    after: str | None  # key of the highlight copy written just before it (None: first)
    section: int
    block_id: str | None
    children: tuple[str, ...]


@dataclass(frozen=True)
class Truth:
    """What a generated page holds: its metadata, its unique highlights, the user's additions."""

    app: str  # "logseq" | "obsidian"
    template: str  # "logseq" | "default" | "custom"
    kind: str  # one of KINDS
    category: str  # tweets | books | articles
    title: str  # without " (highlights)"
    page_name: str  # Logseq `title::` value (with the suffix); the file stem in Obsidian
    author: str
    author_linked: bool
    handle: str | None  # the Twitter handle for tweet pages
    highlights: tuple[HighlightTruth, ...]  # unique, in canonical order (ascending `order`)
    written_order: tuple[str, ...]  # keys in order of first appearance in the page
    user_blocks: tuple[UserBlockTruth, ...]
    block_ids: tuple[str, ...]  # every block id in the page, in written order
    sections: int  # number of sync sections
    repeated: tuple[str, ...]  # keys written more than once
    knobs: Mapping[str, object] = field(default_factory=dict, hash=False)

    @property
    def disordered(self) -> bool:
        """True when highlights are not written in canonical order."""
        return list(self.written_order) != [h.key for h in self.highlights]

    def highlight(self, key: str) -> HighlightTruth:
        """The highlight with this key."""
        for h in self.highlights:
            if h.key == key:
                return h
        raise KeyError(key)


class GeneratedPage(NamedTuple):
    """A page's text with its ground truth; unpacks as `(text, truth)`."""

    text: str
    truth: Truth


@dataclass(frozen=True)
class Author:
    """A source's author; tweet authors have a handle."""

    name: str
    handle: str | None = None


# ---------------------------------------------------------------------------------------------
# Vocabulary (ours; varied enough for unique titles, plain enough to never look like syntax)

_DET = tuple("the a every each our your this that no one".split())
_ADJ = tuple(
    "small careful boring quiet shared hidden early late honest simple slow fast local public "
    "private brittle patient stubborn useful cheap expensive open strange familiar modest "
    "clear second old new real good hard soft deep narrow wide long short".split()
)
_NOUN = tuple(
    "team system habit model decision owner meeting dashboard log question answer market "
    "product tool language memory reader writer garden library archive index signal pattern "
    "budget schedule note draft chapter thread idea argument error queue network city river "
    "bridge machine teacher student craft practice repair map engine story border harvest "
    "kitchen journal ledger compass lamp window version release feedback incentive constraint "
    "interface default".split()
)
_VERB = tuple(
    "shapes outlasts explains hides rewards punishes predicts replaces follows breaks repairs "
    "measures ignores protects changes teaches borrows survives compounds slows frees costs "
    "beats needs finds keeps loses builds tests remembers forgets becomes outgrows".split()
)
_PREP = tuple("of in for with without before after under across behind".split())
_ADV = tuple("quietly eventually rarely always often slowly suddenly mostly".split())
_FIRST = tuple(
    "Alex Ines Maya Tomas Priya Jonas Lena Omar Sofia Kenji Ada Ruth Felix Nora Diego Hana "
    "Ivan Leila Marcus Yuki Chloe Samir Elena Theo Amara Bruno Clara Dmitri Esther Farid "
    "Greta".split()
)
_LAST = tuple(
    "Tamkin Halloway Okafor Lindqvist Reyes Nakamura Brandt Castillo Moreau Whitfield "
    "Kowalski Achebe Sorensen Varga Delacroix Haddad Ferreira Ishikawa Novak Quinn Petrov "
    "Adeyemi Laurent Bianchi Eriksen Mensah Okonkwo Vance Yilmaz Zhang Abbott Carver".split()
)
_TLD = tuple("com org io net dev blog substack.com medium.com".split())
_TAGS = tuple(
    "favorite systems writing management to-review quotes ai economics craft teams learning "
    "history design health productivity".split()
)
_NOTES = (
    "Thread",
    "quote this in the onboarding doc",
    "compare with the chapter on maintenance",
    "good opener for the talk",
    "disagree, see my notes",
    "reread this",
    "this is the core argument",
    "ask the team about this",
    "same point as the other book",
)
_USER_LINES = (
    "I keep coming back to this chapter.",
    "My take: this only works for small teams.",
    "TODO: turn this into a note of its own",
    "See also [[Maintenance]]",
    "Question for the reading group: does this still hold?",
    "Summary: ownership, writing things down, small teams.",
    "This contradicts what I wrote last month.",
    "[[Idea]] connect with the previous book",
)
# Non-ASCII pieces whose UTF-8 bytes all decode as cp1252 (none of 0x81 0x8d 0x8f 0x90 0x9d)
# and which ftfy.fix_encoding repairs: ❤ 🙏 👍 ” are unsafe, ⚡ is not repaired.
EMOJI: tuple[str, ...] = tuple("👇 👉 🧵 🔥 ✅ 😂 🤔 🚀 💡 👀 📈 🎉 😅 🤯 📚 ✨".split())
ACCENTED: tuple[str, ...] = tuple("café naïve résumé über Gödel façade señor Zürich".split())
PUNCTUATION: tuple[str, ...] = ("don’t", "it’s", "—", "…", "•", "→")

_MONTHS = tuple(
    "January February March April May June July August September October November December".split()
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_ALNUM_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_TWITTER_EPOCH_MS = 1288834974657
_START = datetime(2021, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Small helpers


def _ordinal(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _clock(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def logseq_date(dt: datetime) -> str:
    """Logseq's default journal-link date: `Feb 25th, 2023`."""
    return f"{_MONTHS[dt.month - 1][:3]} {dt.day}{_ordinal(dt.day)}, {dt.year}"


def obsidian_date(dt: datetime) -> str:
    """The default Obsidian template's section date: `March 9, 2023 at 8:02 PM`."""
    return f"{_MONTHS[dt.month - 1]} {dt.day}, {dt.year} at {_clock(dt)}"


def _custom_date(dt: datetime) -> str:
    # `March 2nd, 2023, Thursday`, as in the customised Obsidian sample
    weekday = _WEEKDAYS[dt.weekday()]
    return f"{_MONTHS[dt.month - 1]} {dt.day}{_ordinal(dt.day)}, {dt.year}, {weekday}"


def _mojibake(text: str) -> str:
    """UTF-8 bytes read as cp1252, the way `👇` became `ðŸ‘‡` in the real export."""
    return text.encode("utf-8").decode("cp1252")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_DET)]
    if rng.random() < 0.6:
        words.append(rng.choice(_ADJ))
    words += [rng.choice(_NOUN), rng.choice(_VERB), rng.choice(_DET)]
    if rng.random() < 0.4:
        words.append(rng.choice(_ADJ))
    words.append(rng.choice(_NOUN))
    if rng.random() < 0.5:
        words += [rng.choice(_PREP), rng.choice(_DET), rng.choice(_NOUN)]
    if rng.random() < 0.25:
        words += ["and", rng.choice(_ADV), rng.choice(_VERB), "it"]
    for i in range(len(words) - 1):
        if words[i] == "a" and _an(words[i + 1]) == "an":
            words[i] = "an"
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice((".", ".", ".", ".", "!", "?", ":"))


def _paragraph(rng: random.Random, max_sentences: int = 3) -> str:
    count = 1 if rng.random() < 0.6 else rng.randint(2, max_sentences)
    return " ".join(_sentence(rng) for _ in range(count))


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") else noun + ("es" if noun.endswith("x") else "s")


def _base_verb(verb: str) -> str:
    return verb[:-2] if verb.endswith(("ches", "shes", "sses", "xes")) else verb[:-1]


def _an(word: str) -> str:
    return "an" if word[0] in "aeioAEIO" else "a"


def _phrase_title(rng: random.Random) -> str:
    noun, noun2, adj = rng.choice(_NOUN), rng.choice(_NOUN), rng.choice(_ADJ)
    verb = rng.choice(_VERB)
    pattern = rng.randrange(7)
    if pattern == 0:
        title = f"The {adj} {noun}"
    elif pattern == 1:
        title = f"The {noun} of {_plural(noun2)}"
    elif pattern == 2:
        title = f"Why {_plural(noun)} {_base_verb(verb)} {_plural(noun2)}"
    elif pattern == 3:
        title = f"{_plural(noun)} and {_plural(noun2)}"
    elif pattern == 4:
        title = f"How to {_base_verb(verb)} {_an(adj)} {adj} {noun}"
    elif pattern == 5:
        title = f"On {adj} {_plural(noun)}"
    else:
        title = f"{_an(noun).capitalize()} {noun} {verb} the {noun2}"
    words = title.split()
    # title case, but keep small words lower except the first
    small = {"of", "and", "the", "a", "an", "to", "on"}
    return " ".join(w if (i and w in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def random_title(rng: random.Random) -> str:
    """A title-cased phrase such as `The Quiet Ledger`, for note names."""
    return _phrase_title(rng)


def _capwords(text: str) -> str:
    # Readwise's tweet titles upper-case each word's first letter and keep the rest
    return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))


def _ulid(ms: int, rng: random.Random) -> str:
    value = (ms << 80) | rng.getrandbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _snowflake(ms: int, rng: random.Random) -> int:
    return ((ms - _TWITTER_EPOCH_MS) << 22) | rng.getrandbits(22)


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _squuid(rng: random.Random, when: datetime) -> str:
    """A Logseq-style block uuid: seconds in the first 32 bits, the rest random (version 4)."""
    random_part = uuid.UUID(int=rng.getrandbits(128), version=4).int
    seconds = int(when.timestamp()) & 0xFFFFFFFF
    return str(uuid.UUID(int=(seconds << 96) | (random_part & ((1 << 96) - 1))))


def _obsidian_block_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(6))


def random_author(rng: random.Random, kind: str) -> Author:
    """A plausible author for a source of this kind (tweet authors get a handle)."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    name = f"{first} {last}"
    if kind in ("tweets", "tweets_from"):
        style = rng.randrange(4)
        if style == 0:
            handle = f"{first}{last}"
        elif style == 1:
            handle = f"{first.lower()}_{last.lower()}"
        elif style == 2:
            handle = f"{first[0]}{last}".lower()
        else:
            handle = f"{last.lower()}{rng.randint(1, 99)}"
        return Author(name=name, handle=handle)
    if kind == "articles" and rng.random() < 0.3:
        return Author(name=f"{rng.choice(_NOUN)}-{_plural(rng.choice(_NOUN))}.{rng.choice(_TLD)}")
    return Author(name=name)


# ---------------------------------------------------------------------------------------------
# The page model shared by both apps


@dataclass
class _Highlight:
    key: str
    order: int
    paras: list[str]  # clean paragraphs (one line each)
    blank_sep: bool  # paragraphs separated by a blank line (Logseq only)
    label: str  # "View Tweet", "Location 412", "View Highlight"
    url: str
    note: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    moji: bool = False

    def lines(self, app: str, *, clean: bool = False) -> list[str]:
        paras = self.paras if (clean or not self.moji) else [_mojibake(p) for p in self.paras]
        if app != "logseq" or not self.blank_sep:
            return list(paras)
        out: list[str] = []
        for i, para in enumerate(paras):
            if i:
                out.append("")
            out.append(para)
        return out


@dataclass
class _Copy:
    hl: _Highlight
    url: str
    block_id: str | None = None
    children: list[str] = field(default_factory=list)
    rw_id: int | None = None  # Obsidian custom template: the `[Open in Readwise]` id

    def link(self) -> str:
        if not self.hl.label:  # (shapes: a highlight without any location link)
            return ""
        return f"([{self.hl.label}]({self.url}))"


@dataclass
class _UserBlock:
    text: str
    block_id: str | None = None
    children: list[str] = field(default_factory=list)


@dataclass
class _Section:
    when: datetime
    entries: list[_Copy | _UserBlock] = field(default_factory=list)


@dataclass
class _Meta:
    kind: str
    title: str
    full_title: str
    author: Author
    author_text: str
    author_linked: bool
    url: str | None
    image: str
    shapes: _Shapes = field(default_factory=lambda: _Shapes())


@dataclass
class _Shapes:
    """Shapes of real exports beyond the default templates (readwise-formats.md, "Shapes seen
    in real exports"); each is drawn only when the `shapes` knob is on, so pages without it are
    what the same seed always gave."""

    nbsp: bool = False  # Kindle labels with U+00A0 after "Location"
    no_links: bool = False  # articles without any location link
    child_links: bool = False  # the link in a child block/item of its own
    collapsed: bool = False  # Logseq: sync blocks carrying `collapsed:: true`
    inline_fields: bool = False  # Obsidian: `- Author:: …` Dataview inline fields
    counters: bool = False  # Obsidian: a counter line ("1", "2") after each item

    @staticmethod
    def draw(rng: random.Random, kind: str, app: str, template: str, users: bool) -> _Shapes:
        return _Shapes(
            nbsp=kind == "books" and rng.random() < 0.6,
            # (without links, a block the user added reads as a highlight: to a person too)
            no_links=kind == "articles" and not users and rng.random() < 0.5,
            child_links=kind in ("books", "tweets_from") and rng.random() < 0.4,
            collapsed=app == "logseq" and rng.random() < 0.5,
            inline_fields=app == "obsidian" and rng.random() < 0.4,
            counters=app == "obsidian" and template == "default" and rng.random() < 0.4,
        )


def _with_link(line: str, link: str) -> str:
    return f"{line} {link}" if link else line


def _default_count(rng: random.Random, kind: str) -> int:
    mean, cap = {"tweets": (5, 30), "tweets_from": (6, 25), "books": (12, 120)}.get(kind, (5, 50))
    return min(cap, 1 + int(rng.expovariate(1 / mean)))


def _decorate(rng: random.Random, para: str, kind: str) -> str:
    """Add one non-ASCII piece (emoji for tweets, accents or typographic punctuation)."""
    if kind in ("tweets", "tweets_from") and rng.random() < 0.7:
        emoji = rng.choice(EMOJI)
        return f"{para} {emoji}" if rng.random() < 0.6 else f"{emoji} {para}"
    words = para.split(" ")
    at = rng.randrange(1, len(words) + 1)
    piece = rng.choice(ACCENTED + PUNCTUATION)
    return " ".join(words[:at] + [piece] + words[at:])


def _thread(rng: random.Random, n: int, handle: str, new_style: bool, app: str) -> list[_Highlight]:
    base = _START + timedelta(minutes=rng.randrange(4 * 365 * 24 * 60))
    ms = _ms(base)
    host = "x.com" if new_style else "twitter.com"
    out = []
    for i in range(1, n + 1):
        ms += rng.randint(700, 90_000)
        status = _snowflake(ms, rng)
        paras = [_paragraph(rng) for _ in range(1 if rng.random() < 0.5 else rng.randint(2, 4))]
        if i == 1 and n > 1 and rng.random() < 0.4:
            paras.append(rng.choice(("<thread>", "A thread:", "Long thread, bear with me")))
        if rng.random() < 0.1:
            image = "".join(rng.choice(_B64) for _ in range(15))
            paras.append(f"![](https://pbs.twimg.com/media/{image}.jpg)")
        if app == "logseq" and rng.random() < 0.04:
            # the plugin escapes a dash that starts a continuation line
            paras.insert(rng.randint(1, len(paras)), "\\- " + _sentence(rng))
        if n > 1:
            number = f"{i}/{n}" if i == n and rng.random() < 0.7 else f"{i}/"
            if rng.random() < 0.5:
                paras.append(number)
            else:
                paras[-1] = f"{paras[-1]} {number}"
        for j in range(len(paras) - 1):
            if rng.random() < 0.08:
                paras[j] += " "  # real tweets keep trailing spaces
        out.append(
            _Highlight(
                key=f"status:{status}",
                order=status,
                paras=paras,
                blank_sep=rng.random() < 0.85,
                label="View Tweet",
                url=f"https://{host}/{handle}/status/{status}",
            )
        )
    return out


def _single_tweets(rng: random.Random, n: int, handle: str, new_style: bool) -> list[_Highlight]:
    host = "x.com" if new_style else "twitter.com"
    stamps = sorted(
        _ms(_START + timedelta(seconds=rng.randrange(4 * 365 * 24 * 3600))) for _ in range(n)
    )
    for i in range(1, n):
        stamps[i] = max(stamps[i], stamps[i - 1] + 1)  # strictly ascending ids
    out = []
    for ms in stamps:
        status = _snowflake(ms, rng)
        paras = [_paragraph(rng, 2) for _ in range(1 if rng.random() < 0.7 else 2)]
        if rng.random() < 0.15:
            paras[-1] += f" #{rng.choice(_NOUN).capitalize()}"
        out.append(
            _Highlight(
                key=f"status:{status}",
                order=status,
                paras=paras,
                blank_sep=True,
                label="View Tweet",
                url=f"https://{host}/{handle}/status/{status}",
            )
        )
    return out


def _book(rng: random.Random, n: int, app: str) -> list[_Highlight]:
    asin = "B0" + "".join(rng.choice(_ALNUM_UPPER) for _ in range(8))
    location = rng.randint(5, 80)
    out = []
    for _ in range(n):
        location += rng.randint(3, 400)
        paras = [_paragraph(rng)]
        if rng.random() < 0.12:
            paras.append(_paragraph(rng))
        if app == "logseq" and rng.random() < 0.03:
            paras.append("\\- " + _sentence(rng))
        out.append(
            _Highlight(
                key=f"location:{location}",
                order=location,
                paras=paras,
                blank_sep=rng.random() < 0.5,
                label=f"Location {location}",
                url=f"https://readwise.io/to_kindle?action=open&asin={asin}&location={location}",
            )
        )
    return out


def _article(rng: random.Random, n: int, when: datetime) -> list[_Highlight]:
    ms = _ms(when) - rng.randint(60_000, 30 * 86_400_000)
    out = []
    for _ in range(n):
        ms += rng.randint(5_000, 900_000)
        read_id = _ulid(ms, rng)
        para = _paragraph(rng)
        roll = rng.random()
        if roll < 0.08:
            para = f"{para} See [the {rng.choice(_NOUN)} post](https://example.org/{rng.choice(_NOUN)})."
        elif roll < 0.14:
            para = f"**{rng.choice(_ADJ).capitalize()} {_plural(rng.choice(_NOUN))}:** {para}"
        elif roll < 0.18:
            para = f"{para} (The `{rng.choice(_NOUN)}` flag matters here.)"
        paras = [para]
        if rng.random() < 0.1:
            paras.append(_paragraph(rng))
        out.append(
            _Highlight(
                key=f"read:{read_id}",
                order=ms,
                paras=paras,
                blank_sep=False,
                label="View Highlight",
                url=f"https://read.readwise.io/read/{read_id}",
            )
        )
    return out


def _metadata(
    rng: random.Random, kind: str, author: Author, hls: list[_Highlight], new_style: bool
) -> _Meta:
    linked = rng.random() < 0.85
    if kind == "tweets":
        assert author.handle is not None
        title = _capwords(hls[0].paras[0])
        if len(title) > 24:
            title = title[:24].rstrip() + "..."
        host = "x.com" if new_style else "twitter.com"
        url = f"https://{host}/{author.handle}/status/{hls[0].order}"
        if new_style:
            url += "?rw_tt_thread=True"
        author_text = author.name if new_style else f"@{author.handle} on Twitter"
        image = f"https://pbs.twimg.com/profile_images/{rng.getrandbits(60)}/photo.jpg"
        return _Meta(kind, title, title, author, author_text, linked, url, image)
    if kind == "tweets_from":
        assert author.handle is not None
        title = f"Tweets From {author.name}"
        host = "x.com" if new_style else "twitter.com"
        author_text = author.name if new_style else f"@{author.handle} on Twitter"
        image = f"https://pbs.twimg.com/profile_images/{rng.getrandbits(60)}/photo.jpg"
        return _Meta(
            kind,
            title,
            title,
            author,
            author_text,
            linked,
            f"https://{host}/{author.handle}",
            image,
        )
    title = _phrase_title(rng)
    full_title = title
    if kind == "books":
        if rng.random() < 0.4:
            full_title = f"{title}: {_phrase_title(rng)}"
            if rng.random() < 0.3:
                title = full_title  # some book titles keep the subtitle (a ':' in the name)
        author_text = author.name
        if rng.random() < 0.05:
            other = random_author(rng, "books").name
            author_text = f"{author.name} and {other}"  # several authors in one link
        cover = "".join(rng.choice(_B64[:62]) for _ in range(11))
        image = f"https://images-na.ssl-images-amazon.com/images/I/{cover}._SL200_.jpg"
        return _Meta(kind, title, full_title, author, author_text, linked, None, image)
    if rng.random() < 0.1:
        title = f"{title}?"
    elif rng.random() < 0.05:
        title = f"{title}: A/B Notes"
    domain = author.name if "." in author.name else f"{rng.choice(_NOUN)}notes.{rng.choice(_TLD)}"
    slug = "-".join(title.lower().replace("?", "").replace(":", "").replace("/", "").split())
    image = f"https://readwise-assets.s3.amazonaws.com/static/images/article{rng.randint(1, 4)}.png"
    return _Meta(kind, title, title, author, author.name, linked, f"https://{domain}/{slug}", image)


def _add_notes_and_tags(rng: random.Random, hls: list[_Highlight], kind: str) -> None:
    for i, hl in enumerate(hls):
        if kind == "tweets" and i == 0 and rng.random() < 0.3:
            hl.note = ["Thread"]
        elif rng.random() < 0.15:
            hl.note = [rng.choice(_NOTES[1:])]
            if rng.random() < 0.1:
                hl.note.append(_sentence(rng))
        if rng.random() < 0.08:
            hl.tags = rng.sample(_TAGS, rng.randint(1, 2))


def _disorder(rng: random.Random, order: list[int]) -> list[int]:
    """A permutation other than the identity (for two or more items)."""
    if len(order) < 2:
        return order
    pattern = rng.randrange(4)
    out = list(order)
    if pattern == 0:
        rng.shuffle(out)
    elif pattern == 1:
        out.reverse()  # threads synced in reverse
    elif pattern == 2:
        for _ in range(rng.randint(1, max(1, len(out) // 3))):
            i = rng.randrange(len(out) - 1)
            out[i], out[i + 1] = out[i + 1], out[i]
    else:
        # a few earlier highlights arrive in a later sync, after later ones
        moved = sorted(rng.sample(range(len(out) - 1), rng.randint(1, min(3, len(out) - 1))))
        kept = [x for i, x in enumerate(out) if i not in moved]
        out = kept + [order[i] for i in moved]
    if out == order:
        out[0], out[1] = out[1], out[0]
    return out


def _split(rng: random.Random, items: list[int], parts: int) -> list[list[int]]:
    cuts = sorted(rng.sample(range(1, len(items)), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, len(items)]
    return [items[bounds[i] : bounds[i + 1]] for i in range(parts)]


def _add_repeats(
    rng: random.Random, sections: list[_Section], kind: str, template: str, when_new: datetime
) -> None:
    """Repeat whole subtrees: doubled exports, scattered copies, copies in a later sync."""

    def copy_of(c: _Copy, later: bool) -> _Copy:
        url = c.url
        if kind == "articles" and (later or template == "custom"):
            # a re-highlight in Reader gets a new Readwise id
            url = f"https://read.readwise.io/read/{_ulid(_ms(when_new), rng)}"
        return _Copy(hl=c.hl, url=url)

    weights = [3, 4, 3 if len(sections) > 1 else 0, 1]
    pattern = rng.choices(("double", "scatter", "later", "triple"), weights=weights)[0]
    copies = [e for s in sections for e in s.entries if isinstance(e, _Copy)]
    if pattern in ("double", "triple"):
        extra = 2 if pattern == "triple" else 1
        share = rng.choice((1.0, 1.0, 0.9, 0.5, 0.2))
        chosen = {id(c) for c in copies if rng.random() < share}
        if not chosen:
            chosen = {id(rng.choice(copies))}
        for section in sections:
            entries: list[_Copy | _UserBlock] = []
            for entry in section.entries:
                entries.append(entry)
                if isinstance(entry, _Copy) and id(entry) in chosen:
                    entries += [copy_of(entry, False) for _ in range(extra)]
            section.entries = entries
        return
    picks = rng.sample(copies, rng.randint(1, min(3, len(copies))))
    for original in picks:
        home = next(i for i, s in enumerate(sections) if any(e is original for e in s.entries))
        pos = next(i for i, e in enumerate(sections[home].entries) if e is original)
        if pattern == "later" and home < len(sections) - 1:
            target = rng.randint(home + 1, len(sections) - 1)
        else:
            target = rng.randint(home, len(sections) - 1)
        low = pos + 1 if target == home else 0
        at = rng.randint(low, len(sections[target].entries))
        sections[target].entries.insert(at, copy_of(original, target != home))


def _add_block_ids(rng: random.Random, sections: list[_Section], app: str) -> None:
    by_key: dict[str, list[tuple[_Section, _Copy]]] = {}
    for s in sections:
        for e in s.entries:
            if isinstance(e, _Copy):
                by_key.setdefault(e.hl.key, []).append((s, e))
    keys = list(by_key)
    count = max(1, round(len(keys) * rng.uniform(0.05, 0.3)))
    for key in rng.sample(keys, min(count, len(keys))):
        section, copy = rng.choice(by_key[key])  # sometimes the repeat holds the id
        ref_time = section.when + timedelta(days=rng.randint(0, 60))
        copy.block_id = _squuid(rng, ref_time) if app == "logseq" else _obsidian_block_id(rng)


def _add_user_blocks(rng: random.Random, sections: list[_Section], app: str, ids: bool) -> None:
    used: set[str] = set()

    def line() -> str:
        text = rng.choice(_USER_LINES)
        while text in used and len(used) < len(_USER_LINES):
            text = rng.choice(_USER_LINES)
        if text in used:
            text = f"{text} ({len(used)})"
        used.add(text)
        return text

    for _ in range(rng.randint(1, 3)):
        section = rng.choice(sections)
        block = _UserBlock(text=line())
        if ids and rng.random() < 0.3:
            block.block_id = (
                _squuid(rng, section.when) if app == "logseq" else _obsidian_block_id(rng)
            )
        if rng.random() < 0.3:
            block.children.append(line())
        section.entries.insert(rng.randint(0, len(section.entries)), block)
    copies = [e for s in sections for e in s.entries if isinstance(e, _Copy)]
    rng.choice(copies).children.append(line())


def _build(
    rng: random.Random,
    *,
    app: str,
    template: str,
    n_highlights: int | None,
    kind: str | None,
    repeats: bool,
    shuffle: bool,
    extra_sections: int,
    mojibake: bool,
    user_blocks: bool,
    ids: bool,
    author: Author | None,
    shapes: bool = False,
) -> tuple[_Meta, list[_Section]]:
    if kind is None:
        kind = rng.choices(KINDS, weights=(3, 3, 4, 1))[0]
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if extra_sections < 0:
        raise ValueError("extra_sections must be >= 0")
    parts = 1 + extra_sections
    if n_highlights is None:
        n_highlights = max(parts, _default_count(rng, kind))
    elif n_highlights < parts:
        raise ValueError(f"n_highlights must be >= 1 + extra_sections ({parts})")
    if author is None:
        author = random_author(rng, kind)
    if kind in ("tweets", "tweets_from") and author.handle is None:
        raise ValueError("a tweet page needs an author with a handle")
    new_style = kind in ("tweets", "tweets_from") and rng.random() < 0.3
    first_sync = _START + timedelta(minutes=rng.randrange(4 * 365 * 24 * 60))
    if kind == "tweets":
        assert author.handle is not None
        hls = _thread(rng, n_highlights, author.handle, new_style, app)
    elif kind == "tweets_from":
        assert author.handle is not None
        hls = _single_tweets(rng, n_highlights, author.handle, new_style)
    elif kind == "books":
        hls = _book(rng, n_highlights, app)
    else:
        hls = _article(rng, n_highlights, first_sync)
    meta = _metadata(rng, kind, author, hls, new_style)
    _add_notes_and_tags(rng, hls, kind)

    plain = [h for h in hls if rng.random() < (0.25 if kind.startswith("tweets") else 0.12)]
    for hl in plain:
        j = rng.randrange(len(hl.paras))
        if not hl.paras[j].startswith(("![", "\\-")):
            hl.paras[j] = _decorate(rng, hl.paras[j], kind)
    if mojibake:
        # whole pages (like the real thread) or a few highlights
        chosen = (
            hls if rng.random() < 0.3 else rng.sample(hls, rng.randint(1, max(1, len(hls) // 3)))
        )
        for hl in chosen:
            if all(p.isascii() for p in hl.paras):
                hl.paras[0] = _decorate(rng, hl.paras[0], kind)
            hl.moji = True

    order = list(range(len(hls)))
    if shuffle:
        order = _disorder(rng, order)
    when = first_sync
    sections = []
    for chunk in _split(rng, order, parts):
        sections.append(
            _Section(when=when, entries=[_Copy(hl=hls[i], url=hls[i].url) for i in chunk])
        )
        when = when + timedelta(days=rng.randint(1, 200), minutes=rng.randrange(24 * 60))
    if repeats:
        _add_repeats(rng, sections, kind, template, when)
    if ids:
        _add_block_ids(rng, sections, app)
    if user_blocks:
        _add_user_blocks(rng, sections, app, ids)
    if template == "custom":
        rw = rng.randint(100_000_000, 900_000_000)
        for s in sections:
            for e in s.entries:
                if isinstance(e, _Copy):
                    rw += rng.randint(1, 40)
                    e.rw_id = rw
    if shapes:  # drawn from a copy: the rest of the page is what the seed gives without them
        twin = random.Random()
        twin.setstate(rng.getstate())
        meta.shapes = _Shapes.draw(twin, kind, app, template, user_blocks)
        for hl in hls:
            if meta.shapes.nbsp:
                hl.label = hl.label.replace("Location ", "Location\u00a0")
            if meta.shapes.no_links:
                hl.label = ""
    return meta, sections


def _truth(
    meta: _Meta, sections: list[_Section], app: str, template: str, knobs: dict[str, object]
) -> Truth:
    info: dict[str, dict] = {}
    written: list[str] = []
    users: list[UserBlockTruth] = []
    block_ids: list[str] = []
    last_key: str | None = None
    for si, section in enumerate(sections):
        for entry in section.entries:
            if isinstance(entry, _UserBlock):
                users.append(
                    UserBlockTruth(entry.text, last_key, si, entry.block_id, tuple(entry.children))
                )
                if entry.block_id:
                    block_ids.append(entry.block_id)
                continue
            hl = entry.hl
            rec = info.get(hl.key)
            if rec is None:
                rec = info[hl.key] = {
                    "hl": hl,
                    "link": entry.link(),
                    "children": [],
                    "ids": [],
                    "copies": 0,
                    "section": si,
                }
                written.append(hl.key)
            rec["copies"] += 1
            rec["children"] += entry.children
            copy_ids = []
            if entry.block_id:
                copy_ids.append(entry.block_id)
            if entry.rw_id is not None:
                copy_ids.append(f"rw{entry.rw_id}")
                if hl.note:
                    copy_ids.append(f"rw{entry.rw_id}-note")
            rec["ids"] += copy_ids
            block_ids += copy_ids
            last_key = hl.key
    highlights = []
    note_joiner = "\n" if app == "logseq" else " "  # Obsidian sub-items stay on one line
    for rec in sorted(info.values(), key=lambda r: r["hl"].order):
        hl: _Highlight = rec["hl"]
        highlights.append(
            HighlightTruth(
                key=hl.key,
                order=hl.order,
                text="\n".join(hl.lines(app, clean=True)),
                link=rec["link"],
                note=(note_joiner.join(hl.note) if hl.note else None),
                tags=tuple(hl.tags),
                user_children=tuple(rec["children"]),
                block_ids=tuple(rec["ids"]),
                copies=rec["copies"],
                section=rec["section"],
                mojibake=hl.moji,
            )
        )
    suffix = " (highlights)" if app == "logseq" else ""
    return Truth(
        app=app,
        template=template,
        kind=meta.kind,
        category=CATEGORY[meta.kind],
        title=meta.title,
        page_name=meta.title + suffix,
        author=meta.author_text,
        author_linked=meta.author_linked,
        handle=meta.author.handle,
        highlights=tuple(highlights),
        written_order=tuple(written),
        user_blocks=tuple(users),
        block_ids=tuple(block_ids),
        sections=len(sections),
        repeated=tuple(k for k in written if info[k]["copies"] > 1),
        knobs=knobs,
    )


def _finish(lines: list[str], *, crlf: bool, bom: bool, no_final_newline: bool) -> str:
    text = "\n".join(lines)
    if not no_final_newline:
        text += "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text
    return text


# ---------------------------------------------------------------------------------------------
# Logseq


def _logseq_lines(meta: _Meta, sections: list[_Section]) -> list[str]:
    author = f"[[{meta.author_text}]]" if meta.author_linked else meta.author_text
    out = [
        f"title:: {meta.title} (highlights)",
        f"author:: {author}",
        f'full-title:: "{meta.full_title}"',
        f"category:: #{CATEGORY[meta.kind]}",
    ]
    if meta.url:
        out.append(f"url:: {meta.url}")
    out.append("")
    for i, section in enumerate(sections):
        day = logseq_date(section.when)
        if i == 0:
            out.append(f"- Highlights first synced by [[Readwise]] [[{day}]]")
        else:
            out.append(f"- New highlights added [[{day}]] at {_clock(section.when)}")
        if meta.shapes.collapsed and (i + len(sections)) % 2:
            out.append("  collapsed:: true")  # Logseq writes it when the user folds a block
        for entry in section.entries:
            if isinstance(entry, _UserBlock):
                out.append(f"\t- {entry.text}")
                if entry.block_id:
                    out.append(f"\t  id:: {entry.block_id}")
                out += [f"\t\t- {child}" for child in entry.children]
                continue
            lines = entry.hl.lines("logseq")
            child_link = meta.shapes.child_links
            if not child_link:
                lines[-1] = _with_link(lines[-1], entry.link())
            out.append(f"\t- {lines[0]}")
            if entry.block_id:
                # Logseq puts block properties right after the block's first line
                out.append(f"\t  id:: {entry.block_id}")
            out += [f"\t  {line}" for line in lines[1:]]
            if child_link and entry.link():
                out.append(f"\t\t- {entry.link()}")
            note = entry.hl.note
            if note:
                out.append(f"\t\t- **Note**: {note[0]}")
                out += [f"\t\t  {line}" for line in note[1:]]
            if entry.hl.tags:
                out.append("\t\t- **Tags**: " + " ".join(f"#[[{t}]]" for t in entry.hl.tags))
            out += [f"\t\t- {child}" for child in entry.children]
    return out


@dataclass(frozen=True)
class PageOptions:
    """The knobs both apps' generators take: the page's kind and size, and the defects to put in."""

    n_highlights: int | None = None
    kind: str | None = None
    repeats: bool = False
    shuffle: bool = False
    extra_sections: int = 0
    mojibake: bool = False
    user_blocks: bool = False
    ids: bool = False
    crlf: bool = False
    bom: bool = False
    no_final_newline: bool = False
    shapes: bool = False

    def knobs(self) -> dict[str, object]:
        """The knobs as the truth records them (in this order)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _generate(
    rng: random.Random,
    app: str,
    template: str,
    options: PageOptions,
    author: Author | None,
    knobs: dict[str, object],
) -> GeneratedPage:
    """Build a page of `app` in `template` with `options`, lay it out, and give its truth."""
    custom = template == "custom"  # (its highlights carry ids already: `ids` is for user blocks)
    meta, sections = _build(
        rng,
        app=app,
        template=template,
        n_highlights=options.n_highlights,
        kind=options.kind,
        repeats=options.repeats,
        shuffle=options.shuffle,
        extra_sections=options.extra_sections,
        mojibake=options.mojibake,
        user_blocks=options.user_blocks,
        ids=options.ids and not custom,
        author=author,
        shapes=options.shapes,
    )
    if options.ids and custom:
        for section in sections:
            for entry in section.entries:
                if isinstance(entry, _UserBlock) and entry.block_id is None:
                    entry.block_id = _obsidian_block_id(rng)
    if app == "logseq":
        lines = _logseq_lines(meta, sections)
    else:
        lines = _obsidian_lines(rng, meta, sections, template)
    text = _finish(
        lines, crlf=options.crlf, bom=options.bom, no_final_newline=options.no_final_newline
    )
    return GeneratedPage(text, _truth(meta, sections, app, template, knobs))


def logseq_page_with_truth(
    rng: random.Random, *, author: Author | None = None, **knobs: Any
) -> GeneratedPage:
    """A Logseq page as Readwise's plugin writes it, with the defects asked for (the knobs of
    `PageOptions`), and its truth."""
    options = PageOptions(**knobs)
    return _generate(rng, "logseq", "logseq", options, author, options.knobs())


def logseq_page(rng: random.Random, **knobs: object) -> str:
    """A Logseq Readwise page (see `logseq_page_with_truth` for the knobs)."""
    return logseq_page_with_truth(rng, **knobs).text  # type: ignore[arg-type]


def tweets_from_page_with_truth(
    rng: random.Random, *, app: str = "logseq", shuffle: bool = True, **knobs: object
) -> GeneratedPage:
    """A "Tweets From <Name>" collection of single tweets, saved out of order by default."""
    knobs["kind"] = "tweets_from"
    if app == "logseq":
        return logseq_page_with_truth(rng, shuffle=shuffle, **knobs)  # type: ignore[arg-type]
    return obsidian_page_with_truth(rng, shuffle=shuffle, **knobs)  # type: ignore[arg-type]


def tweets_from_page(rng: random.Random, **knobs: object) -> str:
    """The text of `tweets_from_page_with_truth`."""
    return tweets_from_page_with_truth(rng, **knobs).text  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Obsidian


def _yaml_scalar(value: str) -> str:
    if value[:1] in "@`!&*[]{}|>%#'\"" or ": " in value or " #" in value or "," in value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _obsidian_lines(
    rng: random.Random, meta: _Meta, sections: list[_Section], template: str
) -> list[str]:
    custom = template == "custom"
    out: list[str] = []
    if custom:
        out += [
            "---",
            f"aliases: [{_yaml_scalar(meta.title)}]",
            f"author: {_yaml_scalar(meta.author_text)}",
            "---",
            f"# {meta.title}",
            "",
        ]
        author = meta.author_text  # customised templates often leave the author unlinked
    else:
        out += [f"# {meta.title}", "", f"![rw-book-cover]({meta.image})", ""]
        author = f"[[{meta.author_text}]]" if meta.author_linked else meta.author_text
    sep = "::" if meta.shapes.inline_fields else ":"  # Dataview inline fields
    out += [
        "## Metadata",
        f"- Author{sep} {author}",
        f"- Full Title{sep} {meta.full_title}",
        f"- Category{sep} #{CATEGORY[meta.kind]}",
    ]
    if meta.url:
        out.append(f"- URL{sep} {meta.url}")
    out += ["", "## Highlights"]
    bold_note = rng.random() < 0.3  # some default exports write `**Note**:` (see the sample)
    counter = 0
    blank_before = rng.random() < 0.7
    for i, section in enumerate(sections):
        if custom:
            out.append("### New highlights synced")
        elif i:
            if blank_before:
                out.append("")
            out.append(f"## New highlights added {obsidian_date(section.when)}")
        for entry in section.entries:
            if isinstance(entry, _UserBlock):
                suffix = f" ^{entry.block_id}" if entry.block_id else ""
                out.append(f"- {entry.text}{suffix}")
                out += [f"    - {child}" for child in entry.children]
                continue
            hl = entry.hl
            lines = hl.lines("obsidian")
            child_link = meta.shapes.child_links and not custom
            last = lines[-1] if child_link else _with_link(lines[-1], entry.link())
            if custom:
                last += (
                    f" [Open in Readwise](https://readwise.io/open/{entry.rw_id}) ^rw{entry.rw_id}"
                )
            elif entry.block_id:
                last += f" ^{entry.block_id}"
            lines[-1] = last
            out.append(f"- {lines[0]}")
            out += [f"  {line}" for line in lines[1:]]
            if child_link and entry.link():
                out.append(f"    - {entry.link()}")
            if hl.tags:
                out.append("    - Tags: " + " ".join(f"[[{t}]]" for t in hl.tags))
            if hl.note:
                note = " ".join(hl.note)  # Obsidian sub-items stay on one line
                if custom:
                    out.append(f"    - Note: {note} ^rw{entry.rw_id}-note")
                elif bold_note:
                    out.append(f"    - **Note**: {note}")
                else:
                    out.append(f"    - Note: {note}")
            if custom:
                out.append(f"    - Date:: [[{_custom_date(section.when)}]]")
            out += [f"    - {child}" for child in entry.children]
            if meta.shapes.counters and out[-1].startswith("- "):
                counter += 1
                out.append(str(counter))  # a stray counter line some templates write
    return out


def obsidian_page_with_truth(
    rng: random.Random,
    *,
    template: str = "default",
    author: Author | None = None,
    **knobs: Any,
) -> GeneratedPage:
    """An Obsidian Readwise page (default or customised template) and its truth.

    In the custom template every highlight carries `^rw<id>`, so `ids` only adds ids to user
    blocks there; Obsidian highlights never hold blank lines (notes are one line).
    """
    if template not in ("default", "custom"):
        raise ValueError(f"template must be 'default' or 'custom', not {template!r}")
    options = PageOptions(**knobs)
    return _generate(
        rng, "obsidian", template, options, author, {"template": template, **options.knobs()}
    )


def obsidian_page(rng: random.Random, **knobs: object) -> str:
    """An Obsidian Readwise page (see `obsidian_page_with_truth` for the knobs)."""
    return obsidian_page_with_truth(rng, **knobs).text  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Ordinary notes: never Readwise pages, though some look a little like them


def ordinary_note(rng: random.Random, kind: str | None = None) -> str:
    """A note a person wrote (journal, outline, markdown, …); never a Readwise page."""
    if kind is None:
        kind = rng.choice(ORDINARY_KINDS)
    if kind == "journal":
        out = []
        for _ in range(rng.randint(1, 6)):
            line = _sentence(rng)
            roll = rng.random()
            if roll < 0.2:
                line = f"TODO {line}"
            elif roll < 0.4:
                line = f"{line} [[{rng.choice(_FIRST)} {rng.choice(_LAST)}]]"
            elif roll < 0.45:
                line = f"Synced [[Readwise]] this morning, {rng.randint(2, 40)} new highlights"
            out.append(f"- {line}")
            if rng.random() < 0.3:
                out.append(f"\t- {_sentence(rng)}")
        return "\n".join(out) + "\n"
    if kind == "outline":
        out = [f"- type:: [[{rng.choice(_NOUN)}]]", f"  status:: {rng.choice(('open', 'done'))}"]
        for _ in range(rng.randint(2, 8)):
            depth = rng.randint(0, 2)
            out.append("\t" * depth + f"- {_sentence(rng)}")
            if rng.random() < 0.15:
                out.append("\t" * depth + f"  {rng.choice(_NOUN)}:: {rng.choice(_ADJ)}")
        return "\n".join(out) + "\n"
    if kind == "markdown":
        out = [f"# {_phrase_title(rng)}", "", _paragraph(rng)]
        for _ in range(rng.randint(1, 3)):
            out += ["", f"## {_phrase_title(rng)}", ""]
            for _ in range(rng.randint(1, 4)):
                item = _sentence(rng)
                if rng.random() < 0.3:
                    item += f" See [[{_phrase_title(rng)}]]."
                if rng.random() < 0.15:
                    item += (
                        f" ([source](https://{rng.choice(_NOUN)}.example/{rng.randint(1, 999)}))"
                    )
                out.append(f"- {item}")
        return "\n".join(out) + "\n"
    if kind == "highlights":
        # the user's own reading notes: a Highlights heading, quotes, no Readwise links
        out = [f"# {_phrase_title(rng)}", "", "## Highlights"]
        for _ in range(rng.randint(1, 6)):
            out.append(f"- {_paragraph(rng)} (p. {rng.randint(1, 400)})")
            if rng.random() < 0.2:
                out.append(f"    - Note: {_sentence(rng)}")
        out += ["", "## New highlights", f"- {_sentence(rng)}"]
        return "\n".join(out) + "\n"
    if kind == "properties":
        # a hand-made book page with Readwise-like properties but no sync header or links
        who = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        out = [
            f"title:: {_phrase_title(rng)}",
            f"author:: [[{who}]]",
            f"category:: #{rng.choice(('books', 'articles'))}",
            f"rating:: {rng.randint(1, 5)}",
            "",
            f"- Highlights from {rng.choice(('chapter 2', 'the intro', 'part one'))}",
        ]
        for _ in range(rng.randint(1, 5)):
            out.append(f"\t- {_paragraph(rng)}")
        return "\n".join(out) + "\n"
    if kind == "reading_list":
        out = [f"- {_sentence(rng)}"]
        for _ in range(rng.randint(1, 5)):
            out.append(f"- [[{_phrase_title(rng)} (highlights)]]")
        if rng.random() < 0.3:
            status = rng.getrandbits(60)
            out.append(
                f"- saw this: https://twitter.com/{rng.choice(_LAST).lower()}/status/{status}"
            )
        return "\n".join(out) + "\n"
    if kind == "frontmatter":
        out = [
            "---",
            f"tags: [{rng.choice(_TAGS)}, {rng.choice(_TAGS)}]",
            f"created: 2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "---",
            f"# {_phrase_title(rng)}",
            "",
        ]
        for _ in range(rng.randint(1, 4)):
            out += [_paragraph(rng), ""]
        return "\n".join(out)
    raise ValueError(f"kind must be one of {ORDINARY_KINDS}, not {kind!r}")
