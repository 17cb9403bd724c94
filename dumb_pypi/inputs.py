"""Reads package lists (plain, JSON lines, `aws s3 ls` output, stdin) into Packages, naming PATH:LINE."""
from __future__ import annotations

import hashlib
import json
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple, Protocol

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dumb_pypi.errors import DumbPypiError, InputError, InvalidFilename
from dumb_pypi.model import Package, make_package

MAX_LINE = 1 << 20

# `aws s3 ls` prints "DATE TIME SIZE KEY", the size right-aligned; with
# --recursive the key is the whole key, otherwise the part below the prefix.
_S3_LS = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) +(\d+) (.+)")
_S3_PRE = re.compile(r"\s*PRE .*/")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HASH = re.compile(r"(md5|sha1|sha224|sha256|sha384|sha512|blake2b|blake2s|sha3_224|sha3_256|sha3_384|sha3_512)=[0-9a-fA-F]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\`\ud800-\udfff]")
# JSON's "\ud800" escape decodes to a lone surrogate, which no output can encode.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What free text for people may not hold: the control characters (but tab and
# line breaks), which a terminal obeys, and the code points XML 1.0 has no
# place for, which would break the XML of any feed that shows the text.
_FREE_TEXT_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_FREE_TEXT = ("uploaded_by", "yanked_reason", "summary", "requires_dist")


class Sourced(NamedTuple):
    """A package with the place in the input that described it."""

    package: Package
    path: str
    line: int


class Problems:
    """Where refused entries go: warnings, or errors under --strict."""

    def __init__(self, strict: bool, warn: Callable[[str], None]) -> None:
        self.strict = strict
        self.warn = warn
        self.count = 0

    def refuse(self, path: str, line: int, message: str, *, skipped: bool = True) -> None:
        """Report an entry left out (or, with skipped=False, a part of it ignored)."""
        self.report(InputError(path, line, message), skipped=skipped)

    def report(self, error: DumbPypiError, *, skipped: bool = True) -> None:
        """Warn with `error`'s message, or raise it under --strict."""
        if self.strict:
            raise error
        self.count += skipped
        self.warn(str(error))


class Readable(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class HashingReader:
    """Reads a list while hashing its bytes, so a later run can tell whether it is given this very list."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._sha = hashlib.sha256()

    def readline(self, size: int = -1, /) -> bytes:
        data = self._stream.readline(size)
        self._sha.update(data)
        return data

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def _lines(stream: Readable, path: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, ended by a newline) for each line; bounded in length, strict UTF-8."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE + 2)
        if not raw:
            return
        number += 1
        ended = raw.endswith(b"\n")
        if len(raw.rstrip(b"\r\n")) > MAX_LINE:
            raise InputError(path, number, f"line is longer than {MAX_LINE} bytes")
        try:
            # Windows editors start a UTF-8 file with a byte-order mark.
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as e:
            raise InputError(path, number, f"not valid UTF-8 (byte {e.start + 1} of the line)") from None
        yield number, text.rstrip("\r\n"), ended


def _why(error: Exception) -> str:
    return error.reason if isinstance(error, InvalidFilename) else str(error)


def _shown(text: str) -> str:
    """TEXT quoted for a message: control characters escaped, and no longer than a line of a terminal or a mail."""
    if len(text) > 200:
        return f"{text[:160]!r}... ({len(text)} characters)"
    return repr(text)


def _cut_off(path: str, line: int, message: str) -> InputError:
    return InputError(path, line, f"{message}; the last line has no newline, so the list looks cut off")


def _split_path(key: str) -> str:
    """Check a relative path below --packages-url; returns it, or raises ValueError why not."""
    if key.startswith("/"):
        raise ValueError("an absolute path is not allowed; give a path relative to --packages-url")
    if "\\" in key:
        raise ValueError("a backslash is not allowed in a path")
    if _CONTROL.search(key):
        raise ValueError("a control character is not allowed")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"path segment {segment!r} is not allowed")
    return key


def _check_timestamp(timestamp: int | float) -> int | float:
    """TIMESTAMP, if every page can show it (1970 to 9999, UTC); else ValueError."""
    if not (math.isfinite(timestamp) and 0 <= timestamp < 253402300800):
        raise ValueError(f"'upload_timestamp' is out of range: {timestamp!r}")
    return timestamp


def parse_plain_entry(text: str) -> Package | None:
    """One plain-list line to a Package; None for lines that list nothing. Raises ValueError or InvalidFilename."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#") or _S3_PRE.fullmatch(text):
        return None
    s3 = _S3_LS.fullmatch(stripped)
    if s3 is not None:
        try:
            # The aws CLI prints local time: read it back in the run's time zone.
            timestamp = _check_timestamp(int(time.mktime(time.strptime(s3.group(1), "%Y-%m-%d %H:%M:%S"))))
        except (ValueError, OverflowError):
            raise ValueError(f"cannot read the date {s3.group(1)!r}") from None
        if len(s3.group(2)) > 20:
            raise ValueError("the size has more than 20 digits")
        key = _split_path(s3.group(3))
        return make_package(key.rsplit("/", 1)[-1], path=key, size=int(s3.group(2)), upload_timestamp=timestamp)
    if _URL.match(stripped):
        parts = urllib.parse.urlsplit(stripped)
        filename = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
        if parts.scheme.lower() in ("http", "https"):
            if not parts.netloc:
                raise ValueError("a URL needs a host")
            return make_package(filename, url=check_url(stripped))
        return make_package(filename)
    key = _split_path(stripped)
    return make_package(key.rsplit("/", 1)[-1], path=key)


def read_plain(stream: Readable, path: str, problems: Problems) -> Iterator[Sourced]:
    for number, text, ended in _lines(stream, path):
        try:
            package = parse_plain_entry(text)
        except (ValueError, InvalidFilename) as e:
            if not ended:
                raise _cut_off(path, number, f"cannot use {_shown(text.strip())}: {_why(e)}") from None
            problems.refuse(path, number, f"skipped {_shown(text.strip())}: {_why(e)}")
            continue
        if package is not None:
            yield Sourced(package, path, number)


def check_text(text: str) -> str:
    """TEXT, if it can go into a page as it is: no control character, and valid Unicode; else ValueError."""
    bad = _TEXT_UNSAFE.search(text)
    if bad is not None:
        if _SURROGATE.match(bad.group()):
            raise ValueError("it is not valid UTF-8")
        raise ValueError(f"it contains the control character {bad.group()!r}")
    return text


def check_url(url: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """URL, if it can stand in an HTML attribute as it is and links with one of SCHEMES (or is relative); else ValueError."""
    bad = _URL_UNSAFE.search(url)
    if bad is not None and _SURROGATE.match(bad.group()):
        raise ValueError("the URL is not valid UTF-8")
    if bad is not None:
        raise ValueError(
            f"the URL contains {bad.group()!r}, which is not allowed in a URL (percent-encode it)",
        )
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme and scheme not in schemes:
        allowed = ", ".join(schemes)
        raise ValueError(f"URL scheme {scheme!r} is not allowed; use {allowed} or a relative URL")
    return url


class _Field(NamedTuple):
    types: tuple[type, ...]
    kind: str


_FIELDS: dict[str, _Field] = {
    "filename": _Field((str,), "a string"),
    "path": _Field((str,), "a string"),
    "hash": _Field((str,), "a string"),
    "requires_python": _Field((str,), "a string"),
    "core_metadata": _Field((str,), "a string"),
    "uploaded_by": _Field((str,), "a string"),
    "upload_timestamp": _Field((int, float), "a number"),
    "yanked_reason": _Field((str,), "a string"),
    "yanked": _Field((bool,), "true or false"),
    "requires_dist": _Field((list,), "a list of strings"),
    "size": _Field((int,), "a whole number"),
    "summary": _Field((str,), "a string"),
    "url": _Field((str,), "a string"),
}


def _typed(record: dict[str, Any], path: str, line: int) -> None:
    if "filename" not in record:
        raise InputError(path, line, "the record has no 'filename'")
    for key, value in record.items():
        field = _FIELDS.get(key)
        if field is None or value is None and key != "filename":
            continue
        # bool is an int to Python, never to us.
        wrong = not isinstance(value, field.types) or (isinstance(value, bool) and bool not in field.types)
        if key == "requires_dist" and not wrong:
            wrong = not all(isinstance(item, str) for item in value)
        if wrong:
            raise InputError(path, line, f"'{key}' must be {field.kind}, not {json.dumps(value)[:80]}")
        texts = value if key == "requires_dist" else [value]
        if any(isinstance(text, str) and _SURROGATE.search(text) for text in texts):
            raise InputError(path, line, f"'{key}' is not valid Unicode (it has a lone surrogate escape)")


def parse_json_record(record: dict[str, Any]) -> Package:
    """One typed JSON record to a Package; raises ValueError or InvalidFilename for a bad value."""
    hash_ = record.get("hash")
    if hash_ is not None and not _HASH.fullmatch(hash_):
        raise ValueError(f"'hash' must be ALGO=HEX with a hashlib algorithm in lowercase, not {hash_!r}")
    core_metadata = record.get("core_metadata")
    if core_metadata is not None and core_metadata != "true" and not _HASH.fullmatch(core_metadata):
        raise ValueError(f"'core_metadata' must be 'true' or ALGO=HEX, not {core_metadata!r}")
    # pip compares hex digests as strings, and hashlib writes them in lowercase.
    hash_ = None if hash_ is None else hash_.lower()
    core_metadata = None if core_metadata is None else core_metadata.lower()
    requires_python = record.get("requires_python")
    if requires_python is not None:
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            raise ValueError(f"'requires_python' is not a PEP 440 specifier set: {requires_python!r}") from None
    timestamp = record.get("upload_timestamp")
    if timestamp is not None:
        _check_timestamp(timestamp)
    size = record.get("size")
    if size is not None and size < 0:
        raise ValueError(f"'size' must not be negative: {size!r}")
    for key in _FREE_TEXT:
        value = record.get(key)
        for text in value if isinstance(value, list) else [value]:
            bad = None if text is None else _FREE_TEXT_UNSAFE.search(text)
            if bad is not None:
                raise ValueError(f"'{key}' contains {bad.group()!r}, a control character or non-character")
    url = record.get("url")
    if url is not None:
        try:
            check_url(url)
        except ValueError as e:
            raise ValueError(f"'url': {e}") from None
    filename: str = record["filename"]
    rel = record.get("path")
    if rel is not None:
        _split_path(rel)
        if rel.rsplit("/", 1)[-1] != filename:
            raise ValueError(f"'path' {rel!r} does not end in the filename")
    return make_package(
        filename,
        path=rel,
        url=url,
        hash=hash_,
        requires_python=requires_python,
        core_metadata=core_metadata,
        uploaded_by=record.get("uploaded_by"),
        upload_timestamp=timestamp,
        yanked=bool(record.get("yanked")),
        yanked_reason=record.get("yanked_reason"),
        requires_dist=record.get("requires_dist"),
        size=size,
        summary=record.get("summary"),
    )


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")


def read_json_lines(stream: Readable, path: str, problems: Problems) -> Iterator[Sourced]:
    for number, text, ended in _lines(stream, path):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as e:
            message = f"not valid JSON: {e.msg} (column {e.colno})"
            raise (InputError(path, number, message) if ended else _cut_off(path, number, message)) from None
        except RecursionError:
            # "[[[[..." a million deep: no record nests more than a few levels.
            raise InputError(path, number, "not valid JSON here: nested too deeply") from None
        except ValueError as e:
            # A number of more digits than Python converts.
            raise InputError(path, number, f"not valid JSON here: {e}") from None
        if not isinstance(record, dict):
            hint = " (the list is JSON lines: one object a line, not one JSON document)" if text.lstrip().startswith("[") else ""
            raise InputError(path, number, f"expected a JSON object, not {_json_kind(record)}{hint}")
        _typed(record, path, number)
        unknown = sorted(set(record) - set(_FIELDS))
        if unknown:
            keys = ", ".join(map(_shown, unknown))
            problems.refuse(path, number, f"unknown key {keys} ignored", skipped=False)
        try:
            package = parse_json_record(record)
        except (ValueError, InvalidFilename) as e:
            problems.refuse(path, number, f"skipped {_shown(record['filename'])}: {_why(e)}")
            continue
        yield Sourced(package, path, number)


def collect(entries: Iterator[Sourced]) -> list[Sourced]:
    """Every distinct file once; the same filename with different data is an error naming both lines."""
    seen: dict[str, Sourced] = {}
    for entry in entries:
        first = seen.setdefault(entry.package.filename, entry)
        if first is not entry and first.package != entry.package:
            raise InputError(
                entry.path, entry.line,
                f"{entry.package.filename!r} is listed again with different data"
                f" (first at {first.path}:{first.line})",
            )
    return list(seen.values())
