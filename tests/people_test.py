"""The pages for people, read as a browser without JavaScript reads them: what each shows, where each link goes."""
from __future__ import annotations

import datetime
import email.utils
import json
import posixpath
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup, Tag

from dumb_pypi import render
from dumb_pypi.publish import Output
from dumb_pypi.model import make_package, make_project
from tests.support import output_tree, build_index, write_json_list

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
HASH = "sha256=" + "ab" * 32


def _aspy_yaml() -> list[dict[str, object]]:
    return [
        {"filename": "aspy.yaml-0.1.0.tar.gz", "size": 900, "upload_timestamp": T0, "yanked_reason": "broken on <Windows>"},
        {
            "filename": "aspy.yaml-0.2.1.tar.gz", "size": 1825, "upload_timestamp": T0 + 86400, "hash": HASH,
            "uploaded_by": "ckuehl", "requires_python": ">=3.8", "summary": 'YAML, "fast" & <safe>',
        },
        {
            "filename": "aspy_yaml-0.2.1-py3-none-any.whl", "size": 2_500_000, "upload_timestamp": T0 + 86400 + 60,
            "uploaded_by": "ci-bot", "requires_python": ">=3.8", "summary": 'YAML, "fast" & <safe>',
        },
        # A pre-release is newer, but not what people should install.
        {"filename": "aspy.yaml-0.3.0rc1.tar.gz", "size": 2_600_000, "upload_timestamp": T0 + 2 * 86400},
    ]


def _build(tmp_path: Path, records: list[dict[str, object]], *argv: str, out: str = "out") -> Path:
    write_json_list(tmp_path / "list.jsonl", records)
    code = build_index(
        tmp_path, "--package-list-json", "list.jsonl", "--packages-url", "../../pool/",
        "--output-dir", out, "--no-generate-timestamp", "--quiet", *argv,
    )
    assert code == 0
    return tmp_path / out


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(), "html.parser")


def _text(element: Tag | BeautifulSoup) -> str:
    return " ".join(element.get_text(" ").split())


def _people_pages(root: Path) -> Iterator[Path]:
    yield root / "index.html"
    for folder in ("list", "project", "changelog"):
        yield from sorted((root / folder).rglob("*.html"))


def _projects(count: int) -> list[dict[str, object]]:
    # Upload times climb with the name, so newest-first order is the reverse of name order.
    return [
        {"filename": f"proj-{chr(ord('a') + i)}{i}-1.0.tar.gz", "upload_timestamp": T0 + i * 3600, "summary": f"project {i}"}
        for i in range(count)
    ]


# --- project/<name>/index.html ----------------------------------------------


def test_project_page_shows_every_release_newest_first_with_its_files(tmp_path: Path) -> None:
    root = _build(tmp_path, _aspy_yaml())
    page = _soup(root / "project" / "aspy-yaml" / "index.html")

    assert _text(page.find("h1")) == "aspy.yaml 0.2.1"
    assert _text(page.find(class_="summary")) == 'YAML, "fast" & <safe>'
    facts = _text(page.find("dl"))
    assert "Requires-Python >=3.8" in facts
    assert "Last upload 2023-11-16 22:13:20 UTC" in facts
    assert "Releases 3, 4 files" in facts

    releases = page.find_all("section", class_="release")
    assert [r["id"] for r in releases] == ["v0.3.0rc1", "v0.2.1", "v0.1.0"]
    assert "pre-release" in _text(releases[0].find("h3"))

    files = releases[1].find_all("li")
    assert [_text(f.find("a")) for f in files] == ["aspy.yaml-0.2.1.tar.gz", "aspy_yaml-0.2.1-py3-none-any.whl"]
    assert [f.find("a")["href"] for f in files] == [
        "../../pool/aspy.yaml-0.2.1.tar.gz", "../../pool/aspy_yaml-0.2.1-py3-none-any.whl",
    ]
    sdist, wheel = (_text(f) for f in files)
    assert "sdist · 1.8 kB · 2023-11-15 22:13:20 UTC · by ckuehl · Python >=3.8" in sdist
    assert HASH in sdist
    assert "wheel · 2.5 MB · 2023-11-15 22:14:20 UTC · by ci-bot" in wheel
    assert "sha256=" not in wheel
    assert files[0].find(title="1825 bytes") is not None

    yanked = releases[2]
    assert "yanked" in yanked["class"]
    assert "yanked" in _text(yanked.find("h3"))
    assert _text(yanked.find(class_="reason")) == "Yanked: broken on <Windows>"
    assert "yanked: broken on <Windows>" in _text(yanked.find("li"))

    links = {_text(a): a["href"] for a in page.find("dl").find_all("a")}
    assert links == {"simple page": "../../simple/aspy-yaml/", "JSON": "../../pypi/aspy-yaml/json"}


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ((), "pip install --index-url <this-site>/simple/ aspy.yaml==0.2.1"),
        (("--site-url", "https://pypi.example/base"), "pip install --index-url https://pypi.example/base/simple/ aspy.yaml==0.2.1"),
    ],
    ids=["placeholder", "site-url"],
)
def test_the_install_line_pins_the_latest_version_on_this_index(tmp_path: Path, argv: tuple[str, ...], line: str) -> None:
    root = _build(tmp_path, _aspy_yaml(), *argv)
    install = _soup(root / "project" / "aspy-yaml" / "index.html").find(id="install-line")
    # Never a bare `pip install NAME`: that would ask the public index for a private name.
    assert install.get_text() == line
    assert install.has_attr("data-index") == (not argv)


def test_a_version_that_is_not_pep440_is_installed_by_name_alone(tmp_path: Path) -> None:
    root = _build(tmp_path, [{"filename": "odd-2.0~build7.tar.gz"}])
    install = _soup(root / "project" / "odd" / "index.html").find(id="install-line")
    assert install.get_text() == "pip install --index-url <this-site>/simple/ odd"


# --- Every page ---------------------------------------------------------------


def test_every_value_is_escaped_on_every_page(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>'
    records = [{
        "filename": "xss-1.0.tar.gz", "summary": evil, "uploaded_by": f"<img src=x onerror=alert(1)>{evil}",
        "yanked_reason": evil, "upload_timestamp": T0, "requires_python": ">=3.8,<4",
    }]
    root = _build(tmp_path, records, "--title", f"Acme {evil}")
    for path in _people_pages(root):
        html = path.read_text()
        assert "<script>alert" not in html and "<img src=x" not in html, path
        page = _soup(path)
        assert len(page.find_all("script")) == 1, path  # ours, nothing injected
        assert _text(page.find(class_="title")) == f"Acme {evil}"
    project = _soup(root / "project" / "xss" / "index.html")
    assert _text(project.find(class_="summary")) == evil
    assert f"by <img src=x onerror=alert(1)>{evil}" in _text(project.find("li"))
    assert _text(project.find(class_="reason")) == f"Yanked: {evil}"


def test_title_and_logo_are_on_every_page(tmp_path: Path) -> None:
    root = _build(
        tmp_path, _aspy_yaml() + _projects(3),
        "--title", "Acme Packages", "--logo", "https://cdn.acme.example/logo.png", "--logo-width", "64",
    )
    pages = list(_people_pages(root))
    assert len(pages) == 1 + 4 + 2  # index, four projects, one changelog page and its copy at changelog/index.html
    for path in pages:
        page = _soup(path)
        assert _text(page.find("title")).endswith("Acme Packages"), path
        assert _text(page.find(class_="title")) == "Acme Packages", path
        logo = page.find("header").find("img")
        assert (logo["src"], logo["width"]) == ("https://cdn.acme.example/logo.png", "64"), path


def _local_target(page: Path, href: str, root: Path) -> tuple[str, str]:
    """(path below ROOT, fragment) that a relative HREF on PAGE opens, as a static server maps it."""
    path, _, fragment = href.partition("#")
    path = path.partition("?")[0]
    base = page.parent.relative_to(root).as_posix()
    target = posixpath.normpath(posixpath.join(base, path)) if path else page.relative_to(root).as_posix()
    if not path or path.endswith("/"):
        target = posixpath.join(target, "index.html") if path else target
    return target, fragment


def test_every_link_and_resource_on_the_pages_stays_on_this_site_and_exists(tmp_path: Path) -> None:
    root = _build(tmp_path, _aspy_yaml() + _projects(5))
    checked = 0
    for path in _people_pages(root):
        page = _soup(path)
        for element in page.find_all(["a", "link", "script", "img"]):
            url = element.get("href") or element.get("src")
            if url is None or url == "data:,":
                continue
            assert not re.match(r"[a-z]+:|//", url), f"{path}: {url} leaves the site"
            target, fragment = _local_target(path, url, root)
            if target.startswith("pool/"):
                continue  # the distributions themselves, served beside the index
            assert (root / target).is_file(), f"{path}: {url} -> {target} does not exist"
            if fragment and target.endswith(".html"):
                assert _soup(root / target).find(id=fragment) is not None, f"{path}: {url} has no #{fragment}"
            checked += 1
    assert checked > 100


def test_pages_for_people_are_recorded_in_the_manifest(tmp_path: Path) -> None:
    root = _build(tmp_path, _aspy_yaml() + _projects(2))
    recorded = Output(root).read_manifest()
    assert recorded is not None
    manifest = recorded.paths
    written = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert written - manifest == {".dumb-pypi-manifest.json", ".dumb-pypi.lock", ".dumb-pypi-cache"}
    assert {
        "index.html", "project/aspy-yaml/index.html", "changelog/page1.html", "changelog/index.html",
        "rss/updates.xml", "search/names.js", "search/rows0.js", "static/dumb-pypi.css", "static/dumb-pypi.js",
    } <= manifest


# --- The list of projects, without JavaScript ----------------------------------


def _follow(root: Path, first: str) -> Iterator[tuple[str, BeautifulSoup]]:
    """Each page of a paginated listing, following rel=next from FIRST; checks rel=prev leads back."""
    current: str | None = first
    previous: str | None = None
    while current is not None:
        page = _soup(root / current)
        back = page.find("a", rel="prev")
        assert (back and _local_target(root / current, back["href"], root)[0]) == previous
        yield current, page
        after = page.find("a", rel="next")
        previous, current = current, after and _local_target(root / current, after["href"], root)[0]


def test_the_whole_list_is_reachable_without_javascript(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "PAGE_SIZE", 3)
    records = _projects(8) + [{"filename": "zeta-1.0.tar.gz"}, {"filename": "0ad-1.0.tar.gz"}]
    root = _build(tmp_path, records)

    pages = list(_follow(root, "index.html"))
    assert [path for path, _ in pages] == ["index.html", "list/page2.html", "list/page3.html", "list/page4.html"]
    listed = [_text(a) for _, page in pages for a in page.select("#all tbody a")]
    assert listed == ["0ad"] + [f"proj-{chr(ord('a') + i)}{i}" for i in range(8)] + ["zeta"]
    assert "Page 2 of 4" in _text(pages[1][1].find("nav", class_="pager"))
    row = pages[0][1].select("#all tbody tr")[1]
    assert [_text(cell) for cell in row.find_all("td")] == ["proj-a0", "1.0", "2023-11-14", "project 0"]
    # The search box is for JavaScript only: it stays hidden without it.
    assert pages[0][1].find("form", class_="search").has_attr("hidden")

    # The letter bar jumps to the page and row where each initial starts.
    jumps = {_text(a): a["href"] for a in pages[2][1].select("nav.initials a")}
    assert jumps == {"0–9": "../index.html#initial-0", "P": "../index.html#initial-p", "Z": "../list/page4.html#initial-z"}
    for href in jumps.values():
        target, fragment = _local_target(root / "list" / "page3.html", href, root)
        assert _soup(root / target).find(id=fragment).find("a").get_text()[0] == fragment[-1]


# --- Changelog -------------------------------------------------------------------


def test_changelog_lists_releases_newest_upload_first_across_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "PAGE_SIZE", 2)
    records = _aspy_yaml() + _projects(3) + [{"filename": "timeless-1.0.tar.gz"}]
    root = _build(tmp_path, records)

    # Page 1 has the oldest uploads; the newest page is also at changelog/index.html, which every page links.
    assert _soup(root / "index.html").find("a", string="Recent uploads")["href"] == "changelog/index.html"
    assert (root / "changelog" / "index.html").read_bytes() == (root / "changelog" / "page3.html").read_bytes()
    pages = list(_follow(root, "changelog/page3.html"))
    assert [path for path, _ in pages] == ["changelog/page3.html", "changelog/page2.html", "changelog/page1.html"]
    assert pages[1][1].find("a", rel="first")["href"] == "index.html"
    rows = [[_text(td) for td in tr.find_all("td")] for _, page in pages for tr in page.select("tbody tr")]
    assert [row[:2] for row in rows] == [
        ["2023-11-16 22:13:20 UTC", "aspy.yaml 0.3.0rc1"],
        ["2023-11-15 22:14:20 UTC", "aspy.yaml 0.2.1"],  # its newest file
        ["2023-11-15 00:13:20 UTC", "proj-c2 1.0"],
        ["2023-11-14 23:13:20 UTC", "proj-b1 1.0"],
        # Uploads at one instant: by project name.
        ["2023-11-14 22:13:20 UTC", "aspy.yaml 0.1.0 yanked"],
        ["2023-11-14 22:13:20 UTC", "proj-a0 1.0"],
    ]
    assert rows[1][2:] == ["2 files", "ci-bot, ckuehl"]
    # No page says how many there are, so that a new upload leaves the older pages as they are.
    assert all("3" not in _text(page.find("nav", class_="pager")) for _, page in pages)
    link = pages[0][1].select("tbody tr")[1].find_all("a")[1]["href"]
    assert link == "../project/aspy-yaml/#v0.2.1"


def test_without_upload_times_the_changelog_says_so(tmp_path: Path) -> None:
    root = _build(tmp_path, [{"filename": "timeless-1.0.tar.gz"}])
    page = _soup(root / "changelog" / "page1.html")
    assert page.find("table") is None
    assert "No upload times are known" in _text(page)


# --- Search data -------------------------------------------------------------


def _js_call(path: Path, function: str) -> list[object]:
    text = path.read_text()
    assert text.startswith(f"dumbPypi.{function}(") and text.endswith(");\n")
    return list(json.loads("[" + text[len(f"dumbPypi.{function}("):-3] + "]"))


def test_search_data_holds_every_project_in_name_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "SHARD_SIZE", 2)
    root = _build(tmp_path, _aspy_yaml() + _projects(4))
    token = _soup(root / "index.html").find("form", class_="search")["data-token"]
    assert _soup(root / "index.html").find("form", class_="search")["data-shard"] == "2"

    name_token, names, versions = _js_call(root / "search" / "names.js", "names")
    assert name_token == token
    assert isinstance(versions, list) and len(versions) == 3
    assert isinstance(names, str)
    assert names.split("\n") == ["aspy-yaml", "proj-a0", "proj-b1", "proj-c2", "proj-d3"]
    rows = []
    for shard in range(3):
        shard_token, number, shard_rows = _js_call(root / "search" / f"rows{shard}.js", "rows")
        assert (shard_token, number) == (token, shard)
        assert isinstance(shard_rows, list)
        rows.extend(shard_rows)
    assert not (root / "search" / "rows3.js").exists()
    assert rows[0] == ["aspy.yaml", "0.2.1", T0 + 2 * 86400, 'YAML, "fast" & <safe>']
    assert rows[1:] == [[f"proj-{chr(ord('a') + i)}{i}", "1.0", T0 + i * 3600, f"project {i}"] for i in range(4)]


def test_the_search_token_names_the_projects_and_a_shard_version_its_rows(tmp_path: Path) -> None:
    first = _build(tmp_path, _projects(3), out="one")
    records = _projects(3)
    records[1]["summary"] = "changed"
    second = _build(tmp_path, records, out="two")
    third = _build(tmp_path, _projects(4), out="three")
    tokens = [_soup(root / "index.html").find("form")["data-token"] for root in (first, second, third)]
    # Same projects: the same token, so a changed row rewrites only its shard and names.js, not every list page.
    assert tokens[0] == tokens[1] != tokens[2]
    versions = [_js_call(root / "search" / "names.js", "names")[2] for root in (first, second)]
    assert versions[0] != versions[1]


# --- Reproducible, and partial rebuilds ----------------------------------------


def _tree(root: Path) -> dict[str, object]:
    return output_tree(root)


def test_no_generate_timestamp_makes_every_page_byte_identical(tmp_path: Path) -> None:
    records = _aspy_yaml() + _projects(4)
    one = _tree(_build(tmp_path, records, out="one"))
    two = _tree(_build(tmp_path, list(reversed(records)), out="two"))
    # The manifest and the build cache record the hash of the list's bytes, the only thing that tells the two apart.
    del one[".dumb-pypi-manifest.json"], two[".dumb-pypi-manifest.json"], one[".dumb-pypi-cache"], two[".dumb-pypi-cache"]
    assert one == two

    write_json_list(tmp_path / "list.jsonl", records)
    assert build_index(tmp_path, "--package-list-json", "list.jsonl", "--packages-url", "../../pool/", "--output-dir", "stamped", "-q") == 0
    stamped = _tree(tmp_path / "stamped")
    year = str(datetime.datetime.now(datetime.timezone.utc).year)
    for path in ("index.html", "project/aspy-yaml/index.html", "changelog/page1.html"):
        assert f"Generated by dumb-pypi on {year}" in stamped[path].decode()
        assert "Generated by dumb-pypi." in one[path].decode()
    assert b"<lastBuildDate>" in stamped["rss/updates.xml"] and b"<lastBuildDate>" not in one["rss/updates.xml"]


def test_a_partial_rebuild_gives_the_full_build_and_deletes_pages_that_went(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render, "PAGE_SIZE", 2)
    monkeypatch.setattr(render, "SHARD_SIZE", 2)
    before = _aspy_yaml() + _projects(5)
    root = _build(tmp_path, before)
    assert (root / "list" / "page3.html").exists() and (root / "search" / "rows2.js").exists()

    after = _projects(3)
    after[0]["summary"] = "changed"
    write_json_list(tmp_path / "list.jsonl", after)
    code = build_index(
        tmp_path, "--package-list-json", "list.jsonl", "--packages-url", "../../pool/", "--output-dir", "out",
        "--no-generate-timestamp", "-q", "--previous-package-list-json", "out/packages.json",
    )
    assert code == 0
    full = _build(tmp_path, after, out="full")
    assert _tree(root) == _tree(full)
    assert not (root / "project" / "aspy-yaml").exists()
    assert not (root / "list" / "page3.html").exists() and not (root / "search" / "rows2.js").exists()
    assert "changed" in (root / "project" / "proj-a0" / "index.html").read_text()


def test_an_empty_index_has_pages_that_say_so(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    code = build_index(tmp_path, "--package-list", "empty.txt", "--packages-url", "x/", "--output-dir", "out", "--allow-empty", "-q")
    assert code == 0
    root = tmp_path / "out"
    assert "This index has no projects yet." in _text(_soup(root / "index.html"))
    assert _js_call(root / "search" / "names.js", "names")[1] == ""
    assert not list((root / "search").glob("rows*.js"))
    assert ElementTree.parse(root / "rss" / "updates.xml").getroot().find("channel/item") is None


# --- RSS -------------------------------------------------------------------------


def _rss(root: Path) -> ElementTree.Element:
    return ElementTree.parse(root / "rss" / "updates.xml").getroot()


@pytest.mark.parametrize(
    ("argv", "base"),
    [((), "../"), (("--site-url", "https://pypi.example/"), "https://pypi.example/")],
    ids=["relative", "site-url"],
)
def test_the_feed_is_rss_2_with_what_a_reader_needs(tmp_path: Path, argv: tuple[str, ...], base: str) -> None:
    records = _aspy_yaml() + _projects(3)
    records[1]["summary"] = "bells and <tags> & ampersands"
    root = _build(tmp_path, records, "--title", "Acme & Co", *argv)

    rss = _rss(root)
    assert (rss.tag, rss.get("version")) == ("rss", "2.0")
    channel = rss.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Acme & Co: newest uploads"
    assert channel.findtext("link") == f"{base}changelog/index.html"
    assert channel.findtext("description")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [
        "aspy.yaml 0.3.0rc1", "aspy.yaml 0.2.1", "proj-c2 1.0", "proj-b1 1.0", "aspy.yaml 0.1.0", "proj-a0 1.0",
    ]
    second = items[1]
    assert second.findtext("link") == f"{base}project/aspy-yaml/#v0.2.1"
    assert second.findtext("description") == "bells and <tags> & ampersands"
    when = email.utils.parsedate_to_datetime(second.findtext("pubDate") or "")
    assert when == datetime.datetime.fromtimestamp(T0 + 86400 + 60, datetime.timezone.utc)
    guid = second.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "false"
    assert len({item.findtext("guid") for item in items}) == len(items)
    assert items[0].findtext("description") == "1 file"


def test_the_feed_drops_characters_that_xml_cannot_hold() -> None:
    # The list readers refuse control characters; the feed must stay XML even if one slipped through.
    package = make_package("bell-1.0.tar.gz", upload_timestamp=T0, summary="ding\x07\x1b dong\ufffe")
    listing = render.Listing.of([make_project([package])], render.Site(packages_url="p/", title="T\x0c"))
    item = ElementTree.fromstring(render.rss_xml(listing).encode()).find("channel/item")
    assert item is not None and item.findtext("description") == "ding dong"


def test_a_feed_reader_accepts_the_feed(tmp_path: Path) -> None:
    root = _build(tmp_path, _aspy_yaml(), "--site-url", "https://pypi.example/")
    feed = feedparser.parse((root / "rss" / "updates.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert [e.title for e in feed.entries] == ["aspy.yaml 0.3.0rc1", "aspy.yaml 0.2.1", "aspy.yaml 0.1.0"]
    assert feed.entries[1].link == "https://pypi.example/project/aspy-yaml/#v0.2.1"
    assert feed.entries[1].published_parsed[:6] == (2023, 11, 15, 22, 14, 20)

    # Without --site-url, a reader resolves the links against the feed's own URL.
    relative = _build(tmp_path, _aspy_yaml(), out="relative")
    feed = feedparser.parse(
        (relative / "rss" / "updates.xml").read_bytes(),
        response_headers={
            "content-location": "https://pypi.example/rss/updates.xml", "content-type": "application/rss+xml",
        },
    )
    assert not feed.bozo
    assert feed.entries[0].link == "https://pypi.example/project/aspy-yaml/#v0.3.0rc1"


def test_the_feed_holds_the_newest_releases_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "FEED_SIZE", 2)
    root = _build(tmp_path, _projects(5))
    assert [item.findtext("title") for item in _rss(root).iter("item")] == ["proj-e4 1.0", "proj-d3 1.0"]


# --- Command line --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("pypi.example", "give the absolute URL where the output folder is served, not 'pypi.example'"),
        ("https://", "give the absolute URL"),
        ("ftp://pypi.example/", "URL scheme 'ftp' is not allowed"),
        ('https://x/"onload=', "the URL contains '\"'"),
    ],
)
def test_site_url_must_be_an_absolute_http_url(
    tmp_path: Path, url: str, why: str, capsys: pytest.CaptureFixture[str],
) -> None:
    write_json_list(tmp_path / "list.jsonl", _projects(1))
    with pytest.raises(SystemExit) as exit:
        build_index(tmp_path, "--package-list-json", "list.jsonl", "--packages-url", "x/", "--output-dir", "out", "--site-url", url)
    assert exit.value.code == 2
    assert f"--site-url: {why}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_changing_the_site_url_rebuilds_every_project_page(tmp_path: Path) -> None:
    root = _build(tmp_path, _projects(2), "--site-url", "https://a.example/")
    code = build_index(
        tmp_path, "--package-list-json", "list.jsonl", "--packages-url", "../../pool/", "--output-dir", "out",
        "--no-generate-timestamp", "-q", "--previous-package-list-json", "out/packages.json",
        "--site-url", "https://b.example/",
    )
    assert code == 0
    assert "https://b.example/simple/" in (root / "project" / "proj-a0" / "index.html").read_text()
