import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dumb_pypi import inputs, plan, render
from dumb_pypi.errors import InputError
from dumb_pypi.inputs import MAX_LINE, Problems, collect, read_json_lines, read_plain
from dumb_pypi.model import Package, make_package

# 2016-10-31 12:34:56 UTC
S3_TIME_UTC = 1477917296


def read(data: bytes, *, json_lines: bool = False, strict: bool = False) -> tuple[list[Package], list[str]]:
    warnings: list[str] = []
    reader = read_json_lines if json_lines else read_plain
    path = "list.json" if json_lines else "list.txt"
    entries = collect(reader(io.BytesIO(data), path, Problems(strict, warnings.append)))
    return [e.package for e in entries], warnings


def read_one(data: bytes, **kwargs: Any) -> Package:
    packages, warnings = read(data, **kwargs)
    assert warnings == []
    [package] = packages
    return package


def read_error(data: bytes, **kwargs: Any) -> str:
    with pytest.raises(InputError) as excinfo:
        read(data, **kwargs)
    return str(excinfo.value)


def record(**fields: Any) -> bytes:
    return json.dumps({"filename": "foo-1.0.tar.gz", **fields}).encode() + b"\n"


VALID = record()


@pytest.fixture
def set_tz() -> Iterator[Callable[[str], None]]:
    with pytest.MonkeyPatch.context() as mp:
        def set_tz(tz: str) -> None:
            mp.setenv("TZ", tz)
            time.tzset()

        yield set_tz
    time.tzset()


# Plain lists.

def test_plain_filename() -> None:
    p = read_one(b"dumb_init-1.2.0-py2.py3-none-manylinux1_x86_64.whl\n")
    assert (p.filename, p.path, p.url, p.name, p.version) == (
        "dumb_init-1.2.0-py2.py3-none-manylinux1_x86_64.whl",
        "dumb_init-1.2.0-py2.py3-none-manylinux1_x86_64.whl",
        None, "dumb-init", "1.2.0",
    )


def test_plain_relative_path_keeps_its_folders_in_the_link() -> None:
    p = read_one(b"nested/deeper/foo-1.0.tar.gz\n")
    assert (p.filename, p.path, p.url) == ("foo-1.0.tar.gz", "nested/deeper/foo-1.0.tar.gz", None)
    assert render.file_url(p, "https://files.example/pool/") == "https://files.example/pool/nested/deeper/foo-1.0.tar.gz"


@pytest.mark.parametrize(
    "url", ["https://files.example/a/foo-1.0.tar.gz", "http://files.example/foo-1.0.tar.gz?x=1"],
)
def test_plain_http_url_is_the_link(url: str) -> None:
    p = read_one(url.encode() + b"\n")
    assert (p.filename, p.url) == ("foo-1.0.tar.gz", url)
    assert render.file_url(p, "https://elsewhere.example/") == url


def test_plain_url_filename_is_percent_decoded() -> None:
    p = read_one(b"https://files.example/foo-1.0%2Blocal.tar.gz\n")
    assert (p.filename, p.version) == ("foo-1.0+local.tar.gz", "1.0+local")


def test_plain_s3_url_contributes_only_its_filename() -> None:
    p = read_one(b"s3://bucket/pool/sub/foo-1.0.tar.gz\n")
    assert (p.filename, p.path, p.url) == ("foo-1.0.tar.gz", "foo-1.0.tar.gz", None)
    assert render.file_url(p, "https://files.example") == "https://files.example/foo-1.0.tar.gz"


def test_plain_http_url_without_a_host_is_refused() -> None:
    packages, warnings = read(b"https:///foo-1.0.tar.gz\n")
    assert packages == []
    assert warnings == ["list.txt:1: skipped 'https:///foo-1.0.tar.gz': a URL needs a host"]


@pytest.mark.parametrize(
    ("tz", "offset"), [("UTC0", 0), ("JST-9", -9 * 3600), ("EST5", 5 * 3600)],
)
def test_aws_s3_ls_line_is_read_in_the_local_time_zone(
    set_tz: Callable[[str], None], tz: str, offset: int,
) -> None:
    set_tz(tz)
    p = read_one(b"2016-10-31 12:34:56      12345 foo-1.0.tar.gz\n")
    assert (p.filename, p.path, p.size, p.upload_timestamp) == (
        "foo-1.0.tar.gz", "foo-1.0.tar.gz", 12345, S3_TIME_UTC + offset,
    )


def test_aws_s3_ls_recursive_line_keeps_the_key_as_path(set_tz: Callable[[str], None]) -> None:
    set_tz("UTC0")
    p = read_one(b"2016-10-31 12:34:56          0 pool/sub/foo-1.0-py3-none-any.whl\n")
    assert (p.filename, p.path, p.size, p.upload_timestamp) == (
        "foo-1.0-py3-none-any.whl", "pool/sub/foo-1.0-py3-none-any.whl", 0, S3_TIME_UTC,
    )


def test_aws_s3_ls_key_with_dotdot_is_refused() -> None:
    packages, warnings = read(b"2016-10-31 12:34:56      12 ../foo-1.0.tar.gz\n")
    assert packages == []
    assert len(warnings) == 1 and warnings[0].startswith("list.txt:1: ") and "'..'" in warnings[0]


def test_aws_s3_ls_impossible_date_is_refused() -> None:
    packages, warnings = read(b"2016-13-45 12:34:56      12 foo-1.0.tar.gz\n")
    assert packages == []
    assert len(warnings) == 1 and warnings[0].startswith("list.txt:1: ")


def test_aws_s3_ls_pre_lines_comments_and_blank_lines_list_nothing() -> None:
    data = (
        b"# a comment\n"
        b"\n"
        b"   \n"
        b"   # an indented comment\n"
        b"                           PRE folder/\n"
        b"                           PRE sub folder/\n"
        b"foo-1.0.tar.gz\r\n"
    )
    assert read_one(data).filename == "foo-1.0.tar.gz"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("../foo-1.0.tar.gz", "'..'"),
        ("pool/../foo-1.0.tar.gz", "'..'"),
        ("/srv/pool/foo-1.0.tar.gz", "absolute"),
        ("pool//foo-1.0.tar.gz", "''"),
        ("pool\\foo-1.0.tar.gz", "backslash"),
        ("README.txt", "extension"),
    ],
)
def test_plain_unsafe_entries_are_refused_with_path_and_line(line: str, why: str) -> None:
    data = b"bar-1.0.tar.gz\n" + line.encode() + b"\nbaz-1.0.tar.gz\n"
    packages, warnings = read(data)
    assert [p.filename for p in packages] == ["bar-1.0.tar.gz", "baz-1.0.tar.gz"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"list.txt:2: skipped {line!r}: ")
    assert why in warnings[0]


def test_plain_refusal_is_an_error_with_strict() -> None:
    message = read_error(b"bar-1.0.tar.gz\n../foo-1.0.tar.gz\n", strict=True)
    assert message.startswith("list.txt:2: ")


def test_problems_counts_skipped_entries() -> None:
    problems = Problems(False, lambda message: None)
    list(read_plain(io.BytesIO(b"README\nfoo-1.0.tar.gz\n/abs/x-1.0.tar.gz\n"), "l", problems))
    assert problems.count == 2


def test_plain_unusable_last_line_without_newline_is_an_error_even_without_strict() -> None:
    message = read_error(b"foo-1.0.tar.gz\nbar-1.0.ta")
    assert message.startswith("list.txt:2: ")
    assert "cut off" in message


def test_plain_valid_last_line_without_newline_is_read() -> None:
    packages, warnings = read(b"foo-1.0.tar.gz\nbar-1.0.tar.gz")
    assert [p.filename for p in packages] == ["foo-1.0.tar.gz", "bar-1.0.tar.gz"] and warnings == []


# JSON lines.

def test_json_every_key() -> None:
    p = read_one(record(
        path="pool/foo-1.0.tar.gz",
        hash="sha256=" + "ab" * 32,
        requires_python=">=3.8",
        core_metadata="sha256=" + "cd" * 32,
        uploaded_by="ci-bot",
        upload_timestamp=1500000000.25,
        yanked_reason="broken",
        requires_dist=["bar>=1", "baz; extra == 'x'"],
        size=123,
        summary="A package",
        url="https://files.example/foo-1.0.tar.gz",
    ), json_lines=True)
    assert p == make_package(
        "foo-1.0.tar.gz",
        path="pool/foo-1.0.tar.gz",
        hash="sha256=" + "ab" * 32,
        requires_python=">=3.8",
        core_metadata="sha256=" + "cd" * 32,
        uploaded_by="ci-bot",
        upload_timestamp=1500000000.25,
        yanked=True,
        yanked_reason="broken",
        requires_dist=("bar>=1", "baz; extra == 'x'"),
        size=123,
        summary="A package",
        url="https://files.example/foo-1.0.tar.gz",
    )


def test_json_minimal_record_and_nulls_are_unknown_values() -> None:
    assert read_one(VALID, json_lines=True) == make_package("foo-1.0.tar.gz")
    assert read_one(record(hash=None, size=None, yanked=None), json_lines=True) == make_package("foo-1.0.tar.gz")


def test_json_core_metadata_true_and_integer_timestamp() -> None:
    p = read_one(record(core_metadata="true", upload_timestamp=0), json_lines=True)
    assert (p.core_metadata, p.upload_timestamp) == ("true", 0)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (record(size=True), "'size' must be a whole number, not true"),
        (record(size=1.5), "'size' must be a whole number"),
        (record(size="12"), "'size' must be a whole number"),
        (record(upload_timestamp="2020-01-01"), "'upload_timestamp' must be a number"),
        (record(upload_timestamp=False), "'upload_timestamp' must be a number"),
        (record(requires_dist=["ok", 1]), "'requires_dist' must be a list of strings"),
        (record(requires_dist="bar"), "'requires_dist' must be a list of strings"),
        (record(yanked="yes"), "'yanked' must be true or false"),
        (record(yanked=1), "'yanked' must be true or false"),
        (record(hash=5), "'hash' must be a string"),
        (record(url={"a": 1}), "'url' must be a string"),
        (record(filename=5), "'filename' must be a string"),
        (record(filename=None), "'filename' must be a string"),
        (b'{"size": 5}\n', "no 'filename'"),
        (b'["foo-1.0.tar.gz"]\n', "expected a JSON object, not an array"),
        (b'"foo-1.0.tar.gz"\n', "expected a JSON object, not a string"),
        (b"5\n", "expected a JSON object, not a number"),
        (b"null\n", "expected a JSON object, not null"),
        (b"{filename: 1}\n", "not valid JSON"),
        (b'{"filename": "foo-1.0.tar.gz", "summary": "\\ud800"}\n', "'summary' is not valid Unicode"),
        (b'{"filename": "foo-1.0.tar.gz", "requires_dist": ["\\udfff"]}\n', "'requires_dist' is not valid Unicode"),
    ],
)
def test_json_bad_line_stops_the_build_naming_path_and_line(line: bytes, expected: str) -> None:
    message = read_error(b"\n" + VALID.replace(b"foo", b"bar") + line + VALID, json_lines=True)
    assert message.startswith("list.json:3: ")
    assert expected in message
    assert "cut off" not in message


def test_json_unknown_key_is_a_warning() -> None:
    packages, warnings = read(record(colour="blue", size=1), json_lines=True)
    assert packages == [make_package("foo-1.0.tar.gz", size=1)]
    assert warnings == ["list.json:1: unknown key 'colour' ignored"]


def test_json_unknown_key_is_an_error_with_strict() -> None:
    assert read_error(record(colour="blue"), json_lines=True, strict=True).startswith("list.json:1: unknown key")


@pytest.mark.parametrize(
    ("fields", "yanked", "reason"),
    [
        ({"yanked": True}, True, None),
        ({"yanked": False}, False, None),
        ({"yanked_reason": "broken"}, True, "broken"),
        ({"yanked_reason": ""}, True, ""),
        ({"yanked": True, "yanked_reason": "broken"}, True, "broken"),
        ({"yanked": False, "yanked_reason": "broken"}, True, "broken"),
    ],
)
def test_json_yanked_and_yanked_reason(fields: dict[str, Any], yanked: bool, reason: str | None) -> None:
    p = read_one(record(**fields), json_lines=True)
    assert (p.yanked, p.yanked_reason) == (yanked, reason)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"url": "javascript:alert(1)"}, "'url': URL scheme 'javascript' is not allowed"),
        ({"url": "JavaScript:alert(1)"}, "'url': URL scheme 'javascript' is not allowed"),
        ({"url": "file:///etc/passwd"}, "'url': URL scheme 'file'"),
        ({"url": 'https://x/"><script>'}, "not allowed in a URL"),
        ({"hash": "SHA256=abcd"}, "'hash' must be ALGO=HEX"),
        ({"hash": "sha256:abcd"}, "'hash' must be ALGO=HEX"),
        ({"core_metadata": "yes"}, "'core_metadata' must be"),
        ({"requires_python": '>=3"><script>'}, "not a PEP 440 specifier set"),
        ({"upload_timestamp": -1}, "out of range"),
        ({"size": -1}, "must not be negative"),
        ({"path": "../foo-1.0.tar.gz"}, "'..'"),
        ({"path": "/srv/foo-1.0.tar.gz"}, "absolute"),
        ({"path": "pool/other-1.0.tar.gz"}, "does not end in the filename"),
        ({"filename": "foo/bar-1.0.tar.gz"}, "path separator"),
        ({"filename": "README.md"}, "extension"),
    ],
)
def test_json_bad_values_are_refused(fields: dict[str, Any], why: str) -> None:
    packages, warnings = read(VALID.replace(b"foo", b"bar") + record(**fields), json_lines=True)
    assert [p.filename for p in packages] == ["bar-1.0.tar.gz"]
    assert len(warnings) == 1
    assert warnings[0].startswith("list.json:2: skipped ")
    assert why in warnings[0]
    assert read_error(record(**fields), json_lines=True, strict=True).startswith("list.json:1: ")


def test_json_nan_timestamp_is_refused() -> None:
    packages, warnings = read(b'{"filename": "foo-1.0.tar.gz", "upload_timestamp": NaN}\n', json_lines=True)
    assert packages == [] and len(warnings) == 1 and "out of range" in warnings[0]


@pytest.mark.parametrize("url", ["https://files.example/foo-1.0.tar.gz", "../../pool/foo-1.0.tar.gz", "foo-1.0.tar.gz"])
def test_json_http_and_relative_urls_are_accepted(url: str) -> None:
    assert read_one(record(url=url), json_lines=True).url == url


def test_json_blank_lines_are_ignored_and_line_numbers_still_count_them() -> None:
    packages, warnings = read(b"\n  \n" + VALID + b"\n" + record(colour=1), json_lines=True)
    assert len(packages) == 1
    assert warnings == ["list.json:5: unknown key 'colour' ignored"]


def test_json_cut_off_last_line() -> None:
    message = read_error(VALID + b'{"filename": "bar-1.0.ta', json_lines=True)
    assert message.startswith("list.json:2: not valid JSON")
    assert "the last line has no newline, so the list looks cut off" in message


def test_json_complete_last_line_without_newline_is_read() -> None:
    assert read_one(VALID.rstrip(b"\n"), json_lines=True) == make_package("foo-1.0.tar.gz")


# Reading rules for both lists.

@pytest.mark.parametrize("json_lines", [False, True])
def test_invalid_utf8_stops_the_build(json_lines: bool) -> None:
    good = VALID if json_lines else b"foo-1.0.tar.gz\n"
    bad = b'{"filename": "bar-1.0.tar.gz", "summary": "caf\xe9"}\n' if json_lines else b"bar-1.0-caf\xe9.tar.gz\n"
    message = read_error(good + bad, json_lines=json_lines)
    assert message.startswith(("list.json:2: " if json_lines else "list.txt:2: ") + "not valid UTF-8")


@pytest.mark.parametrize("json_lines", [False, True])
def test_a_line_over_1_mib_stops_the_build(json_lines: bool) -> None:
    long_line = b"#" + b" " * MAX_LINE + b"\n"
    message = read_error(b"\n" + long_line, json_lines=json_lines)
    assert message.startswith(("list.json:2: " if json_lines else "list.txt:2: ") + "line is longer than")


def test_a_line_of_exactly_1_mib_is_read() -> None:
    line = VALID.rstrip(b"\n")[:-1] + b" " * (MAX_LINE - len(VALID) + 1) + b"}"
    assert len(line) == MAX_LINE
    assert read_one(line + b"\r\n", json_lines=True) == make_package("foo-1.0.tar.gz")


# Duplicates.

def test_the_same_file_twice_with_the_same_data_is_one_file() -> None:
    packages, _ = read(record(size=3) + VALID.replace(b"foo", b"bar") + record(size=3), json_lines=True)
    assert [p.filename for p in packages] == ["foo-1.0.tar.gz", "bar-1.0.tar.gz"]
    packages, _ = read(b"foo-1.0.tar.gz\nfoo-1.0.tar.gz\ns3://b/foo-1.0.tar.gz\n")
    assert len(packages) == 1


def test_the_same_filename_with_different_data_names_both_lines() -> None:
    message = read_error(record(size=3) + VALID.replace(b"foo", b"bar") + record(size=4), json_lines=True)
    assert message == "list.json:3: 'foo-1.0.tar.gz' is listed again with different data (first at list.json:1)"
    message = read_error(b"foo-1.0.tar.gz\npool/foo-1.0.tar.gz\n")
    assert message.startswith("list.txt:2: ") and "(first at list.txt:1)" in message


# packages.json reads back as the same Packages.

FILENAMES = (
    "foo-1.0.tar.gz",
    "Foo_Bar-2.0rc1-py2.py3-none-any.whl",
    "baz-1.0.x.zip",
    "qux-0.1-py2.7.egg",
    "dumb_init-1.2.0-py2.py3-none-manylinux1_x86_64.whl",
    "pkg-1.0+local.tar.gz",
)
_filenames = st.sampled_from(FILENAMES)
# Free text for people: anything but control characters and non-characters.
_free = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff") | st.sampled_from("\t\r\n")
_text = st.one_of(st.none(), st.text(_free, max_size=20))
_hash = st.builds(
    "{}={}".format,
    st.sampled_from(["sha256", "md5", "blake2b", "sha3_512"]),
    st.text("0123456789abcdef", min_size=1, max_size=64),
)
_folders = st.lists(st.text("abc-_.~ +%\u00e9", min_size=1, max_size=5).filter(lambda s: s not in (".", "..")), max_size=3)
_fields = st.fixed_dictionaries({
    "url": st.one_of(st.none(), st.sampled_from([
        "https://files.example/a/b.tar.gz?x=1#y", "http://h/x", "../../pool/x.tar.gz", "x.tar.gz", "/abs/x",
    ])),
    "hash": st.one_of(st.none(), _hash),
    "requires_python": st.one_of(st.none(), st.sampled_from(["", ">=3.8", ">=2.7,!=3.0.*,!=3.1.*", "~=3.10", "<4"])),
    "core_metadata": st.one_of(st.none(), st.just("true"), _hash),
    "uploaded_by": _text,
    "upload_timestamp": st.one_of(
        st.none(),
        st.integers(0, 253402300799),
        st.floats(0, 253402300799.0, allow_nan=False, allow_infinity=False),
    ),
    "yanked": st.booleans(),
    "yanked_reason": _text,
    "requires_dist": st.one_of(st.none(), st.lists(st.text(_free, max_size=10), max_size=3)),
    "size": st.one_of(st.none(), st.integers(0, 2**63)),
    "summary": _text,
})


@st.composite
def packages(draw: st.DrawFn) -> Package:
    filename = draw(_filenames)
    folders = draw(_folders)
    path = "/".join([*folders, filename]) if folders else None
    fields: dict[str, Any] = draw(_fields)
    return make_package(filename, path=path, **fields)


@given(st.lists(packages(), unique_by=lambda p: p.filename))
def test_packages_json_reads_back_as_equal_packages(written: list[Package]) -> None:
    data = plan.packages_json(written).encode()
    read_back, warnings = read(data, json_lines=True, strict=True)
    assert warnings == []
    assert sorted(read_back) == sorted(written)
    for p in read_back:
        original = next(w for w in written if w.filename == p.filename)
        assert type(p.upload_timestamp) is type(original.upload_timestamp)


@given(packages())
def test_a_line_of_packages_json_is_what_json_dumps_writes_of_the_record(p: Package) -> None:
    assert render.package_line(p) == json.dumps(p.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"


def test_hex_digests_are_lowercased_because_pip_compares_them_as_text() -> None:
    p = read_one(record(hash="sha256=" + "AB" * 32, core_metadata="sha256=" + "CD" * 32), json_lines=True)
    assert p.hash == "sha256=" + "ab" * 32
    assert p.core_metadata == "sha256=" + "cd" * 32


# Hostile input (end to end in hostile_test.py).

@pytest.mark.parametrize("json_lines", [False, True])
def test_a_byte_order_mark_on_line_1_is_ignored(json_lines: bool) -> None:
    data = b"\xef\xbb\xbf" + (VALID if json_lines else b"foo-1.0.tar.gz\n")
    assert read_one(data, json_lines=json_lines) == make_package("foo-1.0.tar.gz")


@pytest.mark.parametrize("json_lines", [False, True])
def test_a_byte_order_mark_after_line_1_is_text(json_lines: bool) -> None:
    line = VALID if json_lines else b"foo-1.0.tar.gz\n"
    if json_lines:
        assert read_error(line + b"\xef\xbb\xbf" + line, json_lines=True).startswith("list.json:2: not valid JSON")
    else:
        packages, warnings = read(line + b"\xef\xbb\xbf" + line)
        assert len(packages) == 1 and warnings[0].startswith("list.txt:2: skipped '\\ufefffoo-1.0.tar.gz'")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('https://f.example/"><script>/foo-1.0.tar.gz', "'\"'"),
        ("https://f.example/a'b/foo-1.0.tar.gz", "\"'\""),
        ("https://f.example/<b>/foo-1.0.tar.gz", "'<'"),
        ("https://f.example/a\\b/foo-1.0.tar.gz", "'\\\\'"),
        ("https://f.example/a`b/foo-1.0.tar.gz", "'`'"),
        ("https://f.example/a b/foo-1.0.tar.gz", "' '"),
        ("https://f.example/a\x7fb/foo-1.0.tar.gz", "'\\x7f'"),
    ],
)
def test_plain_http_url_gets_the_same_character_check_as_a_json_url(line: str, why: str) -> None:
    packages, warnings = read(line.encode() + b"\n")
    assert packages == []
    [warning] = warnings
    assert warning.startswith("list.txt:1: skipped ")
    assert f"the URL contains {why}, which is not allowed in a URL" in warning
    json_warning = read(record(url=line.rsplit("/", 1)[0] + "/x"), json_lines=True)[1]
    assert f"the URL contains {why}" in json_warning[0]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # Decoded, the last segment would hold a separator or be '..'.
        ("https://f.example/foo-1.0%2F..%2Fbar-1.0.tar.gz", "'..'"),
        ("https://f.example/pool/foo%2Fbar-1.0.tar.gz", "path separator"),
        ("https://f.example/pool/foo%5Cbar-1.0.tar.gz", "path separator"),
        ("https://f.example/pool/%2e%2e", "'..'"),
        ("s3://bucket/%2e%2e%2fetc%2ffoo-1.0.tar.gz", "'..'"),
        ("https://f.example/pool/foo-1.0%00.tar.gz", "control character"),
        # Percent-escapes that are not UTF-8 decode to U+FFFD.
        ("https://f.example/pool/foo-1.0%ff.tar.gz", "non-ASCII"),
    ],
)
def test_plain_url_filename_is_decoded_then_checked(line: str, why: str) -> None:
    packages, warnings = read(line.encode() + b"\n")
    assert packages == []
    [warning] = warnings
    assert warning.startswith(f"list.txt:1: skipped {line!r}: ") and why in warning


def test_percent_escapes_outside_urls_are_literal() -> None:
    # An S3 key or a relative path is a name, not a URL: "%2F" is three characters.
    p = read_one(b"pool/a%2Fb/foo-1.0%2B1.tar.gz\n")
    assert (p.filename, p.path, p.version) == ("foo-1.0%2B1.tar.gz", "pool/a%2Fb/foo-1.0%2B1.tar.gz", "1.0%2B1")
    assert render.file_url(p, "../../pool") == "../../pool/pool/a%252Fb/foo-1.0%252B1.tar.gz"


@pytest.mark.parametrize("key", ["uploaded_by", "yanked_reason", "summary"])
@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff"])
def test_control_characters_in_free_text_are_refused(key: str, character: str) -> None:
    packages, warnings = read(record(**{key: f"a{character}b"}), json_lines=True)
    assert packages == []
    assert warnings == [
        f"list.json:1: skipped 'foo-1.0.tar.gz': '{key}' contains {character!r}, a control character or non-character",
    ]


def test_control_characters_in_requires_dist_are_refused() -> None:
    packages, warnings = read(record(requires_dist=["ok", "bar\x1b[2J"]), json_lines=True)
    assert packages == [] and "'requires_dist' contains '\\x1b'" in warnings[0]


def test_tabs_and_line_breaks_in_free_text_are_kept() -> None:
    assert read_one(record(summary="a\tb\r\nc"), json_lines=True).summary == "a\tb\r\nc"


def test_a_json_array_says_the_list_is_json_lines() -> None:
    message = read_error(b'[{"filename": "foo-1.0.tar.gz"}]\n', json_lines=True)
    assert message == (
        "list.json:1: expected a JSON object, not an array"
        " (the list is JSON lines: one object a line, not one JSON document)"
    )


def test_a_long_refused_entry_is_shortened_in_the_message() -> None:
    line = "x" * 100_000
    _, warnings = read(line.encode() + b"\n")
    [warning] = warnings
    assert len(warning) < 400 and "(100000 characters)" in warning


@given(st.one_of(
    st.text(max_size=40),
    st.builds(lambda v, tail: json.dumps(v) + tail, st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5)),
              st.sampled_from(["", " ", "\t", "\r", "\x0c", "\u00a0", "\u2028", " x", "}", "{}"])),
))
def test_a_json_line_is_read_as_json_loads_reads_it(text: str) -> None:
    try:
        expected: Any = ("ok", json.loads(text))
    except (ValueError, RecursionError) as e:
        expected = ("error", type(e))
    try:
        got: Any = ("ok", inputs._json_object(text))
    except (ValueError, RecursionError) as e:
        got = ("error", type(e))
    assert got == expected
