"""Who wrote a page: the Twitter handle of its source, else the handle most of its tweets carry,
else the author string compared case- and white-space-insensitively; the config mapping wins.

The pure functions first (daemon.core.identity), then the same rules seen through a pass over a
small vault: which author page each Readwise page ends up linking.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.core.identity import (
    PageAuthor,
    handle_of,
    name_key,
    newest_date,
    page_handle,
    plan_authors,
    split_names,
)
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.vault import make_vault

# ------------------------------------------------------------------------------- handles


@pytest.mark.parametrize(
    ("url", "handle"),
    [
        ("https://twitter.com/AlexTamkin/status/1540123808735973376", "alextamkin"),
        ("https://x.com/AlexTamkin/status/1740123808735973376?rw_tt_thread=True", "alextamkin"),
        ("https://x.com/alextamkin/status/1?rw_tt_thread=True", "alextamkin"),
        ("http://www.twitter.com/Foo_Bar/status/1", "foo_bar"),
        ("https://mobile.twitter.com/Foo_Bar/status/1", "foo_bar"),
        ("https://x.com/AlexTamkin", "alextamkin"),
        ("https://x.com/AlexTamkin?s=20", "alextamkin"),
        # Handles that merely start like one of Twitter's own paths are handles.
        ("https://twitter.com/homebrew/status/1", "homebrew"),
        ("https://x.com/searchlight/status/2", "searchlight"),
        ("https://x.com/iamdevloper/status/3", "iamdevloper"),
        ("https://x.com/intentional/status/4", "intentional"),
    ],
)
def test_handle_of_a_tweet_url(url: str, handle: str) -> None:
    assert handle_of(url) == handle


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://x.com/i/web/status/1740123808735973376",
        "https://twitter.com/home",
        "https://x.com/search?q=readwise",
        "https://twitter.com/intent/tweet?text=hi",
        "https://twitter.com/hashtag/python",
        "https://twitter.com/share?url=x",
        "https://read.readwise.io/read/01h8",
        "https://example.com/AlexTamkin/status/1",
        "https://fax.com/AlexTamkin/status/1",
        "https://x.com.example.net/AlexTamkin/status/1",
    ],
)
def test_no_handle_in_other_urls(url: str) -> None:
    assert handle_of(url) is None


def test_page_handle_prefers_the_source_url() -> None:
    tweets = ["https://x.com/someoneelse/status/1"] * 5
    assert page_handle("https://x.com/AlexTamkin/status/9?rw_tt_thread=True", tweets) == (
        "alextamkin"
    )


def test_page_handle_without_source_url_takes_the_majority_of_tweets() -> None:
    # A thread that quotes and replies to other people: they are not its author.
    tweets = [
        "https://twitter.com/quoted/status/1",
        "https://x.com/Author/status/2",
        "https://twitter.com/author/status/3",
        "https://x.com/replier/status/4",
    ]
    assert page_handle("", tweets) == "author"
    assert page_handle("https://example.com/article", tweets) == "author"


def test_page_handle_tie_is_deterministic_and_none_without_tweets() -> None:
    tweets = ["https://x.com/bbb/status/1", "https://x.com/aaa/status/2"]
    assert page_handle("", tweets) == page_handle("", list(reversed(tweets))) == "aaa"
    assert page_handle("", []) is None
    assert page_handle("", ["https://read.readwise.io/read/1"]) is None


# ------------------------------------------------------------------------------- names


def test_name_key_ignores_case_and_white_space() -> None:
    assert name_key("Daniel Kahneman") == name_key("  daniel \t KAHNEMAN ")
    assert name_key("Daniel Kahneman") != name_key("Daniel Kahnemann")


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("A, B, and C", ["A", "B", "C"]),
        ("A, B and C", ["A", "B", "C"]),
        ("Amos Tversky and Daniel Kahneman", ["Amos Tversky", "Daniel Kahneman"]),
        ("Tom & Jerry", ["Tom", "Jerry"]),
        ("Andrew Anderson and Sandra Brand", ["Andrew Anderson", "Sandra Brand"]),
        ("Daniel Kahneman", ["Daniel Kahneman"]),
    ],
)
def test_split_names(value: str, names: list[str]) -> None:
    assert split_names(value) == names


def test_newest_date_from_headings_then_tweet_ids() -> None:
    heads = "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
    heads += "- New highlights added [[Mar 12th, 2024]] at 11:38 AM\n"
    assert newest_date(heads) == 20240312
    assert newest_date("## New highlights added November 20, 2024 at 12:15 AM") == 20241120
    # No date in the text: the day (UTC) inside the newest snowflake id.
    assert newest_date("", [1540123808735973376]) == 20220624
    assert newest_date("", []) == 0


# ------------------------------------------------------------------------------- the plan


def tweets(handle: str | None, *names: str, link: str = "") -> PageAuthor:
    return PageAuthor(names=names, handle=handle, link=link or f"page {names}", category="tweets")


def test_one_handle_under_three_names_is_one_author() -> None:
    pages = [
        tweets("alextamkin", "@AlexTamkin on Twitter", link="one"),
        tweets("alextamkin", "Alex Tamkin", link="two"),
        tweets("alextamkin", "Alex L Tamkin", link="three"),
    ]
    plan = plan_authors(pages)
    assert len(plan.authors) == 1
    (author,) = plan.authors.values()
    names = {"@AlexTamkin on Twitter", "Alex Tamkin", "Alex L Tamkin"}
    assert author.name in names
    assert author.aliases == names - {author.name}
    assert author.handles == {"alextamkin"}
    assert sorted(s.link for s in author.sources) == ["one", "three", "two"]
    for name in names:
        assert plan.resolve(name) == author.name
        assert plan.resolve(name.upper()) == author.name


def test_the_name_most_pages_use_is_canonical() -> None:
    pages = [tweets("h", "Alex Tamkin"), tweets("h", "Alex Tamkin"), tweets("h", "@h on Twitter")]
    assert [a.name for a in plan_authors(pages).authors.values()] == ["Alex Tamkin"]


def test_a_name_with_a_page_already_is_kept_as_canonical() -> None:
    pages = [tweets("h", "Alex Tamkin"), tweets("h", "Alex Tamkin"), tweets("h", "@h on Twitter")]
    plan = plan_authors(pages, existing=["@h on twitter"])
    assert [a.name for a in plan.authors.values()] == ["@h on Twitter"]


def test_the_config_mapping_wins() -> None:
    pages = [
        tweets("david_perell", "@david_perell on Twitter"),
        tweets("david_perell", "@david_perell on Twitter"),
        tweets("david_perell", "David P."),
    ]
    mapping = {"@David_Perell on twitter": "David Perell"}
    plan = plan_authors(pages, mapping, existing=["@david_perell on twitter", "david p."])
    (author,) = plan.authors.values()
    assert author.name == "David Perell"
    assert author.aliases == {"@david_perell on Twitter", "David P."}
    assert plan.resolve("David P.") == "David Perell"
    # A mapped name no page uses (any more) still resolves.
    assert plan_authors([], mapping).resolve("@david_perell on Twitter") == "David Perell"


def test_the_mapping_joins_a_handle_and_a_book_author() -> None:
    pages = [
        tweets("david_perell", "@david_perell on Twitter"),
        PageAuthor(names=("David Perell",), category="books", link="a book"),
    ]
    plan = plan_authors(pages, {"@david_perell on Twitter": "David Perell"})
    (author,) = plan.authors.values()
    assert author.name == "David Perell"
    assert {s.link for s in author.sources} == {
        "a book",
        tweets("", "@david_perell on Twitter").link,
    }


def test_handles_compare_case_insensitively_through_pages() -> None:
    # page_facts lower-cases the handle; handles differing in case are one person.
    a = page_handle("https://x.com/AlexTamkin/status/1", [])
    b = page_handle("https://twitter.com/ALEXTAMKIN/status/2", [])
    plan = plan_authors([tweets(a, "Alex Tamkin"), tweets(b, "Tweets From Alex Tamkin")])
    assert len(plan.authors) == 1


def test_different_handles_are_different_people() -> None:
    plan = plan_authors([tweets("alice", "@alice on Twitter"), tweets("bob", "@bob on Twitter")])
    assert sorted(plan.authors) == ["@alice on twitter", "@bob on twitter"]


def test_other_authors_compare_case_and_white_space_insensitively() -> None:
    books = [
        PageAuthor(names=("Daniel Kahneman",), category="books", link="a"),
        PageAuthor(names=("daniel  kahneman",), category="books", link="b"),
        PageAuthor(names=("Daniel Kahneman",), category="books", link="c"),
        PageAuthor(names=("Amos Tversky",), category="books", link="d"),
    ]
    plan = plan_authors(books)
    assert sorted(a.name for a in plan.authors.values()) == ["Amos Tversky", "Daniel Kahneman"]
    author = plan.authors[name_key("Daniel Kahneman")]
    assert {s.link for s in author.sources} == {"a", "b", "c"}
    assert author.aliases == set()  # the same name, only spelled with other case or spaces


def test_a_plain_name_a_handle_uses_is_that_person() -> None:
    pages = [
        tweets("alextamkin", "@AlexTamkin on Twitter"),
        tweets("alextamkin", "@AlexTamkin on Twitter"),
        tweets("alextamkin", "Alex Tamkin"),
        PageAuthor(names=("Alex Tamkin",), category="articles", link="an article"),
    ]
    plan = plan_authors(pages)
    (author,) = plan.authors.values()
    assert author.name == "@AlexTamkin on Twitter"
    assert "an article" in {s.link for s in author.sources}


def test_two_handles_giving_one_name_are_one_person() -> None:
    # A handle change, or one display name: `[[Alex Tamkin]]` can open only one page.
    plan = plan_authors(
        [
            tweets("alextamkin", "@AlexTamkin on Twitter"),
            tweets("alextamkin", "Alex Tamkin"),
            tweets("atamkin", "Alex Tamkin"),
            tweets("atamkin", "@atamkin on Twitter"),
        ]
    )
    (author,) = plan.authors.values()
    assert author.handles == {"alextamkin", "atamkin"}
    assert len(author.sources) == 4


def test_a_page_naming_several_people_does_not_tie_them_by_its_handle() -> None:
    plan = plan_authors(
        [PageAuthor(names=("Ann Alpha", "Bob Beta"), handle="annalpha", link="joint")]
    )
    assert sorted(a.name for a in plan.authors.values()) == ["Ann Alpha", "Bob Beta"]
    assert all(a.handles == set() for a in plan.authors.values())


def test_a_mapped_name_joins_the_person_whose_name_is_its_target() -> None:
    pages = [
        tweets("alextamkin", "@AlexTamkin on Twitter"),
        tweets("alextamkin", "David Perell"),  # odd, but then the name is that person's
        tweets("david_perell", "@david_perell on Twitter"),
    ]
    plan = plan_authors(pages, {"@david_perell on Twitter": "David Perell"})
    (author,) = plan.authors.values()
    assert author.name == "David Perell"


def test_the_spelling_chosen_stays_once_its_page_exists() -> None:
    pages = [tweets("h", "Alex Tamkin"), tweets("h", "alex tamkin"), tweets("h", "alex tamkin")]
    first = plan_authors(pages)
    assert [a.name for a in first.authors.values()] == ["alex tamkin"]
    # The next pass knows the page (names compare casefolded): the choice must not flip.
    again = plan_authors(pages, existing=["alex tamkin"])
    assert [a.name for a in again.authors.values()] == ["alex tamkin"]


_NAMES = st.sampled_from(
    ["Alex Tamkin", "alex tamkin", "@AlexTamkin on Twitter", "Alex L Tamkin", "Bo", "BO ", "Cy"]
)
_PAGES = st.lists(
    st.builds(
        PageAuthor,
        names=st.lists(_NAMES, min_size=1, max_size=2).map(tuple),
        handle=st.sampled_from([None, "alextamkin", "bo"]),
        link=st.text("abc", min_size=1, max_size=3),
    ),
    max_size=8,
)


@given(
    _PAGES,
    st.randoms(use_true_random=False),
    st.sampled_from([{}, {"bo": "Alex Tamkin"}, {"Cy": "Dee"}, {"Alex L Tamkin": "Cy"}]),
)
def test_the_plan_does_not_depend_on_page_order(
    pages: list[PageAuthor], rnd: random.Random, mapping: dict[str, str]
) -> None:
    shuffled = list(pages)
    rnd.shuffle(shuffled)
    a, b = plan_authors(pages, mapping), plan_authors(shuffled, mapping)
    assert a.canonical == b.canonical
    assert {k: (v.name, v.aliases, v.handles) for k, v in a.authors.items()} == {
        k: (v.name, v.aliases, v.handles) for k, v in b.authors.items()
    }
    # Every name a page gives resolves to the author who lists the page; each handle is one
    # author's.
    for page in pages:
        for name in page.names:
            author = a.authors[name_key(a.resolve(name))]
            assert any(s is page for s in author.sources)
    owners = [h for author in a.authors.values() for h in author.handles]
    assert len(owners) == len(set(owners))


# ------------------------------------------------------------------------ through a pass


def logseq_tweets(title: str, author: str, url: str, tweet_urls: list[str]) -> str:
    lines = [f"title:: {title} (highlights)", f"author:: {author}", "category:: #tweets"]
    if url:
        lines.append(f"url:: {url}")
    lines += ["", "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]"]
    lines += [f"\t- Tweet {i} of {title} ([View Tweet]({u}))" for i, u in enumerate(tweet_urls)]
    return "\n".join(lines) + "\n"


def obsidian_tweets(title: str, author: str, url: str, tweet_urls: list[str]) -> str:
    lines = [f"# {title}", "", "## Metadata", f"- Author: {author}", f"- Full Title: {title}"]
    lines += ["- Category: #tweets"] + ([f"- URL: {url}"] if url else []) + ["", "## Highlights"]
    lines += [f"- Tweet {i} of {title} ([View Tweet]({u}))" for i, u in enumerate(tweet_urls)]
    return "\n".join(lines) + "\n"


def make_graph(root: Path, pages: dict[str, str]) -> Path:
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (root / "pages").mkdir()
    for name, text in pages.items():
        (root / "pages" / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def make_obsidian(root: Path, pages: dict[str, str]) -> Path:
    (root / ".obsidian").mkdir(parents=True)
    (root / "Readwise" / "Tweets").mkdir(parents=True)
    for name, text in pages.items():
        (root / "Readwise" / "Tweets" / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def test_a_thread_quoting_others_belongs_to_the_handle_most_tweets_carry(tmp_path: Path) -> None:
    # No url:: at all: the author is whoever wrote most of the tweets, not the quoted people.
    thread = [
        "https://twitter.com/AlexTamkin/status/1540123808735973376",
        "https://twitter.com/quoted_person/status/1540123808735973300",
        "https://twitter.com/alextamkin/status/1540123808735973377",
    ]
    root = make_graph(
        tmp_path / "g",
        {
            "A (highlights)": logseq_tweets(
                "A",
                "[[Alex Tamkin]]",
                "https://x.com/AlexTamkin/status/1?rw_tt_thread=True",
                ["https://x.com/AlexTamkin/status/1540123808735973399"],
            ),
            "B (highlights)": logseq_tweets("B", "[[Tweets From Alex Tamkin]]", "", thread),
        },
    )
    vault = make_vault(root)
    run_pass(vault)
    pages = sorted(p.name for p in (root / "pages").iterdir())
    assert pages == ["A (highlights).md", "Alex Tamkin.md", "B (highlights).md"]
    author = (root / "pages" / "Alex Tamkin.md").read_text()
    assert "alias:: [[Tweets From Alex Tamkin]]" in author
    assert "[[A (highlights)]]" in author and "[[B (highlights)]]" in author


def test_obsidian_url_line_gives_the_handle(tmp_path: Path) -> None:
    root = make_obsidian(
        tmp_path / "o",
        {
            "One": obsidian_tweets(
                "One",
                "[[@alextamkin on Twitter]]",
                "https://twitter.com/alextamkin/status/1540123808735973376",
                ["https://twitter.com/alextamkin/status/1540123808735973376"],
            ),
            "Two": obsidian_tweets(
                "Two",
                "Alex Tamkin",
                "https://x.com/ALEXTAMKIN/status/2?rw_tt_thread=True",
                ["https://x.com/someone/status/1640123808735973376"],
            ),
        },
    )
    run_pass(make_vault(root))
    authors = sorted(p.name for p in (root / "Readwise" / "Authors").iterdir())
    assert authors == ["@alextamkin on Twitter.md"]
    two = (root / "Readwise" / "Tweets" / "Two.md").read_text()
    assert "- Author: [[@alextamkin on Twitter|Alex Tamkin]]\n" in two


def test_non_tweet_authors_differing_in_case_share_a_page(tmp_path: Path) -> None:
    def book(title: str, author: str) -> str:
        return (
            f"title:: {title} (highlights)\nauthor:: {author}\ncategory:: #books\n\n"
            "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
            f"\t- A line of {title} ([Location 10](https://readwise.io/to_kindle?location=10))\n"
        )

    root = make_graph(
        tmp_path / "g",
        {
            "One (highlights)": book("One", "[[Daniel Kahneman]]"),
            "Two (highlights)": book("Two", "daniel kahneman"),
            "Three (highlights)": book("Three", "[[Daniel Kahneman]]"),
        },
    )
    run_pass(make_vault(root), PassOptions())
    names = sorted(p.name for p in (root / "pages").iterdir())
    assert names == [
        "Daniel Kahneman.md",
        "One (highlights).md",
        "Three (highlights).md",
        "Two (highlights).md",
    ]
    page = (root / "pages" / "Daniel Kahneman.md").read_text()
    assert page.count("[[") == 3


def test_the_source_url_names_the_author_even_without_tweet_links(tmp_path: Path) -> None:
    # Tweets saved through Reader carry "View Highlight" links; url:: still names the handle.
    reader = (
        "title:: Saved In Reader (highlights)\nauthor:: [[Alex Tamkin]]\ncategory:: #tweets\n"
        "url:: https://x.com/AlexTamkin/status/1740123808735973376?rw_tt_thread=True\n\n"
        "- Highlights first synced by [[Readwise]] [[Jan 5th, 2025]]\n"
        "\t- A saved tweet ([View Highlight](https://read.readwise.io/read/01j0000000000001))\n"
    )
    root = make_graph(
        tmp_path / "g",
        {
            "Saved In Reader (highlights)": reader,
            "Thread (highlights)": logseq_tweets(
                "Thread",
                "[[@AlexTamkin on Twitter]]",
                "https://twitter.com/AlexTamkin/status/1540123808735973376",
                ["https://twitter.com/AlexTamkin/status/1540123808735973376"],
            ),
        },
    )
    report = run_pass(make_vault(root))
    assert len(report.authors_created) == 1
    text = report.authors_created[0].read_text()
    assert "[[Saved In Reader (highlights)]]" in text and "[[Thread (highlights)]]" in text


def test_an_article_about_twitter_is_not_by_a_handle(tmp_path: Path) -> None:
    article = (
        "title:: On Tweets (highlights)\nauthor:: [[Marta Quill]]\ncategory:: #articles\n"
        "url:: https://example.com/on-tweets\n\n"
        "- Highlights first synced by [[Readwise]] [[Jan 5th, 2025]]\n"
        "\t- See https://x.com/AlexTamkin/status/1 ([View Highlight](https://read.readwise.io/"
        "read/01j0000000000002))\n"
    )
    root = make_graph(tmp_path / "g", {"On Tweets (highlights)": article})
    run_pass(make_vault(root))
    assert (root / "pages" / "Marta Quill.md").exists()
