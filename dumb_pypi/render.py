"""Renders projects to page text: Jinja2 for HTML, json for JSON; touches no file system."""
from __future__ import annotations

import datetime
import email.utils
import functools
import hashlib
import importlib.resources
import json
import json.encoder
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


def file_url(package: Package, packages_url: str | None, page: str | None = None) -> str:
    """Where `package` is downloaded from, as a link on a page in the folder `page` (its simple page by default)."""
    if package.url is not None:
        url = package.url
    else:
        assert packages_url is not None, "the build checks that --packages-url is given"
        url = packages_url.rstrip("/") + "/" + urllib.parse.quote(package.path)
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
        cut = url.rfind("/") + 1
        name = url[cut:]
        if name in ("", ".", "..") or ":" in name or "?" in url or "#" in url:
            out.append(relocate(url, project, page))
            continue
        folder = url[:cut]
        prefix = folders.get(folder)
        if prefix is None:
            prefix = folders[folder] = _relocated_folder(folder, project, page)
        out.append(prefix + name)
    return out


@functools.lru_cache(maxsize=1 << 12)
def _relocated_folder(folder: str, project: str, page: str) -> str:
    return relocate(folder + "_", project, page)[:-1]


def _utc(timestamp: int | float) -> str:
    """YYYY-MM-DDTHH:MM:SS, with .ffffff when not a whole second; isoformat is much cheaper than strftime."""
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


# simple/index.html
def simple_root_html(projects: Sequence[Project]) -> str:
    return _env().get_template("simple_root.html").render(projects=projects)


# simple/index.v1_json
def simple_root_json(projects: Sequence[Project]) -> str:
    return _dumps({
        "meta": {"api-version": "1.1"},
        "projects": [{"name": p.display_name} for p in projects],
    })


def _core_metadata_json(value: str) -> bool | dict[str, str]:
    if value == "true":
        return True
    algo, _, digest = value.partition("=")
    return {algo: digest}


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
        links = "\n".join(
            _anchor(f, url if f.hash is None else url + "#" + f.hash)
            for f, url in zip(self.project.files, self._urls)
        )
        return _env().get_template("simple_project.html").render(
            project=self.project, links=Markup(links), api_version=api_version(self.project.files),
        )

    # simple/<name>/index.v1_json
    def simple_json(self) -> str:
        files = []
        for f, url, moment in zip(self.project.files, self._urls, self._times):
            hash_parts = f.hash_parts
            entry: dict[str, Any] = {
                "filename": f.filename,
                "url": url,
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
            if moment is not None:
                entry["upload-time"] = moment + "Z"
            files.append(entry)
        return _dumps({
            "meta": {"api-version": api_version(self.project.files)},
            "name": self.project.name,
            "versions": [r.version for r in self.project.releases],
            "files": files,
        })

    @functools.cached_property
    def _pypi_parts(self) -> list[tuple[str, str]]:
        """Each file's PyPI record in JSON, in two parts that its URL goes between.

        A record appears on two or three pages, with a URL that depends on the
        page's folder: the rest is encoded once.
        """
        parts = []
        for f, moment in zip(self.project.files, self._times):
            hash_parts = f.hash_parts
            rest: dict[str, Any] = {
                "digests": {} if hash_parts is None else {hash_parts[0]: hash_parts[1]},
                "requires_python": f.requires_python,
                "packagetype": f.packagetype,
                "python_version": f.python_version,
            }
            if f.size is not None:
                rest["size"] = f.size
            if moment is not None:
                rest["upload_time"] = moment[:19]
                rest["upload_time_iso_8601"] = (moment if len(moment) > 19 else moment + ".000000") + "Z"
            rest["yanked"] = f.yanked
            rest["yanked_reason"] = f.yanked_reason
            # The bytes of {"filename": ..., "url": ..., **rest}, as json.dumps writes them.
            parts.append(('{"filename":' + _string(f.filename) + ',"url":', "," + _encode(rest)[1:]))
        return parts

    @functools.cached_property
    def _pypi_records(self) -> list[str]:
        """Each file's PyPI record in JSON, as seen from pypi/<name>/."""
        urls = _relocated_all(self._urls, self.project.name, f"pypi/{self.project.name}/")
        return [before + _string(url) + after for (before, after), url in zip(self._pypi_parts, urls)]

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
        releases = {r.version: "[" + ",".join(records[i] for i in self._indexes(r)) + "]" for r in self.project.releases}
        return (
            '{"info":' + _encode(_pypi_info(self.project, latest))
            + ',"releases":{' + ",".join(_string(version) + ":" + files for version, files in releases.items())
            + '},"urls":[' + ",".join(records[i] for i in self._indexes(latest)) + "]}\n"
        )

    # pypi/<name>/<version>/json
    def release_json(self, release: Release) -> str:
        # One folder deeper than pypi/<name>/json: only relative URLs change.
        indexes = self._indexes(release)
        records, parts, urls = self._pypi_records, self._pypi_parts, self._urls
        relocated = _relocated_all([urls[i] for i in indexes], self.project.name,
                                   f"pypi/{self.project.name}/{release.version}/")
        files = []
        for i, url in zip(indexes, relocated):
            before, after = parts[i]
            record = before + _string(url) + after
            files.append(records[i] if record == records[i] else record)
        return '{"info":' + _encode(_pypi_info(self.project, release)) + ',"urls":[' + ",".join(files) + "]}\n"


    # project/<name>/index.html
    def project_html(self) -> str:
        return project_html(self.project, self.site)


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
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


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


class _FileView(NamedTuple):
    package: Package
    href: str
    size: str
    uploaded: str


class _ReleaseView(NamedTuple):
    release: Release
    uploaded: str
    requires_python: str | None
    yanked_reason: str | None
    files: list[_FileView]


# project/<name>/index.html
def project_html(project: Project, site: Site) -> str:
    latest = project.latest
    releases = []
    for release in reversed(project.releases):
        files = [
            _FileView(
                f,
                file_url(f, site.packages_url, f"project/{project.name}/"),
                "" if f.size is None else _size(f.size),
                "" if f.upload_timestamp is None else _moment(f.upload_timestamp),
            )
            for f in release.files
        ]
        releases.append(_ReleaseView(
            release,
            _day(release.upload_timestamp),
            release.first("requires_python"),
            release.first("yanked_reason") if release.yanked else None,
            files,
        ))
    return _env().get_template("project.html").render(
        **_page_context(site, 2),
        project=project,
        latest=latest,
        summary=latest.first("summary"),
        requires_python=latest.first("requires_python"),
        last_upload=None if project.last_upload is None else _moment(project.last_upload),
        install=install_line(project, site),
        releases=releases,
    )


class Row(NamedTuple):
    """One project as the listings and the search show it."""

    name: str
    display_name: str
    version: str
    last_upload: int | None
    day: str
    summary: str | None


class Update(NamedTuple):
    """One release in the changelog: when its newest file was uploaded."""

    timestamp: int | float
    project: Project
    release: Release


def _initial(name: str) -> str:
    return "0" if name[0].isdigit() else name[0]


class Listing:
    """What the listing pages share, worked out once per build however many pages use it."""

    def __init__(self, projects: Sequence[Project], site: Site) -> None:
        self.projects = projects
        self.site = site

    @property
    def list_pages(self) -> int:
        return max(1, -(-len(self.projects) // PAGE_SIZE))

    @functools.cached_property
    def rows(self) -> list[Row]:
        rows = []
        for p in self.projects:
            latest = p.latest
            last: int | float | None = p.last_upload
            last = None if last is None else int(last)
            rows.append(Row(p.name, p.display_name, latest.version, last, _day(last), latest.first("summary")))
        return rows

    @functools.cached_property
    def initials(self) -> dict[int, str]:
        """Row number -> initial ('0' for any digit) of the first project with each initial."""
        firsts: dict[int, str] = {}
        previous = ""
        for number, project in enumerate(self.projects):
            initial = _initial(project.name)
            if initial != previous:
                firsts[number] = previous = initial
        return firsts

    @functools.cached_property
    def changelog_pages(self) -> int:
        count = sum(1 for p in self.projects for r in p.releases if r.first("upload_timestamp") is not None)
        return max(1, -(-count // PAGE_SIZE))

    @functools.cached_property
    def updates(self) -> list[Update]:
        updates = []
        for p in self.projects:
            # Newest release first, so that of two uploads at one instant the newer version leads.
            for r in reversed(p.releases):
                times = [f.upload_timestamp for f in r.files if f.upload_timestamp is not None]
                if times:
                    updates.append(Update(max(times), p, r))
        # Newest first; the projects come in name order and the sort is stable, so ties stay reproducible.
        updates.sort(key=lambda u: u.timestamp, reverse=True)
        return updates

    @functools.cached_property
    def search(self) -> tuple[str, list[str]]:
        """The search data: a token naming this exact data, and each shard's rows as JSON."""
        shards = []
        for start in range(0, len(self.rows), SHARD_SIZE):
            chunk = self.rows[start:start + SHARD_SIZE]
            shards.append(_js_json([[r.display_name, r.version, r.last_upload, r.summary] for r in chunk]))
        digest = hashlib.sha256(self.names.encode())
        for shard in shards:
            digest.update(shard.encode())
        return digest.hexdigest()[:16], shards

    @functools.cached_property
    def names(self) -> str:
        return "\n".join(p.name for p in self.projects)

    @property
    def search_shards(self) -> int:
        return -(-len(self.projects) // SHARD_SIZE)


def _js_json(value: Any) -> str:
    # JSON is JavaScript, except that older engines end a string at U+2028/U+2029.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def list_page_path(number: int) -> str:
    return "index.html" if number == 1 else f"list/page{number}.html"


# index.html (page 1) and list/page<N>.html: every project, PAGE_SIZE a page
def list_html(listing: Listing, number: int) -> str:
    depth = 0 if number == 1 else 1
    start = (number - 1) * PAGE_SIZE
    jumps = [(initial, row // PAGE_SIZE + 1) for row, initial in listing.initials.items()]
    return _env().get_template("projects.html").render(
        **_page_context(listing.site, depth),
        rows=listing.rows[start:start + PAGE_SIZE],
        start=start,
        total=len(listing.rows),
        number=number,
        pages=listing.list_pages,
        initials=listing.initials,
        jumps=jumps,
        token=listing.search[0],
        shard_size=SHARD_SIZE,
    )


def index_html(projects: Sequence[Project], site: Site) -> str:
    """index.html alone, as a build of PROJECTS writes it."""
    return list_html(Listing(projects, site), 1)


# changelog/page<N>.html: releases, newest upload first, PAGE_SIZE a page
def changelog_html(listing: Listing, number: int) -> str:
    start = (number - 1) * PAGE_SIZE
    updates = listing.updates[start:start + PAGE_SIZE]
    return _env().get_template("changelog.html").render(
        **_page_context(listing.site, 1),
        updates=[
            (_moment(u.timestamp), u.project.name, u.project.display_name, u.release.version, u.release.yanked,
             _files_phrase(len(u.release.files)), _uploaders(u.release))
            for u in updates
        ],
        start=start,
        total=len(listing.updates),
        number=number,
        pages=listing.changelog_pages,
    )


def _uploaders(release: Release) -> str:
    return ", ".join(sorted({f.uploaded_by for f in release.files if f.uploaded_by is not None}))


# search/names.js: every project's normalised name, in name order
def search_names_js(listing: Listing) -> str:
    token, _ = listing.search
    return f"dumbPypi.names({_js_json(token)},{_js_json(listing.names)});\n"


# search/rows<K>.js: the rows of projects K*SHARD_SIZE and on, for the filter's results
def search_rows_js(listing: Listing, shard: int) -> str:
    token, shards = listing.search
    return f"dumbPypi.rows({_js_json(token)},{shard},{shards[shard]});\n"


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
    updates = listing.updates[:FEED_SIZE]
    items = [
        {
            "title": f"{u.project.display_name} {u.release.version}",
            "link": f"{base}project/{u.project.name}/#v{urllib.parse.quote(u.release.version)}",
            "guid": f"{u.project.name}=={u.release.version}@{upload_time(u.timestamp)}",
            "description": u.release.first("summary") or _files_phrase(len(u.release.files)),
            "date": _rfc822(u.timestamp),
            "category": u.project.name,
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
