"""Frozen records for distribution files, and their grouping into projects and releases."""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from dumb_pypi.filenames import parse_filename

# The order of PyPI's own "packagetype" values when two files of one release
# share a version: sdists first, as PyPI lists them.
_KIND_ORDER = {"sdist": 0, "bdist_wheel": 1}


class Package(NamedTuple):
    """One distribution file, as the inputs describe it.

    The first fields are exactly the keys of a JSON-lines record (see
    `to_json`); the last ones are derived from the filename by `make_package`,
    the only factory, so two equal records are the same file with the same data.
    """

    filename: str
    path: str
    url: str | None
    hash: str | None
    requires_python: str | None
    core_metadata: str | None
    uploaded_by: str | None
    upload_timestamp: int | float | None
    yanked: bool
    yanked_reason: str | None
    requires_dist: tuple[str, ...] | None
    size: int | None
    summary: str | None
    # Derived from the filename.
    name: NormalizedName
    display_name: str
    version: str
    packagetype: str
    python_version: str

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines record that `--package-list-json` reads back as this same Package."""
        record: dict[str, Any] = {"filename": self.filename}
        if self.path != self.filename:
            record["path"] = self.path
        for key in (
            "url", "hash", "requires_python", "core_metadata", "uploaded_by",
            "upload_timestamp", "yanked_reason", "size", "summary",
        ):
            value = getattr(self, key)
            if value is not None:
                record[key] = value
        if self.yanked and self.yanked_reason is None:
            record["yanked"] = True
        if self.requires_dist is not None:
            record["requires_dist"] = list(self.requires_dist)
        return record

    @property
    def release(self) -> str:
        """The key of this file's release: the normalised version where it is valid PEP 440."""
        return release_key(self.version)


def make_package(
    filename: str,
    *,
    path: str | None = None,
    url: str | None = None,
    hash: str | None = None,
    requires_python: str | None = None,
    core_metadata: str | None = None,
    uploaded_by: str | None = None,
    upload_timestamp: int | float | None = None,
    yanked: bool = False,
    yanked_reason: str | None = None,
    requires_dist: Iterable[str] | None = None,
    size: int | None = None,
    summary: str | None = None,
) -> Package:
    """Build a Package; raises errors.InvalidFilename for a filename we cannot list."""
    return package_of(
        filename, path, url, hash, requires_python, core_metadata, uploaded_by, upload_timestamp, yanked,
        yanked_reason, requires_dist, size, summary,
    )


def package_of(
    filename: str,
    path: str | None,
    url: str | None,
    hash: str | None,
    requires_python: str | None,
    core_metadata: str | None,
    uploaded_by: str | None,
    upload_timestamp: int | float | None,
    yanked: bool,
    yanked_reason: str | None,
    requires_dist: Iterable[str] | None,
    size: int | None,
    summary: str | None,
) -> Package:
    """make_package with every argument given in order (a reader calls it once per entry)."""
    name, version, packagetype, python_version = parse_filename(filename)
    # _make skips the keyword parsing of Package(...): this runs once per file.
    return Package._make((
        filename,
        filename if path is None else path,
        url,
        hash,
        shared(requires_python),
        core_metadata,
        shared(uploaded_by),
        upload_timestamp,
        yanked or yanked_reason is not None,
        yanked_reason,
        None if requires_dist is None else shared(tuple(requires_dist)),
        size,
        summary,
        _canonical(name),
        shared(name),
        shared(version),
        packagetype,
        shared(python_version),
    ))


_T = TypeVar("_T")


@functools.lru_cache(maxsize=1 << 16)
def shared(value: _T) -> _T:
    """One object for equal values: a large list repeats names, versions and metadata many times."""
    return value


@functools.lru_cache(maxsize=1 << 16)
def _canonical(name: str) -> NormalizedName:
    return canonicalize_name(name)


@functools.lru_cache(maxsize=1 << 16)
def _parse_version(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


@functools.lru_cache(maxsize=1 << 16)
def release_key(version: str) -> str:
    """The version that names a release and its folder pypi/<name>/<key>/.

    PEP 440 versions are normalised; others are lowercased, so that "1.0.X"
    and "1.0.x" make one folder, which a case-insensitive file system (macOS,
    Windows) would make of them anyway.
    """
    parsed = _parse_version(version)
    return version.lower() if parsed is None else str(parsed)


@functools.lru_cache(maxsize=1 << 16)
def version_key(version: str) -> tuple[Any, ...]:
    """Sort key: versions that are not PEP 440 sort first (by release key), then PEP 440 order.

    Equal PEP 440 versions spelled differently ('1.0', '1.00') tie-break on
    their release key, so the files of one release stay together.
    """
    parsed = _parse_version(version)
    if parsed is None:
        return (0, version.lower())
    return (1, parsed, str(parsed))


def file_key(package: Package) -> tuple[tuple[Any, ...], int, str]:
    return (version_key(package.version), _KIND_ORDER.get(package.packagetype, 2), package.filename)


class Release(NamedTuple):
    version: str
    files: tuple[Package, ...]
    # Worked out once: every page of a project asks.
    yanked: bool
    prerelease: bool

    def first(self, field: str) -> Any:
        """The first value of `field` that any file of this release knows."""
        for f in self.files:
            value = getattr(f, field)
            if value is not None:
                return value
        return None

    @property
    def upload_timestamp(self) -> int | float | None:
        times = [f.upload_timestamp for f in self.files if f.upload_timestamp is not None]
        return min(times) if times else None


def make_release(version: str, files: tuple[Package, ...]) -> Release:
    return _release(version, files, _prerelease(version))


def _release(version: str, files: tuple[Package, ...], prerelease: bool) -> Release:
    yanked = files[0].yanked if len(files) == 1 else all(f.yanked for f in files)
    return Release(version, files, yanked, prerelease)


@functools.lru_cache(maxsize=1 << 16)
def _prerelease(version: str) -> bool:
    parsed = _parse_version(version)
    return parsed is None or parsed.is_prerelease


class Project(NamedTuple):
    name: NormalizedName
    display_name: str
    files: tuple[Package, ...]  # oldest version first
    releases: tuple[Release, ...]  # oldest first
    # What PyPI shows as the project's version: the newest final, unyanked release if any.
    latest: Release

    @property
    def last_upload(self) -> int | float | None:
        times = [f.upload_timestamp for f in self.files if f.upload_timestamp is not None]
        return max(times) if times else None


def _latest(releases: Sequence[Release]) -> Release:
    for want in ((False, False), (False, None), (None, None)):
        for release in reversed(releases):
            if want[0] is not None and release.yanked != want[0]:
                continue
            if want[1] is not None and release.prerelease != want[1]:
                continue
            return release
    raise AssertionError("a project has at least one file")


def make_project(files: Iterable[Package], ranks: dict[str, int] | None = None) -> Project:
    """A project of `files`.

    `ranks`, if given, has every file's version with its place in version_key's order.
    """
    if ranks is None:
        ordered = tuple(sorted(files, key=file_key))
    else:
        ordered = tuple(sorted(
            files, key=lambda f: (ranks[f.version], _KIND_ORDER.get(f.packagetype, 2), f.filename),
        ))
    if not ordered:
        raise ValueError("a project needs at least one file")
    releases: list[Release] = []
    start = 0
    key = release_key(ordered[0].version)
    for i in range(1, len(ordered)):
        next_key = release_key(ordered[i].version)
        if next_key != key:
            releases.append(make_release(key, ordered[start:i]))
            start, key = i, next_key
    releases.append(make_release(key, ordered[start:]))
    return _project(ordered, releases)


def assemble_project(files: tuple[Package, ...], releases: Iterable[tuple[str, int, bool]]) -> Project:
    """The project make_project made of `files`, given in its order with each release's (version, number of files, pre-release).

    No version is parsed again: a worker writing pages that another
    process grouped would otherwise parse (and keep) every version anew.
    """
    made: list[Release] = []
    start = 0
    for version, count, prerelease in releases:
        made.append(_release(version, files[start:start + count], prerelease))
        start += count
    assert start == len(files) and made, "the releases must cut all the files"
    return _project(files, made)


def _project(ordered: tuple[Package, ...], releases: list[Release]) -> Project:
    return Project(
        name=ordered[0].name,
        display_name=_display_name(releases[-1].files, ordered),
        files=ordered,
        releases=tuple(releases),
        latest=_latest(releases),
    )


def _display_name(newest: Iterable[Package], files: Iterable[Package]) -> str:
    """How the project spells its name: as its newest release's sdist does, if any.

    Wheel filenames escape the name ('aspy_yaml' for 'aspy.yaml'), so a
    wheel-only project is shown by its normalised name, which is what users
    type. The choice must not depend on input order.
    """
    for candidates in (newest, files):
        spellings = [(f.packagetype != "sdist", f.display_name) for f in candidates if f.packagetype != "bdist_wheel"]
        if spellings:
            return min(spellings)[1]
    return next(iter(files)).name


def group_projects(packages: Iterable[Package]) -> dict[NormalizedName, Project]:
    """Every project, keyed and ordered by normalised name."""
    by_name, ranks = group_files(packages)
    return {name: make_project(files, ranks=ranks) for name, files in by_name.items()}


def group_files(packages: Iterable[Package]) -> tuple[dict[NormalizedName, list[Package]], dict[str, int]]:
    """Each project's files, keyed and ordered by normalised name, and every version's rank for make_project."""
    by_name: dict[NormalizedName, list[Package]] = {}
    versions = set()
    for p in packages:
        by_name.setdefault(p.name, []).append(p)
        versions.add(p.version)
    # Each version is compared once here, not once per comparison of two
    # files: comparing Version objects costs a Python call each time.
    ranks: dict[str, int] = {}
    previous: tuple[Any, ...] | None = None
    for version in sorted(versions, key=version_key):
        key = version_key(version)
        # Spellings of one version ('1.0', '1.00') share a rank, as they share a key.
        if key != previous:
            rank = len(ranks)
        ranks[version] = rank
        previous = key
    return {name: by_name[name] for name in sorted(by_name)}, ranks


def release_keys(files: Iterable[Package]) -> set[str]:
    """The versions that name the releases of a project of these files (make_project's Release.version)."""
    return {release_key(version) for version in {f.version for f in files}}


def forget() -> None:
    """Empty the caches of names, versions and shared values (a worker that read a part no longer needs them)."""
    for cache in (shared, _canonical, _parse_version, release_key, version_key, _prerelease):
        cache.cache_clear()
