import datetime
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support import output_tree
from dumb_pypi import settings as settings_module
from dumb_pypi.build import Settings, Summary, build
from dumb_pypi.errors import DumbPypiError, InputError
from dumb_pypi.partial import CACHE_NAME
from dumb_pypi.publish import LOCK_NAME, MANIFEST_NAME, Output

NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
Record = Mapping[str, Any]

FOO_BAR: list[dict[str, Any]] = [
    {"filename": "foo-1.0.tar.gz", "size": 10, "upload_timestamp": 1500000000},
    {"filename": "foo-1.0-py3-none-any.whl", "size": 11, "hash": "sha256=" + "ab" * 32},
    {"filename": "foo-2.0.tar.gz", "size": 12, "requires_python": ">=3.8"},
    {"filename": "Bar_Baz-0.1.tar.gz", "size": 13},
]
# The listing pages for people, their search data and their CSS and script,
# as an index of fewer than 256 projects has them.
LISTINGS = {
    "index.html", "changelog/page1.html", "changelog/index.html", "rss/updates.xml",
    "search/names.js", "search/rows0.js", "static/dumb-pypi.css", "static/dumb-pypi.js",
}


def write_list(path: Path, records: Iterable[Record]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def run(
    out: Path, records: Iterable[Record], *, partial: bool = False, now: datetime.datetime = NOW, **settings: Any,
) -> Summary:
    """Build `records` into `out`; with partial, against the packages.json of the last run there."""
    listing = write_list(out.parent / f"{out.name}-list.json", records)
    settings.setdefault("packages_url", "../../packages")
    settings.setdefault("generate_timestamp", False)
    if partial:
        settings["previous_package_list_json"] = str(out / "packages.json")
    return build(Settings(output_dir=out, package_list_json=str(listing), **settings), now=now)


def tree(root: Path) -> dict[str, object]:
    return output_tree(root)


def folders(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """Inode and mtime of each file: an atomic rewrite always changes the inode."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in root.rglob("*") if p.is_file()
    }


def test_full_build_writes_the_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run(out, FOO_BAR)
    assert set(tree(out)) == LISTINGS | {
        LOCK_NAME,
        MANIFEST_NAME,
        CACHE_NAME,
        "packages.json",
        "simple/index.html",
        "simple/index.v1_json",
        "simple/foo/index.html",
        "simple/foo/index.v1_json",
        "simple/bar-baz/index.html",
        "simple/bar-baz/index.v1_json",
        "pypi/foo/json",
        "pypi/foo/1.0/json",
        "pypi/foo/2.0/json",
        "pypi/bar-baz/json",
        "pypi/bar-baz/0.1/json",
        "project/foo/index.html",
        "project/bar-baz/index.html",
    }
    # 21 pages and packages.json; the manifest is bookkeeping, not counted.
    assert summary == Summary(projects=2, files=4, skipped=0, written=22, deleted=0, partial=False)
    root = json.loads((out / "simple/index.v1_json").read_text())
    assert [p["name"] for p in root["projects"]] == ["Bar_Baz", "foo"]
    foo = json.loads((out / "simple/foo/index.v1_json").read_text())
    assert [f["filename"] for f in foo["files"]] == ["foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl", "foo-2.0.tar.gz"]


def test_full_build_writes_the_pages_for_people(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    for path in ("project/foo/index.html", "project/bar-baz/index.html", "changelog/page1.html", "rss/updates.xml"):
        assert (out / path).is_file(), path


def test_no_per_release_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR, per_release_json=False)
    assert not any("/1.0/" in path or "/0.1/" in path for path in tree(out))
    assert (out / "pypi/foo/json").is_file()


def test_packages_json_reads_back_as_the_same_records(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    lines = (out / "packages.json").read_text().splitlines()
    assert sorted(json.loads(line)["filename"] for line in lines) == sorted(r["filename"] for r in FOO_BAR)
    assert [json.loads(line) for line in lines] == sorted(FOO_BAR, key=lambda r: r["filename"])


def test_timestamp_is_on_the_index_only_when_asked(tmp_path: Path) -> None:
    run(tmp_path / "a", FOO_BAR, generate_timestamp=True)
    run(tmp_path / "b", FOO_BAR)
    assert "2024-05-06 07:08:09 UTC" in (tmp_path / "a/index.html").read_text()
    assert "UTC" not in (tmp_path / "b/index.html").read_text()


def test_full_build_is_reproducible(tmp_path: Path) -> None:
    run(tmp_path / "a", FOO_BAR)
    run(tmp_path / "b", list(reversed(FOO_BAR)))
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    # Only the manifest and the build cache tell the two lists apart: they record their bytes' hash.
    manifest_a, manifest_b = Output(tmp_path / "a").read_manifest(), Output(tmp_path / "b").read_manifest()
    assert manifest_a is not None and manifest_b is not None
    del a[MANIFEST_NAME], b[MANIFEST_NAME]
    cache_a, cache_b = a.pop(CACHE_NAME), b.pop(CACHE_NAME)
    assert a == b
    assert manifest_a.lists["input"] != manifest_b.lists["input"]
    # ... and the cache's own hash.
    assert manifest_a._replace(lists={}, read={**manifest_a.read, "cache": None}) == (
        manifest_b._replace(lists={}, read={**manifest_b.read, "cache": None})
    )
    assert cache_a["input"] != cache_b["input"]  # type: ignore[index]


def test_a_stale_path_is_deleted_when_its_project_disappears(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    summary = run(out, FOO_BAR[:3])
    assert not (out / "simple/bar-baz").exists()
    assert not (out / "pypi/bar-baz").exists()
    assert not (out / "project/bar-baz").exists()
    assert summary.deleted == 5
    assert tree(out) == tree_of_full_build(tmp_path, FOO_BAR[:3])


def test_files_the_run_did_not_generate_survive(tmp_path: Path) -> None:
    out = tmp_path / "out"
    user_files = {
        "pool/foo-1.0.tar.gz": b"a distribution",
        "simple/robots.txt": b"mine",
        "simple/bar-baz/notes.txt": b"mine too",
        "pypi/gone/json": b"looks generated, but no run listed it",
    }
    for path, data in user_files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    run(out, FOO_BAR)
    run(out, FOO_BAR[:1])
    run(out, FOO_BAR[:1], partial=True)
    assert {path: data for path, data in tree(out).items() if path in user_files} == user_files
    assert not (out / "simple/bar-baz/index.html").exists()


def test_partial_build_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    before = stats(out)
    summary = run(out, list(reversed(FOO_BAR)), partial=True)
    assert summary.partial
    assert (summary.written, summary.deleted) == (0, 0)
    # The same records in another order: only the manifest and the build cache learn the new bytes.
    after = stats(out)
    assert after.pop(MANIFEST_NAME) != before.pop(MANIFEST_NAME)
    assert after.pop(CACHE_NAME) != before.pop(CACHE_NAME)
    assert after == before


def test_partial_build_with_nothing_changed_keeps_the_timestamp_of_the_last_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    later = NOW + datetime.timedelta(hours=1)
    run(out, FOO_BAR, generate_timestamp=True)
    before = stats(out)
    summary = run(out, FOO_BAR, partial=True, generate_timestamp=True, now=later)
    assert summary.partial and summary.written == 0
    assert stats(out) == before
    assert "2024-05-06 07:08:09 UTC" in (out / "index.html").read_text()


def test_partial_build_writes_only_the_changed_project_and_the_indexes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    before = stats(out)
    changed = [*FOO_BAR[:3], {**FOO_BAR[3], "yanked_reason": "oops"}]
    summary = run(out, changed, partial=True)
    after = stats(out)
    rewritten = {path for path in after if after[path] != before.get(path)}
    # Yanking its only release changes no listing: its row and the list of projects stay as they were.
    assert rewritten == {
        "simple/bar-baz/index.html", "simple/bar-baz/index.v1_json", "pypi/bar-baz/json", "pypi/bar-baz/0.1/json",
        "project/bar-baz/index.html", "packages.json", MANIFEST_NAME, CACHE_NAME,
    }
    assert summary.partial and summary.written == len(rewritten - {MANIFEST_NAME, CACHE_NAME})
    assert tree(out) == tree_of_full_build(tmp_path, changed)


def tree_of_full_build(tmp_path: Path, records: Iterable[Record], **settings: Any) -> dict[str, bytes]:
    fresh = tmp_path / "fresh"
    assert not fresh.exists()
    run(fresh, records, **settings)
    return tree(fresh)


@pytest.mark.parametrize(
    "new",
    [
        pytest.param(
            [*FOO_BAR, {"filename": "foo-3.0.tar.gz"}, {"filename": "new-1.0.tar.gz", "uploaded_by": "me"}],
            id="files-and-a-project-added",
        ),
        pytest.param([FOO_BAR[0], FOO_BAR[1], FOO_BAR[3]], id="a-release-removed"),
        pytest.param(FOO_BAR[:3], id="a-project-removed"),
        pytest.param([{**r, "yanked": True} if r["filename"] == "foo-2.0.tar.gz" else r for r in FOO_BAR], id="yanked"),
        pytest.param([{**r, "size": 99} for r in FOO_BAR], id="every-file-changed"),
        pytest.param([{"filename": "other-1.0.tar.gz"}], id="everything-replaced"),
    ],
)
@pytest.mark.parametrize("generate_timestamp", [False, True])
def test_partial_build_is_byte_identical_to_a_full_build(
    tmp_path: Path, new: list[Record], generate_timestamp: bool,
) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR, generate_timestamp=generate_timestamp)
    assert run(out, new, partial=True, generate_timestamp=generate_timestamp).partial
    fresh = tree_of_full_build(tmp_path, new, generate_timestamp=generate_timestamp)
    assert tree(out) == fresh
    assert folders(out) == folders(tmp_path / "fresh")


def test_partial_build_from_a_plain_previous_list(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plain = tmp_path / "list.txt"
    plain.write_text("foo-1.0.tar.gz\nbar-1.0.tar.gz\n")
    build(Settings(output_dir=out, package_list=str(plain), packages_url="/p", generate_timestamp=False))
    previous = tmp_path / "previous.txt"
    previous.write_bytes(plain.read_bytes())
    plain.write_text("foo-1.0.tar.gz\n")
    summary = build(Settings(
        output_dir=out, package_list=str(plain), previous_package_list=str(previous),
        packages_url="/p", generate_timestamp=False,
    ))
    assert summary.partial and summary.deleted == 5
    assert not (out / "simple/bar").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"packages_url": "https://files.example/pool"},
        {"title": "Another title"},
        {"logo": "logo.png"},
        {"per_release_json": False},
        {"site_url": "https://pypi.example/"},
    ],
)
def test_a_changed_setting_makes_a_full_build(tmp_path: Path, change: dict[str, Any]) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    summary = run(out, FOO_BAR, partial=True, **change)
    assert not summary.partial
    assert tree(out) == tree_of_full_build(tmp_path, FOO_BAR, **change)


def test_a_new_dumb_pypi_version_makes_a_full_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    monkeypatch.setattr(settings_module, "__version__", "999")
    summary = run(out, FOO_BAR, partial=True)
    assert not summary.partial and summary.written == 22


def test_a_previous_list_without_a_manifest_makes_a_full_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    previous = write_list(tmp_path / "previous.json", FOO_BAR)
    summary = run(out, FOO_BAR, previous_package_list_json=str(previous))
    assert not summary.partial
    assert (out / "simple/foo/index.html").is_file()


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"out-list\.json:2: 'size' must be a whole number"):
        run(out, [FOO_BAR[0], {**FOO_BAR[1], "size": "big"}])
    assert not out.exists()


def test_bad_input_leaves_an_existing_index_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    before = stats(out)
    with pytest.raises(InputError):
        run(out, [*FOO_BAR, {"filename": "x-1.0.tar.gz", "yanked": "yes"}], partial=True)
    assert stats(out) == before


def test_packages_url_is_required_for_records_without_a_url_of_their_own(tmp_path: Path) -> None:
    records = [{"filename": "foo-1.0.tar.gz", "url": "https://f.example/foo-1.0.tar.gz"}, {"filename": "bar-1.0.tar.gz"}]
    with pytest.raises(InputError, match=r"list\.json:2: 'bar-1\.0\.tar\.gz' has no url of its own, so --packages-url is required"):
        run(tmp_path / "out", records, packages_url=None)
    run(tmp_path / "out", records[:1], packages_url=None)
    assert "https://f.example/foo-1.0.tar.gz" in (tmp_path / "out/simple/foo/index.html").read_text()


def test_an_empty_list_stops_the_build_and_leaves_the_index(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    before = tree(out), stats(out)
    with pytest.raises(DumbPypiError, match="--allow-empty"):
        run(out, [], partial=True)
    assert (tree(out), stats(out)) == before


def test_allow_empty_builds_an_empty_index(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, FOO_BAR)
    summary = run(out, [], allow_empty=True)
    assert summary.projects == summary.files == 0
    assert set(tree(out)) == LISTINGS - {"search/rows0.js"} | {
        LOCK_NAME, MANIFEST_NAME, CACHE_NAME, "packages.json", "simple/index.html", "simple/index.v1_json",
    }
    assert json.loads((out / "simple/index.v1_json").read_text())["projects"] == []
    assert (out / "packages.json").read_text() == ""
    assert folders(out) == {"simple", "changelog", "rss", "search", "static"}


def test_skipped_entries_are_counted_and_warned(tmp_path: Path) -> None:
    warnings: list[str] = []
    listing = write_list(tmp_path / "list.json", [*FOO_BAR, {"filename": "README.md"}])
    summary = build(
        Settings(output_dir=tmp_path / "out", package_list_json=str(listing), packages_url="/p"),
        warn=warnings.append,
    )
    assert summary.skipped == 1 and summary.files == 4
    assert len(warnings) == 1 and warnings[0].startswith(f"{listing}:5: skipped 'README.md'")


def test_strict_makes_a_warning_an_error_and_writes_nothing(tmp_path: Path) -> None:
    listing = write_list(tmp_path / "list.json", [*FOO_BAR, {"filename": "README.md"}])
    with pytest.raises(InputError, match=":5: "):
        build(Settings(output_dir=tmp_path / "out", package_list_json=str(listing), packages_url="/p", strict=True))
    assert not (tmp_path / "out").exists()


def test_a_missing_list_is_an_expected_error(tmp_path: Path) -> None:
    with pytest.raises(DumbPypiError, match="cannot read .*nope.txt"):
        build(Settings(output_dir=tmp_path / "out", package_list=str(tmp_path / "nope.txt"), packages_url="/p"))


def test_the_list_can_come_from_stdin(tmp_path: Path) -> None:
    stdin = io.BytesIO(b"2016-10-31 12:34:56      12345 pool/foo-1.0.tar.gz\n")
    build(Settings(output_dir=tmp_path / "out", package_list="-", packages_url="/p"), stdin=stdin)
    [entry] = json.loads((tmp_path / "out/simple/foo/index.v1_json").read_text())["files"]
    assert (entry["url"], entry["size"]) == ("/p/pool/foo-1.0.tar.gz", 12345)
