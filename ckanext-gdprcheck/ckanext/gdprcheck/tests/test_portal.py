"""The checklist, the gate and the scanner through CKAN (real PostgreSQL, Solr, Redis)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories, helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage

from ckanext.gdprcheck import jobs

PERSONAL_NO_BASIS = {
    "gdpr_personal_data": "personal",
    "gdpr_category": "General",
    "gdpr_purpose": "Service planning",
    "gdpr_controller": "Aarhus Kommune",
    "gdpr_dpia": "done",
}


@pytest.fixture
def enforce(ckan_config: Any) -> None:
    ckan_config["ckanext.gdprcheck.gate"] = "enforce"


@pytest.fixture
def org_and_users(clean_db: Any, clean_index: Any) -> dict[str, Any]:
    editor, member, outsider = factories.User(), factories.User(), factories.User()
    org = factories.Organization(
        users=[
            {"name": editor["name"], "capacity": "editor"},
            {"name": member["name"], "capacity": "member"},
        ]
    )
    return {"org": org, "editor": editor, "member": member, "outsider": outsider}


def _create(ou: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return helpers.call_action(
        "package_create",
        context={"user": ou["editor"]["name"]},
        owner_org=ou["org"]["id"],
        name=f"gdpr-{uuid.uuid4().hex[:8]}",
        **fields,
    )


def _token(user: dict[str, Any]) -> dict[str, str]:
    return {
        "Authorization": helpers.call_action(
            "api_token_create", context={"user": user["name"]}, user=user["name"], name="t"
        )["token"]
    }


@pytest.mark.usefixtures("enforce")
def test_gate_personal_data_without_legal_basis_cannot_be_public(
    app: Any, org_and_users: dict[str, Any]
) -> None:
    body = dict(
        PERSONAL_NO_BASIS,
        owner_org=org_and_users["org"]["id"],
        name="borgere",
        access_tier="on_request",
    )
    response = app.post(
        "/api/3/action/package_create", json=body, headers=_token(org_and_users["editor"])
    )
    assert response.status_code == 409
    errors = response.get_json()["error"]
    assert "gdpr_legal_basis" in errors and "private" in errors
    private = _create(org_and_users, private=True, access_tier="on_request", **PERSONAL_NO_BASIS)
    assert private["private"] is True
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action(
            "package_patch",
            context={"user": org_and_users["editor"]["name"]},
            id=private["id"],
            private=False,
        )
    assert "gdpr_legal_basis" in refused.value.error_dict
    done = helpers.call_action(
        "package_patch",
        context={"user": org_and_users["editor"]["name"]},
        id=private["id"],
        private=False,
        gdpr_legal_basis="6.1.e",
    )
    assert done["private"] is False
    status = helpers.call_action("gdprcheck_status_show", id=done["id"])
    assert status["status"] == "complete"


@pytest.mark.usefixtures("enforce")
def test_gate_in_the_form_shows_errors_not_500(app: Any, org_and_users: dict[str, Any]) -> None:
    form = dict(
        PERSONAL_NO_BASIS,
        title="Borgerhenvendelser",
        name="borgerhenvendelser",
        owner_org=org_and_users["org"]["id"],
        access_tier="on_request",
        private="False",
        save="go-metadata",
        license_id="cc-by",
    )
    response = app.post("/dataset/new", data=form, headers=_token(org_and_users["editor"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "legal basis" in page
    # the gate's error on the visibility is named as the form names the field
    assert 'data-field-label="private">Visibility:' in page and "private:" not in page
    assert (
        helpers.call_action("package_search", q="name:borgerhenvendelser", include_private=True)[
            "count"
        ]
        == 0
    )


@pytest.mark.usefixtures("enforce")
def test_personal_data_cannot_be_open_or_priced(org_and_users: dict[str, Any]) -> None:
    with pytest.raises(tk.ValidationError) as refused:
        _create(org_and_users, access_tier="open", gdpr_legal_basis="6.1.e", **PERSONAL_NO_BASIS)
    assert "deal room" in str(refused.value.error_dict["gdpr_personal_data"])


def test_contradictions_are_field_errors_even_when_the_gate_only_warns(
    app: Any, org_and_users: dict[str, Any]
) -> None:
    assert tk.config.get("ckanext.gdprcheck.gate") == "warn"
    body = {
        "owner_org": org_and_users["org"]["id"],
        "name": "contradiction",
        "gdpr_personal_data": "none",
        "gdpr_category": "CivilRegistrationNumber",
        "gdpr_min_cell_count": "many",
    }
    response = app.post(
        "/api/3/action/package_create", json=body, headers=_token(org_and_users["editor"])
    )
    assert response.status_code == 409
    errors = response.get_json()["error"]
    assert "NonPersonal" in errors["gdpr_category"][0] and "gdpr_min_cell_count" in errors
    # The gate only warns here: an incomplete checklist does not stop publishing.
    assert _create(org_and_users)["private"] is False


def test_status_facet_and_badge(app: Any, org_and_users: dict[str, Any]) -> None:
    _create(org_and_users, gdpr_personal_data="none")
    _create(org_and_users)
    facets = helpers.call_action("package_search", **{"facet.field": '["gdprcheck_status"]'})[
        "facets"
    ]
    assert facets["gdprcheck_status"] == {"complete": 1, "incomplete": 1}
    page = app.get("/dataset/").get_data(as_text=True)
    assert "gdprcheck-complete" in page and "gdprcheck-incomplete" in page
    danish = app.get("/da_DK/dataset/").get_data(as_text=True)
    assert "GDPR-tjekliste" in danish


PLANTED = "navn,email,cpr\nJens Hansen,jens.hansen@example.dk,0101901234\nMette,mette@example.dk,\n"


def test_scan_job_findings_for_editors_only_and_never_raw(
    app: Any, org_and_users: dict[str, Any]
) -> None:
    ds = _create(org_and_users, gdpr_personal_data="none")
    res = helpers.call_action(
        "resource_create",
        context={"user": org_and_users["editor"]["name"]},
        package_id=ds["id"],
        name="Borgere",
        format="CSV",
        upload=FakeFileStorage(io.BytesIO(PLANTED.encode()), "borgere.csv"),
    )
    queued = [
        j
        for j in helpers.call_action("job_list", limit=1_000_000)
        if res["id"] in (j.get("title") or "")
    ]
    assert queued, "the upload queued a scan job"
    stored = jobs.scan_resource(res["id"])  # what the worker runs
    assert stored["state"] == "done" and set(stored["detected"]) >= {"cpr", "email"}
    scan = helpers.call_action(
        "gdprcheck_scan_show", context={"user": org_and_users["editor"]["name"]}, id=res["id"]
    )
    assert {f["detector"] for f in scan["findings"]} >= {"cpr", "email", "name_column"}
    for persona in ("member", "outsider"):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_auth(
                "gdprcheck_scan_show",
                {"user": org_and_users[persona]["name"]},
                id=res["id"],
                package_id=ds["id"],
            )
    status = helpers.call_action(
        "gdprcheck_status_show", context={"user": org_and_users["editor"]["name"]}, id=ds["id"]
    )
    assert status["status"] == "blocked" and "cpr" in " ".join(status["reasons"])
    public = helpers.call_action(
        "gdprcheck_status_show", context={"user": org_and_users["outsider"]["name"]}, id=ds["id"]
    )
    assert public["status"] == "blocked" and "cpr" not in " ".join(public["reasons"])
    assert helpers.call_action("package_search", fq="gdprcheck_status:blocked")["count"] == 1
    editor_page = app.get(
        f"/dataset/{ds['name']}/resource/{res['id']}", headers=_token(org_and_users["editor"])
    )
    assert "Personal-data scan" in editor_page.get_data(as_text=True)
    raw = ("0101901234", "jens.hansen@example.dk", "mette@example.dk")
    for headers in ({}, _token(org_and_users["outsider"]), _token(org_and_users["editor"])):
        for url in (
            f"/dataset/{ds['name']}/resource/{res['id']}",
            f"/dataset/{ds['name']}",
            f"/api/3/action/gdprcheck_status_show?id={ds['id']}",
            f"/dataset/{ds['name']}.ttl",
            f"/api/3/action/package_search?q=id:{ds['id']}",
        ):
            body = app.get(url, headers=headers).get_data(as_text=True)
            assert not any(value in body for value in raw), url
    assert not any(value in str(scan) for value in raw)


def test_malformed_files_never_crash_the_job(org_and_users: dict[str, Any]) -> None:
    ds = _create(org_and_users, gdpr_personal_data="none")
    for name, content in (
        ("binary.csv", bytes(range(256)) * 50),
        ("empty.csv", b""),
        ("broken.xlsx", b"PK\x03\x04 no zip"),
        ("bad.json", b"{\xff\xfe not json"),
    ):
        res = helpers.call_action(
            "resource_create",
            context={"user": org_and_users["editor"]["name"]},
            package_id=ds["id"],
            name=name,
            format=name.rsplit(".", 1)[1].upper(),
            upload=FakeFileStorage(io.BytesIO(content), name),
        )
        stored = jobs.scan_resource(res["id"])
        assert stored["state"] in ("done", "skipped"), (name, stored)
    link = helpers.call_action(
        "resource_create",
        context={"user": org_and_users["editor"]["name"]},
        package_id=ds["id"],
        name="gone",
        format="CSV",
        url="http://127.0.0.1:9/none.csv",
    )
    assert jobs.scan_resource(link["id"])["state"] == "error"


def test_dcat_carries_the_checklist(app: Any, org_and_users: dict[str, Any]) -> None:
    ds = _create(
        org_and_users,
        private=True,
        access_tier="on_request",
        gdpr_legal_basis="6.1.e",
        **PERSONAL_NO_BASIS,
    )
    helpers.call_action(
        "package_patch",
        context={"user": org_and_users["editor"]["name"]},
        id=ds["id"],
        private=False,
    )
    ttl = app.get(f"/dataset/{ds['name']}.ttl").get_data(as_text=True)
    # DCAT-AP-DK's property and concept; DPV's legal basis and purpose (tests/test_dcat_shacl.py
    # checks every term against the official shapes).
    assert "data.gov.dk/model/core/dcat-dk/" in ttl and "personalDataCategory" in ttl
    assert "personaldata-type/GeneralPersonalData" in ttl
    assert "A6-1-e" in ttl and "Service planning" in ttl


def test_one_scan_per_change_of_the_file(org_and_users: dict[str, Any]) -> None:
    """An upload queues one scan; editing the dataset's metadata queues none; a new URL
    queues one again."""
    editor = {"user": org_and_users["editor"]["name"]}
    ds = _create(org_and_users, gdpr_personal_data="none")
    res = helpers.call_action(
        "resource_create",
        context=editor,
        package_id=ds["id"],
        name="a",
        format="CSV",
        upload=FakeFileStorage(io.BytesIO(b"a,b\n1,2\n"), "a.csv"),
    )

    def queued() -> int:
        return len(
            [
                j
                for j in helpers.call_action("job_list", limit=1_000_000)
                if j.get("title") == f"gdprcheck scan {res['id']}"
            ]
        )

    assert queued() == 1
    jobs.scan_resource(res["id"])
    helpers.call_action("package_patch", context=editor, id=ds["id"], title="A new title")
    assert queued() == 1
    helpers.call_action(
        "resource_patch", context=editor, id=res["id"], url="http://example.com/b.csv", url_type=""
    )
    assert queued() == 2
