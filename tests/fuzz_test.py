"""Fuzzing the filename parser, both list readers and what is built from them: records or our own error, never a crash.

Bounded: a few hundred examples per target, so the whole file stays well under 20 seconds.
"""
from __future__ import annotations

import contextlib
import html.parser
import io
import json
import os
import re
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from dumb_pypi import plan
from dumb_pypi.errors import InputError, UnparseableFilename, UnsafeFilename
from dumb_pypi.filenames import parse_filename
from dumb_pypi.inputs import Problems, Sourced, check_url, collect, read_json_lines, read_plain
from dumb_pypi.model import group_projects, release_key
from dumb_pypi.publish import check_relpath
from dumb_pypi.render import Site

EXAMPLES = settings(max_examples=300)

# Pieces that real and hostile list entries are made of.
_FRAGMENTS = (
    "foo", "Foo.Bar", "a", "-", "_", ".", "1.0", "2", "X", "+local", ".tar.gz", ".whl", ".zip", ".egg", ".exe",
    ".tar", "-py3-none-any", "-py2.7", "/", "\\", "..", "%", "%2F", "%2e%2e", "%00", "%ff", "\x00", "\x1b", "\t",
    "\x85", "\ufeff", "\u00e9", "\u202e", "\uff10", "\u212a", "\udcff", "https://", "http://h/", "s3://b/",
    "javascript:", "file:///", " ", "2016-10-31 12:34:56 ", "     12345 ", "PRE ", "#", "\r", '"', "'", "<", ">",
    "&", "`", "?", "=",
)
_NOISE = st.lists(st.sampled_from(_FRAGMENTS), max_size=3).map("".join)


def _part(*choices: str) -> st.SearchStrategy[str]:
    """One of CHOICES; one time in eight with noise around it, or noise instead."""
    clean = st.sampled_from(choices)
    noisy = st.one_of(st.builds("{}{}{}".format, _NOISE, clean, _NOISE), _NOISE)
    return st.integers(0, 7).flatmap(lambda n: noisy if n == 0 else clean)


_FILENAME = st.builds(
    "{}-{}{}".format,
    _part("foo", "Foo.Bar", "a_b", "x"),
    _part("1.0", "1.0.X", "1.0.x", "2!1.0+local", "1.0%2B1", "dev"),
    _part(".tar.gz", "-py3-none-any.whl", ".zip", "-py2.7.egg", ".win32.exe", ".tar"),
)
# Mostly well-formed entries with hostile parts, so both sides are reached.
_ENTRY = st.builds(
    "{}{}".format,
    _part(
        "", "", "pool/", "a/b/", "https://h.example/p/", "s3://b/k/", "2016-10-31 12:34:56      12 ",
        "0001-01-01 00:00:00 1 ", "9999-12-31 23:59:59 99999999999999999999999 ",
    ),
    _FILENAME,
)
_PLAIN_LINES = st.lists(_ENTRY, max_size=8).map("\n".join)


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@st.composite
def _spliced(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """Text as bytes, maybe with raw bytes spliced in and the end cut off."""
    data = _encoded(draw(text))
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at:]
    if draw(st.integers(0, 5)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return data


def _read(reader: Any, data: bytes, strict: bool) -> list[Sourced]:
    """Read DATA as a build does; only InputError may come out."""
    try:
        return collect(reader(io.BytesIO(data), "fuzz.txt", Problems(strict, lambda message: None)))
    except InputError as e:
        assert e.path == "fuzz.txt" and e.line >= 1
        assert str(e).startswith(f"fuzz.txt:{e.line}: ")
        return []


def _assert_safe(entries: list[Sourced]) -> None:
    """What a reader accepts can be published: its output paths are plain and its URLs stand in an attribute."""
    event(f"{min(len(entries), 3)} records read")
    for entry in entries:
        p = entry.package
        assert parse_filename(p.filename).version == p.version
        assert p.path.rsplit("/", 1)[-1] == p.filename
        assert not p.path.startswith("/") and ".." not in p.path.split("/")
        if p.url is not None:
            check_url(p.url)
        check_relpath(f"pypi/{p.name}/{p.release}/json")


_ANY_CHARACTER = st.characters(exclude_categories=())
_STRICT = st.integers(0, 3).map(lambda n: n == 0)


@st.composite
def _one_character_off(draw: st.DrawFn) -> str:
    """A clean filename with any one character put in, or its version made of punctuation."""
    name = draw(st.sampled_from(["foo", "Foo.Bar", "a_b"]))
    version = draw(st.sampled_from(["1.0", "1.0.X", "2!1.0+local", "dev"]))
    extension = draw(st.sampled_from([".tar.gz", "-py3-none-any.whl", ".zip", "-py2.7.egg", ".win32.exe", ".rpm"]))
    if draw(st.booleans()):
        version = draw(st.text(st.sampled_from("._+%"), min_size=1, max_size=3))
        return f"{name}-{version}{extension}"
    filename = f"{name}-{version}{extension}"
    at = draw(st.integers(0, len(filename)))
    return filename[:at] + draw(_ANY_CHARACTER) + filename[at:]


@EXAMPLES
@given(st.one_of(st.text(_ANY_CHARACTER, max_size=300), _ENTRY, _one_character_off()))
# Seeds: what earlier versions let through.
@example("foo-.-py3-none-any.whl")
@example("foo-1.\uff10.tar.gz")
def test_parse_filename_returns_a_safe_record_or_raises_our_error(filename: str) -> None:
    try:
        parsed = parse_filename(filename)
    except (UnsafeFilename, UnparseableFilename) as e:
        assert e.filename == filename and e.reason
        return
    assert filename.isascii() and len(filename) <= 255
    assert not re.search(r"[/\\\x00-\x1f\x7f]", filename) and ".." not in filename
    name = canonicalize_name(parsed.name)
    assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name)
    # The release folder: normalised PEP 440 or lowercased, so never two that differ only in case.
    key = release_key(parsed.version)
    assert key == key.lower()
    check_relpath(f"pypi/{name}/{key}/json")


@EXAMPLES
@given(st.one_of(_spliced(_PLAIN_LINES), _spliced(_PLAIN_LINES), st.binary(max_size=400)), _STRICT)
def test_read_plain_returns_records_or_raises_input_error(data: bytes, strict: bool) -> None:
    _assert_safe(_read(read_plain, data, strict))


_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(_ANY_CHARACTER, max_size=20), _ENTRY,
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
def _mostly(typed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """TYPED, and one time in fifty any JSON value at all (which stops the build)."""
    return st.integers(0, 49).flatmap(lambda n: _JSON if n == 0 else typed)


_FREE_TEXT = st.text(_ANY_CHARACTER, max_size=20)
_HASH = _part("sha256=" + "ab" * 32, "md5=00")
_RECORD = st.fixed_dictionaries(
    {"filename": _mostly(_FILENAME)},
    optional={
        "path": _mostly(st.builds("{}{}".format, _part("pool/", "a/b/", "", "../", "/abs/"), _FILENAME)),
        "url": _mostly(_part("https://h.example/x.tar.gz", "../../x.tar.gz", "x?a=1&b=2#f", "javascript:x", "//h/x")),
        "hash": _mostly(_HASH),
        "core_metadata": _mostly(st.one_of(st.just("true"), _HASH)),
        "requires_python": _mostly(_part(">=3.8", "<4,>=3", "", "~=3.10", "!=3.9.*", ">=3.8'\"><x>")),
        "uploaded_by": _mostly(_FREE_TEXT),
        "yanked_reason": _mostly(_FREE_TEXT),
        "summary": _mostly(_FREE_TEXT),
        "requires_dist": _mostly(st.lists(_FREE_TEXT, max_size=3)),
        "upload_timestamp": _mostly(st.one_of(st.integers(-10, 2**40), st.floats(allow_nan=True))),
        "size": _mostly(st.integers(-10, 2**64)),
        "yanked": _mostly(st.booleans()),
        "colour": _JSON,
    },
)


# JSON's own tokens, for lines that are almost JSON.
_TOKENS = st.lists(
    st.sampled_from([
        "{", "}", "[", "]", ":", ",", '"filename"', '"size"', '"upload_timestamp"', '"foo-1.0.tar.gz"', "1" * 30,
        "1e999", "-1e-999", "NaN", "-Infinity", '"\\ud800"', '"\\u0000"', "null", "true", " ", "\n",
    ]),
    max_size=30,
).map("".join)


@st.composite
def _json_lines(draw: st.DrawFn) -> str:
    lines = []
    for value in draw(st.lists(st.one_of(_mostly(_RECORD), _mostly(_RECORD), _TOKENS), max_size=6)):
        lines.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=draw(st.booleans())))
    return "\n".join(lines)


@EXAMPLES
@given(st.one_of(_spliced(_json_lines()), _spliced(_json_lines()), st.binary(max_size=400)), _STRICT)
@example(b"[" * 100_000, False)
def test_read_json_lines_returns_records_or_raises_input_error(data: bytes, strict: bool) -> None:
    _assert_safe(_read(read_json_lines, data, strict))


@contextlib.contextmanager
def _time_zone(tz: str) -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


class _Strict(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


_TEMPLATE_TAGS = frozenset(
    ("html", "head", "meta", "title", "style", "body", "header", "img", "h1", "a", "br", "p", "code", "table",
     "thead", "tbody", "tr", "th", "td", "footer",
     # The pages for people.
     "link", "script", "main", "nav", "span", "form", "label", "input", "section", "button", "div", "h2", "h3",
     "dl", "dt", "dd", "ul", "li", "time"),
)


@settings(max_examples=150)
@given(
    st.one_of(_spliced(_json_lines()), _spliced(_PLAIN_LINES).map(lambda d: b"\x00PLAIN" + d)),
    st.sampled_from(["../../pool/", "https://f.example/p", "/pool"]),
    st.booleans(),
    # `aws s3 ls` dates are read in the run's time zone: both ends of the calendar must still render.
    st.sampled_from(["UTC0", "JST-9", "EST5"]),
)
def test_whatever_is_read_renders_to_pages_at_plain_paths(
    data: bytes, packages_url: str, per_release: bool, tz: str,
) -> None:
    plain = data.startswith(b"\x00PLAIN")
    with _time_zone(tz):
        entries = _read(read_plain, data[6:], False) if plain else _read(read_json_lines, data, False)
    projects = group_projects(e.package for e in entries)
    site = Site(packages_url=packages_url, title="<t>", per_release_json=per_release)
    pages = [page for project in projects.values() for page in plan.project_pages(project, site)]
    pages += plan.index_pages(projects, site)
    paths = [check_relpath(page.path) for page in pages]
    assert len({path.casefold() for path in paths}) == len(paths)
    for page in pages:
        text = page.render()
        if page.path.endswith(".html"):
            parser = _Strict()
            parser.feed(text)
            parser.close()
            # No value added an element the templates do not have.
            assert set(parser.tags) <= _TEMPLATE_TAGS, (page.path, set(parser.tags) - _TEMPLATE_TAGS)
            for href in re.findall(r'href="([^"]*)"', text):
                # "data:," is the pages' empty icon, which spares the browser a request.
                assert urllib.parse.urlsplit(href).scheme in ("", "http", "https") or href == "data:,"
        elif page.path.endswith(".xml"):
            ElementTree.fromstring(text.encode())
        elif page.path.startswith("search/"):
            json.loads("[" + text[text.index("(") + 1:-len(");\n")] + "]")
        elif not page.path.startswith("static/"):
            json.loads(text)
