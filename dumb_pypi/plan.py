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


def project_paths(project: Project, site: Site) -> list[str]:
    """The paths of every page that belongs to one project (and goes when it goes)."""
    name = project.name
    paths = [f"simple/{name}/index.html", f"simple/{name}/index.v1_json", f"pypi/{name}/json"]
    if site.per_release_json:
        paths.extend(f"pypi/{name}/{release.version}/json" for release in project.releases)
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
    return [Page(path, render) for path, render in zip(project_paths(project, site), renders, strict=True)]


def index_pages(projects: Mapping[NormalizedName, Project], site: Site) -> list[Page]:
    """The pages that list projects or uploads: rewritten whenever any project changes."""
    ordered = list(projects.values())
    pages = [
        Page("simple/index.html", lambda: render.simple_root_html(ordered)),
        Page("simple/index.v1_json", lambda: render.simple_root_json(ordered)),
    ]
    pages.extend(people_pages(render.Listing(ordered, site)))
    return pages


def people_pages(listing: render.Listing) -> list[Page]:
    """The listings for people, their search data and our CSS/JS; index.html comes last, as it links the rest."""
    pages = [
        Page(f"static/{name}", lambda name=name: render.static_file(name))  # type: ignore[misc]
        for name in render.STATIC_FILES
    ]
    pages.extend(
        Page(f"search/rows{shard}.js", lambda shard=shard: render.search_rows_js(listing, shard))  # type: ignore[misc]
        for shard in range(listing.search_shards)
    )
    pages.append(Page("search/names.js", lambda: render.search_names_js(listing)))
    pages.extend(
        Page(f"changelog/page{number}.html", lambda number=number: render.changelog_html(listing, number))  # type: ignore[misc]
        for number in range(1, listing.changelog_pages + 1)
    )
    pages.append(Page("rss/updates.xml", lambda: render.rss_xml(listing)))
    pages.extend(
        Page(render.list_page_path(number), lambda number=number: render.list_html(listing, number))  # type: ignore[misc]
        for number in range(listing.list_pages, 0, -1)
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
