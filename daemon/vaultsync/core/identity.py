"""Who wrote a page, and which one author page all of a person's pages link to.

Readwise names one person several ways over time (`@AlexTamkin on Twitter`, `Alex Tamkin`, a
newer display name). For a tweet page the stable key is the handle in the page's source URL;
for other sources it is the author string, compared case- and white-space-insensitively. The
config's `authors.aliases` mapping wins over everything.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

_HANDLE = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter\.com|x\.com)/([A-Za-z0-9_]{1,15})(?:[/?#]|$)"
)
# Twitter's own paths, never handles (whole path segments: `homebrew` is a handle).
_NOT_HANDLES = frozenset(
    "i home search explore hashtag intent share settings messages notifications compose "
    "login logout signup tos privacy".split()
)
_SPACE = re.compile(r"\s+")
_SPLIT = re.compile(r"\s*(?:,\s*(?:and|&)\s+|,\s*|\s+and\s+|\s+&\s+)\s*")
_TWITTER_EPOCH_MS = 1288834974657
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DATE = re.compile(
    r"\b(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+"
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
)


def handle_of(url: str) -> str | None:
    """The Twitter/X handle in a URL (`twitter.com/<handle>/status/…`), lower-cased."""
    m = _HANDLE.search(url or "")
    if not m or m.group(1).lower() in _NOT_HANDLES:
        return None
    return m.group(1).lower()


def page_handle(source_url: str, tweet_urls: Iterable[str]) -> str | None:
    """A tweet page's author: the handle of its source URL, else the handle most tweets carry
    (a thread may quote or reply to others: they are not its author)."""
    handle = handle_of(source_url)
    if handle:
        return handle
    counts = Counter(h for h in (handle_of(u) for u in tweet_urls) if h)
    if not counts:
        return None
    best = max(counts.values())
    return min(h for h, n in counts.items() if n == best)


def fold(name: str) -> str:
    """The one way names are keyed, wherever they are compared (page and note names, aliases,
    authors): Unicode NFC and case folding, so "Renée" typed (NFC) and "Renée" from a macOS
    file name (NFD, `e` + U+0301) are one name, as are "Xavier" and "XAVIER". Follows
    Unicode's canonical caseless match (fold the decomposed form), composed again."""
    key = name.casefold()
    if key.isascii():
        return key  # (nearly every name: nothing to compose)
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


# Not memoized: with the fast path below a key costs about what a memo lookup does (25 ms for
# 55,000 names, 13 ms memoized), and the memo of every page name kept 7 MB in the daemon.
def name_key(name: str) -> str:
    """Author names compare case-, white-space- and Unicode-form-insensitively (fold())."""
    # Fast path (a re-plan keys every page name of the vault): in a printable string the only
    # white space is " ", so without a double space the substitution changes nothing.
    if "  " not in name and name.isprintable():
        key = fold(name.strip())
    else:
        key = fold(_SPACE.sub(" ", name).strip())
    # The name itself when already a key (the index's names are casefolded): the memo and the
    # plan then hold one string, not two equal ones (57,000 in a 50,000-page vault).
    return name if key == name else key


def split_names(value: str) -> list[str]:
    """`A, B, and C` / `A and B` / `A & B` → each name (used only when the config asks)."""
    parts = [p.strip() for p in _SPLIT.split(value.strip()) if p and p.strip()]
    return parts or [value.strip()]


def newest_date(text: str, status_ids: Iterable[int] = ()) -> int:
    """A sortable stamp (YYYYMMDD) for "newest first": the latest date a section heading or a
    Date:: line names, else the time in the newest tweet id, else 0."""
    best = 0
    for m in _DATE.finditer(text):
        try:
            d = datetime(int(m["year"]), _MONTHS[m["month"][:3].lower()], int(m["day"]))
        except ValueError:
            continue
        best = max(best, d.year * 10000 + d.month * 100 + d.day)
    if best:
        return best
    ids = [i for i in status_ids if i > 2**22]
    if ids:
        ms = (max(ids) >> 22) + _TWITTER_EPOCH_MS
        try:
            d = datetime.fromtimestamp(ms / 1000, UTC)
        except (OverflowError, ValueError, OSError):  # a damaged id: no date to tell
            return 0
        return d.year * 10000 + d.month * 100 + d.day
    return 0


@dataclass(frozen=True)
class PageAuthor:
    """What one Readwise page says about its author, as the plan needs it."""

    names: tuple[str, ...]  # the author as the page names it (one, or several when split)
    handle: str | None = None
    link: str = ""  # how an author page links back to this page
    category: str = ""
    highlights: int = 0
    newest: int = 0


@dataclass
class Author:
    """One person: the canonical name their page has, the other names seen, their sources."""

    name: str
    aliases: set[str] = field(default_factory=set)
    sources: list[PageAuthor] = field(default_factory=list)
    handles: set[str] = field(default_factory=set)


@dataclass
class AuthorPlan:
    """Every author of a vault, and which canonical name each name a page uses resolves to."""

    authors: dict[str, Author]  # name_key(canonical) → Author
    canonical: dict[str, str]  # name_key(any name seen) → canonical name

    def resolve(self, name: str) -> str:
        return self.canonical.get(name_key(name), name)


def plan_authors(
    pages: Iterable[PageAuthor],
    mapping: Mapping[str, str] | None = None,
    existing: Iterable[str] = (),
) -> AuthorPlan:
    """Group pages by person and choose each person's canonical name.

    Pages of one handle are one person whatever names they give, and so are pages that give
    one name (links go by name: a name cannot lead to two pages). The canonical name is, in
    order: the config mapping's target; a name that already has a page (so nothing is renamed
    under the user); the name most pages use; the alphabetically first.
    """
    mapped = {name_key(k): v.strip() for k, v in (mapping or {}).items() if v.strip()}
    has_page = {name_key(n) for n in existing}
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(key: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: tuple[str, str], b: tuple[str, str]) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    members_of: list[tuple[tuple[str, str], str, PageAuthor]] = []
    for page in pages:
        names = [n.strip() for n in page.names if n.strip()]
        for name in names:
            by_name = ("name", name_key(name))
            find(by_name)
            # A page naming several people: its handle is at most one of theirs.
            if page.handle and len(names) == 1:
                union(("handle", page.handle), by_name)
            members_of.append((by_name, name, page))
    for source, target in mapped.items():
        union(("name", source), ("name", name_key(target)))  # a mapped name is its target's
    groups: dict[tuple[str, str], list[tuple[str, PageAuthor]]] = {}
    for key, name, page in members_of:
        groups.setdefault(find(key), []).append((name, page))

    authors: dict[str, Author] = {}
    canonical: dict[str, str] = {}
    for _root, members in sorted(groups.items()):
        names = Counter(name for name, _ in members)
        target = next((mapped[name_key(n)] for n in sorted(names) if name_key(n) in mapped), None)
        if target is None:
            # Spellings that differ in case share a page: choose among them as on the first
            # pass (most used, then first), or a second pass would rename the person.
            choices = [n for n in names if name_key(n) in has_page] or list(names)
            top = max(names[n] for n in choices)
            target = min(n for n in choices if names[n] == top)
        author = authors.setdefault(name_key(target), Author(name=target))
        for name in names:
            if name_key(name) != name_key(author.name):
                author.aliases.add(name)
            canonical[name_key(name)] = author.name
        canonical[name_key(target)] = author.name
        seen = {id(s) for s in author.sources}
        for _name, page in members:
            if id(page) not in seen:
                author.sources.append(page)
                seen.add(id(page))
            if page.handle and len(page.names) == 1:
                author.handles.add(page.handle)
    # Mapped names that no page uses still resolve (a rename may leave links to the old name).
    for source, target in mapped.items():
        canonical.setdefault(source, target)
    return AuthorPlan(authors=authors, canonical=canonical)
