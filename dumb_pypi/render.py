"""Renders projects to page text: Jinja2 for HTML, json for JSON; touches no file system."""
from __future__ import annotations

import datetime
import functools
import json
import posixpath
import urllib.parse
from collections.abc import Sequence
from typing import Any, NamedTuple

import jinja2

from dumb_pypi.model import Package, Project, Release

SIMPLE_JSON_TYPE = "application/vnd.pypi.simple.v1+json"


class Site(NamedTuple):
    """What every page needs besides the projects: the settings that shape output."""

    packages_url: str | None
    title: str = "My Private PyPI"
    logo: str | None = None
    logo_width: int | None = None
    generated: datetime.datetime | None = None
    per_release_json: bool = True


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dumb_pypi", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _is_absolute(url: str) -> bool:
    return url.startswith("/") or bool(urllib.parse.urlsplit(url).scheme)


def relocate(url: str, project: str, page: str) -> str:
    """A URL written relative to simple/<project>/, as a link on a page in the folder `page`.

    `page` is relative to the output root and ends in '/' ("" for the root,
    "pypi/foo/1.0/"). Both the depth and the folder matter: "x.tar.gz" from
    simple/foo/ is "../../simple/foo/x.tar.gz" from pypi/foo/.
    """
    base = f"simple/{project}/"
    if _is_absolute(url) or page == base:
        return url
    parts = urllib.parse.urlsplit(url)
    target = posixpath.normpath(base + parts.path).split("/")
    here = page.split("/")[:-1]
    while here and target[:-1] and here[0] == target[0] != "..":
        here.pop(0)
        target.pop(0)
    path = "../" * len(here) + "/".join(target)
    if parts.path.endswith("/") and not path.endswith("/"):
        path += "/"
    return urllib.parse.urlunsplit(("", "", path, parts.query, parts.fragment))


def file_url(package: Package, packages_url: str | None, page: str | None = None) -> str:
    """Where `package` is downloaded from, as a link on a page in the folder `page` (its simple page by default)."""
    if package.url is not None:
        url = package.url
    else:
        assert packages_url is not None, "the build checks that --packages-url is given"
        url = packages_url.rstrip("/") + "/" + urllib.parse.quote(package.path)
    return url if page is None else relocate(url, package.name, page)


def upload_time(timestamp: int | float) -> str:
    """ISO 8601 in UTC with a Z, as PEP 700 writes it."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if moment.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def api_version(files: Sequence[Package]) -> str:
    """PEP 700's 1.1 promises a size for every file; claim it only where that is true."""
    return "1.1" if all(f.size is not None for f in files) else "1.0"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


# simple/index.html
def simple_root_html(projects: Sequence[Project]) -> str:
    return _env().get_template("simple_root.html").render(projects=projects)


# simple/index.v1_json
def simple_root_json(projects: Sequence[Project]) -> str:
    return _dumps({
        "meta": {"api-version": "1.1"},
        "projects": [{"name": p.display_name} for p in projects],
    })


class _Link(NamedTuple):
    package: Package
    href: str


# simple/<name>/index.html
def simple_project_html(project: Project, site: Site) -> str:
    links = []
    for f in project.files:
        href = file_url(f, site.packages_url)
        if f.hash is not None:
            href += "#" + f.hash
        links.append(_Link(f, href))
    return _env().get_template("simple_project.html").render(
        project=project, links=links, api_version=api_version(project.files),
    )


def _simple_file(f: Package, site: Site) -> dict[str, Any]:
    hash_parts = f.hash_parts
    entry: dict[str, Any] = {
        "filename": f.filename,
        "url": file_url(f, site.packages_url),
        "hashes": {} if hash_parts is None else {hash_parts[0]: hash_parts[1]},
    }
    if f.requires_python is not None:
        entry["requires-python"] = f.requires_python
    if f.core_metadata is not None:
        entry["core-metadata"] = _core_metadata_json(f.core_metadata)
    # PEP 691 allows a reason only when it is non-empty: clients read "" as not yanked.
    entry["yanked"] = (f.yanked_reason or True) if f.yanked else False
    if f.size is not None:
        entry["size"] = f.size
    if f.upload_timestamp is not None:
        entry["upload-time"] = upload_time(f.upload_timestamp)
    return entry


def _core_metadata_json(value: str) -> bool | dict[str, str]:
    if value == "true":
        return True
    algo, _, digest = value.partition("=")
    return {algo: digest}


# simple/<name>/index.v1_json
def simple_project_json(project: Project, site: Site) -> str:
    return _dumps({
        "meta": {"api-version": api_version(project.files)},
        "name": project.name,
        "versions": [r.version for r in project.releases],
        "files": [_simple_file(f, site) for f in project.files],
    })


def _pypi_file(f: Package, site: Site, page: str) -> dict[str, Any]:
    hash_parts = f.hash_parts
    entry: dict[str, Any] = {
        "filename": f.filename,
        "url": file_url(f, site.packages_url, page),
        "digests": {} if hash_parts is None else {hash_parts[0]: hash_parts[1]},
        "requires_python": f.requires_python,
        "packagetype": f.packagetype,
        "python_version": f.python_version,
    }
    if f.size is not None:
        entry["size"] = f.size
    if f.upload_timestamp is not None:
        moment = datetime.datetime.fromtimestamp(f.upload_timestamp, datetime.timezone.utc)
        entry["upload_time"] = moment.strftime("%Y-%m-%dT%H:%M:%S")
        entry["upload_time_iso_8601"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    entry["yanked"] = f.yanked
    entry["yanked_reason"] = f.yanked_reason
    return entry


def _pypi_info(project: Project, release: Release) -> dict[str, Any]:
    return {
        "name": project.display_name,
        "version": release.version,
        "summary": release.first("summary"),
        "requires_python": release.first("requires_python"),
        "requires_dist": _list_or_none(release.first("requires_dist")),
        "yanked": release.yanked,
        "yanked_reason": release.first("yanked_reason") if release.yanked else None,
    }


def _list_or_none(value: tuple[str, ...] | None) -> list[str] | None:
    return None if value is None else list(value)


# pypi/<name>/json
def pypi_project_json(project: Project, site: Site) -> str:
    latest = project.latest
    page = f"pypi/{project.name}/"
    return _dumps({
        "info": _pypi_info(project, latest),
        "releases": {r.version: [_pypi_file(f, site, page) for f in r.files] for r in project.releases},
        "urls": [_pypi_file(f, site, page) for f in latest.files],
    })


# pypi/<name>/<version>/json
def pypi_release_json(project: Project, release: Release, site: Site) -> str:
    return _dumps({
        "info": _pypi_info(project, release),
        "urls": [_pypi_file(f, site, f"pypi/{project.name}/{release.version}/") for f in release.files],
    })


# index.html
def index_html(projects: Sequence[Project], site: Site) -> str:
    return _env().get_template("index.html").render(
        projects=projects, site=site, generated=_generated(site),
    )


def _generated(site: Site) -> str | None:
    if site.generated is None:
        return None
    return site.generated.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
