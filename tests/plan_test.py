import json

from dumb_pypi import plan, render
from dumb_pypi.model import group_projects, make_package, make_project
from dumb_pypi.render import Site

SITE = Site(packages_url="../../packages")


def test_project_pages_name_every_page_of_a_project() -> None:
    project = make_project([
        make_package("Foo_Bar-1.0.tar.gz"),
        make_package("foo.bar-1.00-py3-none-any.whl"),
        make_package("foo-bar-2.0b1.tar.gz"),
    ])
    assert [page.path for page in plan.project_pages(project, SITE)] == [
        "simple/foo-bar/index.html",
        "simple/foo-bar/index.v1_json",
        "pypi/foo-bar/json",
        "pypi/foo-bar/1.0/json",
        "pypi/foo-bar/2.0b1/json",
        "project/foo-bar/index.html",
    ]


def test_project_pages_without_per_release_json() -> None:
    project = make_project([make_package("foo-1.0.tar.gz"), make_package("foo-2.0.tar.gz")])
    paths = [page.path for page in plan.project_pages(project, SITE._replace(per_release_json=False))]
    assert paths == ["simple/foo/index.html", "simple/foo/index.v1_json", "pypi/foo/json", "project/foo/index.html"]


def test_project_pages_render_their_own_release() -> None:
    project = make_project([make_package("foo-1.0.tar.gz"), make_package("foo-2.0.tar.gz")])
    pages = {page.path: page.render() for page in plan.project_pages(project, SITE)}
    assert json.loads(pages["pypi/foo/1.0/json"])["info"]["version"] == "1.0"
    assert json.loads(pages["pypi/foo/2.0/json"])["info"]["version"] == "2.0"
    assert pages["simple/foo/index.html"] == render.simple_project_html(project, SITE)


def test_a_full_build_checks_a_page_in_every_folder_the_listing_writes_in() -> None:
    # Two pages of projects, several shards and changelog pages, every kind of listing page.
    packages = [make_package(f"p{i:04}-1.{j}.tar.gz", upload_timestamp=i * 10 + j) for i in range(600) for j in range(2)]
    pages = plan.index_pages(group_projects(packages), SITE)
    folders = {page.path.rpartition("/")[0] for page in pages}
    assert "list" in folders
    assert folders == {path.rpartition("/")[0] for path in plan.LISTING_PLACES}


def test_index_pages() -> None:
    projects = group_projects([make_package("foo-1.0.tar.gz"), make_package("bar-1.0.tar.gz")])
    pages = plan.index_pages(projects, SITE)
    assert [page.path for page in pages] == [
        "simple/index.html", "simple/index.v1_json", "static/dumb-pypi.css", "static/dumb-pypi.js",
        "search/rows0.js", "search/names.js", "changelog/page1.html", "changelog/index.html", "rss/updates.xml",
        "index.html",
    ]
    assert [p["name"] for p in json.loads(pages[1].render())["projects"]] == ["bar", "foo"]


def test_packages_json_is_every_record_sorted_by_filename_one_a_line() -> None:
    text = plan.packages_json([
        make_package("foo-1.0.tar.gz", size=3),
        make_package("bar-1.0.tar.gz", path="pool/bar-1.0.tar.gz"),
    ])
    assert text == (
        '{"filename":"bar-1.0.tar.gz","path":"pool/bar-1.0.tar.gz"}\n'
        '{"filename":"foo-1.0.tar.gz","size":3}\n'
    )
    assert plan.packages_json([]) == ""


def test_changed_projects_sees_added_removed_and_changed_files() -> None:
    foo1, foo2 = make_package("foo-1.0.tar.gz"), make_package("foo-2.0.tar.gz")
    bar, baz = make_package("bar-1.0.tar.gz"), make_package("baz-1.0.tar.gz")
    qux = make_package("qux-1.0.tar.gz")
    previous = plan.by_project([foo1, bar, baz, qux])
    current = plan.by_project([
        foo1, foo2, baz._replace(yanked=True), qux, make_package("new-1.0.tar.gz"),
    ])
    assert plan.changed_projects(previous, current) == {"foo", "bar", "baz", "new"}
    assert plan.changed_projects(current, current) == set()


def test_by_project_ignores_order() -> None:
    a, b = make_package("foo-1.0.tar.gz"), make_package("Foo-2.0.tar.gz")
    assert plan.by_project([a, b]) == plan.by_project([b, a]) == {"foo": frozenset({a, b})}
