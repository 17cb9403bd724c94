"""Hostile and broken input, end to end through the CLI: a clear message, the right exit code, the index untouched."""
from __future__ import annotations

import hashlib
import html.parser
import io
import json
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dumb_pypi import partial, render
from dumb_pypi.build import Settings, build
from dumb_pypi.cli import main
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.inputs import MAX_LINE, Problems, read_json_lines
from dumb_pypi.publish import LOCK_NAME
from tests.support import anchors, json_record, make_wheel, pip, serve

GOOD = "foo-1.0.tar.gz\nbar-2.0-py3-none-any.whl\n"
# Raw control characters in a message would be obeyed by the terminal that shows it.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def tree_hash(root: Path) -> str:
    """sha256 of every path under ROOT (dot-files too, not the lock), its kind, and its bytes or link target."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            if name == LOCK_NAME:
                continue
            relpath = os.path.relpath(path, root)
            if os.path.islink(path):
                entry = f"link {relpath} -> {os.readlink(path)}".encode()
            elif os.path.isdir(path):
                entry = f"dir {relpath}".encode()
            else:
                entry = f"file {relpath} {oct(os.stat(path).st_mode)} ".encode() + Path(path).read_bytes()
            digest.update(hashlib.sha256(entry).digest())
    return digest.hexdigest()


class Site:
    """tmp/lists/ holds the lists; tmp/a/b/out the index, deep enough that any '..' lands inside tmp."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp = tmp_path
        self.lists = tmp_path / "lists"
        self.lists.mkdir()
        self.out = tmp_path / "a" / "b" / "out"
        self.capsys = capsys

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.lists / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def run(self, *argv: str, listing: Path | str | None = None, json_lines: bool = False) -> tuple[int, str]:
        """Run dumb-pypi on LISTING into OUTPUT; (exit code, stderr)."""
        flag = "--package-list-json" if json_lines else "--package-list"
        head = [] if listing is None else [flag, str(listing)]
        self.capsys.readouterr()
        code = main([*head, "--packages-url", "../../pool/", "--output-dir", str(self.out), *argv])
        err = self.capsys.readouterr().err
        assert "Traceback" not in err
        assert not _RAW_CONTROL.search(err), err
        return code, err

    def build_good(self) -> str:
        """Publish a working index, and return the hash of everything under tmp."""
        code, _ = self.run(listing=self.write("good.txt", GOOD))
        assert code == 0
        return tree_hash(self.tmp)

    def projects(self) -> list[str]:
        return [p["name"] for p in json.loads((self.out / "simple/index.v1_json").read_text())["projects"]]

    def files(self, project: str) -> list[str]:
        return list(anchors((self.out / "simple" / project / "index.html").read_text()))


@pytest.fixture
def site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Site:
    return Site(tmp_path, capsys)


def assert_no_case_collisions(root: Path) -> None:
    """S3 is case-sensitive, a Mac is not: no two output paths may differ only in case."""
    paths = [p.relative_to(root).as_posix() for p in root.rglob("*")]
    folded: dict[str, str] = {}
    for path in paths:
        other = folded.setdefault(path.casefold(), path)
        assert other == path, f"{other!r} and {path!r} are one file on a case-insensitive file system"


# --- Filenames and paths -----------------------------------------------------

LONG = "e" * 300 + "-1.0.tar.gz"
PLAIN_REFUSED = [
    pytest.param("../evil-1.0.tar.gz", "path segment '..' is not allowed", id="dotdot"),
    pytest.param("pool/../../evil-1.0.tar.gz", "path segment '..' is not allowed", id="dotdot-inside"),
    pytest.param("/tmp/evil-1.0.tar.gz", "an absolute path is not allowed", id="absolute"),
    pytest.param("pool\\evil-1.0.tar.gz", "a backslash is not allowed", id="backslash"),
    pytest.param("..\\..\\evil-1.0.tar.gz", "a backslash is not allowed", id="dotdot-backslash"),
    pytest.param("evil\x00-1.0.tar.gz", "a control character is not allowed", id="nul"),
    pytest.param("evil\x1b[2J-1.0.tar.gz", "a control character is not allowed", id="escape-sequence"),
    pytest.param("evil-1.0\x85.tar.gz", "a control character is not allowed", id="c1-control"),
    pytest.param(LONG, "it is longer than 255 bytes", id="long"),
    pytest.param("-1.0.tar.gz", "'' is not a valid project name", id="empty-name"),
    pytest.param("_.-1.0.tar.gz", "'_.' is not a valid project name", id="name-of-punctuation"),
    pytest.param("foo-.-py3-none-any.whl", "the version '.' has no letter or digit", id="version-dot"),
    pytest.param("\uff46oo-1.0.tar.gz", "non-ASCII character U+FF46", id="fullwidth-letter"),
    pytest.param("foo-1.\uff10.tar.gz", "non-ASCII character U+FF10", id="fullwidth-digit"),
    pytest.param("foo\u200b-1.0.tar.gz", "non-ASCII character U+200B", id="zero-width-space"),
    pytest.param("foo-1.0-\u202egz.tar.whl", "non-ASCII character U+202E", id="bidi-override"),
    pytest.param("\u212aafka-1.0.tar.gz", "non-ASCII character U+212A", id="kelvin-sign"),
    pytest.param("foo-1.0%2Ftar.gz", "no known distribution extension", id="percent-literal"),
    pytest.param("https://f.example/foo-1.0%2F..%2Fx.tar.gz", "it contains '..'", id="percent-dotdot-in-url"),
    pytest.param("https://f.example/pool/foo%2Fx-1.0.tar.gz", "a path separator", id="percent-slash-in-url"),
    pytest.param("s3://bucket/%2e%2e", "it contains '..'", id="percent-dotdot-s3"),
    pytest.param(
        'https://f.example/"><script>alert(1)</script>/foo-1.0.tar.gz',
        "the URL contains '\"', which is not allowed in a URL", id="url-breaks-attribute",
    ),
    pytest.param("javascript:alert(1)", "no known distribution extension", id="javascript"),
    pytest.param("2016-10-31 12:34:56      12 ../../evil-1.0.tar.gz", "'..'", id="s3-ls-dotdot"),
    pytest.param("0001-01-01 00:00:00      12 evil-1.0.tar.gz", "cannot read the date", id="s3-ls-year-1"),
    pytest.param("2016-10-31 12:34:56 " + "9" * 5000 + " evil-1.0.tar.gz", "more than 20 digits", id="s3-ls-huge-size"),
]


@pytest.mark.parametrize(("entry", "why"), PLAIN_REFUSED)
def test_plain_entry_is_skipped_with_a_warning(site: Site, entry: str, why: str) -> None:
    listing = site.write("hostile.txt", f"foo-1.0.tar.gz\n{entry}\nbar-2.0-py3-none-any.whl\n")
    site.build_good()
    outside = tree_hash(site.tmp / "lists")
    code, err = site.run(listing=listing)
    assert code == 0
    warning, summary = err.splitlines()
    assert warning.startswith(f"warning: {listing}:2: skipped ")
    assert why in warning
    assert summary.startswith("dumb-pypi: 2 projects, 2 files (1 skipped)")
    assert site.projects() == ["bar", "foo"]
    assert site.files("foo") == ["foo-1.0.tar.gz"]
    assert sorted(p.name for p in site.tmp.iterdir()) == ["a", "lists"]
    assert sorted(p.name for p in (site.tmp / "a").iterdir()) == ["b"]
    assert sorted(p.name for p in (site.tmp / "a/b").iterdir()) == ["out"]
    assert tree_hash(site.tmp / "lists") == outside


@pytest.mark.parametrize(("entry", "why"), PLAIN_REFUSED)
def test_plain_entry_with_strict_is_exit_1_and_the_index_unchanged(site: Site, entry: str, why: str) -> None:
    listing = site.write("hostile.txt", f"foo-1.0.tar.gz\n{entry}\nbar-2.0-py3-none-any.whl\n")
    before = site.build_good()
    code, err = site.run("--strict", listing=listing)
    assert code == 1
    assert err.startswith(f"error: {listing}:2: skipped ")
    assert why in err
    assert tree_hash(site.tmp) == before


JSON_REFUSED = [
    pytest.param({"filename": "../evil-1.0.tar.gz"}, "it contains '..'", id="dotdot"),
    pytest.param({"filename": "evil/x-1.0.tar.gz"}, "a path separator", id="slash"),
    pytest.param({"filename": "C:\\evil-1.0.tar.gz"}, "a path separator", id="windows-path"),
    pytest.param({"filename": "evil\x00-1.0.tar.gz"}, "a control character", id="nul"),
    pytest.param({"filename": LONG}, "longer than 255 bytes", id="long"),
    pytest.param({"filename": "f\u043eo-1.0.tar.gz"}, "non-ASCII character U+043E", id="cyrillic-o"),
    pytest.param({"filename": "foo-1.0.tar.gz", "path": "../../foo-1.0.tar.gz"}, "'..'", id="path-dotdot"),
    pytest.param({"filename": "foo-1.0.tar.gz", "path": "/etc/foo-1.0.tar.gz"}, "absolute", id="path-absolute"),
    pytest.param({"filename": "foo-1.0.tar.gz", "path": "a\\foo-1.0.tar.gz"}, "backslash", id="path-backslash"),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "url": "javascript:alert(1)"},
        "'url': URL scheme 'javascript' is not allowed", id="url-javascript",
    ),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "url": " JaVaScRiPt:alert(1)"}, "the URL contains ' '", id="url-javascript-space",
    ),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "url": "java\tscript:alert(1)"}, "the URL contains '\\t'", id="url-javascript-tab",
    ),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "url": "data:text/html;base64,PHNjcmlwdD4="},
        "'url': URL scheme 'data' is not allowed", id="url-data",
    ),
    pytest.param({"filename": "foo-1.0.tar.gz", "url": "https://x/\"onmouseover=\"x"}, "'\"'", id="url-quote"),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "requires_python": '>=3"><script>'}, "not a PEP 440 specifier set",
        id="requires-python",
    ),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "uploaded_by": "\x1b]0;pwned\x07"}, "'uploaded_by' contains '\\x1b'",
        id="uploaded-by-escape",
    ),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "yanked_reason": "a\x00b"}, "'yanked_reason' contains '\\x00'", id="reason-nul",
    ),
    pytest.param(
        {"filename": "foo-1.0.tar.gz", "summary": "\ufffe"}, "'summary' contains '\\ufffe'", id="summary-noncharacter",
    ),
]


@pytest.mark.parametrize("strict", [False, True], ids=["warn", "strict"])
@pytest.mark.parametrize(("record", "why"), JSON_REFUSED)
def test_json_record_is_skipped_or_with_strict_exit_1(
    site: Site, record: dict[str, Any], why: str, strict: bool,
) -> None:
    listing = site.write("hostile.json", json.dumps({"filename": "bar-2.0.tar.gz"}) + "\n" + json.dumps(record) + "\n")
    before = site.build_good()
    code, err = site.run(*(["--strict"] if strict else []), listing=listing, json_lines=True)
    shown = repr(record["filename"]) if len(record["filename"]) < 200 else repr(record["filename"][:160]) + "..."
    prefix = f"{'error' if strict else 'warning'}: {listing}:2: skipped {shown}"
    assert err.startswith(prefix), err
    assert why in err.splitlines()[0]
    if strict:
        assert code == 1
        assert tree_hash(site.tmp) == before
    else:
        assert code == 0
        assert site.projects() == ["bar"]


def test_names_that_normalise_alike_are_one_project(site: Site) -> None:
    listing = site.write("list.txt", "Foo.Bar-1.0.tar.gz\nfoo_bar-1.0-py3-none-any.whl\nFOO-BAR-2.0.tar.gz\n")
    assert site.run("--strict", listing=listing)[0] == 0
    assert site.projects() == ["FOO-BAR"]
    assert site.files("foo-bar") == ["Foo.Bar-1.0.tar.gz", "foo_bar-1.0-py3-none-any.whl", "FOO-BAR-2.0.tar.gz"]
    assert sorted(p.name for p in (site.out / "pypi/foo-bar").iterdir()) == ["1.0", "2.0", "json"]
    assert_no_case_collisions(site.out)


def test_versions_that_differ_only_in_case_are_one_release_folder(site: Site) -> None:
    # Not PEP 440, so not normalised by it; two folders 1.0.X/ and 1.0.x/
    # would be one on a Mac.
    listing = site.write("list.txt", "foo-1.0.X.tar.gz\nfoo-1.0.x.zip\nFoo-1.0.X-py3-none-any.whl\n")
    assert site.run("--strict", listing=listing)[0] == 0
    assert sorted(p.name for p in (site.out / "pypi/foo").iterdir()) == ["1.0.x", "json"]
    release = json.loads((site.out / "pypi/foo/1.0.x/json").read_text())
    assert release["info"]["version"] == "1.0.x"
    assert [f["filename"] for f in release["urls"]] == [
        "foo-1.0.X.tar.gz", "foo-1.0.x.zip", "Foo-1.0.X-py3-none-any.whl",
    ]
    assert len(site.files("foo")) == 3
    assert_no_case_collisions(site.out)


def test_filenames_that_differ_only_in_case_are_two_files(site: Site) -> None:
    listing = site.write("list.txt", "foo-1.0.tar.gz\nFOO-1.0.tar.gz\n")
    assert site.run("--strict", listing=listing)[0] == 0
    assert site.files("foo") == ["FOO-1.0.tar.gz", "foo-1.0.tar.gz"]
    assert_no_case_collisions(site.out)


def test_percent_escapes_in_a_key_stay_literal_in_the_link(site: Site) -> None:
    listing = site.write("list.txt", "2016-10-31 12:34:56         12 pool/%2e%2e/a%2Fb/foo-1.0%2B1.tar.gz\n")
    assert site.run("--strict", listing=listing)[0] == 0
    [(filename, attrs)] = anchors((site.out / "simple/foo/index.html").read_text()).items()
    assert filename == "foo-1.0%2B1.tar.gz"
    assert attrs["href"] == "../../pool/pool/%252e%252e/a%252Fb/foo-1.0%252B1.tar.gz"
    # The release folder is the version as spelled (lowercased): never decoded.
    assert (site.out / "pypi/foo/1.0%2b1/json").is_file()


@pytest.mark.parametrize("json_lines", [False, True], ids=["plain", "json"])
def test_a_byte_order_mark_on_line_1_is_accepted(site: Site, json_lines: bool) -> None:
    text = '{"filename": "foo-1.0.tar.gz"}\n' if json_lines else "foo-1.0.tar.gz\n"
    listing = site.write("bom.txt", b"\xef\xbb\xbf" + text.encode())
    code, err = site.run("--strict", listing=listing, json_lines=json_lines)
    assert code == 0 and err.startswith("dumb-pypi: 1 projects, 1 files;")
    assert site.files("foo") == ["foo-1.0.tar.gz"]


# --- Output paths --------------------------------------------------------------


def test_a_symlink_in_the_output_folder_that_leads_outside_stops_the_build_before_any_write(site: Site) -> None:
    before_good = site.build_good()
    assert before_good
    outside = site.tmp / "outside"
    outside.mkdir()
    (outside / "canary").write_text("keep")
    # Someone who can write OUTPUT plants a link where a project's folder goes.
    (site.out / "pypi" / "baz").symlink_to(outside)
    listing = site.write("list.txt", GOOD + "baz-1.0.tar.gz\naaa-1.0.tar.gz\n")
    before = tree_hash(site.tmp)
    code, err = site.run(listing=listing)
    assert code == 1
    assert err == (
        f"error: refusing to write 'pypi/baz/json': {site.out}/pypi/baz leads outside the output folder\n"
    )
    assert tree_hash(site.tmp) == before
    assert [p.name for p in outside.iterdir()] == ["canary"]


def test_a_symlink_where_the_listing_goes_stops_a_full_build_before_any_write(site: Site) -> None:
    # A full build works its listing out while project pages are written, so
    # the folders the listing writes in are checked before the first write.
    # (A first build: no manifest names the old listing's paths, which are checked too.)
    outside = site.tmp / "outside"
    outside.mkdir()
    site.out.mkdir(parents=True, exist_ok=True)
    (site.out / "changelog").symlink_to(outside)
    listing = site.write("list.txt", GOOD + "aaa-1.0.tar.gz\n")
    before = tree_hash(site.tmp)
    code, err = site.run(listing=listing)
    assert code == 1
    assert err.startswith("error: refusing to write 'changelog/") and f"{site.out}/changelog leads outside" in err
    assert tree_hash(site.tmp) == before
    assert list(outside.iterdir()) == []


# --- Values that reach pages -----------------------------------------------------

MARK = "PWNED"
EVIL = (
    "\"'><xss-a></xss-a><script>PWNED()</script></script><img src=x onerror=PWNED()>"
    "<![CDATA[x]]>]]><!-- -->--!><?xml?>javascript:PWNED()&amp;&lt;&#x27;\\\"\u2028\u00e9"
)
PATH_MARK = "PWNPATH"
HOSTILE_PATH = f'pool/"><xss-b>{PATH_MARK}()<!--/x&y=%2F#?/'


def _evil_records() -> list[dict[str, Any]]:
    base = {"uploaded_by": EVIL, "summary": EVIL, "requires_dist": [EVIL, "bar>=1"]}
    return [
        {"filename": "evil-1.0.tar.gz", "yanked_reason": EVIL, "requires_python": ">=3.8,<4,!=3.9.*", **base},
        {
            "filename": "evil-2.0-py3-none-any.whl", "path": HOSTILE_PATH + "evil-2.0-py3-none-any.whl",
            "hash": "sha256=" + "ab" * 32, "core_metadata": "true", "size": 1, "upload_timestamp": 0, **base,
        },
        {
            "filename": "evil-2.0.tar.gz", "url": "https://f.example/p/evil-2.0.tar.gz?q=&quot;&lt;x&gt;&amp;#frag",
            "yanked": True, **base,
        },
        {"filename": "other-1.0.tar.gz", "url": "../../../elsewhere/jav&#x61;script:x/other-1.0.tar.gz"},
    ]


class _HTMLChecker(html.parser.HTMLParser):
    """Fails on anything a hostile value could have made of the page; collects the text and attributes."""

    def __init__(self, where: str) -> None:
        super().__init__(convert_charrefs=True)
        self.where = where
        self.strings: list[str] = []
        self.hrefs: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert not tag.startswith("xss"), (self.where, tag)
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), (self.where, tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (self.where, tag, attrs)
            assert MARK not in name and PATH_MARK not in name, (self.where, tag, attrs)
            if value is None:
                continue
            if name in ("href", "src"):
                self.hrefs.append(value)
                assert urllib.parse.urlsplit(value).scheme.lower() in ("", "http", "https", "data"), (self.where, value)
                assert not re.search(r"[\s\"'<>\\`]", value), (self.where, value)
            else:
                self.strings.append(value)
        if tag == "script":
            self._script, self._script_text = dict(attrs), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            # Data in a script must be a complete JSON block, never code.
            if MARK in self._script_text or PATH_MARK in self._script_text:
                assert self._script.get("type") in ("application/json", "application/ld+json"), self.where
                json.loads(self._script_text)
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text += data
        else:
            self.strings.append(data)

    def _inert(self, data: str) -> None:
        assert MARK not in data and PATH_MARK not in data, (self.where, data)

    handle_comment = handle_pi = unknown_decl = _inert

    def handle_decl(self, decl: str) -> None:
        self._inert(decl)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _check_page(path: Path, relpath: str) -> list[str]:
    """Every string a reader of PATH sees, after checking that no hostile value broke out of its place."""
    if path.name.endswith(".html"):
        checker = _HTMLChecker(relpath)
        checker.feed(path.read_text(encoding="utf-8"))
        checker.close()
        for href in checker.hrefs:
            assert MARK not in href and PATH_MARK not in urllib.parse.unquote(href).replace(HOSTILE_PATH, ""), href
        return checker.strings
    if path.name.endswith(".xml"):
        root = ET.fromstring(path.read_bytes())
        found: list[str] = []
        for element in root.iter():
            assert not str(element.tag).startswith("xss"), (relpath, element.tag)
            found.extend([element.text or "", element.tail or "", *element.attrib.values()])
        return found
    if path.name == "packages.json":
        lines = path.read_bytes().splitlines(keepends=True)
        # The next run reads it back, strict, as the very same records.
        problems = Problems(True, lambda message: pytest.fail(message))
        assert len(list(read_json_lines(io.BytesIO(b"".join(lines)), relpath, problems))) == len(lines)
        return [s for line in lines for s in _strings(json.loads(line))]
    if path.name == ".dumb-pypi-manifest.json":
        # A header, then the paths: a line of JSON each.
        return [s for line in path.read_text(encoding="utf-8").splitlines() for s in _strings(json.loads(line))]
    if path.name == ".dumb-pypi-cache":
        # Data for the next run (never served): its text is what the listings show; the list's lines are bytes.
        return list(_strings(partial.parse_cache(path.read_bytes())))
    if path.name == "json" or path.name.endswith("_json"):
        return list(_strings(json.loads(path.read_text(encoding="utf-8"))))
    if relpath.startswith("search/") and path.name.endswith(".js"):
        # The search box's data: one call whose arguments are JSON, never code.
        call = re.fullmatch(r"dumbPypi\.(names|rows)\((.*)\);\n", path.read_text(encoding="utf-8"), re.S)
        assert call is not None, relpath
        arguments = json.loads("[" + call.group(2) + "]")
        assert len(arguments) == {"names": 3, "rows": 3}[call.group(1)], relpath
        return list(_strings(arguments))
    if relpath.startswith("static/"):
        # Our own CSS and script: the same bytes in every index, whatever the input.
        assert path.read_text(encoding="utf-8") == render.static_file(path.name), relpath
        return []
    pytest.fail(f"{relpath}: a kind of output this test cannot read yet; teach it, so its escaping is tested too")


@pytest.mark.parametrize("per_release_json", [True, False], ids=["per-release", "no-per-release"])
def test_hostile_values_round_trip_and_never_escape_their_place_in_any_output_file(
    site: Site, per_release_json: bool,
) -> None:
    listing = site.write("evil.json", "".join(json.dumps(r) + "\n" for r in _evil_records()))
    logo = "https://logo.example/l.png?a=1&b=%22%3E%3Cscript%3E&amp;"
    extra = [] if per_release_json else ["--no-per-release-json"]
    code, err = site.run("--strict", "--title", EVIL, "--logo", logo, *extra, listing=listing, json_lines=True)
    assert code == 0, err
    seen: dict[str, int] = {}
    for path in sorted(site.out.rglob("*")):
        relpath = path.relative_to(site.out).as_posix()
        if path.is_dir() or path.name == LOCK_NAME:
            continue
        strings = _check_page(path, relpath)
        for text in strings:
            if MARK in text:
                # Each hostile value arrives whole: not cut, not escaped twice.
                assert EVIL in text, (relpath, text)
                seen[relpath] = seen.get(relpath, 0) + 1
            if PATH_MARK in text:
                # The hostile folder arrives whole too, percent-encoded in a URL.
                assert HOSTILE_PATH in text or HOSTILE_PATH in urllib.parse.unquote(text), (relpath, text)
    # The test saw the values where the pages show them.
    assert {
        "index.html", "simple/evil/index.html", "pypi/evil/json", "packages.json",
        "project/evil/index.html", "search/rows0.js",
    } <= seen.keys(), seen
    html_index = (site.out / "simple/evil/index.html").read_text()
    links = anchors(html_index)
    assert links["evil-1.0.tar.gz"]["data-yanked"] == EVIL
    assert links["evil-1.0.tar.gz"]["data-requires-python"] == ">=3.8,<4,!=3.9.*"
    assert links["evil-2.0.tar.gz"]["href"] == "https://f.example/p/evil-2.0.tar.gz?q=&quot;&lt;x&gt;&amp;#frag"
    assert links["evil-2.0-py3-none-any.whl"]["href"] == (
        "../../pool/" + urllib.parse.quote(HOSTILE_PATH) + "evil-2.0-py3-none-any.whl#sha256=" + "ab" * 32
    )
    # A relative URL that spells "javascript:" in a character reference stays a relative path.
    other = anchors((site.out / "simple/other/index.html").read_text())["other-1.0.tar.gz"]["href"]
    assert other == "../../../elsewhere/jav&#x61;script:x/other-1.0.tar.gz"
    info = json.loads((site.out / "pypi/evil/json").read_text())["info"]
    assert (info["summary"], info["requires_dist"]) == (EVIL, [EVIL, "bar>=1"])


@pytest.mark.parametrize(
    ("flag", "value", "why"),
    [
        ("--logo", "javascript:alert(1)", "--logo: URL scheme 'javascript' is not allowed"),
        ("--logo", '"><script>alert(1)</script>', "--logo: the URL contains '\"'"),
        ("--logo", "https://x/\x00", "--logo: the URL contains '\\x00'"),
        ("--title", "My \x1b[2JPyPI", "--title: it contains the control character '\\x1b'"),
        # What Python makes of a command-line argument that is not UTF-8.
        ("--title", "caf\udce9", "--title: it is not valid UTF-8"),
        ("--packages-url", "https://p.example/\udcff/", "--packages-url: the URL is not valid UTF-8"),
        ("--packages-url", "../../pool/\n", "--packages-url: the URL contains '\\n'"),
        ("--packages-url", "javascript:alert(1)//", "--packages-url: URL scheme 'javascript' is not allowed"),
        ("--packages-url", '../"><script>', "--packages-url: the URL contains '\"'"),
    ],
)
def test_a_flag_that_cannot_stand_in_a_page_is_a_usage_error(site: Site, flag: str, value: str, why: str) -> None:
    listing = site.write("list.txt", GOOD)
    before = site.build_good()
    with pytest.raises(SystemExit) as excinfo:
        site.run(flag, value, listing=listing)
    assert excinfo.value.code == 2
    assert f"dumb-pypi: error: {why}" in site.capsys.readouterr().err
    assert tree_hash(site.tmp) == before


@pytest.mark.parametrize(
    "logo", ["https://logo.example/l.png", "../static/logo.svg", "data:image/png;base64,iVBORw0KGgo="],
)
def test_a_logo_may_be_http_relative_or_data(site: Site, logo: str) -> None:
    assert site.run("--logo", logo, listing=site.write("list.txt", GOOD))[0] == 0
    assert f'src="{logo}"' in (site.out / "index.html").read_text()


# --- Broken lists -------------------------------------------------------------------

BROKEN = [
    pytest.param(
        True, b'{"filename": "foo-1.0.tar.gz"}\n{"filename": "bar-1.0.tar.gz",}\n',
        "2: not valid JSON: Expecting property name enclosed in double quotes (column 31)", id="invalid-json",
    ),
    pytest.param(
        True, b'[{"filename": "foo-1.0.tar.gz"}]\n',
        "1: expected a JSON object, not an array (the list is JSON lines: one object a line, not one JSON document)",
        id="json-array",
    ),
    pytest.param(True, b'[\n  {"filename": "foo-1.0.tar.gz"}\n]\n', "1: not valid JSON", id="json-array-pretty"),
    pytest.param(
        True, b'{"filename": "foo-1.0.tar.gz", "size": "12"}\n', "1: 'size' must be a whole number, not \"12\"",
        id="wrong-type",
    ),
    pytest.param(True, b'{"filename": ["foo-1.0.tar.gz"]}\n', "1: 'filename' must be a string", id="filename-list"),
    pytest.param(True, b"[" * 100_000 + b"\n", "1: not valid JSON here: nested too deeply", id="deep-array"),
    pytest.param(
        True, b'{"filename": "foo-1.0.tar.gz", "size": ' + b"1" * 5000 + b"}\n",
        "1: not valid JSON here: Exceeds the limit (4300 digits)", id="huge-number",
    ),
    pytest.param(
        True, b'{"filename": "foo-1.0.tar.gz", "colour": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n",
        "1: not valid JSON here: nested too deeply", id="deep-value",
    ),
    pytest.param(True, b'{"size": 1}\n', "1: the record has no 'filename'", id="no-filename"),
    pytest.param(
        True, b'{"filename": "foo-1.0.tar.gz", "summary": "\\ud83d"}\n', "1: 'summary' is not valid Unicode",
        id="lone-surrogate",
    ),
    pytest.param(
        True, b'{"filename": "foo-1.0.tar.gz"}\n{"filename": "b\xe4r-1.0.tar.gz"}\n',
        "2: not valid UTF-8 (byte 16 of the line)", id="json-not-utf8",
    ),
    pytest.param(False, b"foo-1.0.tar.gz\nb\xe4r-1.0.tar.gz\n", "2: not valid UTF-8 (byte 2 of the line)", id="plain-not-utf8"),
    pytest.param(False, b"\xff\xfef\x00o\x00o\x00\n\x00", "1: not valid UTF-8 (byte 1 of the line)", id="utf16"),
    pytest.param(
        True, b'{"filename": "foo-1.0.tar.gz"}\n{"filename": "bar-1.0.ta',
        "2: not valid JSON: Unterminated string starting at (column 14);"
        " the last line has no newline, so the list looks cut off", id="json-cut-off",
    ),
    pytest.param(
        False, b"foo-1.0.tar.gz\nbar-1.0.ta",
        "2: cannot use 'bar-1.0.ta': no known distribution extension", id="plain-cut-off",
    ),
    pytest.param(
        False, b"2016-10-31 12:34:56      12345 pool/foo-1.0.tar.gz\n2016-10-31 12:3",
        "2: cannot use '2016-10-31 12:3'", id="s3-ls-cut-off",
    ),
]


@pytest.mark.parametrize(("json_lines", "data", "message"), BROKEN)
def test_a_broken_list_is_exit_1_and_the_index_unchanged(site: Site, json_lines: bool, data: bytes, message: str) -> None:
    listing = site.write("broken.txt", data)
    before = site.build_good()
    code, err = site.run(listing=listing, json_lines=json_lines)
    assert code == 1
    assert err.startswith(f"error: {listing}:{message}"), err
    assert len(err.splitlines()) == 1
    assert tree_hash(site.tmp) == before


@pytest.mark.parametrize("json_lines", [False, True], ids=["plain", "json"])
def test_a_10_mb_line_is_exit_1_and_the_index_unchanged(site: Site, json_lines: bool) -> None:
    line = json.dumps({"filename": "foo-1.0.tar.gz", "summary": "x" * (10 << 20)}) if json_lines else "#" * (10 << 20)
    first = '{"filename": "bar-1.0.tar.gz"}' if json_lines else "bar-1.0.tar.gz"
    listing = site.write("huge.txt", first + "\n" + line + "\n")
    before = site.build_good()
    code, err = site.run(listing=listing, json_lines=json_lines)
    assert code == 1
    assert err == f"error: {listing}:2: line is longer than {MAX_LINE} bytes\n"
    assert tree_hash(site.tmp) == before


EMPTY = {"empty": b"", "blank-lines": b"\n\n", "bom-only": b"\xef\xbb\xbf", "whitespace": b"   \r\n"}


@pytest.mark.parametrize(
    ("json_lines", "data"),
    [
        *(pytest.param(json_lines, data, id=f"{kind}-{name}") for name, data in EMPTY.items()
          for json_lines, kind in ((False, "plain"), (True, "json"))),
        # A comment is not JSON: in a JSON list that is a broken list.
        pytest.param(False, b"# aws s3 ls printed nothing\n", id="plain-comment"),
    ],
)
def test_an_empty_list_is_exit_1_and_the_index_unchanged(site: Site, json_lines: bool, data: bytes) -> None:
    listing = site.write("empty.txt", data)
    before = site.build_good()
    code, err = site.run(listing=listing, json_lines=json_lines)
    assert code == 1
    assert err.startswith(f"error: {listing}: the list has no files; refusing to publish an empty index")
    assert "--allow-empty" in err
    assert tree_hash(site.tmp) == before


def test_a_list_of_nothing_but_refused_entries_is_an_empty_list(site: Site) -> None:
    listing = site.write("junk.txt", "README.md\n../x-1.0.tar.gz\n")
    before = site.build_good()
    code, err = site.run(listing=listing)
    assert code == 1
    assert err.splitlines()[-1].startswith(f"error: {listing}: the list has no files (2 entries skipped); refusing")
    assert tree_hash(site.tmp) == before


def test_an_empty_aws_s3_ls_on_stdin_is_exit_1_and_the_index_unchanged(
    site: Site, monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = site.build_good()
    monkeypatch.setattr(sys, "stdin", FakeStdin(b""))
    previous = ["--previous-package-list-json", str(site.out / "packages.json")]
    code, err = site.run(*previous, listing="-")
    assert code == 1
    assert err.startswith("error: <stdin>: the list has no files; refusing to publish an empty index")
    assert tree_hash(site.tmp) == before


def test_allow_empty_publishes_the_empty_list_on_purpose(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.build_good()
    monkeypatch.setattr(sys, "stdin", FakeStdin(b""))
    assert site.run("--allow-empty", listing="-")[0] == 0
    assert site.projects() == []
    assert not (site.out / "simple/foo").exists()


def test_a_broken_list_on_stdin_is_named_stdin(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    before = site.build_good()
    monkeypatch.setattr(sys, "stdin", FakeStdin(b'{"filename": "foo-1.0.tar.gz"}\n{"filename": \n'))
    code, err = site.run(listing="-", json_lines=True)
    assert (code, err) == (1, "error: <stdin>:2: not valid JSON: Expecting value (column 14)\n")
    assert tree_hash(site.tmp) == before


def test_a_broken_previous_list_is_exit_1_and_the_index_unchanged(site: Site) -> None:
    previous = site.write("previous.json", b'{"filename": "foo-1.0.tar.gz"}\n\xff\n')
    before = site.build_good()
    code, err = site.run("--previous-package-list-json", str(previous), listing=site.lists / "good.txt")
    assert (code, err) == (1, f"error: {previous}:2: not valid UTF-8 (byte 1 of the line)\n")
    assert tree_hash(site.tmp) == before


# --- pip downloads files whose link needs quoting -------------------------------------


def test_pip_downloads_a_local_version_from_a_folder_with_percent_plus_and_space(tmp_path: Path) -> None:
    root = tmp_path / "root"
    folder = "a%2Fb+c d"
    dist = make_wheel(root / "pool" / folder, "foo", "1.0+local")
    assert dist.name == "foo-1.0+local-py3-none-any.whl"
    make_wheel(root / "pool", "foo", "0.9")
    listing = tmp_path / "list.json"
    records = [
        json_record(dist, path=f"{folder}/{dist.name}"),
        json_record(root / "pool" / "foo-0.9-py3-none-any.whl"),
    ]
    listing.write_text("".join(json.dumps(r) + "\n" for r in records))
    argv = ["--package-list-json", str(listing), "--packages-url", "../../pool/", "--output-dir", str(root), "--quiet"]
    assert main(argv) == 0
    with serve(root) as server:
        result = pip(
            "download", "--no-deps", "--progress-bar", "off", "--index-url", f"{server.url}simple/",
            "-d", str(tmp_path / "d"), "foo==1.0+local",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        fetched = [path for path, _ in server.requests if path.startswith("/pool/")]
    assert fetched == ["/pool/a%252Fb%2Bc%20d/foo-1.0%2Blocal-py3-none-any.whl"]
    assert (tmp_path / "d" / dist.name).read_bytes() == dist.read_bytes()


def test_the_library_refuses_the_same_settings_before_writing(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(GOOD)
    settings = Settings(output_dir=tmp_path / "out", package_list=str(listing), packages_url="/p", title="caf\udce9")
    with pytest.raises(DumbPypiError, match="^--title: it is not valid UTF-8$"):
        build(settings)
    assert not (tmp_path / "out").exists()
