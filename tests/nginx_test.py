"""The shipped contrib/nginx.conf, run by real nginx: content negotiation, names, and pip, uv and pypi-simple through it."""
from __future__ import annotations

import datetime
import gzip
import hashlib
import http.client
import json
import subprocess
import urllib.parse
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support import (
    NGINX_CONF, Nginx, build_index, json_record, make_sdist, make_wheel, pip, require_module, serve_nginx, sha256, uv,
    write_json_list,
)

pytestmark = pytest.mark.system

JSON = "application/vnd.pypi.simple.v1+json"
HTML = "text/html; charset=utf-8"
# What the clients send (pip's collector and uv's client, as of their current releases).
PIP_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
UV_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

ASPY_TIME = 1477917296  # 2016-10-31T12:34:56Z
OLD_TIME = 1577836800  # 2020-01-01T00:00:00Z
NEW_TIME = 1704110400.5  # 2024-01-01T12:00:00.5Z
BETWEEN = "2022-01-01T00:00:00Z"
WRONG_HASH = "sha256=" + "0" * 64


class Site(NamedTuple):
    nginx: Nginx
    root: Path
    records: dict[str, dict[str, Any]]  # by filename
    workdir: Path

    def port(self) -> int:
        return int(urllib.parse.urlsplit(self.nginx.url).port or 0)


def _metadata_file(wheel: Path) -> Path:
    """Write WHEEL.metadata (PEP 658) beside the wheel; return it."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        data = archive.read(name)
    path = wheel.with_name(wheel.name + ".metadata")
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("nginx")
    root = tmp / "root"
    pool = root / "pool"
    aspy_wheel = make_wheel(pool, "aspy.yaml", "0.2.1", requires_python=">=3.8")
    aspy_sdist = make_sdist(pool, "aspy.yaml", "0.2.1", requires_python=">=3.8")
    metadata = _metadata_file(aspy_wheel)
    old = make_wheel(pool, "timely", "1.0")
    new = make_wheel(pool, "timely", "2.0")
    yanky = [make_wheel(pool, "yanky", version) for version in ("1.0", "1.1", "1.2")]
    unsized = make_wheel(pool, "unsized", "1.0")
    unsized_sdist = make_sdist(pool, "unsized", "1.0")
    bad = make_wheel(pool, "badhash", "1.0")
    records: list[dict[str, Any]] = [
        json_record(aspy_wheel, upload_timestamp=ASPY_TIME, requires_python=">=3.8",
                    core_metadata=f"sha256={sha256(metadata)}"),
        json_record(aspy_sdist, upload_timestamp=ASPY_TIME + 1, requires_python=">=3.8"),
        json_record(old, upload_timestamp=OLD_TIME),
        json_record(new, upload_timestamp=NEW_TIME),
        json_record(yanky[0], upload_timestamp=OLD_TIME),
        json_record(yanky[1], upload_timestamp=OLD_TIME, yanked_reason='broken on <Windows> & "3.12"'),
        json_record(yanky[2], upload_timestamp=OLD_TIME, yanked=True),
        # No size, no hash, no upload time: the page claims 1.0 and still works.
        {"filename": unsized.name},
        json_record(unsized_sdist, upload_timestamp=OLD_TIME),
        json_record(bad, hash=WRONG_HASH),
    ]
    write_json_list(tmp / "packages.jsonl", records)
    code = build_index(
        tmp, "--package-list-json", "packages.jsonl", "--packages-url", "../../pool/",
        "--output-dir", "root", "--quiet",
    )
    assert code == 0
    # A half-written page of a run in progress, as dumb-pypi names them.
    (root / "simple" / "aspy-yaml" / ".dumb-pypi-tmp-k2j4h1").write_text("half a page")
    with serve_nginx(root, tmp / "nginx") as nginx:
        yield Site(nginx, root, {str(r["filename"]): r for r in records}, tmp)


class Response(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def get(site: Site, path: str, accept: str | None = None) -> Response:
    """One GET to nginx, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", site.port(), timeout=10)
    try:
        connection.request("GET", path, headers={} if accept is None else {"Accept": accept})
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def _vary(response: Response) -> set[str]:
    return {v.strip().lower() for header in response.headers.get_all("Vary", []) for v in header.split(",")}


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


# --- Negotiation --------------------------------------------------------------

NEGOTIATION = [
    (None, "html"),
    ("*/*", "html"),
    ("text/html", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    (PIP_ACCEPT, "json"),
    (UV_ACCEPT, "json"),
    ("application/vnd.pypi.simple.v1+json", "json"),
    ("application/vnd.pypi.simple.latest+json", "json"),
    ("Application/VND.PyPI.Simple.V1+JSON", "json"),
    ("application/vnd.pypi.simple.v1+json, text/html;q=0.1", "json"),
    ("application/vnd.pypi.simple.v1+json, text/html", "json"),  # a tie goes to JSON
    ("application/vnd.pypi.simple.v1+json;q=1.000, application/vnd.pypi.simple.v1+html", "json"),
    ("application/vnd.pypi.simple.v1+json ; q=0.2 , text/html ; q=0.1", "json"),
    ("application/vnd.pypi.simple.v1+json;charset=utf-8;q=0.9, text/html;q=0.8", "json"),
    ("application/vnd.pypi.simple.v1+json;q=0.55, text/html;q=0.5", "json"),
    ("application/vnd.pypi.simple.v1+json;q=0.501, text/html;q=0.5", "json"),
    ("application/vnd.pypi.simple.v1+json;q=0", "html"),
    ("application/vnd.pypi.simple.v1+json;q=0.000, text/html", "html"),
    ("application/vnd.pypi.simple.v1+json;q=0.5, text/html;q=0.6", "html"),
    ("application/vnd.pypi.simple.v1+json;q=0.5, text/html;q=0.501", "html"),
    ("application/vnd.pypi.simple.v1+json;q=0.1, text/*;q=0.2", "html"),
    ("application/vnd.pypi.simple.v1+json;q=0.5, */*", "html"),
    # The highest HTML range counts, wherever it is in the list.
    ("text/html;q=0.01, application/vnd.pypi.simple.v1+json;q=0.5, application/vnd.pypi.simple.v1+html", "html"),
    ("application/vnd.pypi.simple.v1+html, text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.1", "html"),
    ("application/vnd.pypi.simple.v1+jsonx, text/html;q=0.1", "html"),
    ("application/json", "html"),
]


@pytest.mark.parametrize("path", ["/simple/", "/simple/aspy-yaml/"])
@pytest.mark.parametrize(("accept", "form"), NEGOTIATION)
def test_the_accept_header_chooses_json_or_html(site: Site, path: str, accept: str | None, form: str) -> None:
    response = get(site, path, accept)

    filename = "index.v1_json" if form == "json" else "index.html"
    assert response.status == 200
    assert response.body == (site.root / path.strip("/") / filename).read_bytes()
    assert response.headers["Content-Type"] == (JSON if form == "json" else HTML)
    assert "accept" in _vary(response)


def test_the_search_data_is_compressed_for_browsers(site: Site) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.port(), timeout=10)
    try:
        connection.request("GET", "/search/names.js", headers={"Accept-Encoding": "gzip, deflate, br"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()

    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (site.root / "search" / "names.js").read_bytes()


@pytest.mark.parametrize(("accept", "filename"), [(PIP_ACCEPT, "index.v1_json"), ("text/html", "index.html")])
def test_pages_are_compressed_for_clients_that_accept_gzip(site: Site, accept: str, filename: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.port(), timeout=10)
    try:
        connection.request("GET", "/simple/aspy-yaml/", headers={"Accept": accept, "Accept-Encoding": "gzip"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()

    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (site.root / "simple" / "aspy-yaml" / filename).read_bytes()
    assert {"accept", "accept-encoding"} <= _vary(Response(response.status, response.headers, body))


@pytest.mark.parametrize(
    ("query", "accept", "form"),
    [
        ("format=application/vnd.pypi.simple.v1%2Bjson", "text/html", "json"),
        ("format=application/vnd.pypi.simple.v1+json", None, "json"),
        ("format=text/html", PIP_ACCEPT, "html"),
        ("format=application/vnd.pypi.simple.v1%2Bhtml", UV_ACCEPT, "html"),
        ("format=bogus", PIP_ACCEPT, "json"),
    ],
)
def test_the_format_parameter_overrides_accept(site: Site, query: str, accept: str | None, form: str) -> None:
    response = get(site, "/simple/timely/?" + query, accept)

    assert response.status == 200
    assert response.headers["Content-Type"] == (JSON if form == "json" else HTML)
    assert response.body == (site.root / "simple" / "timely" / ("index.v1_json" if form == "json" else "index.html")).read_bytes()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/simple/aspy-yaml/index.v1_json", JSON),
        ("/simple/index.v1_json", JSON),
        ("/simple/aspy-yaml/index.html", HTML),
        ("/pypi/aspy-yaml/json", "application/json"),
        ("/pypi/aspy-yaml/0.2.1/json", "application/json"),
        # The pages for people, typed by nginx's own mime.types.
        ("/index.html", "text/html"),
        ("/project/aspy-yaml/index.html", "text/html"),
        ("/changelog/page1.html", "text/html"),
        ("/rss/updates.xml", "text/xml"),
        ("/search/names.js", "application/javascript"),
        ("/static/dumb-pypi.js", "application/javascript"),
        ("/static/dumb-pypi.css", "text/css"),
    ],
)
def test_each_file_is_served_with_its_type(site: Site, path: str, content_type: str) -> None:
    response = get(site, path, "*/*")

    assert response.status == 200
    assert response.headers["Content-Type"] == content_type
    assert response.body == (site.root / path.lstrip("/")).read_bytes()
    if path.startswith("/pypi/"):
        assert json.loads(response.body)["info"]["version"] == "0.2.1"


@pytest.mark.parametrize("accept", [None, PIP_ACCEPT])
@pytest.mark.parametrize("path", ["/simple/no-such-project/", "/simple/no-such-project", "/pypi/no-such-project/json"])
def test_an_unknown_project_is_a_404(site: Site, path: str, accept: str | None) -> None:
    assert get(site, path, accept).status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/.dumb-pypi-manifest.json",
        "/.dumb-pypi-cache",
        "/.dumb-pypi.lock",
        "/simple/aspy-yaml/.dumb-pypi-tmp-k2j4h1",
        "/simple/.dumb-pypi-tmp-zzz",
    ],
)
def test_the_dot_files_of_the_output_folder_are_not_served(site: Site, path: str) -> None:
    if "zzz" not in path:
        assert (site.root / path.lstrip("/")).is_file(), "the test should ask for a file that exists"

    response = get(site, path)

    assert response.status == 404
    assert b"half a page" not in response.body and b'"paths"' not in response.body


# --- Names --------------------------------------------------------------------


def _follow(site: Site, path: str, accept: str | None, hops: int) -> tuple[list[str], Response]:
    """Follow redirects as a client would, up to HOPS of them; the paths visited and the last response."""
    visited = [path]
    response = get(site, path, accept)
    while response.status in (301, 302, 307, 308) and len(visited) <= hops:
        path = urllib.parse.urljoin(path, response.headers["Location"])
        visited.append(path)
        response = get(site, path, accept)
    return visited, response


@pytest.mark.parametrize("name", ["Aspy.YAML", "aspy_yaml", "ASPY--yaml", "aspy.yaml", "Aspy-Yaml", "aSpY_._-YaMl"])
@pytest.mark.parametrize("slash", ["/", ""])
def test_an_unnormalised_name_redirects_once_to_the_normalised_page(site: Site, name: str, slash: str) -> None:
    visited, response = _follow(site, f"/simple/{name}{slash}", PIP_ACCEPT, hops=5)

    assert visited == [f"/simple/{name}{slash}", "/simple/aspy-yaml/"]
    assert response.status == 200
    assert response.headers["Content-Type"] == JSON
    assert json.loads(response.body)["name"] == "aspy-yaml"
    first = get(site, f"/simple/{name}{slash}")
    assert first.status == 301
    assert first.headers["Location"] == "/simple/aspy-yaml/"


def test_a_normalised_name_without_its_slash_gets_one(site: Site) -> None:
    visited, response = _follow(site, "/simple/aspy-yaml", UV_ACCEPT, hops=5)

    assert visited == ["/simple/aspy-yaml", "/simple/aspy-yaml/"]
    assert response.headers["Content-Type"] == JSON


def test_a_name_that_needs_many_passes_still_ends_normalised(site: Site) -> None:
    # Twelve capital A's and eleven separators: more than one request's worth of
    # passes, so nginx hands the client a partly normalised URL to carry on from.
    name = "A_A.A-_A__A..A_A_A_A_A_A.A"
    visited, response = _follow(site, f"/simple/{name}/", None, hops=10)

    assert visited[-1] == "/simple/" + "-".join("a" * 12) + "/"
    assert 2 < len(visited) < 6
    assert response.status == 404
    assert "redirection cycle" not in site.nginx.error_log.read_text()


def test_names_that_are_not_project_names_are_left_alone(site: Site) -> None:
    # The root index files are not projects; neither is anything with other characters.
    assert get(site, "/simple/index.html").status == 200
    assert get(site, "/simple/Aspy.YAML/index.html").status == 404
    assert get(site, "/simple/Aspy%20YAML/").status == 404


# --- pip and uv -----------------------------------------------------------------


def _simple_hits(site: Site, since: int, project: str) -> list[tuple[str, str, str]]:
    return [
        (hit.served, hit.content_type, hit.accept)
        for hit in site.nginx.hits()[since:]
        if hit.request == f"/simple/{project}/"
    ]


def _pool_hits(site: Site, since: int) -> list[str]:
    return [hit.request for hit in site.nginx.hits()[since:] if hit.request.startswith("/pool/")]


@pytest.mark.parametrize(("only", "filename"), [("--only-binary", "aspy_yaml-0.2.1-py3-none-any.whl"),
                                                ("--no-binary", "aspy.yaml-0.2.1.tar.gz")])
def test_pip_downloads_through_nginx_using_json(site: Site, tmp_path: Path, only: str, filename: str) -> None:
    since = len(site.nginx.hits())

    result = pip(
        "download", "--no-deps", "--progress-bar", "off", "--index-url", site.nginx.url + "simple/",
        "-d", str(tmp_path), only, ":all:", "Aspy.YAML",
    )

    assert result.returncode == 0, _output(result)
    assert [p.name for p in tmp_path.iterdir()] == [filename]
    assert (tmp_path / filename).read_bytes() == (site.root / "pool" / filename).read_bytes()
    [(served, content_type, accept)] = _simple_hits(site, since, "aspy-yaml")
    assert (served, content_type) == ("/simple/aspy-yaml/index.v1_json", JSON)
    assert accept.startswith("application/vnd.pypi.simple.v1+json")
    # The wheel's metadata is announced only as JSON's core-metadata here, and pip fetched it.
    expected = [f"/pool/{filename}.metadata", f"/pool/{filename}"] if filename.endswith(".whl") else [f"/pool/{filename}"]
    assert _pool_hits(site, since) == expected


def test_pip_checks_the_hash_that_json_gives(site: Site, tmp_path: Path) -> None:
    since = len(site.nginx.hits())

    result = pip("download", "--no-deps", "--progress-bar", "off", "--index-url", site.nginx.url + "simple/",
                 "-d", str(tmp_path), "badhash")

    assert result.returncode != 0, _output(result)
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr, _output(result)
    assert "0" * 64 in result.stderr, _output(result)
    assert _simple_hits(site, since, "badhash")[0][:2] == ("/simple/badhash/index.v1_json", JSON)


@pytest.mark.parametrize(("cutoff", "version"), [(None, "2.0"), (BETWEEN, "1.0")])
def test_pip_uploaded_prior_to_chooses_by_upload_time(site: Site, tmp_path: Path, cutoff: str | None, version: str) -> None:
    if "--uploaded-prior-to" not in pip("download", "--help").stdout:
        pytest.skip("this pip has no --uploaded-prior-to (requirements-dev.txt asks for one that has)")
    since = len(site.nginx.hits())
    option = [] if cutoff is None else ["--uploaded-prior-to", cutoff]

    result = pip("download", "--no-deps", "--progress-bar", "off", "--index-url", site.nginx.url + "simple/",
                 "-d", str(tmp_path), *option, "timely")

    assert result.returncode == 0, _output(result)
    assert [p.name for p in tmp_path.iterdir()] == [f"timely-{version}-py3-none-any.whl"]
    assert _simple_hits(site, since, "timely")[0][:2] == ("/simple/timely/index.v1_json", JSON)


def _uv_install(site: Site, target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return uv("pip", "install", "--index-url", site.nginx.url + "simple/", "--target", str(target), *args)


def _installed(target: Path) -> list[str]:
    return sorted(path.name for path in target.glob("*.dist-info"))


def test_uv_installs_through_nginx_using_json(site: Site, tmp_path: Path) -> None:
    since = len(site.nginx.hits())

    result = _uv_install(site, tmp_path / "t", "aspy-yaml", "yanky")

    assert result.returncode == 0, _output(result)
    # yanky 1.1 and 1.2 are yanked: uv read that from JSON and took 1.0.
    assert _installed(tmp_path / "t") == ["aspy_yaml-0.2.1.dist-info", "yanky-1.0.dist-info"]
    for project in ("aspy-yaml", "yanky"):
        [(served, content_type, accept)] = _simple_hits(site, since, project)
        assert (served, content_type) == (f"/simple/{project}/index.v1_json", JSON)
        assert accept.startswith("application/vnd.pypi.simple.v1+json")


@pytest.mark.parametrize(
    ("cutoff", "version"),
    [
        (None, "2.0"),
        (BETWEEN, "1.0"),
        ("2024-01-01T12:00:01Z", "2.0"),
        # 2.0 was uploaded half a second after noon: a cutoff at noon excludes it.
        ("2024-01-01T12:00:00Z", "1.0"),
    ],
)
def test_uv_exclude_newer_chooses_by_upload_time(site: Site, tmp_path: Path, cutoff: str | None, version: str) -> None:
    since = len(site.nginx.hits())
    option = [] if cutoff is None else ["--exclude-newer", cutoff]

    result = _uv_install(site, tmp_path / "t", *option, "timely")

    assert result.returncode == 0, _output(result)
    assert _installed(tmp_path / "t") == [f"timely-{version}.dist-info"]
    # uv may read the wheel's metadata with range requests before it downloads it.
    assert set(_pool_hits(site, since)) == {f"/pool/timely-{version}-py3-none-any.whl"}
    assert _simple_hits(site, since, "timely")[0][:2] == ("/simple/timely/index.v1_json", JSON)


def test_uv_excludes_everything_after_the_cutoff(site: Site, tmp_path: Path) -> None:
    result = _uv_install(site, tmp_path / "t", "--exclude-newer", "2019-01-01T00:00:00Z", "timely")

    assert result.returncode != 0, _output(result)
    assert "timely" in result.stderr, _output(result)
    assert not (tmp_path / "t").exists() or _installed(tmp_path / "t") == []


def test_uv_exclude_newer_passes_over_a_file_without_an_upload_time(site: Site, tmp_path: Path) -> None:
    # unsized's wheel has no upload time in the list; its sdist has one.
    since = len(site.nginx.hits())

    result = _uv_install(site, tmp_path / "t", "--exclude-newer", "2030-01-01T00:00:00Z", "unsized")

    assert result.returncode == 0, _output(result)
    assert _installed(tmp_path / "t") == ["unsized-1.0.dist-info"]
    assert set(_pool_hits(site, since)) == {"/pool/unsized-1.0.tar.gz"}
    assert "unsized-1.0-py3-none-any.whl` is missing an upload date" in result.stderr, _output(result)


# --- An independent reader ----------------------------------------------------------


def _package_view(package: Any) -> dict[str, Any]:
    """What both forms of the simple API say about one file."""
    return {
        "filename": package.filename,
        "url": package.url,
        "project": package.project,
        "version": package.version,
        "package_type": package.package_type,
        "digests": package.digests,
        "requires_python": package.requires_python,
        "is_yanked": package.is_yanked,
        # PEP 592: data-yanked="" is "yanked, no reason", which JSON says as true.
        "yanked_reason": package.yanked_reason or None,
        "has_metadata": package.has_metadata,
        "metadata_digests": package.metadata_digests,
    }


def _upload_time(record: Mapping[str, Any]) -> datetime.datetime | None:
    timestamp = record.get("upload_timestamp")
    return None if timestamp is None else datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)


def test_pypi_simple_reads_the_same_from_html_and_json_on_every_page(site: Site) -> None:
    pypi_simple = require_module("pypi_simple", "it is the independent reader of both forms")
    requests = require_module("requests", "pypi-simple fetches with it")
    session = requests.Session()
    session.trust_env = False  # no proxy: only 127.0.0.1
    endpoint = site.nginx.url + "simple/"
    clients = {
        "json": pypi_simple.PyPISimple(endpoint=endpoint, session=session, accept=pypi_simple.ACCEPT_JSON_ONLY),
        "html": pypi_simple.PyPISimple(endpoint=endpoint, session=session, accept=pypi_simple.ACCEPT_HTML_ONLY),
    }
    since = len(site.nginx.hits())

    roots = {form: client.get_index_page() for form, client in clients.items()}
    assert roots["json"].projects == roots["html"].projects
    assert roots["json"].repository_version == roots["html"].repository_version == "1.1"

    projects = sorted(path.parent.name for path in (site.root / "simple").glob("*/index.html"))
    assert len(projects) == 5
    seen: set[str] = set()
    for project in projects:
        pages = {form: client.get_project_page(project) for form, client in clients.items()}
        json_page, html_page = pages["json"], pages["html"]
        assert json_page.repository_version == html_page.repository_version, project
        assert [_package_view(p) for p in json_page.packages] == [_package_view(p) for p in html_page.packages]
        # PEP 700: every file's version is among versions.
        assert {p.version for p in json_page.packages} <= set(json_page.versions), project
        sizes_known = True
        for package in json_page.packages:
            record = site.records[package.filename]
            seen.add(package.filename)
            assert package.url == urllib.parse.urljoin(endpoint + project + "/", "../../pool/" + package.filename)
            assert package.size == record.get("size")
            assert package.upload_time == _upload_time(record)
            sizes_known = sizes_known and "size" in record
        assert json_page.repository_version == ("1.1" if sizes_known else "1.0"), project

    assert seen == set(site.records)
    forms = {(hit.served.rsplit("/", 1)[-1], hit.content_type) for hit in site.nginx.hits()[since:]}
    assert forms == {("index.v1_json", JSON), ("index.html", HTML)}


def test_the_readme_shows_the_line_to_change() -> None:
    readme = (NGINX_CONF.parent.parent / "README.md").read_text()
    assert "contrib/nginx.conf" in readme
    assert "s|root /srv/pypi;|" in readme
    assert NGINX_CONF.read_text().count("root /srv/pypi;") == 1


def test_the_test_serves_the_shipped_file(site: Site) -> None:
    served = (site.workdir / "nginx" / "dumb-pypi.conf").read_text()
    shipped = NGINX_CONF.read_text()
    assert served.replace(f'root "{site.root}";', "root /srv/pypi;").replace(
        f"listen 127.0.0.1:{site.port()};", "listen 80;"
    ) == shipped
    assert hashlib.sha256(shipped.encode()).hexdigest() != hashlib.sha256(served.encode()).hexdigest()
