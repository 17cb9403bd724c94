"""Reads a folder of distribution files into Packages: hash, size, upload time and core metadata; the only module that imports pkginfo."""
from __future__ import annotations

import hashlib
import os
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import pkginfo
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dumb_pypi.errors import DistributionError, DumbPypiError, InvalidFilename
from dumb_pypi.filenames import has_distribution_extension
from dumb_pypi.inputs import Problems
from dumb_pypi.model import Package, make_package
from dumb_pypi.settings import PUBLISHED as PUBLISHED

_CHUNK = 1 << 20


class LocalFile(NamedTuple):
    """A distribution file of the folder, and what publishing it needs."""

    package: Package
    source: Path
    # The wheel's METADATA as it is in the wheel, when this run read the file;
    # None for other kinds, and for files whose last run's record was reused.
    metadata: bytes | None
    read: bool


class _Metadata(NamedTuple):
    name: str | None
    version: str | None
    summary: str | None
    requires_python: str | None
    requires_dist: tuple[str, ...]


class _Parsed(pkginfo.Distribution):
    """Core metadata already taken out of an archive, parsed by pkginfo."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.extractMetadata()

    def read(self) -> bytes:
        return self._data


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in chunks so a large wheel never sits in memory."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while True:
            size = f.readinto(buffer)
            if not size:
                return digest.hexdigest()
            digest.update(view[:size])


def upload_timestamp(st: os.stat_result) -> int | float:
    """A file's mtime as UNIX seconds, to the microsecond.

    Microseconds are what PEP 700's upload-time can show, and such a float
    survives the round trip through packages.json exactly, so the next run's
    size-and-mtime comparison is a plain ==.
    """
    micros = st.st_mtime_ns // 1000
    if micros % 1_000_000 == 0:
        return micros // 1_000_000
    return micros / 1_000_000


def wheel_metadata(path: Path) -> bytes:
    """The bytes of the wheel's .dist-info/METADATA, found the way pip finds it."""
    with zipfile.ZipFile(path) as archive:
        folders = {name.split("/", 1)[0] for name in archive.namelist()}
        dist_infos = sorted(folder for folder in folders if folder.endswith(".dist-info"))
        if len(dist_infos) != 1:
            found = ", ".join(dist_infos) or "none"
            raise ValueError(f"a wheel needs exactly one top-level .dist-info folder (found: {found})")
        try:
            return archive.read(f"{dist_infos[0]}/METADATA")
        except KeyError:
            raise ValueError(f"{dist_infos[0]}/METADATA is missing") from None


def _parse(distribution: pkginfo.Distribution) -> _Metadata:
    return _Metadata(
        name=distribution.name,
        version=distribution.version,
        summary=distribution.summary,
        requires_python=distribution.requires_python,
        requires_dist=tuple(distribution.requires_dist),
    )


def _read_metadata(path: Path, packagetype: str) -> tuple[_Metadata, bytes | None] | None:
    """The file's core metadata (and a wheel's METADATA bytes); None for kinds pkginfo has no reader for."""
    # pkginfo warns about Metadata-Versions it does not know and parses what
    # it can; the Name and Version checks below judge the result instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if packagetype == "bdist_wheel":
            raw = wheel_metadata(path)
            return _parse(_Parsed(raw)), raw
        if packagetype == "sdist":
            return _parse(pkginfo.SDist(str(path))), None
        if packagetype == "bdist_egg":
            return _parse(pkginfo.BDist(str(path))), None
    return None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _check_metadata(path: Path, package: Package, metadata: _Metadata) -> None:
    # pip refuses a file whose metadata names another project or version than
    # its filename, and the index would list it under the wrong one.
    if not metadata.name or not metadata.version:
        raise DistributionError(str(path), "skipped: its metadata has no Name or no Version")
    if canonicalize_name(metadata.name) != package.name or not _same_version(metadata.version, package.version):
        raise DistributionError(
            str(path),
            f"skipped: its metadata says {metadata.name} {metadata.version},"
            f" but its filename says {package.display_name} {package.version}",
        )


def _reuse(previous: Package | None, path: Path, st: os.stat_result, published: Path) -> LocalFile | None:
    """The last run's record of this file, when its size and mtime still match and its .metadata is still there."""
    if (
        previous is None
        or previous.size != st.st_size
        or previous.upload_timestamp != upload_timestamp(st)
        or previous.hash is None
        or not previous.hash.startswith("sha256=")
        or (previous.core_metadata is not None and not (published / f"{previous.filename}.metadata").is_file())
    ):
        return None
    metadata = _Metadata(None, None, previous.summary, previous.requires_python, previous.requires_dist or ())
    package = _local_package(
        previous.filename, previous.hash, st.st_size, upload_timestamp(st),
        metadata=metadata, core_metadata=previous.core_metadata,
    )
    return LocalFile(package, path, None, False)


def _local_package(
    filename: str,
    hash: str,
    size: int,
    mtime: int | float,
    *,
    metadata: _Metadata | None,
    core_metadata: str | None,
) -> Package:
    return make_package(
        filename,
        hash=hash,
        size=size,
        upload_timestamp=mtime,
        core_metadata=core_metadata,
        summary=None if metadata is None else metadata.summary,
        requires_python=None if metadata is None else metadata.requires_python,
        requires_dist=None if metadata is None else metadata.requires_dist or None,
    )


def _read_file(path: Path, package: Package, st: os.stat_result, problems: Problems) -> LocalFile:
    digest = sha256_file(path)
    try:
        found = _read_metadata(path, package.packagetype)
    # The archive is whatever bytes the folder holds: zipfile, tarfile, gzip,
    # lzma and pkginfo each raise their own kinds of error on damaged input.
    except Exception as e:
        raise DistributionError(str(path), f"skipped: cannot read its metadata: {e}") from None
    metadata, raw = found if found is not None else (None, None)
    if metadata is not None:
        _check_metadata(path, package, metadata)
    if metadata is not None and metadata.requires_python is not None:
        try:
            SpecifierSet(metadata.requires_python)
        except InvalidSpecifier:
            problems.report(
                DistributionError(
                    str(path), f"Requires-Python {metadata.requires_python!r} is not a PEP 440 specifier set; left out",
                ),
                skipped=False,
            )
            metadata = metadata._replace(requires_python=None)
    core_metadata = None if raw is None else "sha256=" + hashlib.sha256(raw).hexdigest()
    return LocalFile(
        _local_package(
            package.filename, f"sha256={digest}", st.st_size, upload_timestamp(st),
            metadata=metadata, core_metadata=core_metadata,
        ),
        path,
        raw,
        True,
    )


def read_dir(
    directory: Path,
    previous: Mapping[str, Package],
    published: Path,
    problems: Problems,
    notice: Callable[[str], None] = lambda message: None,
) -> list[LocalFile]:
    """Every distribution file directly in `directory`, in filename order.

    Subfolders are not read: OUTPUT/packages/ is one flat folder in which a
    filename names one file, and a build's dist/ is flat too. A file whose
    size and mtime match its record in `previous` (the last run's
    packages.json) is not opened: that record is reused. `published` is
    OUTPUT/packages/, where the reused records' .metadata files must be.
    """
    try:
        with os.scandir(directory) as scan:
            names = sorted(entry.name for entry in scan if entry.is_file())
    except OSError as e:
        raise DumbPypiError(f"cannot read the folder {directory}: {e.strerror}") from None
    files = []
    for name in names:
        if not has_distribution_extension(name):
            continue
        path = directory / name
        try:
            package = make_package(name)
        except InvalidFilename as e:
            problems.report(DistributionError(str(path), f"skipped: {e.reason}"))
            continue
        try:
            st = os.stat(path)
            reused = _reuse(previous.get(name), path, st, published)
            if reused is not None:
                files.append(reused)
                continue
            notice(f"reading {path}")
            files.append(_read_file(path, package, st, problems))
        except DistributionError as e:
            problems.report(e)
        except OSError as e:
            problems.report(DistributionError(str(path), f"skipped: cannot read it: {e.strerror}"))
    return files
