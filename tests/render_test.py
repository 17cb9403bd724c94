import datetime
import html.parser
import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dumb_pypi import render
from dumb_pypi.model import Package, Project, make_package, make_project
from dumb_pypi.render import Site

HOST = "https://pypi.example/"
SHA = "sha256=" + "0123456789abcdef" * 4
EVIL = '"><script>alert(1)</script><a x=\''
_VOID = frozenset(("meta", "br", "img", "link", "input", "hr"))


class Page(html.parser.HTMLParser):
    """Every element of an HTML page, as a browser's tokenizer sees it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), f"duplicate attribute in <{tag} {attrs}>"
        self.elements.append((tag, dict(attrs)))
        if tag == "a":
            self.anchors.append((dict(attrs), ""))
        if tag not in _VOID:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self._open:
            return
        self.texts[self._open[-1]] = self.texts.get(self._open[-1], "") + data
        if "a" in self._open:
            attrs, text = self.anchors[-1]
            self.anchors[-1] = (attrs, text + data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def meta(self, name: str) -> str | None:
        [meta] = [attrs for attrs in self.tags("meta") if attrs.get("name") == name]
        return meta["content"]


def assert_inert(page: Page) -> None:
    assert page.tags("script") == []
    for tag, attrs in page.elements:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


def site(packages_url: str | None = "../../packages", **kwargs: Any) -> Site:
    return Site(packages_url=packages_url, **kwargs)


def project(*packages: Package) -> Project:
    return make_project(packages)


def foo(**kwargs: Any) -> Package:
    return make_package(kwargs.pop("filename", "foo-1.0.tar.gz"), **kwargs)


def anchor(package: Package, s: Site | None = None) -> dict[str, str | None]:
    page = Page(render.simple_project_html(project(package), s or site()))
    [(attrs, text)] = page.anchors
    assert text == package.filename
    return attrs


def simple_json(*packages: Package, s: Site | None = None) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(render.simple_project_json(project(*packages), s or site()))
    return result


# Relative URLs from every page.

@pytest.mark.parametrize(
    ("url", "page", "expected"),
    [
        ("../../packages/x.tar.gz", "", "packages/x.tar.gz"),
        ("../../packages/x.tar.gz", "simple/foo/", "../../packages/x.tar.gz"),
        ("../../packages/x.tar.gz", "pypi/foo/", "../../packages/x.tar.gz"),
        ("../../packages/x.tar.gz", "pypi/foo/1.0/", "../../../packages/x.tar.gz"),
        ("../../../pool/x.tar.gz", "", "../pool/x.tar.gz"),
        ("../../../pool/x.tar.gz", "pypi/foo/1.0/", "../../../../pool/x.tar.gz"),
        ("../../packages/sub/", "", "packages/sub/"),
        ("../../p/x.tar.gz?a=1#frag", "pypi/foo/1.0/", "../../../p/x.tar.gz?a=1#frag"),
        # Relative URLs that stay in the project's own simple folder.
        ("x.tar.gz", "simple/foo/", "x.tar.gz"),
        ("x.tar.gz", "pypi/foo/", "../../simple/foo/x.tar.gz"),
        ("x.tar.gz", "pypi/foo/1.0/", "../../../simple/foo/x.tar.gz"),
        ("x.tar.gz", "simple/", "foo/x.tar.gz"),
        ("x.tar.gz", "", "simple/foo/x.tar.gz"),
        ("../bar/x.tar.gz", "pypi/foo/", "../../simple/bar/x.tar.gz"),
        ("https://files.example/x.tar.gz", "", "https://files.example/x.tar.gz"),
        ("https://files.example/x.tar.gz", "pypi/foo/1.0/", "https://files.example/x.tar.gz"),
        ("/pool/x.tar.gz", "", "/pool/x.tar.gz"),
        ("/pool/x.tar.gz", "pypi/foo/1.0/", "/pool/x.tar.gz"),
    ],
)
def test_relocate(url: str, page: str, expected: str) -> None:
    assert render.relocate(url, "foo", page) == expected


# Deep enough that no generated URL climbs above the host, where urljoin would clamp.
_DEEP = "https://pypi.example/1/2/3/4/5/6/"
_segments = st.lists(st.sampled_from(["..", ".", "a", "b"]), max_size=4)


@given(
    _segments,
    st.lists(st.sampled_from(["simple", "pypi", "foo", "a", "1.0"]), max_size=3),
    st.sampled_from(["", "?q=1", "#sha256=ab"]),
)
def test_relocated_url_resolves_to_the_same_place_from_any_page(
    folders: list[str], page_folders: list[str], suffix: str,
) -> None:
    url = "/".join([*folders, "x.tar.gz"]) + suffix
    page = "".join(f + "/" for f in page_folders)
    relocated = render.relocate(url, "foo", page)
    assert urllib.parse.urljoin(_DEEP + page + "json", relocated) == urllib.parse.urljoin(_DEEP + "simple/foo/", url)


@pytest.mark.parametrize(
    ("packages_url", "expected"),
    [
        ("../../packages", HOST + "packages/sub/foo-1.0.tar.gz"),
        ("../../packages/", HOST + "packages/sub/foo-1.0.tar.gz"),
        ("../../../elsewhere", HOST + "elsewhere/sub/foo-1.0.tar.gz"),
        ("https://files.example/pool", "https://files.example/pool/sub/foo-1.0.tar.gz"),
        ("/pool", HOST + "pool/sub/foo-1.0.tar.gz"),
    ],
)
def test_every_page_links_the_file_where_packages_url_says(packages_url: str, expected: str) -> None:
    p = foo(path="sub/foo-1.0.tar.gz")
    proj = project(p)
    s = site(packages_url)
    [(attrs, _)] = Page(render.simple_project_html(proj, s)).anchors
    assert urllib.parse.urljoin(HOST + "simple/foo/", attrs["href"]) == expected
    [entry] = json.loads(render.simple_project_json(proj, s))["files"]
    assert urllib.parse.urljoin(HOST + "simple/foo/index.v1_json", entry["url"]) == expected
    pypi = json.loads(render.pypi_project_json(proj, s))
    assert urllib.parse.urljoin(HOST + "pypi/foo/json", pypi["urls"][0]["url"]) == expected
    assert urllib.parse.urljoin(HOST + "pypi/foo/json", pypi["releases"]["1.0"][0]["url"]) == expected
    release = json.loads(render.pypi_release_json(proj, proj.releases[0], s))
    assert urllib.parse.urljoin(HOST + "pypi/foo/1.0/json", release["urls"][0]["url"]) == expected
    if packages_url.startswith(("https:", "/")):
        assert release["urls"][0]["url"] == expected.removeprefix(HOST[:-1])


def test_a_file_url_of_its_own_overrides_packages_url_and_is_relocated_when_relative() -> None:
    absolute = foo(url="https://cdn.example/foo-1.0.tar.gz")
    relative = foo(filename="foo-2.0.tar.gz", url="../../other/foo-2.0.tar.gz")
    proj = project(absolute, relative)
    hrefs = [attrs["href"] for attrs, _ in Page(render.simple_project_html(proj, site())).anchors]
    assert hrefs == ["https://cdn.example/foo-1.0.tar.gz", "../../other/foo-2.0.tar.gz"]
    release = json.loads(render.pypi_release_json(proj, proj.releases[1], site()))
    assert release["urls"][0]["url"] == "../../../other/foo-2.0.tar.gz"


def test_a_file_url_inside_the_project_folder_is_right_on_every_page() -> None:
    # {"filename": "foo-1.0.tar.gz", "url": "foo-1.0.tar.gz"}: the file sits beside simple/foo/index.html.
    proj = project(foo(url="foo-1.0.tar.gz"))
    expected = HOST + "simple/foo/foo-1.0.tar.gz"
    [(attrs, _)] = Page(render.simple_project_html(proj, site(None))).anchors
    assert urllib.parse.urljoin(HOST + "simple/foo/", attrs["href"]) == expected
    pypi = json.loads(render.pypi_project_json(proj, site(None)))
    assert urllib.parse.urljoin(HOST + "pypi/foo/json", pypi["urls"][0]["url"]) == expected
    release = json.loads(render.pypi_release_json(proj, proj.releases[0], site(None)))
    assert urllib.parse.urljoin(HOST + "pypi/foo/1.0/json", release["urls"][0]["url"]) == expected


def test_packages_url_quotes_the_path() -> None:
    p = foo(filename="foo-1.0+local.tar.gz", path="a b/foo-1.0+local.tar.gz")
    assert render.file_url(p, "https://f.example") == "https://f.example/a%20b/foo-1.0%2Blocal.tar.gz"


# PEP 503 / 592 / 658 / 714 anchors.

def test_href_carries_the_hash_fragment_when_known() -> None:
    assert anchor(foo(hash=SHA))["href"] == "../../packages/foo-1.0.tar.gz#" + SHA
    assert anchor(foo())["href"] == "../../packages/foo-1.0.tar.gz"


def test_requires_python_is_html_escaped() -> None:
    text = render.simple_project_html(project(foo(requires_python="<3,>=2.7")), site())
    assert 'data-requires-python="&lt;3,&gt;=2.7"' in text
    assert anchor(foo(requires_python="<3,>=2.7"))["data-requires-python"] == "<3,>=2.7"
    assert "data-requires-python" not in anchor(foo())


def test_data_yanked_is_empty_or_the_reason_never_bare() -> None:
    text = render.simple_project_html(project(foo(yanked=True)), site())
    assert 'data-yanked=""' in text
    assert anchor(foo(yanked=True))["data-yanked"] == ""
    assert anchor(foo(yanked_reason="broken build"))["data-yanked"] == "broken build"
    assert "data-yanked" not in anchor(foo())


@pytest.mark.parametrize("value", ["true", SHA])
def test_core_metadata_is_announced_under_both_names(value: str) -> None:
    attrs = anchor(foo(core_metadata=value))
    assert attrs["data-core-metadata"] == attrs["data-dist-info-metadata"] == value


def test_no_core_metadata_attributes_when_unknown() -> None:
    attrs = anchor(foo())
    assert "data-core-metadata" not in attrs and "data-dist-info-metadata" not in attrs


def test_anchors_are_in_release_order_and_text_is_the_filename() -> None:
    proj = project(foo(filename="foo-2.0.tar.gz"), foo(filename="foo-1.0-py3-none-any.whl"), foo())
    page = Page(render.simple_project_html(proj, site()))
    assert [text for _, text in page.anchors] == ["foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl", "foo-2.0.tar.gz"]


def test_repository_version_is_1_1_only_when_every_file_has_a_size() -> None:
    sized = project(foo(size=1), foo(filename="foo-2.0.tar.gz", size=0))
    unsized = project(foo(size=1), foo(filename="foo-2.0.tar.gz"))
    assert Page(render.simple_project_html(sized, site())).meta("pypi:repository-version") == "1.1"
    assert Page(render.simple_project_html(unsized, site())).meta("pypi:repository-version") == "1.0"
    assert json.loads(render.simple_project_json(sized, site()))["meta"] == {"api-version": "1.1"}
    assert json.loads(render.simple_project_json(unsized, site()))["meta"] == {"api-version": "1.0"}


def test_simple_root_lists_every_project_by_normalised_name() -> None:
    projects = [project(foo(filename="Foo.Bar-1.0.tar.gz")), project(foo(filename="zed-1.0.tar.gz"))]
    page = Page(render.simple_root_html(projects))
    assert page.anchors == [({"href": "foo-bar/"}, "Foo.Bar"), ({"href": "zed/"}, "zed")]
    assert page.meta("pypi:repository-version") == "1.1"
    assert json.loads(render.simple_root_json(projects)) == {
        "meta": {"api-version": "1.1"}, "projects": [{"name": "Foo.Bar"}, {"name": "zed"}],
    }


# PEP 691 / 700 JSON.

def test_simple_project_json_with_everything_known() -> None:
    p = foo(
        hash=SHA, requires_python=">=3.8", core_metadata=SHA, size=12,
        upload_timestamp=1500000000, yanked_reason="bad", uploaded_by="someone",
    )
    assert simple_json(p) == {
        "meta": {"api-version": "1.1"},
        "name": "foo",
        "versions": ["1.0"],
        "files": [{
            "filename": "foo-1.0.tar.gz",
            "url": "../../packages/foo-1.0.tar.gz",
            "hashes": {"sha256": SHA.removeprefix("sha256=")},
            "requires-python": ">=3.8",
            "core-metadata": {"sha256": SHA.removeprefix("sha256=")},
            "yanked": "bad",
            "size": 12,
            "upload-time": "2017-07-14T02:40:00Z",
        }],
    }


def test_simple_project_json_with_nothing_known() -> None:
    assert simple_json(foo())["files"] == [
        {"filename": "foo-1.0.tar.gz", "url": "../../packages/foo-1.0.tar.gz", "hashes": {}, "yanked": False},
    ]


def test_simple_project_json_name_is_normalised_and_versions_list_every_release() -> None:
    result = simple_json(foo(filename="Foo_Bar-1.0.tar.gz"), foo(filename="Foo_Bar-2.0b1-py3-none-any.whl"))
    assert result["name"] == "foo-bar"
    assert result["versions"] == ["1.0", "2.0b1"]


def test_simple_project_json_core_metadata_true_and_yanked_without_reason() -> None:
    [entry] = simple_json(foo(core_metadata="true", yanked=True))["files"]
    assert entry["core-metadata"] is True
    assert entry["yanked"] is True


def test_simple_project_json_never_has_dist_info_metadata() -> None:
    text = render.simple_project_json(project(foo(core_metadata="true"), foo(filename="foo-2.tar.gz", core_metadata=SHA)), site())
    assert "dist-info-metadata" not in text


def test_simple_project_json_an_empty_yank_reason_is_true() -> None:
    # PEP 691 allows only a non-empty reason: a client testing "" for truth reads "not yanked".
    [entry] = simple_json(foo(yanked_reason=""))["files"]
    assert entry["yanked"] is True
    assert anchor(foo(yanked_reason=""))["data-yanked"] == ""


def test_simple_project_json_at_1_0_still_gives_the_sizes_and_times_it_knows() -> None:
    result = simple_json(foo(size=10, upload_timestamp=1), foo(filename="foo-1.0-py3-none-any.whl", upload_timestamp=2))
    assert result["meta"] == {"api-version": "1.0"}
    assert [f.get("size") for f in result["files"]] == [10, None]
    assert [f["upload-time"] for f in result["files"]] == ["1970-01-01T00:00:01Z", "1970-01-01T00:00:02Z"]


def test_simple_project_json_versions_hold_each_release_once() -> None:
    result = simple_json(
        foo(filename="foo-1.0-beta.tar.gz"), foo(filename="foo-1.0b0-py3-none-any.whl"),
        foo(filename="foo-custom_build.tar.gz"),
    )
    # Normalised where valid PEP 440 (PEP 700 says SHOULD), as spelled otherwise; every file's version is there.
    assert result["versions"] == ["custom_build", "1.0b0"]
    assert len(result["files"]) == 3


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1500000000, "2017-07-14T02:40:00Z"),
        (1500000000.0, "2017-07-14T02:40:00Z"),
        (1500000000.5, "2017-07-14T02:40:00.500000Z"),
        (1500000000.000001, "2017-07-14T02:40:00.000001Z"),
    ],
)
def test_upload_time_is_utc_with_z_and_microseconds_only_when_there_are_some(
    timestamp: float, expected: str,
) -> None:
    [entry] = simple_json(foo(upload_timestamp=timestamp))["files"]
    assert entry["upload-time"] == expected


@given(st.integers(min_value=0, max_value=253402300799) | st.floats(min_value=0, max_value=253402300799))
def test_upload_time_of_any_whole_or_fractional_second_is_what_datetime_writes(timestamp: float) -> None:
    expected = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).isoformat()[:-6] + "Z"
    assert render.upload_time(timestamp) == expected


# The PyPI JSON API.

def test_pypi_project_json_shape() -> None:
    old = foo(filename="foo-1.0.tar.gz", size=5, upload_timestamp=1500000000, hash=SHA, summary="old summary")
    new_sdist = foo(
        filename="foo-2.0.tar.gz", requires_python=">=3.8", requires_dist=("bar>=1",), summary="Foo does things",
    )
    new_wheel = foo(filename="foo-2.0-py3-none-any.whl", yanked_reason="bad wheel")
    pre = foo(filename="foo-3.0a1.tar.gz")
    proj = project(old, new_sdist, new_wheel, pre)
    result = json.loads(render.pypi_project_json(proj, site()))
    assert set(result) == {"info", "releases", "urls"}
    assert result["info"] == {
        "name": "foo",
        "version": "2.0",
        "summary": "Foo does things",
        "requires_python": ">=3.8",
        "requires_dist": ["bar>=1"],
        "yanked": False,
        "yanked_reason": None,
    }
    assert list(result["releases"]) == ["1.0", "2.0", "3.0a1"]
    assert [f["filename"] for f in result["urls"]] == ["foo-2.0.tar.gz", "foo-2.0-py3-none-any.whl"]
    assert result["releases"]["1.0"] == [{
        "filename": "foo-1.0.tar.gz",
        "url": "../../packages/foo-1.0.tar.gz",
        "digests": {"sha256": SHA.removeprefix("sha256=")},
        "requires_python": None,
        "packagetype": "sdist",
        "python_version": "source",
        "size": 5,
        "upload_time": "2017-07-14T02:40:00",
        "upload_time_iso_8601": "2017-07-14T02:40:00.000000Z",
        "yanked": False,
        "yanked_reason": None,
    }]
    wheel = result["releases"]["2.0"][1]
    assert (wheel["packagetype"], wheel["python_version"], wheel["yanked"], wheel["yanked_reason"]) == (
        "bdist_wheel", "py3", True, "bad wheel",
    )


def test_pypi_release_json_describes_that_release() -> None:
    proj = project(foo(summary="one"), foo(filename="foo-2.0.tar.gz", yanked_reason="oops"))
    result = json.loads(render.pypi_release_json(proj, proj.releases[1], site()))
    assert set(result) == {"info", "urls"}
    assert (result["info"]["version"], result["info"]["yanked"], result["info"]["yanked_reason"]) == ("2.0", True, "oops")
    assert [f["filename"] for f in result["urls"]] == ["foo-2.0.tar.gz"]


# Pages for people.

def test_index_html_lists_projects_with_title_logo_and_timestamp() -> None:
    s = site(
        title="Our Index", logo="https://img.example/logo.png", logo_width=40,
        generated=datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    )
    page = Page(render.index_html([project(foo()), project(foo(filename="Bar-2.0.tar.gz"))], s))
    assert page.texts["title"] == page.texts["span"] == "Our Index"
    assert page.tags("img") == [{"src": "https://img.example/logo.png", "alt": "", "width": "40"}]
    listed = [(attrs["href"], text) for attrs, text in page.anchors if attrs["href"].startswith("project/")]
    assert listed == [("project/foo/", "foo"), ("project/bar/", "Bar")]
    assert "2020-01-02 03:04:05 UTC" in page.texts["footer"]


def test_index_html_without_timestamp_is_reproducible() -> None:
    text = render.index_html([project(foo())], site())
    assert "Generated by dumb-pypi." in text
    assert text == render.index_html([project(foo())], site())


def assert_inert_but_our_script(page: Page, root: str) -> None:
    [script] = page.tags("script")
    assert script["src"] is not None and script["src"].startswith(f"{root}static/dumb-pypi.js?v=")
    for tag, attrs in page.elements:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


def test_untrusted_values_cannot_escape_their_html_context() -> None:
    p = make_package(
        'foo-1.0"><script>x.tar.gz',
        url="https://f.example/a?b=" + EVIL,
        requires_python=EVIL,
        yanked_reason=EVIL,
        uploaded_by=EVIL,
        summary=EVIL,
        core_metadata=EVIL,
    )
    s = site(title=EVIL, logo=EVIL)
    proj = project(p)

    simple = Page(render.simple_project_html(proj, s))
    assert_inert(simple)
    [(attrs, text)] = simple.anchors
    assert text == p.filename
    assert attrs == {
        "href": p.url,
        "data-requires-python": EVIL,
        "data-yanked": EVIL,
        "data-core-metadata": EVIL,
        "data-dist-info-metadata": EVIL,
    }

    index = Page(render.index_html([proj], s))
    assert_inert_but_our_script(index, "")
    assert index.texts["title"] == index.texts["span"] == EVIL
    assert index.tags("img")[0]["src"] == EVIL
    assert [text for attrs, text in index.anchors if attrs["href"] == "project/foo/"] == ["foo"]
    assert index.texts["td"].startswith(p.version)

    people = Page(render.project_html(proj, s))
    assert_inert_but_our_script(people, "../../")
    assert people.texts["title"] == f"foo · {EVIL}"
    assert people.tags("img")[0]["src"] == EVIL
    assert [attrs["href"] for attrs, text in people.anchors if text == p.filename] == [p.url]
    assert EVIL in people.texts["p"] and EVIL in people.texts["code"]

    root = Page(render.simple_root_html([proj]))
    assert_inert(root)

    [entry] = json.loads(render.simple_project_json(proj, s))["files"]
    assert (entry["yanked"], entry["requires-python"]) == (EVIL, EVIL)
    pypi_file = json.loads(render.pypi_project_json(proj, s))["urls"][0]
    assert (pypi_file["yanked_reason"], pypi_file["filename"]) == (EVIL, p.filename)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_the_reused_encoder_writes_what_json_dumps_writes(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert render._encode(value) == expected


def test_without_a_c_encoder_the_encoder_still_writes_what_json_dumps_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    value = {"a": [1, 2.5, None, True, "é\u2028\"\\"], "b": {}}
    assert render._make_encode()(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
