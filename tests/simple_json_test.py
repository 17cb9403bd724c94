"""The PEP 691/700/714 JSON simple pages, field by field, and the version each page claims."""
from __future__ import annotations

import json
from typing import Any

import pytest

from dumb_pypi import render
from dumb_pypi.model import Package, make_package, make_project
from tests.support import anchors

SITE = render.Site(packages_url="../../pool/")
SHA = "sha256=" + "ab" * 32


def _project_json(*files: Package) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render.simple_project_json(make_project(files), SITE))
    return data


def _html_version(*files: Package) -> str | None:
    page = render.simple_project_html(make_project(files), SITE)
    marker = '<meta name="pypi:repository-version" content="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def test_a_file_with_everything_known_carries_every_field() -> None:
    wheel = make_package(
        "Aspy.YAML-0.2.1-py3-none-any.whl", hash=SHA, requires_python=">=3.8,<4",
        core_metadata="sha256=" + "cd" * 32, upload_timestamp=1477917296, size=1825,
    )

    data = _project_json(wheel)

    assert data == {
        "meta": {"api-version": "1.1"},
        "name": "aspy-yaml",
        "versions": ["0.2.1"],
        "files": [{
            "filename": "Aspy.YAML-0.2.1-py3-none-any.whl",
            "url": "../../pool/Aspy.YAML-0.2.1-py3-none-any.whl",
            "hashes": {"sha256": "ab" * 32},
            "requires-python": ">=3.8,<4",
            "core-metadata": {"sha256": "cd" * 32},
            "yanked": False,
            "size": 1825,
            "upload-time": "2016-10-31T12:34:56Z",
        }],
    }


def test_unknown_fields_are_left_out_but_hashes_is_always_there() -> None:
    data = _project_json(make_package("foo-1.0.tar.gz"))

    assert data["files"] == [{"filename": "foo-1.0.tar.gz", "url": "../../pool/foo-1.0.tar.gz", "hashes": {}, "yanked": False}]


def test_the_old_metadata_key_never_appears_in_json() -> None:
    # pip 22.3-23.1 crash on dist-info-metadata in JSON (PEP 714); HTML keeps both names.
    wheel = make_package("foo-1.0-py3-none-any.whl", core_metadata="true", size=1)

    page = render.simple_project_json(make_project([wheel]), SITE)

    assert json.loads(page)["files"][0]["core-metadata"] is True
    assert "dist-info-metadata" not in page
    html = anchors(render.simple_project_html(make_project([wheel]), SITE))
    assert html[wheel.filename]["data-core-metadata"] == html[wheel.filename]["data-dist-info-metadata"] == "true"


@pytest.mark.parametrize(
    ("fields", "yanked"),
    [
        ({}, False),
        ({"yanked": True}, True),
        ({"yanked_reason": 'broken on <Windows> & "3.12"'}, 'broken on <Windows> & "3.12"'),
        # PEP 691 allows only a non-empty reason: an empty one would read as "not yanked".
        ({"yanked_reason": ""}, True),
    ],
    ids=["not-yanked", "no-reason", "reason", "empty-reason"],
)
def test_yanked_is_false_true_or_a_non_empty_reason(fields: dict[str, Any], yanked: object) -> None:
    data = _project_json(make_package("foo-1.0.tar.gz", size=1, **fields))

    assert data["files"][0]["yanked"] == yanked


@pytest.mark.parametrize(
    ("timestamp", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1477917296, "2016-10-31T12:34:56Z"),
        (1477917296.25, "2016-10-31T12:34:56.250000Z"),
        (1704110400.000001, "2024-01-01T12:00:00.000001Z"),
    ],
)
def test_upload_time_is_utc_with_a_z_and_microseconds_only_when_there_are_some(timestamp: float, text: str) -> None:
    data = _project_json(make_package("foo-1.0.tar.gz", size=1, upload_timestamp=timestamp))

    assert data["files"][0]["upload-time"] == text


def test_a_file_without_a_size_makes_the_page_claim_1_0_in_both_forms() -> None:
    sized = make_package("foo-1.0.tar.gz", size=10, upload_timestamp=1)
    unsized = make_package("foo-1.0-py3-none-any.whl", upload_timestamp=2)

    assert _project_json(sized)["meta"]["api-version"] == _html_version(sized) == "1.1"
    data = _project_json(sized, unsized)
    assert data["meta"]["api-version"] == _html_version(sized, unsized) == "1.0"
    # What is known is still given: uv shows sizes and filters by upload time either way.
    assert [f.get("size") for f in data["files"]] == [10, None]
    assert [f["upload-time"] for f in data["files"]] == ["1970-01-01T00:00:01Z", "1970-01-01T00:00:02Z"]


def test_versions_holds_each_release_once_and_every_file_belongs_to_one() -> None:
    files = [
        make_package("foo-1.0-beta.tar.gz", size=1),
        make_package("foo-1.0b0-py3-none-any.whl", size=1),
        make_package("foo-2.0.tar.gz", size=1),
        make_package("foo-custom_build.tar.gz", size=1),
    ]

    data = _project_json(*files)

    # Normalised where valid (PEP 700 says SHOULD), as spelled otherwise.
    assert data["versions"] == ["custom_build", "1.0b0", "2.0"]
    assert [f["filename"] for f in data["files"]] == [
        "foo-custom_build.tar.gz", "foo-1.0-beta.tar.gz", "foo-1.0b0-py3-none-any.whl", "foo-2.0.tar.gz",
    ]


def test_the_root_lists_every_project_and_claims_1_1() -> None:
    projects = [make_project([make_package("Aspy.YAML-0.2.1.tar.gz")]), make_project([make_package("zzz-1.tar.gz")])]

    data = json.loads(render.simple_root_json(projects))

    assert data == {"meta": {"api-version": "1.1"}, "projects": [{"name": "Aspy.YAML"}, {"name": "zzz"}]}
    assert '<meta name="pypi:repository-version" content="1.1">' in render.simple_root_html(projects)
