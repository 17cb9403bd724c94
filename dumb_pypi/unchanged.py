"""A rerun on the very list of the last run: told from the manifest's header, before anything heavy is imported."""
from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from dumb_pypi.errors import InputError
from dumb_pypi.publish import JOURNAL_NAME, MANIFEST_NAME, PACKAGES_JSON, Manifest, Output, locked
from dumb_pypi.settings import Settings, Summary


def reading(settings: Settings) -> dict[str, Any]:
    """How the input list is read: what must be the same for the same bytes to give the same packages.

    `aws s3 ls` lines are read in the run's time zone.
    """
    return {"as": "json" if settings.package_list_json is not None else "plain",
            "tz": [time.timezone, time.altzone, list(time.tzname)]}


# sha256 of files this process has hashed, by the file's identity: a rerun
# hashes its list here, and again to read it from the build cache, and its
# previous list is OUTPUT/packages.json, which it also checks.
_hashed: dict[tuple[int, int, int, int], str] = {}


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


# The bytes of the list a rerun read whole, and its identity: the build that
# follows reads it too (see rerun).
_kept: tuple[tuple[int, int, int, int], bytes] | None = None


def forget() -> None:
    """Let go of the list rerun kept, if no build took it."""
    global _kept
    _kept = None


def sha256_of(path: str) -> str:
    with open(path, "rb") as f:
        return read_hashed(f, with_data=False)[1]


def _previous_sha256(output: Output, path: str, whole: bool) -> str:
    """The previous list's sha256, read a piece at a time, or with `whole` in one call.

    `whole` is for a run whose list is new: hashing frees the interpreter's
    lock, which another thread may then hold for a while each time this one
    wants it back (see cli._Preparing). The output's own packages.json, the
    previous list as a rule, is then mapped (see mapped): the rebuild maps it
    again. (Not otherwise: its pages would count in the memory of a run with
    nothing to do.)
    """
    with open(path, "rb") as f:
        if whole:
            identity = os.fstat(f.fileno())
            with contextlib.suppress(OSError):
                own = os.stat(output.root / PACKAGES_JSON)
                if (own.st_dev, own.st_ino) == (identity.st_dev, identity.st_ino):
                    return mapped_hashed(f)[1]
        return read_hashed(f, with_data=whole)[1]


def read_hashed(f: BinaryIO, with_data: bool = True) -> tuple[bytes, str]:
    """The bytes of an open file (b"" unless with_data), and their sha256, hashed once per file and version of it."""
    global _kept
    identity = _identity(os.fstat(f.fileno()))
    known = _hashed.get(identity)
    if with_data:
        if _kept is not None and _kept[0] == identity:
            data = _kept[1]
            _kept = None
        else:
            data = f.read()
        _hashed[identity] = known or hashlib.sha256(data).hexdigest()
        return data, _hashed[identity]
    if known is None:
        sha = hashlib.sha256()
        while chunk := f.read(1 << 20):
            sha.update(chunk)
        known = _hashed[identity] = sha.hexdigest()
    return b"", known


# Bytes read from a file, or mapped (see mapped).
Bytes = bytes | mmap.mmap


def mapped(f: BinaryIO, offset: int = 0) -> Bytes:
    """An open file's bytes from `offset` on, mapped rather than read where `offset` allows.

    Mapping spares copying the file into fresh memory, a page fault per page
    (20 ms for 30 MB). Only for files that dumb-pypi writes, under its lock:
    it replaces them whole (a new file renamed into place) and never cuts one
    short, which would kill a process that reads the mapping past the cut.
    """
    size = os.fstat(f.fileno()).st_size - offset
    if size <= 0:
        return b""
    if offset % mmap.ALLOCATIONGRANULARITY:
        f.seek(offset)
        return f.read()
    return mmap.mmap(f.fileno(), size, offset=offset, access=mmap.ACCESS_READ)


def mapped_hashed(f: BinaryIO) -> tuple[Bytes, str]:
    """An open file's bytes, mapped (see mapped), and their sha256, hashed once per file and version of it."""
    identity = _identity(os.fstat(f.fileno()))
    data = mapped(f)
    known = _hashed.get(identity)
    if known is None:
        known = _hashed[identity] = hashlib.sha256(data).hexdigest()
    return data, known


def nothing_to_do(settings: Settings, manifest: Manifest, current_sha: str, previous_sha: str | None) -> bool:
    """Whether the last run was built from this very list, read the same way, with these settings."""
    return (
        manifest.settings == settings.output_settings()
        and manifest.read.get("reading") == reading(settings)
        and manifest.lists.get("input") == current_sha
        and (previous_sha is None or previous_sha in manifest.lists.values())
    )


def replay(settings: Settings, manifest: Manifest, name: str, warn: Callable[[str], None]) -> Summary:
    """Report what reading the list reported in the last run, as reading it again would; raises InputError under --strict."""
    read = manifest.read
    for line, message, _ in read["warnings"]:
        error = InputError(name, line, message)
        if settings.strict:
            raise error
        warn(str(error))
    return Summary(projects=read["projects"], files=read["files"], skipped=read["skipped"],
                   written=0, deleted=0, partial=True)


def rerun(
    settings: Settings, warn: Callable[[str], None] = lambda message: None,
    new: Callable[[int], None] = lambda size: None,
) -> Summary | None:
    """The summary of a run given the last run's list again, and its previous list: it writes nothing.

    None when the run must read its list: another list, other settings, no
    previous list, a run that did not finish, an index that may not be empty.
    `new` is called with the list's size as soon as the list is known to be another.
    """
    global _kept
    path = settings.package_list_json or settings.package_list
    previous = settings.previous_package_list_json or settings.previous_package_list
    if settings.package_dir is not None or path in (None, "-") or previous in (None, "-"):
        return None
    assert path is not None and previous is not None
    if not (settings.output_dir / MANIFEST_NAME).is_file():
        return None
    with locked(settings.output_dir, settings.lock_wait) as output:
        if (output.root / JOURNAL_NAME).exists():
            return None
        manifest = output.read_manifest(paths=False)
        if manifest is None or "warnings" not in manifest.read:
            return None
        try:
            with open(path, "rb") as f:
                stat = os.fstat(f.fileno())
                size = stat.st_size
                if size != manifest.read.get("size"):
                    # Surely another list: read whole and kept for the
                    # rerun that follows, which reads it whole anyway.
                    new(size)
                    data, current_sha = read_hashed(f)
                    _kept = (_identity(stat), data)
                else:
                    current_sha = read_hashed(f, with_data=False)[1]
                    if current_sha != manifest.lists.get("input"):
                        new(size)
            # Even for another list: the build that follows checks the
            # previous list too, with the hash kept here.
            new_list = current_sha != manifest.lists.get("input")
            if not nothing_to_do(settings, manifest, current_sha, _previous_sha256(output, previous, new_list)):
                return None
        except OSError:
            return None  # the build names what it cannot read
        if manifest.read["files"] == 0 and not settings.allow_empty:
            return None  # the build says why it refuses
        return replay(settings, manifest, path, warn)
