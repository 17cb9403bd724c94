"""Decides which output paths to write and which to delete; pure, no I/O."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import NamedTuple

from packaging.utils import NormalizedName

from dumb_pypi import render
from dumb_pypi.model import Package, Project
from dumb_pypi.render import Site


class Page(NamedTuple):
    path: str
    render: Callable[[], str]


# The top folders that hold a folder of each project's pages.
PROJECT_TOPS = ("simple", "pypi", "project")


def project_paths(name: str, releases: Iterable[str], site: Site) -> list[str]:
    """The path of every page that belongs to one project, given its releases' versions (see project_pages)."""
    paths = [f"simple/{name}/index.html", f"simple/{name}/index.v1_json", f"pypi/{name}/json"]
    if site.per_release_json:
        paths.extend(f"pypi/{name}/{version}/json" for version in releases)
    paths.append(f"project/{name}/index.html")
    return paths


def project_pages(project: Project, site: Site) -> list[Page]:
    """The pages of project_paths, in that order."""
    # The pages share one renderer, which works out each file's record once.
    renderer = render.ProjectPages(project, site)
    renders: list[Callable[[], str]] = [renderer.simple_html, renderer.simple_json, renderer.pypi_json]
    if site.per_release_json:
        renders.extend(functools.partial(renderer.release_json, release) for release in project.releases)
    renders.append(renderer.project_html)
    paths = project_paths(project.name, (release.version for release in project.releases), site)
    return [Page(path, page) for path, page in zip(paths, renders, strict=True)]


def index_pages(projects: Mapping[NormalizedName, Project], site: Site) -> list[Page]:
    """The pages that list projects or uploads."""
    return listing_pages(render.Listing.of(list(projects.values()), site))


# A page in each folder that listing_pages writes in: what a full build
# checks before its first write, before it has worked out the listing.
LISTING_PLACES = (
    "index.html", "simple/index.html", "static/dumb-pypi.css", "search/names.js", "changelog/index.html",
    "rss/updates.xml", "list/page2.html",
)


def listing_pages(listing: render.Listing, previous: render.Listing | None = None) -> list[Page]:
    """The pages that list projects or uploads; index.html comes last, as it links the rest.

    With `previous`, the listing of the last run, only the pages whose data
    differ from it: the data of a page is compared, never its text, so
    that a page that does not change is not even rendered.
    """
    rows = listing.rows
    old = previous
    pages = []
    if old is None or [(r.name, r.display_name) for r in old.rows] != [(r.name, r.display_name) for r in rows]:
        pages += [
            Page("simple/index.html", lambda: render.simple_root_html(rows)),
            Page("simple/index.v1_json", lambda: render.simple_root_json(rows)),
        ]
    if old is None:
        pages.extend(
            Page(f"static/{name}", lambda name=name: render.static_file(name))  # type: ignore[misc]
            for name in render.STATIC_FILES
        )
    # The same projects in the same order: the same search token, the same
    # number of projects and the same initials on every list page.
    same_names = old is not None and old.names == listing.names
    shards = [
        shard for shard in range(listing.search_shards)
        if not same_names or listing.shard_rows(shard) != old.shard_rows(shard)  # type: ignore[union-attr]
    ]
    pages.extend(
        Page(f"search/rows{shard}.js", lambda shard=shard: render.search_rows_js(listing, shard))  # type: ignore[misc]
        for shard in shards
    )
    if shards or not same_names:
        pages.append(Page("search/names.js", lambda: render.search_names_js(listing)))
    count = listing.changelog_pages

    def changelog(some: render.Listing, number: int) -> tuple[object, ...]:
        return (some.changelog_updates(number), number < some.changelog_pages)

    numbers = [n for n in range(1, count + 1) if old is None or changelog(old, n) != changelog(listing, n)]
    # The newest page is written twice: rendered once.
    newest = functools.cache(lambda: render.changelog_html(listing, count))
    pages.extend(
        Page(render.changelog_path(number), newest if number == count else functools.partial(render.changelog_html, listing, number))
        for number in numbers
    )
    if count in numbers or old is None or old.changelog_pages != count:
        pages.append(Page(render.changelog_path(None), newest))
    if old is None or old.updates[:render.FEED_SIZE] != listing.updates[:render.FEED_SIZE]:
        pages.append(Page("rss/updates.xml", lambda: render.rss_xml(listing)))
    pages.extend(
        Page(render.list_page_path(number), lambda number=number: render.list_html(listing, number))  # type: ignore[misc]
        for number in range(listing.list_pages, 0, -1)
        if not same_names or old.list_rows(number) != listing.list_rows(number)  # type: ignore[union-attr]
    )
    return pages


def packages_json(packages: Iterable[Package]) -> str:
    """OUTPUT/packages.json: every input record, the next run's --previous-package-list-json."""
    return "".join(packages_json_chunks(packages))


def packages_json_chunks(packages: Iterable[Package], lines: int = 4096) -> Iterator[str]:
    """packages.json a few thousand lines at a time, so that a million lines are never all in memory."""
    ordered = sorted(packages, key=lambda p: p.filename)
    for start in range(0, len(ordered), lines):
        yield "".join(map(render.package_line, ordered[start:start + lines]))


def by_project(packages: Iterable[Package]) -> dict[NormalizedName, frozenset[Package]]:
    grouped: dict[NormalizedName, set[Package]] = {}
    for p in packages:
        grouped.setdefault(p.name, set()).add(p)
    return {name: frozenset(files) for name, files in grouped.items()}


def changed_projects(
    previous: Mapping[NormalizedName, frozenset[Package]],
    current: Mapping[NormalizedName, frozenset[Package]],
) -> set[NormalizedName]:
    """Projects whose files differ in any way, including projects that appeared or vanished."""
    return {name for name in previous.keys() | current.keys() if previous.get(name) != current.get(name)}
