"""The paywall, by construction: every route and every action, not a hand-made list.

The test walks the Flask application's URL map (core and every plugin loaded) and the
registry of actions, fills each path and id parameter from a priced world (a dataset with
locked links, uploads and DataStore rows, its activities, views, a deal room with an
attachment, an order, a harvest source with a job and an object), and calls everything as
the people who must not get locked data: anonymous, a logged-in non-buyer, a member of a
blocked organisation and a buyer whose entitlement expired. The secret marker that every
locked URL and every locked byte carries must appear in no body and no header.

Each probe proves it reached what it probes: the sysadmin's control call of every GET
route is made with the same filled parameters, and the surfaces that show a dataset,
its resources, their history and their data (``MUST_REACH``) must answer it below 400,
so a wrong id cannot pass silently; every action answers with the API's JSON envelope
naming that action. Nobody gets a server error, sysadmin included, except on the core
and ckanext-harvest routes listed in ``KNOWN_UPSTREAM_500``.
A route the test cannot fill fails it, unless it is listed in ``NOT_PROBED`` with the
reason.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import ckan.logic
import pytest
from ckan.tests import helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage
from flask import Flask

from ckanext.cityexchange import compat
from ckanext.pricing.tests.conftest import World, build_world, upstream  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.module_plugins

PERSONAS = ["anonymous", "outsider", "rival", "expired"]

# Routes that are not called, each with its reason. Everything else is called.
NOT_PROBED = {
    "static": "files of CKAN's public folder, no data of the catalog",
    "webassets.index": "compiled JavaScript and CSS bundles",
    "util.primer": "CKAN's template primer (debug only)",
    "api.action": "every action is called through it by test_no_action_leaks_locked_data",
}

# Routes whose control call is not made: the sysadmin's GET would change the world.
NO_CONTROL = {
    "user.logout": "logs the control user out",
    "home.redirect_locale": "a redirect to the same page in another locale",
    "harvester.job_abort": "aborts the world's harvest job",
    "harvester.delete": "deletes the world's harvest source",
    "harvester.refresh": "starts a harvest run",
    "harvester.clear": "clears the harvest source",
    "admin.reset_config": "resets the portal's configuration",
    "pricing.fetch": "a signed link: the control would need the sysadmin's signature",
}
REACHED = range(200, 400)
# Routes whose control call must reach its object (2xx/3xx): the surfaces that show a
# dataset, its resources, their history and their data. Other routes may answer the
# sysadmin 404 for a filling that does not apply to them (a resource's history at a
# version before it existed, a view route of a resource without views); all must stay
# below 500 for everyone.
MUST_REACH = {
    "dataset.read",
    "dataset_resource.read",
    "resource.read",
    "activity.package_history",
    "activity.resource_history",
    "activity.package_activity",
    "activity.package_changes",
    "dataset_resource.download",
    "resource.download",
    "dcat.read_dataset",
    "dcat.read_catalog",
    "dataset.search",
    "organization.read",
    "group.read",
    "dealroom.room",
    "dealroom.attachment",
    "pricing.order",
    "pricing.dsp_dataset",
    "pricing.dsp_catalog",
    "charts_view.update_chart",
    "charts_view.get_chart_column_values",
}
# Routes that take a JSON body: the probes send it (the Dataspace Protocol catalog).
JSON_BODIES = {
    "pricing.dsp_catalog": {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "CatalogRequestMessage",
    },
}
# Server errors of CKAN core and ckanext-harvest on input the personas send, each with
# its cause. They leak nothing (the leak assertions still apply to them); they are listed
# so that any other server error fails the test. The suite's own routes and actions are
# never on this list (see tests/test_fuzz.py).
KNOWN_UPSTREAM_500 = {
    "api.snippet": "core renders ajax snippets without the variables they need",
    "activity.package_changes_multiple": "core reads new_id/old_id without checking them",
    "activity.group_changes_multiple": "core reads new_id/old_id without checking them",
    "activity.organization_changes_multiple": "core reads new_id/old_id without checking them",
    "dataset.follow": "core's follow view for anonymous users",
    "dataset.unfollow": "core's unfollow view for anonymous users",
    "group.follow": "core's follow view for anonymous users",
    "group.unfollow": "core's unfollow view for anonymous users",
    "organization.follow": "core's follow view for anonymous users",
    "organization.unfollow": "core's unfollow view for anonymous users",
    "user.follow": "core's follow view for anonymous users",
    "user.unfollow": "core's unfollow view for anonymous users",
    "dataset_resource.new": "core's resource form posted without a dataset form stage",
    "resource.new": "core's resource form posted without a dataset form stage",
    "harvest_resource.new": "core's resource form, under ckanext-harvest's dataset type",
    "user_invite": "core's action without its required group",
    "task_status_update_many": "core's action reads data_dict['data'] unchecked",
    "package_collaborator_list": "core's auth reads the dataset before checking it exists",
    "package_collaborator_delete": "core's auth reads the dataset before checking it exists",
    # ckanext-harvest registers every public name of its action modules, helpers included:
    "InactiveSource": "an exception class that ckanext-harvest exposes as an action",
    "auth_allow_anonymous_access": "a decorator that ckanext-harvest exposes as an action",
    "get_mail_extra_vars": "a mail helper that ckanext-harvest exposes as an action",
    "prepare_error_mail": "a mail helper that ckanext-harvest exposes as an action",
    "prepare_summary_mail": "a mail helper that ckanext-harvest exposes as an action",
    "send_error_email": "a mail helper that ckanext-harvest exposes as an action",
    "send_mail": "a mail helper that ckanext-harvest exposes as an action",
    "send_summary_email": "a mail helper that ckanext-harvest exposes as an action",
    "harvest_abort_failed_jobs": "ckanext-harvest reads its parameters unchecked",
    "harvest_job_abort": "ckanext-harvest reads its parameters unchecked",
    "harvest_job_create_all": "ckanext-harvest reads its parameters unchecked",
    "harvest_jobs_run": "ckanext-harvest reads its parameters unchecked",
    "harvest_objects_import": "ckanext-harvest reads its parameters unchecked",
    "harvest_sources_clear": "ckanext-harvest reads its parameters unchecked",
    "harvest_sources_job_history_clear": "ckanext-harvest reads its parameters unchecked",
    "harvest_sources_reindex": "ckanext-harvest reads its parameters unchecked",
    "harvest_log_list": "ckanext-harvest reads its parameters unchecked",
}
# A chart of the locked DataStore table (ckanext-charts).
CHART = {"engine": "plotly", "type": "Bar", "x": "value", "y": "value"}
PERSONA_OK = {200, 201, 204, 301, 302, 303, 304, 307, 308, 400, 401, 402, 403, 405, 409}


@dataclass
class RouteWorld:
    base: World
    room: dict[str, Any]
    attachment_id: str
    order: dict[str, Any]
    source: dict[str, Any]
    job: dict[str, Any]
    harvest_object: dict[str, Any]
    table_view: dict[str, Any]
    chart_view: dict[str, Any]
    token_jti: str
    calls: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def rworld(upstream: str, reset_portal_db: Any, reset_index: Any) -> Iterator[RouteWorld]:

    world = build_world(upstream, reset_portal_db, reset_index)
    sysadmin = {"user": world.users["sysadmin"]["name"]}
    buyer = {"user": world.users["buyer"]["name"]}
    room = helpers.call_action(
        "dealroom_create",
        context=buyer,
        package_id=world.dataset["id"],
        use_case="Footfall per street for a shop opening",
    )
    helpers.call_action(
        "dealroom_message_create",
        context=buyer,
        id=room["id"],
        body="A note",
        upload=FakeFileStorage(io.BytesIO(b"a,b\n1,2\n"), "note.csv"),
    )
    room = helpers.call_action("dealroom_show", context=buyer, id=room["id"])
    attachment_id = next(a["id"] for m in room["messages"] for a in m["attachments"])
    order = helpers.call_action(
        "pricing_checkout_create",
        context={"user": world.users["revoked"]["name"]},
        package_id=world.dataset["id"],
        offer_id="standard",
    )
    source = helpers.call_action(
        "harvest_source_create",
        context=sysadmin,
        name="probe-source",
        title="Probe source",
        url="http://127.0.0.1:9/",
        source_type="cityharvest_ckan",
        owner_org=world.org["id"],
    )
    job = helpers.call_action(
        "harvest_job_create", context=sysadmin, source_id=source["id"], run=False
    )
    harvest_object = helpers.call_action(
        "harvest_object_create", context=sysadmin, job_id=job["id"], guid="probe", content="{}"
    )
    table_view = helpers.call_action(
        "resource_view_create",
        context={"user": world.users["seller_admin"]["name"]},
        resource_id=world.datastore["id"],
        view_type="datatables_view",
        title="Table",
    )
    chart_view = helpers.call_action(
        "resource_view_create",
        context={"user": world.users["seller_admin"]["name"]},
        resource_id=world.datastore["id"],
        view_type="charts_view",
        title="Chart",
        **CHART,
    )
    token = helpers.call_action(
        "api_token_list",
        context={"user": world.users["seller_admin"]["name"]},
        user_id=world.users["seller_admin"]["name"],
    )[0]
    yield RouteWorld(
        base=world,
        room=room,
        attachment_id=attachment_id,
        order=order,
        source=source,
        job=job,
        harvest_object=harvest_object,
        table_view=table_view,
        chart_view=chart_view,
        token_jti=token["id"],
    )
    compat.unload_plugins()


def _flask_app(app: Any) -> Flask:
    return app.flask_app


def _values(w: RouteWorld, rule: str) -> list[dict[str, str]]:
    """Every filling of a rule's path parameters: one per locked resource and per activity
    where a rule takes them, so that earlier snapshots are probed too."""
    b = w.base
    ds = b.dataset
    prefix = rule.split("/")[1] if rule.count("/") else ""
    ids = {
        "dataset": ds["name"],
        "organization": b.org["name"],
        "group": b.group["name"],
        "user": b.users["seller_admin"]["name"],
        "harvest": w.source["name"],
        "feeds": b.org["name"],
    }
    one: dict[str, str] = {
        "id": ids.get(prefix, ds["name"]),
        "_id": ds["name"],
        "_format": "ttl",
        "room_id": w.room["id"],
        "attachment_id": w.attachment_id,
        "what": "withdraw",
        "order_id": w.order["order_id"] if "order_id" in w.order else w.order["id"],
        "outcome": "success",
        "source": w.source["name"],
        "view_id": b.view["id"],
        "resource_view_id": w.table_view["id"],
        "snippet_path": "api_info.html",
        "lang": "da_DK",
        "filename": "data.csv",
        "path": f"dataset/{ds['name']}",
        "jti": w.token_jti,
        "dataset_id": ds["name"],
        "licence_id": "internal-use",
        # CKAN 2.12's file routes (no file storage is configured: they serve nothing)
        "token": "probe",
        "storage_name": "default",
        "location": "probe.csv",
    }
    if rule.startswith("/dataset/changes/"):
        return [dict(one, id=a["id"]) for a in b.activities]
    if rule in ("/dataset/harvest_object/<id>", "/harvest/object/<id>"):
        one["id"] = w.harvest_object["id"]
    if rule.startswith("/harvest/<source>/job/<id>"):
        one["id"] = w.job["id"]
    if rule.startswith(("/organization/sales/", "/feeds/organization/")):
        one["id"] = b.org["name"]
    if rule.startswith("/feeds/group/"):
        one["id"] = b.group["name"]
    if rule.startswith("/feeds/tag/"):
        one["id"] = "probe"
    if rule.startswith("/user/reset/"):
        one["id"] = b.users["seller_admin"]["id"]
    if rule.startswith("/harvest/<id>/resource/"):
        one["id"] = ds["name"]  # the harvest blueprint reads any dataset with a resource
    out = [one]
    if "<resource_id>" in rule:
        resources = (
            [b.link, b.upload, b.datastore]
            if "/resource/" in rule
            or "/resources/" in rule
            or rule.startswith("/api/utils/charts/")
            else [b.link]
        )
        if rule.startswith("/harvest/"):
            resources = [b.link]
        out = [dict(o, resource_id=r["id"]) for o in out for r in resources]
        if "<view_id>" in rule:
            out = [dict(o, resource_id=b.link["id"], view_id=b.view["id"]) for o in out[:1]]
    if "<activity_id>" in rule:
        # dataset versions: core's history pages are for dataset activities (a resource
        # view's activity holds no dataset and core answers it with a server error)
        versions = [a for a in b.activities if a["activity_type"].endswith(" package")]
        out = [dict(o, activity_id=a["id"]) for o in out for a in versions]
    return out


_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _fill(rule: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        bounds = re.search(r"min=(\d+)", match.group(0))
        if name == "ver":  # the API version the rule accepts
            return bounds.group(1) if bounds else "3"
        if name not in values:
            raise KeyError(name)
        return values[name]

    return _PARAM.sub(one, rule)


def _query(w: RouteWorld) -> str:
    """What every GET probe also sends in its query: routes that take a resource, a view
    or a chart from the query (ckanext-charts' routes, a resource view given as JSON) get
    the locked DataStore table and its chart; other routes ignore them."""
    chart_view = dict(CHART, view_type="charts_view", resource_id=w.base.datastore["id"])
    return urlencode(
        dict(
            CHART,
            resource_id=w.base.datastore["id"],
            resource_view_id=w.chart_view["id"],
            column="value",
            resource_view=json.dumps(dict(chart_view, id=w.chart_view["id"])),
        )
    )


def _probes(app: Any, w: RouteWorld) -> Iterator[tuple[Any, str, str]]:
    """(rule, method, url) for every rule of the URL map not in NOT_PROBED; GET URLs with
    ``_query``."""
    unfilled = []
    for rule in sorted(_flask_app(app).url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in NOT_PROBED:
            continue
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        for values in _values(w, rule.rule):
            try:
                url = _fill(rule.rule, values)
            except KeyError as missing:
                unfilled.append(f"{rule.rule} ({rule.endpoint}): no value for {missing}")
                break
            for method in methods:
                yield rule, method, f"{url}?{_query(w)}" if method == "GET" else url
    assert unfilled == [], "routes the leak test cannot fill; fill them or list them in NOT_PROBED"


def _headers(w: RouteWorld, persona: str) -> dict[str, str]:
    return {} if persona == "anonymous" else {"Authorization": w.base.tokens[persona]}


def _leaks(response: Any, secret: str) -> list[str]:
    where = ["body"] if secret in response.get_data(as_text=True) else []
    return where + [f"header {k}" for k, v in response.headers.items() if secret in v]


class _Crashed:
    """What a view or action that raised answers: CKAN 2.11's test app turns the exception
    into a 500 page, 2.12's lets it through to the test."""

    status_code = 500
    headers: dict[str, str] = {}
    is_json = False
    json = None

    def get_data(self, as_text: bool = False) -> str:
        return ""


def _call(app: Any, method: str, url: str, headers: dict[str, str], endpoint: str = "") -> Any:
    try:
        if method == "GET":
            return app.get(url, headers=headers, follow_redirects=False)
        if endpoint in JSON_BODIES:
            return app.post(
                url, headers=headers, json=JSON_BODIES[endpoint], follow_redirects=False
            )
        return app.post(url, headers=headers, data={}, follow_redirects=False)
    except Exception:  # a server error, under CKAN 2.12's test app
        return _Crashed()


@pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", True)
@pytest.mark.ckan_config("ckan.auth.public_user_details", True)
def test_no_route_leaks_locked_data(app: Any, rworld: RouteWorld) -> None:
    secret = rworld.base.secret
    control = _headers(rworld, "sysadmin")
    leaks, unreached, errors = [], [], []
    probes = list(_probes(app, rworld))
    calls = 0
    upstream_errors: set[str] = set()
    reached: set[str] = set()
    controls = 0
    for rule, method, url in probes:
        if method == "GET" and rule.endpoint not in NO_CONTROL:
            answer = _call(app, "GET", url, control)
            calls += 1
            controls += 1
            if answer.status_code in REACHED:
                reached.add(rule.endpoint)
            elif answer.status_code >= 500 and rule.endpoint not in KNOWN_UPSTREAM_500:
                errors.append(f"control GET {url}: HTTP {answer.status_code}")
        if method == "POST" and rule.endpoint in JSON_BODIES:
            answer = _call(app, "POST", url, control, rule.endpoint)
            calls += 1
            if answer.status_code in REACHED:
                reached.add(rule.endpoint)
        for persona in PERSONAS:
            response = _call(app, method, url, _headers(rworld, persona), rule.endpoint)
            calls += 1
            status = response.status_code
            if status >= 500 and rule.endpoint in KNOWN_UPSTREAM_500:
                upstream_errors.add(rule.endpoint)
            elif status >= 500:
                errors.append(f"{persona} {method} {url}: HTTP {status}")
            elif status not in PERSONA_OK | {404}:
                unreached.append(f"{persona} {method} {url} ({rule.endpoint}): HTTP {status}")
            found = _leaks(response, secret)
            if found:
                leaks.append(f"{persona} {method} {url}: {', '.join(found)} (HTTP {status})")
    routes = {rule.rule + rule.endpoint for rule, _m, _u in probes}
    print(f"\nupstream server errors (listed, no leak): {sorted(upstream_errors)}")
    print(
        f"\nroute leak test: the sysadmin's control reached {len(reached)} of "
        f"{len({r.endpoint for r, m, _u in probes if m == 'GET'} - set(NO_CONTROL))} GET endpoints "
        f"({controls} control calls)"
    )
    print(
        f"\nroute leak test: {len(routes)} routes, {len(probes)} filled requests x "
        f"{len(PERSONAS)} personas (+ sysadmin controls) = {calls} calls"
    )
    assert "activity.resource_history" in {rule.endpoint for rule, _m, _u in probes}
    assert MUST_REACH - reached == set(), "these probes never reached their object"
    assert leaks == []
    assert errors == [], "\n".join(errors)
    assert unreached == [], "\n".join(unreached)


# --- actions ---------------------------------------------------------------------------


def _action_params(w: RouteWorld, name: str) -> dict[str, Any]:
    """A filling of the parameters an action most likely reads, by the action's subject."""
    b = w.base
    ds, res = b.dataset, b.link
    subject_ids = [
        ("resource_view", b.view["id"]),
        ("resource", res["id"]),
        ("package", ds["id"]),
        ("dataset", ds["id"]),
        ("organization", b.org["id"]),
        ("group", b.group["id"]),
        ("user", b.users["seller_admin"]["id"]),
        ("activity", b.activities[0]["id"]),
        ("dealroom", w.room["id"]),
        ("pricing_order", w.order.get("order_id", w.order.get("id"))),
        ("harvest_source", w.source["id"]),
        ("harvest_job", w.job["id"]),
        ("harvest_object", w.harvest_object["id"]),
        ("datastore", b.datastore["id"]),
    ]
    ident = next((value for subject, value in subject_ids if subject in name), ds["id"])
    return {
        "id": ident,
        "package_id": ds["id"],
        "resource_id": b.datastore["id"] if "datastore" in name else res["id"],
        "object_type": "package",
        "include_data": True,
        "q": "*:*",
        "query": "name:Full",
        "view_id": b.view["id"],
        "organization": b.org["id"],
        "owner_org": b.org["id"],
        "attachment_id": w.attachment_id,
        "source_id": w.source["id"],
        "job_id": w.job["id"],
        "sql": f'SELECT * FROM "{b.datastore["id"]}"',
        "user_id": b.users["seller_admin"]["id"],
        **(
            {"message": JSON_BODIES["pricing.dsp_catalog"]} if name == "pricing_dsp_catalog" else {}
        ),
    }


def test_no_action_leaks_locked_data(app: Any, rworld: RouteWorld) -> None:
    secret = rworld.base.secret
    names = sorted(ckan.logic._actions)  # every action registered: core and every plugin
    assert {
        "package_show",
        "activity_show",
        "pricing_entitlement_check",
        "dealroom_show",
        "gdprcheck_status_show",
        "cityharvest_record_list",
    } <= set(names)
    leaks, errors, unreached = [], [], []
    upstream_errors: set[str] = set()
    for name in names:
        params = _action_params(rworld, name)
        for persona in PERSONAS:
            try:
                response = app.post(
                    f"/api/3/action/{name}", json=params, headers=_headers(rworld, persona)
                )
            except Exception:  # a server error, under CKAN 2.12's test app
                response = _Crashed()
            if response.status_code >= 500 and name in KNOWN_UPSTREAM_500:
                upstream_errors.add(name)
            elif response.status_code >= 500:
                errors.append(f"{persona} {name}: HTTP {response.status_code}")
            body = response.get_data(as_text=True)
            envelope = response.json if response.is_json else None
            if name not in KNOWN_UPSTREAM_500 and not (
                isinstance(envelope, dict)
                and "success" in envelope
                and name in str(envelope.get("help", ""))
            ):
                unreached.append(f"{persona} {name}: HTTP {response.status_code} {body[:120]}")
            found = _leaks(response, secret)
            if found:
                leaks.append(f"{persona} {name}: {', '.join(found)}")
    print(f"\nupstream server errors (listed, no leak): {sorted(upstream_errors)}")
    print(
        f"\naction leak test: {len(names)} actions x {len(PERSONAS)} personas = "
        f"{len(names) * len(PERSONAS)} calls"
    )
    assert leaks == []
    assert errors == [], "\n".join(errors)
    assert unreached == [], "\n".join(unreached)


def test_a_new_route_cannot_hide(app: Any, rworld: RouteWorld) -> None:
    """The enumeration is live: a route added to the app is probed without editing this file."""
    flask_app = _flask_app(app)
    seen = {rule.endpoint for rule, _m, _u in _probes(app, rworld)}
    endpoints = {rule.endpoint for rule in flask_app.url_map.iter_rules()} - set(NOT_PROBED)
    assert endpoints == seen
