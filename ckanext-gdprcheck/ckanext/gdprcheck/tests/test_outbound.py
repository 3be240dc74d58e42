"""The scanner fetches linked files only where the outbound guard allows: a file on
127.0.0.1 is a failed scan naming the refused address when the allow-list is empty, and
is scanned when the allow-list lets 127.0.0.1 through."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ckan.tests import factories, helpers

from ckanext.gdprcheck import jobs
from ckanext.gdprcheck.tests.files import file, serve

CSV = b"name,email\nAnna,anna@example.dk\nBo,bo@example.dk\nCarl,carl@example.dk\n"


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    with serve(
        {
            "/people.csv": file(CSV),
            "/hop": (302, {"Location": "http://169.254.169.254/people.csv"}, b""),
        }
    ) as base:
        yield base


def _linked(url: str) -> dict[str, Any]:
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    ds = helpers.call_action(
        "package_create",
        context={"user": editor["name"]},
        owner_org=org["id"],
        name=f"gdpr-out-{uuid.uuid4().hex[:8]}",
        gdpr_personal_data="none",
    )
    return helpers.call_action(
        "resource_create",
        context={"user": editor["name"]},
        package_id=ds["id"],
        name="people",
        format="CSV",
        url=url,
    )


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "")
def test_a_file_on_a_loopback_address_is_a_failed_scan_with_the_reason(files: str) -> None:
    stored = jobs.scan_resource(_linked(f"{files}/people.csv")["id"])
    assert stored["state"] == "error"
    assert "127.0.0.1" in stored["message"] and "loopback" in stored["message"]
    assert stored["findings"] == []


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "127.0.0.1")
def test_an_allowed_server_is_scanned_but_not_its_redirect_to_a_refused_address(files: str) -> None:
    stored = jobs.scan_resource(_linked(f"{files}/people.csv")["id"])
    assert stored["state"] == "done" and "email" in stored["detected"]
    hop = jobs.scan_resource(_linked(f"{files}/hop")["id"])
    assert hop["state"] == "error" and "169.254.169.254" in hop["message"]
