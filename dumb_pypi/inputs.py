"""Reads package lists (plain, JSON lines, `aws s3 ls` output, stdin) into Packages, naming PATH:LINE."""
from __future__ import annotations

import functools
import hashlib
import json
import json.scanner
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple, Protocol

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dumb_pypi.errors import DumbPypiError, InputError, InvalidFilename
from dumb_pypi.model import Package, make_package, package_of

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
    def read(self, size: int = -1, /) -> bytes: ...


class HashingReader:
    """Reads a list while hashing its bytes, so a later run can tell whether it is given this very list."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self._sha.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


_CHUNK = 1 << 20


def _decode(data: bytes, path: str, first: int) -> tuple[list[str], InputError | None]:
    """The lines of `data` (whole lines, each ended by a newline), decoded; `first` numbers the first.

    With a line that is not UTF-8, the lines before it and the error naming it.
    """
    try:
        return data.decode("utf-8").split("\n")[:-1], None
    except UnicodeDecodeError:
        pass
    # Rare: decode line by line, only to name the line and byte that are wrong.
    texts: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), first):
        if len(raw.rstrip(b"\r")) > MAX_LINE:
            return texts, InputError(path, number, f"line is longer than {MAX_LINE} bytes")
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            return texts, InputError(path, number, f"not valid UTF-8 (byte {e.start + 1} of the line)")
    raise AssertionError("a chunk that fails to decode has a line that fails to decode")


def _lines(stream: Readable, path: str, start: bool = True) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, ended by a newline) for each line; bounded in length, strict UTF-8.

    `start` says the stream starts at the start of the list (and not at a
    later line). Reads and decodes large chunks: a list can have a million
    lines, and a read and a decode per line would cost more than parsing them.
    """
    number = 0
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        if start:
            # Windows editors start a UTF-8 file with a byte-order mark.
            while len(chunk) < 3 and chunk and b"\xef\xbb\xbf".startswith(chunk):
                more = stream.read(_CHUNK)
                if not more:
                    break
                chunk += more
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
            start = False
        data = rest + chunk if rest else chunk
        if not data:
            return
        # The last line may lack its newline; it is given one to decode.
        end = data.rfind(b"\n") + 1 if chunk else len(data) + 1
        texts, error = _decode(data[:end] if chunk else data + b"\n", path, number + 1)
        rest = data[end:]
        for text in texts:
            number += 1
            if text.endswith("\r"):
                text = text.rstrip("\r")
            # A character is at most 4 bytes: count bytes only for long lines.
            if len(text) > MAX_LINE >> 2 and len(text.encode()) > MAX_LINE:
                raise InputError(path, number, f"line is longer than {MAX_LINE} bytes")
            yield number, text, bool(chunk)
        if error is not None:
            raise error
        if not chunk:
            return
        if len(rest) > MAX_LINE + 1 and len(rest.rstrip(b"\r")) > MAX_LINE:
            raise InputError(path, number + 1, f"line is longer than {MAX_LINE} bytes")


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


def read_plain(stream: Readable, path: str, problems: Problems, start: bool = True) -> Iterator[Sourced]:
    """The entries of a plain list; `start` False for a stream that starts at a later line of the list."""
    for number, text, ended in _lines(stream, path, start):
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


_KNOWN_KEYS = frozenset(_FIELDS)
# json.loads makes only these exact types, so a set lookup checks a value;
# isinstance would let a bool pass for a number.
_EXACT_TYPES = {key: frozenset(field.types) for key, field in _FIELDS.items()}


def _typed(record: dict[str, Any], path: str, line: int, escapes: bool = True) -> None:
    """Check the type of every known value; `escapes` False promises the line has no \\u escape,
    so no value can hold a lone surrogate."""
    if "filename" not in record:
        raise InputError(path, line, "the record has no 'filename'")
    for key, value in record.items():
        types = _EXACT_TYPES.get(key)
        if types is None or value is None and key != "filename":
            continue
        wrong = type(value) not in types
        if key == "requires_dist" and not wrong:
            wrong = not all(type(item) is str for item in value)
        if wrong:
            raise InputError(path, line, f"'{key}' must be {_FIELDS[key].kind}, not {json.dumps(value)[:80]}")
        if not escapes:
            continue
        texts = value if key == "requires_dist" else [value]
        if any(type(text) is str and _SURROGATE.search(text) for text in texts):
            raise InputError(path, line, f"'{key}' is not valid Unicode (it has a lone surrogate escape)")


@functools.lru_cache(maxsize=1 << 12)
def _is_specifier_set(text: str) -> bool:
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True


@functools.lru_cache(maxsize=1 << 12)
def _unsafe_in(text: str) -> str | None:
    """The first character of free text that no page may show, if any (uploaders and requirements repeat)."""
    bad = _FREE_TEXT_UNSAFE.search(text)
    return None if bad is None else bad.group()


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
    if requires_python is not None and not _is_specifier_set(requires_python):
        raise ValueError(f"'requires_python' is not a PEP 440 specifier set: {requires_python!r}")
    timestamp = record.get("upload_timestamp")
    if timestamp is not None:
        _check_timestamp(timestamp)
    size = record.get("size")
    if size is not None and size < 0:
        raise ValueError(f"'size' must not be negative: {size!r}")
    for key in _FREE_TEXT:
        value = record.get(key)
        if value is None:
            continue
        for text in value if type(value) is list else (value,):
            bad = _unsafe_in(text)
            if bad is not None:
                raise ValueError(f"'{key}' contains {bad!r}, a control character or non-character")
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
    # (Positional: a keyword call per record costs as much as a check.)
    return package_of(
        filename, rel, url, hash_, requires_python, core_metadata, record.get("uploaded_by"), timestamp,
        bool(record.get("yanked")), record.get("yanked_reason"), record.get("requires_dist"), size,
        record.get("summary"),
    )


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")


# (typeshed types the argument as a scanner; it is the decoder whose settings the scanner takes.)
_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _json_object(text: str) -> Any:
    """json.loads(text), for a line that holds one JSON value.

    A record a line, a million lines: json.loads's own steps around the
    scanner cost as much as the scanning. Anything unusual (a value that
    does not start the line, something after it, an error) goes to
    json.loads, which says what is wrong.
    """
    if text.startswith("{"):
        try:
            value, end = _scan(text, 0)
        except (StopIteration, ValueError, RecursionError):
            pass
        else:
            # (JSON's whitespace, not str.isspace's, as json.loads sees it.)
            if end == len(text) or not text[end:].strip(" \t\n\r"):
                return value
    return json.loads(text)


def read_json_lines(stream: Readable, path: str, problems: Problems, start: bool = True) -> Iterator[Sourced]:
    """The entries of a JSON-lines list; `start` False for a stream that starts at a later line of the list."""
    for number, text, ended in _lines(stream, path, start):
        if not text.strip():
            continue
        try:
            record = _json_object(text)
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
        # Only a \u escape can put a lone surrogate in a value (UTF-8 input cannot).
        _typed(record, path, number, "\\u" in text)
        if not _KNOWN_KEYS.issuperset(record):
            keys = ", ".join(map(_shown, sorted(set(record) - _KNOWN_KEYS)))
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


# --- Reading a list in parts, in several processes --------------------------


class Part(NamedTuple):
    """What one process read of a part of a list; line numbers count from the part's first line."""

    rows: list[tuple[int, tuple[Any, ...]]]  # (line, the Package as a plain tuple)
    refusals: list[tuple[int, str, bool]]  # (line, message, whether the entry was skipped)
    error: tuple[int, str] | None  # the line and message that stopped the reading
    lines: int


class _Recorder(Problems):
    """Problems kept for the parent, which reports them in line order with the whole list's numbers."""

    def __init__(self, strict: bool) -> None:
        super().__init__(strict, lambda message: None)
        self.refusals: list[tuple[int, str, bool]] = []

    def refuse(self, path: str, line: int, message: str, *, skipped: bool = True) -> None:
        if self.strict:
            raise InputError(path, line, message)
        self.refusals.append((line, message, skipped))


class Slice:
    """Bytes start to end of a stream positioned at start, counting the lines read."""

    def __init__(self, stream: Readable, start: int, end: int) -> None:
        self._stream = stream
        self._left = end - start
        self._newlines = 0
        self._last = b"\n"

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(data)
        self._newlines += data.count(b"\n")
        self._last = data[-1:] or self._last
        return data

    @property
    def lines(self) -> int:
        """Lines read so far, a last one without a newline included."""
        return self._newlines + (self._last != b"\n")


# Entries in one piece of a part that a worker sends as it reads.
PIECE_ROWS = 1 << 14


def read_part(path: str, start: int, end: int, json_lines: bool, strict: bool) -> Iterator[Part]:
    """Read bytes start to end of the list at `path` (whole lines; `end` may be its end), in pieces of PIECE_ROWS entries.

    Each piece has the refusals up to its last entry; the last one has the
    rest, the error that stopped the reading, and the part's line count.
    """
    problems = _Recorder(strict)
    piece: list[tuple[int, tuple[Any, ...]]] = []
    sent = 0
    error: tuple[int, str] | None = None
    with open(path, "rb") as stream:
        stream.seek(start)
        part = Slice(stream, start, end)
        reader = read_json_lines if json_lines else read_plain
        try:
            for entry in reader(part, path, problems, start == 0):
                piece.append((entry.line, tuple(entry.package)))
                if len(piece) == PIECE_ROWS:
                    yield Part(piece, problems.refusals[sent:], None, part.lines)
                    piece, sent = [], len(problems.refusals)
        except InputError as e:
            error = (e.line, e.message)
    yield Part(piece, problems.refusals[sent:], error, part.lines)


def replay(part: Part, path: str, first: int, problems: Problems) -> Iterator[Sourced]:
    """The entries of a part, with its refusals reported and its error raised where they come in the list.

    `first` is the number of lines before the part.
    """
    refusals = iter(part.refusals)
    refusal = next(refusals, None)
    stop = None if part.error is None else part.error[0]
    for line, fields in part.rows:
        while refusal is not None and refusal[0] <= line:
            problems.refuse(path, first + refusal[0], refusal[1], skipped=refusal[2])
            refusal = next(refusals, None)
        yield Sourced(Package._make(fields), path, first + line)
    while refusal is not None:
        problems.refuse(path, first + refusal[0], refusal[1], skipped=refusal[2])
        refusal = next(refusals, None)
    if stop is not None:
        assert part.error is not None
        raise InputError(path, first + stop, part.error[1])

