"""Real pip, pointed at an index that dumb-pypi built, downloads the right files."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support import Server, anchors, build_index, json_record, make_sdist, make_wheel, pip, serve, write_json_list

# A name that normalises differently from how it is spelled, kept from dumb-pypi's
# original tests: "aspy.yaml" lives at simple/aspy-yaml/.
WHEEL = "aspy_yaml-0.2.1-py3-none-any.whl"
SDIST = "aspy.yaml-0.2.1.tar.gz"
ONLY = {WHEEL: "--only-binary", SDIST: "--no-binary"}


class Index:
    """ROOT served over loopback HTTP: distributions in ROOT/pool/, dumb-pypi's output in ROOT."""

    def __init__(self, tmp_path: Path, server: Server) -> None:
        self.tmp_path = tmp_path
        self.root = tmp_path / "root"
        self.pool = self.root / "pool"
        self.server = server

    def build(self, *argv: str) -> None:
        code = build_index(self.tmp_path, "--output-dir", "root", "--no-generate-timestamp", "--quiet", *argv)
        assert code == 0

    def build_json(self, records: list[Mapping[str, object]]) -> None:
        write_json_list(self.tmp_path / "packages.jsonl", records)
        self.build("--package-list-json", "packages.jsonl", "--packages-url", "../../pool/")

    def page(self, project: str) -> str:
        return (self.root / "simple" / project / "index.html").read_text()

    def download(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`pip download` into tmp_path/d from this index alone."""
        index_url = f"{self.server.url}simple/"
        destination = str(self.tmp_path / "d")
        return pip("download", "--no-deps", "--progress-bar", "off", "--index-url", index_url, "-d", destination, *args)

    def downloaded(self) -> list[str]:
        return sorted(path.name for path in (self.tmp_path / "d").glob("*"))

    def fetched(self) -> list[str]:
        """The files pip fetched from the pool, in order."""
        return [path for path, _ in self.server.requests if path.startswith("/pool/")]


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    (tmp_path / "root" / "pool").mkdir(parents=True)
    with serve(tmp_path / "root") as server:
        yield Index(tmp_path, server)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def _aspy_yaml(index: Index) -> list[Path]:
    return [make_wheel(index.pool, "aspy.yaml", "0.2.1"), make_sdist(index.pool, "aspy.yaml", "0.2.1")]


@pytest.mark.parametrize("filename", [WHEEL, SDIST])
@pytest.mark.parametrize("requirement", ["aspy.yaml", "ASPY.YAML==0.2.1", "aspy-yaml", "aspy_yaml"])
def test_pip_downloads_by_any_spelling_of_the_name(index: Index, requirement: str, filename: str) -> None:
    dists = _aspy_yaml(index)
    index.build_json([json_record(dist) for dist in dists])

    result = index.download(ONLY[filename], ":all:", requirement)

    assert result.returncode == 0, _output(result)
    assert index.downloaded() == [filename]
    assert (index.tmp_path / "d" / filename).read_bytes() == (index.pool / filename).read_bytes()
    assert [path for path, _ in index.server.requests] == ["/simple/aspy-yaml/", f"/pool/{filename}"]
    root_page = anchors((index.root / "simple" / "index.html").read_text())
    assert [attributes["href"] for attributes in root_page.values()] == ["aspy-yaml/"]


@pytest.mark.parametrize("filename", [WHEEL, SDIST])
def test_pip_refuses_a_file_whose_hash_differs_from_the_list(index: Index, filename: str) -> None:
    wrong = "sha256=" + "0" * 64
    index.build_json([json_record(dist, hash=wrong) for dist in _aspy_yaml(index)])
    href = anchors(index.page("aspy-yaml"))[filename]["href"]
    assert href == f"../../pool/{filename}#{wrong}"

    result = index.download(ONLY[filename], ":all:", "aspy.yaml")

    assert result.returncode != 0, _output(result)
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr, _output(result)
    assert "0" * 64 in result.stderr, _output(result)
    assert index.downloaded() == []


def test_pip_passes_over_a_version_for_another_python(index: Index) -> None:
    # Only the list says which Pythons 2.0 needs: the page must carry it to pip.
    old = make_wheel(index.pool, "needs-python", "1.0")
    new = make_wheel(index.pool, "needs-python", "2.0")
    index.build_json([json_record(old, requires_python=">=3.8"), json_record(new, requires_python=">=4")])
    page = index.page("needs-python")
    assert 'data-requires-python="&gt;=4"' in page
    assert anchors(page)[new.name]["data-requires-python"] == ">=4"
    assert anchors(page)[old.name]["data-requires-python"] == ">=3.8"

    unpinned = index.download("needs-python")
    assert unpinned.returncode == 0, _output(unpinned)
    assert index.downloaded() == [old.name]

    pinned = index.download("needs-python==2.0")
    assert pinned.returncode != 0, _output(pinned)
    assert "Requires-Python >=4" in pinned.stderr, _output(pinned)
    assert index.fetched() == [f"/pool/{old.name}"]


REASON = 'crashes on import & <3.12; use "1.0"'


@pytest.mark.parametrize(
    ("yank", "attribute", "shown"),
    [
        ({"yanked_reason": REASON}, REASON, REASON),
        ({"yanked": True}, "", "<none given>"),
    ],
    ids=["reason", "no-reason"],
)
def test_pip_passes_over_a_yanked_version_unless_pinned(
    index: Index, yank: dict[str, object], attribute: str, shown: str
) -> None:
    old = make_wheel(index.pool, "yanky", "1.0")
    new = make_wheel(index.pool, "yanky", "1.1")
    index.build_json([json_record(old), json_record(new, **yank)])
    page = anchors(index.page("yanky"))
    assert page[new.name]["data-yanked"] == attribute
    assert "data-yanked" not in page[old.name]

    unpinned = index.download("yanky")
    assert unpinned.returncode == 0, _output(unpinned)
    assert index.downloaded() == [old.name]
    assert "yanked" not in unpinned.stderr, _output(unpinned)

    pinned = index.download("yanky==1.1")
    assert pinned.returncode == 0, _output(pinned)
    assert index.downloaded() == sorted([old.name, new.name])
    assert "is a yanked version" in pinned.stderr, _output(pinned)
    assert f"Reason for being yanked: {shown}" in pinned.stderr, _output(pinned)


def test_pip_downloads_from_a_plain_list_with_an_absolute_packages_url(index: Index) -> None:
    dists = _aspy_yaml(index)
    (index.tmp_path / "packages.txt").write_text("".join(f"{dist.name}\n" for dist in dists))
    index.build("--package-list", "packages.txt", "--packages-url", f"{index.server.url}pool/")
    page = anchors(index.page("aspy-yaml"))
    assert {name: attributes["href"] for name, attributes in page.items()} == {
        WHEEL: f"{index.server.url}pool/{WHEEL}",
        SDIST: f"{index.server.url}pool/{SDIST}",
    }

    for filename in [WHEEL, SDIST]:
        result = index.download(ONLY[filename], ":all:", "aspy-yaml==0.2.1")
        assert result.returncode == 0, _output(result)

    assert index.downloaded() == sorted([WHEEL, SDIST])
    assert index.fetched() == [f"/pool/{WHEEL}", f"/pool/{SDIST}"]
