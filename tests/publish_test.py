import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from dumb_pypi.errors import LockedError, OutputError
from dumb_pypi.publish import edit_paths, LOCK_NAME, TEMP_PREFIX, Manifest, Output, check_relpath, locked


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if not p.is_dir()}


def dirs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def test_write_creates_folders_and_replaces_files(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.write("simple/foo/index.html", "first")
    out.write("simple/foo/index.html", "second é")
    out.write("pypi/foo/json", b"\x00bytes")
    assert files(tmp_path) == {"simple/foo/index.html": "second é".encode(), "pypi/foo/json": b"\x00bytes"}
    assert out.written == 3


def test_write_leaves_no_temp_files_and_mode_0644(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        Output(tmp_path).write("a/b.html", "x")
    finally:
        os.umask(old)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.html"]
    assert stat.S_IMODE((tmp_path / "a/b.html").stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.write("a/page.html", "old")
    (tmp_path / "a/dir").mkdir()
    (tmp_path / "a/dir/keep").write_text("")
    with pytest.raises(OSError):
        out.write("a/dir", "cannot replace a folder with a file")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["dir", "page.html"]
    assert (tmp_path / "a/page.html").read_text() == "old"


def test_write_replaces_the_file_rather_than_writing_into_it(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.write("page.html", "old")
    before = (tmp_path / "page.html").stat().st_ino
    out.write("page.html", "new")
    assert (tmp_path / "page.html").stat().st_ino != before


@pytest.mark.parametrize(
    "relpath", ["../x", "a/../../x", "/etc/x", "", "a//b", "a/", "./a", "a/./b", "a\\b", "a\x00b"],
)
def test_paths_that_could_leave_the_folder_are_refused(tmp_path: Path, relpath: str) -> None:
    out_dir = tmp_path / "out"
    out = Output(out_dir)
    with pytest.raises(OutputError, match="refusing to write"):
        out.write(relpath, "x")
    with pytest.raises(OutputError):
        out.delete(relpath)
    with pytest.raises(OutputError):
        check_relpath(relpath)
    assert list(tmp_path.rglob("*")) == []


def test_refuses_to_write_through_a_symlink_that_leads_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "out", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "pypi").symlink_to(outside)
    out = Output(root)
    for relpath in ("pypi/json", "pypi/foo/json", "pypi/foo/1.0/json"):
        with pytest.raises(OutputError, match="leads outside the output folder"):
            out.write(relpath, "x")
    # Not even a folder is made on the other side.
    assert list(outside.iterdir()) == []


def test_refuses_a_dangling_symlink_that_leads_outside(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    (root / "simple").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="leads outside"):
        Output(root).write("simple/foo/index.html", "x")
    assert not (tmp_path / "nowhere").exists()


def test_a_symlink_that_stays_inside_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "simple").symlink_to("real")
    Output(tmp_path).write("simple/foo/index.html", "x")
    assert (tmp_path / "real/foo/index.html").read_text() == "x"


def test_an_output_folder_reached_through_a_symlink_works(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    Output(tmp_path / "link").write("simple/index.html", "x")
    assert (tmp_path / "real/simple/index.html").read_text() == "x"


def test_delete_removes_only_that_file_and_prunes_empty_folders(tmp_path: Path) -> None:
    out = Output(tmp_path)
    for relpath in ("pypi/foo/1.0/json", "pypi/foo/json", "pypi/bar/json", "simple/foo/index.html"):
        out.write(relpath, relpath)
    out.delete("pypi/foo/1.0/json")
    assert "pypi/foo" in dirs(tmp_path) and "pypi/foo/1.0" not in dirs(tmp_path)
    out.delete_all(["pypi/foo/json", "simple/foo/index.html"])
    assert files(tmp_path) == {"pypi/bar/json": b"pypi/bar/json"}
    assert dirs(tmp_path) == {"pypi", "pypi/bar"}
    assert out.deleted == 3


def test_delete_keeps_folders_that_hold_other_files(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.write("pypi/foo/json", "x")
    (tmp_path / "pypi/foo/user-notes.txt").write_text("mine")
    out.delete("pypi/foo/json")
    assert files(tmp_path) == {"pypi/foo/user-notes.txt": b"mine"}


def test_delete_never_removes_the_root(tmp_path: Path) -> None:
    root = tmp_path / "out"
    out = Output(root)
    out.write("index.html", "x")
    out.write("simple/index.html", "x")
    out.delete_all(["index.html", "simple/index.html"])
    assert root.is_dir() and list(root.iterdir()) == []


def test_delete_of_a_missing_file_is_not_an_error(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.delete("pypi/gone/json")
    assert out.deleted == 0
    assert list(tmp_path.iterdir()) == []


def test_delete_does_not_follow_a_symlink_that_leads_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "out", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "json").write_text("precious")
    (root / "pypi").symlink_to(outside)
    with pytest.raises(OutputError):
        Output(root).delete("pypi/json")
    assert (outside / "json").read_text() == "precious"


def test_manifest_round_trip(tmp_path: Path) -> None:
    out = Output(tmp_path)
    assert out.read_manifest() is None
    manifest = Manifest({"title": "x", "n": 1}, frozenset({"index.html", "simple/foo/index.html"}))
    out.write_manifest(manifest)
    assert Output(tmp_path).read_manifest() == manifest


def test_a_manifest_of_many_paths_is_the_json_of_its_sorted_paths(tmp_path: Path) -> None:
    paths = frozenset(f"simple/p{i}/index.html" for i in range(10000))
    out = Output(tmp_path)
    out.write_manifest(Manifest({"title": "x"}, paths))
    header, listed, rest = (tmp_path / ".dumb-pypi-manifest.json").read_text().split("\n")
    assert listed == json.dumps(sorted(paths), separators=(",", ":")) and rest == ""
    assert Output(tmp_path).read_manifest() == Manifest({"title": "x"}, paths)


def test_the_journal_gathers_the_paths_of_begin_and_of_each_extension(tmp_path: Path) -> None:
    out = Output(tmp_path)
    assert out.read_journal() is None
    out.begin(f"pypi/p{i}/json" for i in range(5000))
    out.extend_journal([])
    out.extend_journal(["index.html", "list/page2.html"])
    assert out.read_journal() == frozenset([*(f"pypi/p{i}/json" for i in range(5000)), "index.html", "list/page2.html"])
    out.end()
    assert out.read_journal() is None


def test_a_journal_line_cut_short_adds_nothing_and_a_damaged_journal_still_says_the_run_died(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.begin(["a/b.html"])
    journal = tmp_path / ".dumb-pypi-journal.json"
    # A run killed while it added a line wrote none of that line's paths.
    with open(journal, "a") as f:
        f.write('{"paths":["c/d.ht')
    assert out.read_journal() == frozenset(["a/b.html"])
    journal.write_text("not json\n")
    assert out.read_journal() == frozenset()
    journal.write_text('{"paths":["../../etc/passwd"]}\n')
    assert out.read_journal() == frozenset()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"settings": {}}',
        '{"settings": {}, "paths": ["../../etc/passwd"]}',
        '{"settings": {}, "paths": ["/etc/passwd"]}',
        '{"settings": {}, "paths": 5}',
    ],
)
def test_a_damaged_or_hostile_manifest_licenses_no_deletion(tmp_path: Path, content: str) -> None:
    out = Output(tmp_path)
    out.write_manifest(Manifest({}, frozenset()))
    [manifest_file] = [p for p in tmp_path.iterdir()]
    manifest_file.write_text(content)
    assert out.read_manifest() is None


def test_lock_is_exclusive(tmp_path: Path) -> None:
    with locked(tmp_path / "out", wait=0) as out:
        assert isinstance(out, Output)
        with pytest.raises(LockedError, match="another dumb-pypi run holds"):
            with locked(tmp_path / "out", wait=0):
                pass  # pragma: no cover
    # Released when the first run ends.
    with locked(tmp_path / "out", wait=0):
        pass
    assert (tmp_path / "out" / LOCK_NAME).exists()


def test_lock_waits_then_gives_up(tmp_path: Path) -> None:
    with locked(tmp_path, wait=0):
        with pytest.raises(LockedError, match=r"waited 0\.2s"):
            with locked(tmp_path, wait=0.2):
                pass  # pragma: no cover


def test_lock_on_an_unusable_output_folder_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="cannot use output folder"):
        with locked(tmp_path / "file" / "out", wait=0):
            pass  # pragma: no cover


def test_publish_file_hard_links_and_replaces_a_planted_symlink(tmp_path: Path) -> None:
    source = tmp_path / "dist" / "foo-1.0.tar.gz"
    source.parent.mkdir()
    source.write_bytes(b"sdist")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"keep me")
    out = Output(tmp_path / "out")
    (tmp_path / "out" / "packages").mkdir(parents=True)
    (tmp_path / "out" / "packages" / source.name).symlink_to(elsewhere)
    assert not out.is_published(f"packages/{source.name}", source)

    out.publish_file(f"packages/{source.name}", source)

    published = tmp_path / "out" / "packages" / source.name
    assert not published.is_symlink()
    assert published.stat().st_ino == source.stat().st_ino
    assert elsewhere.read_bytes() == b"keep me"
    assert [p.name for p in published.parent.iterdir()] == [source.name]
    assert out.is_published(f"packages/{source.name}", source)
    assert out.written == 1


def test_publish_file_copies_when_the_file_system_refuses_a_hard_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # fs.protected_hardlinks

    monkeypatch.setattr(os, "link", refuse)
    source = tmp_path / "foo-1.0.tar.gz"
    source.write_bytes(b"sdist")
    os.utime(source, ns=(1, 1_700_000_000_123_456_789))
    out = Output(tmp_path / "out")

    out.publish_file("packages/foo-1.0.tar.gz", source)

    copy = tmp_path / "out" / "packages" / "foo-1.0.tar.gz"
    assert copy.read_bytes() == b"sdist"
    assert copy.stat().st_ino != source.stat().st_ino
    assert copy.stat().st_mtime_ns == 1_700_000_000_123_456_789
    assert out.is_published("packages/foo-1.0.tar.gz", source)
    source.write_bytes(b"sdist, rebuilt")
    assert not out.is_published("packages/foo-1.0.tar.gz", source)


def test_check_refuses_a_path_through_an_outside_symlink_before_anything_is_made(tmp_path: Path) -> None:
    root, outside = tmp_path / "out", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "pypi").symlink_to(outside)
    out = Output(root)
    with pytest.raises(OutputError, match="'pypi/foo/json'.*leads outside the output folder"):
        out.check(["simple/foo/index.html", "pypi/foo/json"])
    assert sorted(p.name for p in root.iterdir()) == ["pypi"]
    assert list(outside.iterdir()) == []
    out.check(["simple/foo/index.html", "simple/index.html"])
    assert sorted(p.name for p in root.iterdir()) == ["pypi"]


def test_a_new_folder_is_written_whole_under_a_temp_name_then_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = Output(tmp_path)
    seen: list[str] = []
    real_rename = os.rename

    def rename(source: str, target: str) -> None:
        # When the folder goes into place, all of its files are in it already.
        seen.append(os.path.basename(source))
        assert sorted(p.relative_to(source).as_posix() for p in Path(source).rglob("*") if p.is_file()) == [
            "1.0/json", "2.0/json", "json",
        ]
        assert not (tmp_path / "pypi/foo").exists()
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    out.write_folder("pypi/foo", [("pypi/foo/json", b"a"), ("pypi/foo/1.0/json", b"b"), ("pypi/foo/2.0/json", b"c")])
    assert len(seen) == 1 and seen[0].startswith(TEMP_PREFIX)
    assert files(tmp_path) == {"pypi/foo/json": b"a", "pypi/foo/1.0/json": b"b", "pypi/foo/2.0/json": b"c"}
    assert stat.S_IMODE((tmp_path / "pypi/foo/1.0/json").stat().st_mode) == 0o644
    assert out.written == 3


def test_new_top_folders_are_filled_out_of_sight_with_no_rename_a_folder_and_shown_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "pypi").mkdir()
    out = Output(tmp_path)
    out.hide_new(["simple", "pypi", "project"])
    hidden = out.hidden()
    # A top folder that is there already is written as ever.
    assert sorted(hidden) == ["project", "simple"] and all(name.startswith(TEMP_PREFIX) for name in hidden.values())
    renamed: list[str] = []
    real_rename = os.rename

    def rename(source: str, target: str) -> None:
        renamed.append(os.path.relpath(target, tmp_path))
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    out.write_pages([("simple/foo/index.html", "s"), ("pypi/foo/json", "j"), ("project/foo/index.html", "p")])
    # Another process (a worker) writes into the same hidden folders.
    other = Output(tmp_path)
    other.adopt_hidden(out.hidden())
    other.write_folder("simple/bar", [("simple/bar/index.html", b"b")])
    inside = out.stage("simple/index.html", (b"root",))
    outside = out.stage("index.html", (b"home",))
    assert inside.hidden and not outside.hidden
    inside.commit()
    # Only the folder of pypi/, which exists, went in under a temp name of its own.
    assert renamed == ["pypi/foo"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(TEMP_PREFIX)) == ["pypi"]
    assert files(tmp_path / hidden["simple"]) == {"foo/index.html": b"s", "bar/index.html": b"b", "index.html": b"root"}
    assert files(tmp_path / hidden["project"]) == {"foo/index.html": b"p"}

    out.show()
    outside.commit()
    assert files(tmp_path) == {
        "simple/foo/index.html": b"s", "simple/bar/index.html": b"b", "simple/index.html": b"root",
        "pypi/foo/json": b"j", "project/foo/index.html": b"p", "index.html": b"home",
    }
    assert out.hidden() == {}
    # Once shown, a top folder is written into as any other.
    out.write("simple/index.html", "again")
    assert (tmp_path / "simple/index.html").read_text() == "again"


def test_a_top_folder_that_appears_is_not_replaced_and_hidden_ones_are_removed_on_failure(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.hide_new(["simple", "pypi"])
    out.write_pages([("simple/foo/index.html", "s"), ("pypi/foo/json", "j")])
    (tmp_path / "pypi").mkdir()
    (tmp_path / "pypi" / "theirs").write_text("kept")
    with pytest.raises(OutputError, match="appeared"):
        out.show()
    assert files(tmp_path / "pypi") == {"theirs": b"kept"}
    out.discard_hidden()
    assert out.hidden() == {}
    # Nothing was shown: each top folder is looked at before any goes in.
    assert files(tmp_path) == {"pypi/theirs": b"kept"}
    assert not list(tmp_path.rglob(TEMP_PREFIX + "*"))


def test_over_a_folder_that_exists_each_file_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    (tmp_path / "pypi/foo/0.9").mkdir(parents=True)
    (tmp_path / "pypi/foo/0.9/json").write_text("kept")
    (tmp_path / "pypi/foo/json").write_text("old")
    Output(tmp_path).write_folder("pypi/foo", [("pypi/foo/json", b"new"), ("pypi/foo/1.0/json", b"b")])
    assert files(tmp_path) == {"pypi/foo/json": b"new", "pypi/foo/0.9/json": b"kept", "pypi/foo/1.0/json": b"b"}


def test_a_failed_folder_write_leaves_nothing_and_a_killed_one_is_cleaned_up(tmp_path: Path) -> None:
    out = Output(tmp_path)
    with pytest.raises(OutputError):
        out.write_folder("pypi/foo", [("pypi/foo/json", b"a"), ("pypi/foo/../bar/json", b"b")])
    assert files(tmp_path) == {} and dirs(tmp_path) == {"pypi"}
    # What a killed run leaves: a temp folder with files in it; a user's own dot-folder stays.
    (tmp_path / "pypi" / f"{TEMP_PREFIX}123-0" / "1.0").mkdir(parents=True)
    (tmp_path / "pypi" / f"{TEMP_PREFIX}123-0" / "1.0" / "json").write_text("half")
    (tmp_path / ".mine").mkdir()
    out.remove_temp_files()
    assert dirs(tmp_path) == {"pypi", ".mine"}


def test_write_pages_writes_each_project_folder_and_top_pages_alone(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.write_pages([("index.html", "i"), ("simple/foo/index.html", "s"), ("pypi/foo/json", "j"),
                     ("pypi/foo/1.0/json", "r")])
    assert files(tmp_path) == {
        "index.html": b"i", "simple/foo/index.html": b"s", "pypi/foo/json": b"j", "pypi/foo/1.0/json": b"r",
    }
    assert out.written == 4


def test_a_folder_that_appears_while_it_is_filled_gets_each_file_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = Output(tmp_path)
    out.write("pypi/other/json", "x")  # this process made pypi/, so it takes pypi/foo for new
    real_rename = os.rename

    def rename(source: str, target: str) -> None:
        if target.endswith("pypi/foo"):
            (tmp_path / "pypi/foo/0.9").mkdir(parents=True)
            (tmp_path / "pypi/foo/0.9/json").write_text("theirs")
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    out.write_folder("pypi/foo", [("pypi/foo/json", b"a"), ("pypi/foo/1.0/json", b"b")])
    assert files(tmp_path) == {
        "pypi/other/json": b"x", "pypi/foo/json": b"a", "pypi/foo/1.0/json": b"b", "pypi/foo/0.9/json": b"theirs",
    }
    assert [p.name for p in (tmp_path / "pypi").iterdir() if p.name.startswith(".")] == []


@given(st.text(st.sampled_from("ab./\\\x00"), max_size=12))
def test_a_path_is_refused_exactly_when_a_segment_is_not_a_plain_name(relpath: str) -> None:
    plain = all(segment not in ("", ".", "..") and "\x00" not in segment and "\\" not in segment
                for segment in relpath.split("/"))
    if plain:
        assert check_relpath(relpath) == relpath
    else:
        with pytest.raises(OutputError):
            check_relpath(relpath)


# Paths as the manifest holds them, with the characters that JSON escapes;
# none starts or ends with a comma, as none that dumb-pypi writes does.
_paths = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from("az"), st.text(alphabet='ab"\\,/é1', max_size=4), st.sampled_from("bz"),
)


@given(kept=st.sets(_paths, max_size=12), added=st.sets(_paths, max_size=6), data=st.data())
def test_editing_the_manifests_paths_as_text_gives_the_manifest_of_the_new_paths(
    kept: set[str], added: set[str], data: st.DataObject,
) -> None:
    added -= kept
    dropped = data.draw(st.sets(st.sampled_from(sorted(kept)))) if kept else set()
    line = json.dumps(sorted(kept), separators=(",", ":"))

    edited = edit_paths(line, dropped, added)

    assert edited == json.dumps(sorted(kept - dropped | added), separators=(",", ":"))
    # A path to add that is there, or to drop that is not, means the manifest is not what the caller thinks.
    with pytest.raises(ValueError):
        edit_paths(line, [], sorted(kept)[:1]) if kept else edit_paths(line, ["az"], [])
