"""The test support makes real distributions, serves them, and runs pip and uv offline."""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pkginfo
import pytest
from packaging.utils import parse_sdist_filename, parse_wheel_filename

from tests import support
from tests.support import make_sdist, make_wheel, pip, serve, uv


def _imported_version(target: Path, module: str) -> str:
    """Import MODULE from an install --target folder in a fresh interpreter; return its __version__."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}; print({module}.__version__)"],
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_wheel_filename_follows_the_wheel_spec(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "Foo.Bar-baz", "1.0", build="7", tag="py2.py3-none-any")

    assert wheel.name == "Foo_Bar_baz-1.0-7-py2.py3-none-any.whl"
    name, version, build, tags = parse_wheel_filename(wheel.name)
    assert (name, str(version), build) == ("foo-bar-baz", "1.0", (7, ""))
    assert {str(tag) for tag in tags} == {"py2-none-any", "py3-none-any"}
    with zipfile.ZipFile(wheel) as archive:
        wheel_file = archive.read("Foo_Bar_baz-1.0.dist-info/WHEEL").decode()
    assert "Tag: py2-none-any\nTag: py3-none-any\nBuild: 7\n" in wheel_file


def test_wheel_record_matches_its_contents(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "aspy.yaml", "0.2.1")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        rows = [line.split(",") for line in archive.read("aspy_yaml-0.2.1.dist-info/RECORD").decode().splitlines()]
        for path, hash_, size in rows:
            if path == "aspy_yaml-0.2.1.dist-info/RECORD":
                assert (hash_, size) == ("", "")
                continue
            data = archive.read(path)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (hash_, size) == (f"sha256={digest}", str(len(data)))
    assert {row[0] for row in rows} == names
    assert "aspy_yaml/__init__.py" in names


def test_metadata_reads_back_with_pkginfo(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "aspy.yaml",
        "0.2.1",
        requires_python=">=3.8",
        requires_dist=["pyyaml", 'tomli; python_version < "3.11"'],
        summary="A few extensions to pyyaml.",
    )
    sdist = make_sdist(tmp_path, "aspy.yaml", "0.2.1", requires_python=">=3.8", summary="A few extensions to pyyaml.")

    for info in [pkginfo.Wheel(str(wheel)), pkginfo.SDist(str(sdist))]:
        assert (info.metadata_version, info.name, info.version) == ("2.1", "aspy.yaml", "0.2.1")
        assert (info.summary, info.requires_python) == ("A few extensions to pyyaml.", ">=3.8")
    assert list(pkginfo.Wheel(str(wheel)).requires_dist) == ["pyyaml", 'tomli; python_version < "3.11"']


def test_sdist_filename_keeps_the_name_as_given(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "aspy.yaml", "0.2.1")

    assert sdist.name == "aspy.yaml-0.2.1.tar.gz"
    name, version = parse_sdist_filename(sdist.name)
    assert (name, str(version)) == ("aspy-yaml", "0.2.1")
    with tarfile.open(sdist) as archive:
        assert sorted(archive.getnames()) == [
            "aspy.yaml-0.2.1/PKG-INFO",
            "aspy.yaml-0.2.1/aspy_yaml/__init__.py",
            "aspy.yaml-0.2.1/backend.py",
            "aspy.yaml-0.2.1/pyproject.toml",
        ]


def test_builders_are_deterministic(tmp_path: Path) -> None:
    first = [make_wheel(tmp_path / "a", "pkg", "1.0"), make_sdist(tmp_path / "a", "pkg", "1.0")]
    second = [make_wheel(tmp_path / "b", "pkg", "1.0"), make_sdist(tmp_path / "b", "pkg", "1.0")]

    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]


def test_sdist_backend_rebuilds_the_same_sdist(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dist", "aspy.yaml", "0.2.1")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "tree", filter="data")
    out = tmp_path / "out"
    out.mkdir()

    subprocess.run(
        [sys.executable, "-c", f"import backend; print(backend.build_sdist({str(out)!r}))"],
        cwd=tmp_path / "tree" / "aspy.yaml-0.2.1",
        check=True,
    )

    assert (out / sdist.name).read_bytes() == sdist.read_bytes()


@pytest.mark.parametrize("installer", [pip, uv], ids=["pip", "uv"])
@pytest.mark.parametrize("make", [make_wheel, make_sdist], ids=["wheel", "sdist"])
def test_installs_offline(
    tmp_path: Path,
    make: Callable[[Path, str, str], Path],
    installer: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    make(tmp_path / "dist", "aspy.yaml", "0.2.1")
    args = ["install", "--no-index", "--find-links", str(tmp_path / "dist"), "--target", str(tmp_path / "target")]

    result = installer(*(["pip"] if installer is uv else []), *args, "aspy.yaml==0.2.1")

    assert result.returncode == 0, result.stdout + result.stderr
    assert _imported_version(tmp_path / "target", "aspy_yaml") == "0.2.1"
    assert (tmp_path / "target" / "aspy_yaml-0.2.1.dist-info" / "RECORD").is_file()


def test_pip_ignores_the_machines_pip_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings that, if honoured, would make pip install the wheel from elsewhere
    # or refuse to run at all.
    monkeypatch.setenv("PIP_NO_BINARY", ":all:")
    monkeypatch.setenv("PIP_CONSTRAINT", str(tmp_path / "missing.txt"))
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9/")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9/")
    make_wheel(tmp_path / "dist", "pkg", "1.0")

    with serve(tmp_path / "dist") as server:
        result = pip("download", "--no-deps", "--index-url", server.url, "--find-links", server.url, "-d", str(tmp_path / "d"), "pkg")

    assert result.returncode == 0, result.stdout + result.stderr
    assert os.listdir(tmp_path / "d") == ["pkg-1.0-py3-none-any.whl"]


def test_serve_records_each_get_and_stops(tmp_path: Path) -> None:
    (tmp_path / "simple" / "pkg").mkdir(parents=True)
    (tmp_path / "simple" / "pkg" / "index.html").write_text("<a href='x'>x</a>")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    with serve(tmp_path) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/")
        request = urllib.request.Request(server.url + "simple/pkg/", headers={"Accept": "text/html"})
        with opener.open(request) as response:
            assert response.read() == b"<a href='x'>x</a>"
        port = int(server.url.rstrip("/").rsplit(":", 1)[1])

    assert server.requests == [("/simple/pkg/", "text/html")]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_missing_tool_skips_or_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "SYSTEM_TESTS_REQUIRED", False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-x not installed: because"):
        support.require_tool("no-such-tool-x", "because")
    with pytest.raises(pytest.skip.Exception, match="no_such_module_x not installed: because"):
        support.require_module("no_such_module_x", "because")

    monkeypatch.setattr(support, "SYSTEM_TESTS_REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match="no-such-tool-x not installed"):
        support.require_tool("no-such-tool-x", "because")


def test_present_tools_are_found() -> None:
    assert os.access(support.require_tool("uv", "it is a dev dependency"), os.X_OK)
    assert support.require_module("zipfile", "stdlib") is zipfile
