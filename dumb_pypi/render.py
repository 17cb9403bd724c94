"""Renders projects to page text: Jinja2 for HTML, json for JSON; touches no file system."""
from __future__ import annotations

import datetime
import email.utils
import functools
import hashlib
import importlib.resources
import json
import json.encoder
import operator
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jinja2
from packaging.version import InvalidVersion, Version
from markupsafe import Markup, escape

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
    # Where OUTPUT is served (ends in '/'), when the operator says: it goes
    # into install lines and makes the RSS feed's links absolute.
    site_url: str | None = None


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dumb_pypi", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        # Templates ship in the package and never change during a run: no stat() per page.
        auto_reload=False,
    )
    env.filters["xml"] = _xml_text
    env.filters["files"] = _files_phrase
    env.filters["day"] = _day
    env.filters["count"] = "{:,}".format
    env.filters["kind"] = lambda packagetype: _KINDS.get(packagetype, packagetype)
    return env


def _is_absolute(url: str) -> bool:
    return url.startswith(("/", "https://", "http://")) or bool(urllib.parse.urlsplit(url).scheme)


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


_UNQUOTED = re.compile(r"[A-Za-z0-9_.~/-]*")


def file_url(package: Package, packages_url: str | None, page: str | None = None) -> str:
    """Where `package` is downloaded from, as a link on a page in the folder `page` (its simple page by default)."""
    if package.url is not None:
        url = package.url
    else:
        assert packages_url is not None, "the build checks that --packages-url is given"
        path = package.path
        # (quote leaves these characters as they are, and costs more than the rest of a file's URL.)
        url = packages_url.rstrip("/") + "/" + (path if _UNQUOTED.fullmatch(path) else urllib.parse.quote(path))
    return url if page is None else relocate(url, package.name, page)


def _relocated_all(urls: Sequence[str], project: str, page: str) -> list[str]:
    """relocate(url, project, page) for each of a project's URLs, worked out once per folder.

    Relocating "FOLDER/_" and putting the filename in place of "_" gives
    what relocating "FOLDER/filename" would, for any plain filename: a
    project's files sit in a folder or two, and relocate costs more than the
    rest of a file's record.
    """
    folders: dict[str, str] = {}
    out = []
    for url in urls:
        split = _folder_and_name(url)
        if split is None:
            out.append(relocate(url, project, page))
            continue
        folder, name = split
        prefix = folders.get(folder)
        if prefix is None:
            prefix = folders[folder] = _relocated_folder(folder, project, page)
        out.append(prefix + name)
    return out


def _folder_and_name(url: str) -> tuple[str, str] | None:
    """A URL's folder (up to its last '/') and plain filename; None where the last part is not a plain filename."""
    cut = url.rfind("/") + 1
    name = url[cut:]
    if name in ("", ".", "..") or ":" in name or "?" in url or "#" in url:
        return None
    return url[:cut], name


@functools.lru_cache(maxsize=1 << 12)
def _relocated_folder(folder: str, project: str, page: str) -> str:
    return relocate(folder + "_", project, page)[:-1]


def _utc(timestamp: int | float) -> str:
    """YYYY-MM-DDTHH:MM:SS, with .ffffff when not a whole second; isoformat is much cheaper than strftime.

    A whole number of seconds, as most upload times are, is cut into its
    day and time of day by hand, which costs less again.
    """
    if type(timestamp) is int and timestamp >= 0:
        days, seconds = divmod(timestamp, 86400)
        return f"{_day_of(days)}T{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).isoformat()[:-6]


def upload_time(timestamp: int | float) -> str:
    """ISO 8601 in UTC with a Z, as PEP 700 writes it."""
    return _utc(timestamp) + "Z"


def api_version(files: Sequence[Package]) -> str:
    """PEP 700's 1.1 promises a size for every file; claim it only where that is true."""
    return "1.1" if all(f.size is not None for f in files) else "1.0"


def _make_encode() -> Callable[[Any], str]:
    """json.dumps(value, ensure_ascii=False, separators=(",", ":")), without its setup per call.

    JSONEncoder.encode builds a new C encoder on every call, which costs as
    much as encoding a file's record; a build encodes millions of them, so
    one C encoder is made once and reused (the json module's own, with the
    arguments JSONEncoder gives it). Where json has no C encoder, encode.
    """
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    # markers=None: no check for cycles, which records made of JSON never have.
    encoder = c_make_encoder(None, None, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(encoder(value, 0))


_encode = _make_encode()
# A string in JSON, as the encoder above writes it.
_string: Callable[[str], str] = json.encoder.encode_basestring


def _dumps(value: Any) -> str:
    return _encode(value) + "\n"


def package_line(p: Package) -> str:
    """`p.to_json()` as a line of packages.json, in the bytes json.dumps writes.

    Written piece by piece: a build writes a line per file, and a dict and
    an encoder call per file cost more than the rest.
    """
    line = '{"filename":' + _string(p.filename)
    if p.path != p.filename:
        line += ',"path":' + _string(p.path)
    if p.url is not None:
        line += ',"url":' + _string(p.url)
    if p.hash is not None:
        line += ',"hash":' + _string(p.hash)
    if p.requires_python is not None:
        line += ',"requires_python":' + _string_repeated(p.requires_python)
    if p.core_metadata is not None:
        line += ',"core_metadata":' + _string(p.core_metadata)
    if p.uploaded_by is not None:
        line += ',"uploaded_by":' + _string_repeated(p.uploaded_by)
    if p.upload_timestamp is not None:
        # (As json writes numbers: repr for a float, which never is NaN or infinite here.)
        line += ',"upload_timestamp":' + (
            float.__repr__(p.upload_timestamp) if type(p.upload_timestamp) is float else str(p.upload_timestamp)
        )
    if p.yanked_reason is not None:
        line += ',"yanked_reason":' + _string(p.yanked_reason)
    if p.size is not None:
        line += f',"size":{p.size}'
    if p.summary is not None:
        line += ',"summary":' + _string(p.summary)
    if p.yanked and p.yanked_reason is None:
        line += ',"yanked":true'
    if p.requires_dist is not None:
        line += ',"requires_dist":' + _strings_repeated(p.requires_dist)
    return line + "}\n"


# simple/index.html
def simple_root_html(projects: Sequence[Row]) -> str:
    return _env().get_template("simple_root.html").render(projects=projects)


# simple/index.v1_json
def simple_root_json(projects: Sequence[Row]) -> str:
    return _dumps({
        "meta": {"api-version": "1.1"},
        "projects": [{"name": p.display_name} for p in projects],
    })


def _pypi_info(project: Project, release: Release) -> str:
    """PyPI's "info" of one release, in JSON: each field the first value that any of its files knows."""
    summary = requires_python = requires_dist = reason = None
    for f in release.files:
        if summary is None:
            summary = f.summary
        if requires_python is None:
            requires_python = f.requires_python
        if requires_dist is None:
            requires_dist = f.requires_dist
        if reason is None:
            reason = f.yanked_reason
    return (
        '{"name":' + _string(project.display_name) + ',"version":' + _string(release.version)
        + ',"summary":' + ("null" if summary is None else _string(summary))
        + ',"requires_python":' + ("null" if requires_python is None else _string_repeated(requires_python))
        + ',"requires_dist":' + ("null" if requires_dist is None else _strings_repeated(requires_dist))
        + ',"yanked":' + ("true" if release.yanked else "false")
        + ',"yanked_reason":' + ("null" if reason is None or not release.yanked else _string(reason)) + "}"
    )


def _hashes_json(value: str | None) -> str:
    """A hash as "ALGO=HEX" (or none) as the JSON object {"ALGO": "HEX"} ({})."""
    if value is None:
        return "{}"
    algo, _, digest = value.partition("=")
    return "{" + _string(algo) + ":" + _string(digest) + "}"


# Values that repeat across files: Requires-Python, Python tags, Requires-Dist.
_string_repeated = functools.lru_cache(maxsize=1 << 12)(_string)


@functools.lru_cache(maxsize=1 << 12)
def _strings_repeated(values: tuple[str, ...]) -> str:
    return "[" + ",".join(map(_string, values)) + "]"


# A folder name no version has (no control character reaches a page).
_ANY_VERSION = "\x00"


def _any_version_alike(urls: Sequence[str], project: str) -> bool:
    """Whether the files' URLs are the same from every pypi/<project>/<version>/ folder.

    They are unless a relative URL leads into pypi/ itself, where the
    version's folder could be on the way.
    """
    for folder in {url[:url.rfind("/") + 1] for url in urls}:
        if not _is_absolute(folder) and posixpath.normpath(f"simple/{project}/{folder}_").split("/", 1)[0] == "pypi":
            return False
    return True


def _h(text: str) -> str:
    """`text` escaped as the templates escape it (markupsafe), without making a Markup of every value."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return str(escape(text))
    return text


# Requires-Python values repeat across files (and most have a '>' to escape).
_h_repeated = functools.lru_cache(maxsize=1 << 12)(_h)


def _anchor(f: Package, href: str) -> str:
    """One file's line on its simple page, escaped as the template would escape it.

    Built here rather than in the template: a large index has a million of
    these lines, and the template's attribute lookups cost several times
    more.
    """
    attributes = ""
    if f.requires_python is not None:
        attributes += f' data-requires-python="{_h_repeated(f.requires_python)}"'
    if f.yanked:
        attributes += f' data-yanked="{_h(f.yanked_reason or "")}"'
    if f.core_metadata is not None:
        value = _h(f.core_metadata)
        attributes += f' data-core-metadata="{value}" data-dist-info-metadata="{value}"'
    return f'    <a href="{_h(href)}"{attributes}>{_h(f.filename)}</a><br>'


class ProjectPages:
    """The pages of one project.

    What they say about a file (its URL, upload time, PyPI record) is worked
    out once and shared: each file appears on three or four pages, and a
    large index has a million files.
    """

    def __init__(self, project: Project, site: Site) -> None:
        self.project = project
        self.site = site

    @functools.cached_property
    def _urls(self) -> list[str]:
        """Each file's URL as the input gives it: relative to its simple page."""
        return [file_url(f, self.site.packages_url) for f in self.project.files]

    @functools.cached_property
    def _times(self) -> list[str | None]:
        return [None if f.upload_timestamp is None else _utc(f.upload_timestamp) for f in self.project.files]

    @functools.cached_property
    def _position(self) -> dict[int, int]:
        return {id(f): i for i, f in enumerate(self.project.files)}

    # simple/<name>/index.html
    def simple_html(self) -> str:
        # A page per project, and little on it but a line per file: a
        # template's setup would cost more than the page (see _anchor).
        links = "\n".join(
            _anchor(f, url if f.hash is None else url + "#" + f.hash)
            for f, url in zip(self.project.files, self._urls)
        )
        name = _h(self.project.display_name)
        return (
            '<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset="utf-8">\n'
            f'    <meta name="pypi:repository-version" content="{api_version(self.project.files)}">\n'
            f"    <title>Links for {name}</title>\n  </head>\n  <body>\n    <h1>Links for {name}</h1>\n"
            f"{links}\n  </body>\n</html>\n"
        )

    # simple/<name>/index.v1_json
    def simple_json(self) -> str:
        files = []
        for f, url, moment in zip(self.project.files, self._urls, self._times):
            entry = '{"filename":' + _string(f.filename) + ',"url":' + _string(url) + ',"hashes":' + _hashes_json(f.hash)
            if f.requires_python is not None:
                entry += ',"requires-python":' + _string_repeated(f.requires_python)
            if f.core_metadata is not None:
                entry += ',"core-metadata":' + ("true" if f.core_metadata == "true" else _hashes_json(f.core_metadata))
            # PEP 691 allows a reason only when it is non-empty: clients read "" as not yanked.
            if not f.yanked:
                entry += ',"yanked":false'
            else:
                entry += ',"yanked":' + (_string(f.yanked_reason) if f.yanked_reason else "true")
            if f.size is not None:
                entry += f',"size":{f.size}'
            if moment is not None:
                entry += ',"upload-time":"' + moment + 'Z"'
            files.append(entry + "}")
        return (
            '{"meta":{"api-version":"' + api_version(self.project.files) + '"},"name":' + _string(self.project.name)
            + ',"versions":[' + ",".join(_string(r.version) for r in self.project.releases)
            + '],"files":[' + ",".join(files) + "]}\n"
        )

    @functools.cached_property
    def _pypi_parts(self) -> list[tuple[str, str]]:
        """Each file's PyPI record in JSON, in two parts that its URL goes between.

        A record appears on two or three pages, with a URL that depends on the
        page's folder: the rest is written once. (JSON is written here piece
        by piece, in the bytes json.dumps would write: a dict and an encoder
        call per file cost more than the rest of the record.)
        """
        parts = []
        for f, moment in zip(self.project.files, self._times):
            rest = (
                ',"digests":' + _hashes_json(f.hash)
                + ',"requires_python":' + ("null" if f.requires_python is None else _string_repeated(f.requires_python))
                + ',"packagetype":"' + f.packagetype + '","python_version":' + _string_repeated(f.python_version)
            )
            if f.size is not None:
                rest += f',"size":{f.size}'
            if moment is not None:
                rest += (
                    ',"upload_time":"' + moment[:19] + '","upload_time_iso_8601":"'
                    + (moment if len(moment) > 19 else moment + ".000000") + 'Z"'
                )
            rest += (
                ',"yanked":' + ("true" if f.yanked else "false")
                + ',"yanked_reason":' + ("null" if f.yanked_reason is None else _string(f.yanked_reason)) + "}"
            )
            parts.append(('{"filename":' + _string(f.filename) + ',"url":', rest))
        return parts

    @functools.cached_property
    def _folders(self) -> set[str] | None:
        """The folders of the files' URLs, or None when a URL does not end in a plain filename."""
        folders = set()
        for url in self._urls:
            split = _folder_and_name(url)
            if split is None:
                return None
            folders.add(split[0])
        return folders

    def _urls_from(self, page: str) -> list[str]:
        """Each file's URL as a link on a page in the folder `page`."""
        name = self.project.name
        folders = self._folders
        if folders is not None and all(_relocated_folder(folder, name, page) == folder for folder in folders):
            # Absolute URLs, or relative ones that are the same from there (pypi/NAME/ is as deep as simple/NAME/).
            return self._urls
        return _relocated_all(self._urls, name, page)

    def _records(self, page: str) -> list[str]:
        """Each file's PyPI record in JSON, as seen from the folder `page`."""
        urls = self._urls_from(page)
        return [before + _string(url) + after for (before, after), url in zip(self._pypi_parts, urls)]

    @functools.cached_property
    def _pypi_records(self) -> list[str]:
        """Each file's PyPI record in JSON, as seen from pypi/<name>/."""
        return self._records(f"pypi/{self.project.name}/")

    @functools.cached_property
    def _release_records(self) -> list[str]:
        """Each file's PyPI record in JSON, as seen from pypi/<name>/<version>/ (the same for any version)."""
        name = self.project.name
        if not _any_version_alike(self._urls, name):
            return []
        records = self._records(f"pypi/{name}/{_ANY_VERSION}/")
        # Most URLs are absolute, or the same a folder deeper: share those strings.
        return [same if same == deeper else deeper for same, deeper in zip(self._pypi_records, records)]

    def _indexes(self, release: Release) -> range | list[int]:
        """Where the files of `release` are among the project's."""
        start = self._position[id(release.files[0])]
        if self.project.files[start:start + len(release.files)] == release.files:
            return range(start, start + len(release.files))
        position = self._position
        return [position[id(f)] for f in release.files]

    # pypi/<name>/json
    def pypi_json(self) -> str:
        latest = self.project.latest
        records = self._pypi_records
        # Pieced together as json.dumps would write the whole object.
        releases = ",".join(
            _string(r.version) + ":[" + ",".join(records[i] for i in self._indexes(r)) + "]" for r in self.project.releases
        )
        return (
            '{"info":' + _pypi_info(self.project, latest) + ',"releases":{' + releases
            + '},"urls":[' + ",".join(records[i] for i in self._indexes(latest)) + "]}\n"
        )

    # pypi/<name>/<version>/json
    def release_json(self, release: Release) -> str:
        # One folder deeper than pypi/<name>/json: only relative URLs change.
        records = self._release_records
        if records:
            files = [records[i] for i in self._indexes(release)]
        else:
            files = self._records(f"pypi/{self.project.name}/{release.version}/")
            files = [files[i] for i in self._indexes(release)]
        return '{"info":' + _pypi_info(self.project, release) + ',"urls":[' + ",".join(files) + "]}\n"

    # project/<name>/index.html
    def project_html(self) -> str:
        before, middle, after = _frame(self.site, 2)
        title = f"{_h(self.project.display_name)} · {_h(self.site.title)}"
        return before + title + middle + _project_content(self) + after


# simple/<name>/index.html
def simple_project_html(project: Project, site: Site) -> str:
    return ProjectPages(project, site).simple_html()


# simple/<name>/index.v1_json
def simple_project_json(project: Project, site: Site) -> str:
    return ProjectPages(project, site).simple_json()


# pypi/<name>/json
def pypi_project_json(project: Project, site: Site) -> str:
    return ProjectPages(project, site).pypi_json()


# pypi/<name>/<version>/json
def pypi_release_json(project: Project, release: Release, site: Site) -> str:
    return ProjectPages(project, site).release_json(release)


# --- Pages for people -------------------------------------------------------
#
# Every page for people extends base.html and links the rest of the site
# relative to its own depth (`root`), so the tree works from any host, any
# path, and from file://.

# Projects on one page of the no-JS list, and uploads on one changelog page.
PAGE_SIZE = 500
# Projects in one shard of the search data that the filter loads on demand.
SHARD_SIZE = 256
# Releases in the RSS feed.
FEED_SIZE = 50
STATIC_FILES = ("dumb-pypi.css", "dumb-pypi.js")
# PyPI's packagetype values, as people call them.
_KINDS = {"bdist_wheel": "wheel", "bdist_egg": "egg", "bdist_wininst": "Windows installer", "bdist_msi": "MSI installer"}


@functools.cache
def static_file(name: str) -> str:
    """The text of one of our own CSS/JS files, written to OUTPUT/static/NAME."""
    return (importlib.resources.files("dumb_pypi") / "static" / name).read_text(encoding="utf-8")


@functools.cache
def _static_version(name: str) -> str:
    # In the URL that loads the file, so a browser never mixes an old script with a new page.
    return hashlib.sha256(static_file(name).encode()).hexdigest()[:12]


def _root(depth: int) -> str:
    return "../" * depth


def _day(timestamp: int | float | None) -> str:
    return "" if timestamp is None else _day_of(int(timestamp // 86400))


@functools.lru_cache(maxsize=1 << 16)
def _day_of(days: int) -> str:
    # Listings show one date per row, many rows share a day.
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=days)).isoformat()


def _moment(timestamp: int | float) -> str:
    return _moment_of(_utc(timestamp))


def _moment_of(iso: str) -> str:
    """A time as the pages for people show it, from what _utc gives (isoformat costs less than strftime)."""
    return f"{iso[:10]} {iso[11:19]} UTC"


def _size(size: int) -> str:
    """Decimal units, as PyPI shows them."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def _page_context(site: Site, depth: int) -> dict[str, Any]:
    return {
        "site": site,
        "root": _root(depth),
        "generated": _generated(site),
        "static": {name: f"{_root(depth)}static/{name}?v={_static_version(name)}" for name in STATIC_FILES},
    }


def _generated(site: Site) -> str | None:
    if site.generated is None:
        return None
    return site.generated.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def install_line(project: Project, site: Site) -> str:
    """What the project page offers to copy.

    Without --site-url only the page's script can know where the site is (from
    where the page was opened); until it does, a placeholder that no shell
    runs stands in, never a bare `pip install NAME` that would go to the
    public index for a private name.
    """
    version = project.latest.version
    pin = f"{project.display_name}=={version}" if _is_pep440(version) else project.display_name
    site_url = "<this-site>/" if site.site_url is None else site.site_url
    return f"pip install --index-url {site_url}simple/ {pin}"


def _is_pep440(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


# project/<name>/index.html
def project_html(project: Project, site: Site) -> str:
    return ProjectPages(project, site).project_html()


_YANKED_CLASS = ' class="yanked"'
_TITLE_MARK = "\x00title\x00"
_CONTENT_MARK = "\x00content\x00"


@functools.lru_cache(maxsize=16)
def _frame(site: Site, depth: int) -> tuple[str, str, str]:
    """base.html around a page's title and content, rendered once: what comes before, between and after them.

    Control characters never reach a page (the flags are checked), so the
    marks cannot clash with the site's own text.
    """
    template = _env().from_string(
        '{% extends "base.html" %}{% block title %}' + _TITLE_MARK
        + "{% endblock %}{% block content %}" + _CONTENT_MARK + "{% endblock %}"
    )
    before, rest = template.render(**_page_context(site, depth)).split(_TITLE_MARK)
    middle, after = rest.split(_CONTENT_MARK)
    return before, middle, after


def _project_content(pages: ProjectPages) -> str:
    """The content of a project's page for people, built in Python.

    A project page lists every file with half a dozen facts; through a
    template, the lookups and filters per file cost more than the rest of
    the build's rendering. The markup is what templates/base.html frames.
    """
    project, site = pages.project, pages.site
    h = _h
    name = project.name
    latest = project.latest
    summary = latest.first("summary")
    requires_python = latest.first("requires_python")
    data_index = "" if site.site_url else ' data-index="../../simple/"'
    out = [f'      <h1 class="project">{h(project.display_name)} <span class="version">{h(latest.version)}</span></h1>\n']
    if summary:
        out.append(f'      <p class="summary">{h(summary)}</p>\n')
    out.append(
        '      <div class="install">\n'
        '        <h2 id="install-label">Install</h2>\n'
        '        <div class="copy-row">\n'
        '          <code id="install-line" class="install-line" aria-labelledby="install-label"'
        f'{data_index}>{h(install_line(project, site))}</code>\n'
        '          <button type="button" class="copy" data-copy="install-line" hidden>Copy</button>\n'
        '        </div>\n'
        '      </div>\n'
        '      <dl class="facts">\n'
    )
    if requires_python:
        out.append(f'        <dt>Requires-Python</dt><dd><code>{_h_repeated(requires_python)}</code></dd>\n')
    last_upload = project.last_upload
    if last_upload is not None:
        out.append(f'        <dt>Last upload</dt><dd>{_moment(last_upload)}</dd>\n')
    out.append(
        f'        <dt>Releases</dt><dd>{len(project.releases)}, {_files_phrase(len(project.files))}</dd>\n'
        f'        <dt>API</dt><dd><a href="../../simple/{name}/">simple page</a> · '
        f'<a href="../../pypi/{name}/json">JSON</a></dd>\n'
        '      </dl>\n'
        '      <h2>Releases</h2>\n'
    )
    hrefs = pages._urls_from(f"project/{name}/")
    times = pages._times
    position = pages._position
    for release in reversed(project.releases):
        version = h(release.version)
        yanked = release.yanked
        if yanked:
            mark = ' <span class="mark yanked-mark">yanked</span>'
        elif release.prerelease:
            mark = ' <span class="mark">pre-release</span>'
        else:
            mark = ""
        day = _day(release.upload_timestamp)
        when = f' <span class="when">{day}</span>' if day else ""
        out.append(
            f'      <section class="release{" yanked" if yanked else ""}" id="v{version}">\n'
            f'        <h3><a href="#v{version}">{version}</a>{mark}{when}</h3>\n'
        )
        reason = release.first("yanked_reason") if yanked else None
        if reason:
            out.append(f'        <p class="reason">Yanked: {h(reason)}</p>\n')
        release_python = release.first("requires_python")
        if release_python and release_python != requires_python:
            out.append(f'        <p class="requires">Requires-Python <code>{_h_repeated(release_python)}</code></p>\n')
        out.append('        <ul class="files">\n')
        for f in release.files:
            i = position[id(f)]
            meta = ""
            if f.yanked:
                meta = f'<span class="mark yanked-mark">yanked{": " + h(f.yanked_reason) if f.yanked_reason else ""}</span> '
            meta += f"<span>{h(_KINDS.get(f.packagetype, f.packagetype))}</span>"
            if f.size is not None:
                meta += f' · <span title="{f.size} bytes">{_size(f.size)}</span>'
            moment = times[i]
            if moment is not None:
                meta += f" · <time>{_moment_of(moment)}</time>"
            if f.uploaded_by:
                meta += f" · by {h(f.uploaded_by)}"
            if f.requires_python:
                meta += f" · Python <code>{_h_repeated(f.requires_python)}</code>"
            out.append(
                f'          <li{_YANKED_CLASS if f.yanked else ""}>\n'
                f'            <a class="filename" href="{h(hrefs[i])}">{h(f.filename)}</a>\n'
                f'            <span class="meta">{meta}            </span>\n'
            )
            if f.hash:
                out.append(f'            <code class="hash">{h(f.hash)}</code>\n')
            out.append("          </li>\n")
        out.append("        </ul>\n      </section>\n")
    return "".join(out)


class Row(NamedTuple):
    """One project as the listings and the search show it."""

    name: str
    display_name: str
    version: str
    last_upload: int | None
    day: str
    summary: str | None


class Update(NamedTuple):
    """One release in the changelog and the feed: when its newest file was uploaded, and what they show of it."""

    timestamp: int | float
    name: str
    display_name: str
    version: str
    yanked: bool
    files: int
    uploaders: str
    summary: str | None


# An Update as a plain tuple, as a rerun loads it from the build cache: a
# listing holds tens of thousands, and only the few on the pages it writes
# are made Updates.
UpdateFields = tuple[int | float, str, str, str, bool, int, str, str | None]


def project_listing(project: Project) -> tuple[Row, list[Update]]:
    """All that the listings show of one project: its row, and an update per release with an upload time, newest release first.

    The listings are made of these alone, so that a rerun can keep them for
    the projects it does not read again.
    """
    latest = project.latest
    last: int | float | None = project.last_upload
    last = None if last is None else int(last)
    row = Row(project.name, project.display_name, latest.version, last, _day(last), latest.first("summary"))
    updates = []
    # Newest release first, so that of two uploads at one instant the newer version leads.
    for r in reversed(project.releases):
        times = [f.upload_timestamp for f in r.files if f.upload_timestamp is not None]
        if times:
            updates.append(Update(
                max(times), project.name, project.display_name, r.version, r.yanked, len(r.files), _uploaders(r),
                r.first("summary"),
            ))
    return row, updates


def _initial(name: str) -> str:
    return "0" if name[0].isdigit() else name[0]


class Listing:
    """What the listing pages share, worked out once per build however many pages use it.

    `rows` are in name order; `updates` are each project's, in the same order.
    """

    def __init__(self, rows: Sequence[Row], updates: Sequence[Sequence[UpdateFields]], site: Site) -> None:
        self.rows = rows
        self.by_project = updates
        self.site = site

    @classmethod
    def of(cls, projects: Sequence[Project], site: Site) -> Listing:
        listed = [project_listing(p) for p in projects]
        return cls([row for row, _ in listed], [updates for _, updates in listed], site)

    @property
    def list_pages(self) -> int:
        return max(1, -(-len(self.rows) // PAGE_SIZE))

    def list_rows(self, number: int) -> Sequence[Row]:
        start = (number - 1) * PAGE_SIZE
        return self.rows[start:start + PAGE_SIZE]

    @functools.cached_property
    def initials(self) -> dict[int, str]:
        """Row number -> initial ('0' for any digit) of the first project with each initial."""
        firsts: dict[int, str] = {}
        previous = ""
        for number, row in enumerate(self.rows):
            initial = _initial(row.name)
            if initial != previous:
                firsts[number] = previous = initial
        return firsts

    @functools.cached_property
    def updates(self) -> list[UpdateFields]:
        """Every release with an upload time, newest first."""
        updates = [u for project in self.by_project for u in project]
        # The projects come in name order and the sort is stable, so ties
        # stay reproducible. By the timestamp, Update's first field.
        updates.sort(key=operator.itemgetter(0), reverse=True)
        return updates

    @property
    def changelog_pages(self) -> int:
        return max(1, -(-len(self.updates) // PAGE_SIZE))

    def changelog_updates(self, number: int) -> list[UpdateFields]:
        """The updates on changelog page `number`, newest first.

        Pages are counted from the oldest upload, and every page but the
        newest is full: a new upload changes the newest page alone, and never
        moves the releases of the older pages.
        """
        total = len(self.updates)
        return self.updates[max(0, total - number * PAGE_SIZE):total - (number - 1) * PAGE_SIZE]

    @functools.cached_property
    def names(self) -> str:
        return "\n".join(row.name for row in self.rows)

    @functools.cached_property
    def token(self) -> str:
        """Names the list of projects: row K of every search file is the same project while it stays."""
        return hashlib.sha256(self.names.encode()).hexdigest()[:16]

    @functools.cached_property
    def shards(self) -> list[str]:
        """Each shard's rows as JSON."""
        return [
            _js_json([[r.display_name, r.version, r.last_upload, r.summary] for r in self.shard_rows(shard)])
            for shard in range(self.search_shards)
        ]

    def shard_rows(self, shard: int) -> Sequence[Row]:
        return self.rows[shard * SHARD_SIZE:(shard + 1) * SHARD_SIZE]

    @property
    def search_shards(self) -> int:
        return -(-len(self.rows) // SHARD_SIZE)


def _js_json(value: Any) -> str:
    # JSON is JavaScript, except that older engines end a string at U+2028/U+2029.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def list_page_path(number: int) -> str:
    return "index.html" if number == 1 else f"list/page{number}.html"


# index.html (page 1) and list/page<N>.html: every project, PAGE_SIZE a page
def list_html(listing: Listing, number: int) -> str:
    depth = 0 if number == 1 else 1
    start = (number - 1) * PAGE_SIZE
    jumps = [(initial, row // PAGE_SIZE + 1) for row, initial in listing.initials.items()]
    rows = listing.list_rows(number)
    return _env().get_template("projects.html").render(
        **_page_context(listing.site, depth),
        rows=_list_rows(rows, start, listing.initials, _root(depth)),
        count=len(rows),
        start=start,
        total=len(listing.rows),
        number=number,
        pages=listing.list_pages,
        initials=listing.initials,
        jumps=jumps,
        token=listing.token,
        shard_size=SHARD_SIZE,
    )


def _list_rows(rows: Sequence[Row], start: int, initials: dict[int, str], root: str) -> Markup:
    """A list page's rows, built in Python (see _changelog_rows); the first project of each initial is its anchor."""
    out = []
    for number, row in enumerate(rows, start):
        initial = initials.get(number)
        anchor = f' id="initial-{_h(initial)}"' if initial else ""
        out.append(
            f'            <tr{anchor}><td><a href="{root}project/{row.name}/">{_h(row.display_name)}</a></td>'
            f"<td>{_h(row.version)}</td><td>{row.day}</td><td>{_h(row.summary or '')}</td></tr>"
        )
    return Markup("\n".join(out))


def index_html(projects: Sequence[Project], site: Site) -> str:
    """index.html alone, as a build of PROJECTS writes it."""
    return list_html(Listing.of(projects, site), 1)


def changelog_path(number: int | None) -> str:
    """changelog/page<N>.html; None for changelog/index.html, the newest page at a link that never changes."""
    return "changelog/index.html" if number is None else f"changelog/page{number}.html"


# changelog/page<N>.html, N from 1 for the oldest uploads, and
# changelog/index.html, the same as the newest page: releases, newest upload
# first, PAGE_SIZE a page
def changelog_html(listing: Listing, number: int) -> str:
    return _env().get_template("changelog.html").render(
        **_page_context(listing.site, 1),
        rows=_changelog_rows(list(map(Update._make, listing.changelog_updates(number)))),
        number=number,
        newer=number < listing.changelog_pages,
    )


def _changelog_rows(updates: Sequence[Update]) -> Markup:
    """The changelog's rows, built in Python: a page has 500, a large index hundreds of pages (see _anchor)."""
    rows = []
    for u in updates:
        version = _h(u.version)
        link = f"../project/{u.name}/"
        yanked = ' <span class="mark yanked-mark">yanked</span>' if u.yanked else ""
        rows.append(
            f'          <tr><td>{_moment(u.timestamp)}</td><td><a class="project" href="{link}">{_h(u.display_name)}</a>'
            f' <a href="{link}#v{version}">{version}</a>{yanked}</td><td>{_files_phrase(u.files)}</td>'
            f"<td>{_h(u.uploaders)}</td></tr>"
        )
    return Markup("\n".join(rows))


def _uploaders(release: Release) -> str:
    return ", ".join(sorted({f.uploaded_by for f in release.files if f.uploaded_by is not None}))


# search/names.js: every project's normalised name, in name order, and the
# version of each shard of rows, so that a browser loads a shard anew when it changes
def search_names_js(listing: Listing) -> str:
    versions = [_short_hash(shard) for shard in listing.shards]
    return f"dumbPypi.names({_js_json(listing.token)},{_js_json(listing.names)},{_js_json(versions)});\n"


# search/rows<K>.js: the rows of projects K*SHARD_SIZE and on, for the filter's results
def search_rows_js(listing: Listing, shard: int) -> str:
    return f"dumbPypi.rows({_js_json(listing.token)},{shard},{listing.shards[shard]});\n"


# XML 1.0 allows no control characters but tab and newlines, not even as references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _rfc822(timestamp: int | float) -> str:
    return email.utils.format_datetime(datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc), usegmt=True)


# rss/updates.xml: RSS 2.0, the newest FEED_SIZE releases
def rss_xml(listing: Listing) -> str:
    site = listing.site
    # Without --site-url the links are relative to the feed, which readers resolve against its own URL.
    base = site.site_url if site.site_url is not None else "../"
    updates = list(map(Update._make, listing.updates[:FEED_SIZE]))
    items = [
        {
            "title": f"{u.display_name} {u.version}",
            "link": f"{base}project/{u.name}/#v{urllib.parse.quote(u.version)}",
            "guid": f"{u.name}=={u.version}@{upload_time(u.timestamp)}",
            "description": u.summary or _files_phrase(u.files),
            "date": _rfc822(u.timestamp),
            "category": u.name,
        }
        for u in updates
    ]
    return _env().get_template("rss.xml").render(
        site=site,
        base=base,
        items=items,
        newest=_rfc822(updates[0].timestamp) if updates else None,
        generated=None if site.generated is None else email.utils.format_datetime(
            site.generated.astimezone(datetime.timezone.utc), usegmt=True,
        ),
    )


def _files_phrase(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"
