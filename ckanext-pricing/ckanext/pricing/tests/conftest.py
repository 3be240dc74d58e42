"""A small priced catalog, built once per test module against real PostgreSQL and Solr.

Every locked resource carries the secret marker in its URL and in its data; the leak
tests assert that the marker reaches no one who is not entitled.
"""

from __future__ import annotations

import datetime as dt
import http.server
import io
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from ckan import plugins
from ckan.tests import factories, helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage

from ckanext.cityexchange import compat


class _Upstream(http.server.BaseHTTPRequestHandler):
    """The seller's own server, where linked resources live."""

    files: dict[str, bytes] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def upstream() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@dataclass
class World:
    secret: str
    dataset: dict[str, Any]
    org: dict[str, Any]
    group: dict[str, Any]
    users: dict[str, dict[str, Any]]
    tokens: dict[str, str]
    link: dict[str, Any]
    upload: dict[str, Any]
    datastore: dict[str, Any]
    sample: dict[str, Any]
    view: dict[str, Any]
    activities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def locked(self) -> list[dict[str, Any]]:
        return [self.link, self.upload, self.datastore]


def _token(user: dict[str, Any]) -> str:
    return helpers.call_action(
        "api_token_create", context={"user": user["name"]}, user=user["name"], name="tests"
    )["token"]


def build_world(upstream: str, reset_portal_db: Any, reset_index: Any) -> World:
    plugins.load_all()
    reset_portal_db()
    reset_index()

    secret = "zq" + uuid.uuid4().hex  # appears in every locked URL and every locked byte
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    users = {
        name: factories.User(name=f"{name}-{secret[-6:]}")
        for name in (
            "seller_admin",
            "seller_editor",
            "seller_member",
            "buyer",
            "org_buyer",
            "rival",
            "expired",
            "revoked",
            "outsider",
        )
    }
    users["sysadmin"] = factories.Sysadmin()
    org = factories.Organization(
        users=[
            {"name": users["seller_admin"]["name"], "capacity": "admin"},
            {"name": users["seller_editor"]["name"], "capacity": "editor"},
            {"name": users["seller_member"]["name"], "capacity": "member"},
        ]
    )
    buyer_org = factories.Organization(
        users=[{"name": users["org_buyer"]["name"], "capacity": "member"}]
    )
    rival_org = factories.Organization(
        users=[{"name": users["rival"]["name"], "capacity": "editor"}]
    )
    group = factories.Group(users=[{"name": users["seller_admin"]["name"], "capacity": "admin"}])
    seller = {"user": users["seller_admin"]["name"]}

    _Upstream.files[f"/{secret}/locked.csv"] = f"id,value\n1,{secret}-link-data\n".encode()
    _Upstream.files["/sample.csv"] = b"id,value\n1,sample\n"

    # Born open, with its future locked URL: activity snapshots from before the dataset
    # became priced hold the URL too.
    dataset = helpers.call_action(
        "package_create",
        context=seller,
        name=f"priced-{secret[-8:]}",
        title="Priced data",
        owner_org=org["id"],
        groups=[{"id": group["id"]}],
        access_tier="open",
        resources=[
            {"name": "Sample", "url": f"{upstream}/sample.csv", "format": "CSV"},
            {"name": "Full data (link)", "url": f"{upstream}/{secret}/locked.csv", "format": "CSV"},
        ],
    )
    dataset = helpers.call_action(
        "package_patch",
        context=seller,
        id=dataset["id"],
        access_tier="priced",
        offers=[
            {
                "id": "standard",
                "kind": "one_off",
                "amount": 125000,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            }
        ],
        resources=[
            dict(dataset["resources"][0], access="sample"),
            dict(dataset["resources"][1], access="locked"),
        ],
    )
    sample, link = dataset["resources"]
    upload = helpers.call_action(
        "resource_create",
        context=seller,
        package_id=dataset["id"],
        name="Full data (file)",
        format="CSV",
        access="locked",
        upload=FakeFileStorage(
            io.BytesIO(f"id,value\n1,{secret}-file-data\n".encode()), f"{secret}-full.csv"
        ),
    )
    datastore = helpers.call_action(
        "resource_create",
        context=seller,
        package_id=dataset["id"],
        name="Full data (table)",
        url=f"{upstream}/{secret}/table",
        format="CSV",
        access="locked",
    )
    helpers.call_action(
        "datastore_create",
        context=seller,
        resource_id=datastore["id"],
        force=True,
        fields=[{"id": "value", "type": "text"}],
        records=[{"value": f"{secret}-row"}],
    )
    view = helpers.call_action(
        "resource_view_create",
        context=seller,
        resource_id=link["id"],
        view_type="image_view",
        title="Preview",
        image_url=f"{upstream}/{secret}/locked.csv",
    )
    helpers.call_action(
        "package_patch",
        context=seller,
        id=dataset["id"],
        notes=f"Updated. Sample at {upstream}/sample.csv",
    )

    grant = lambda **kw: helpers.call_action(  # noqa: E731
        "pricing_entitlement_grant", context=seller, package_id=dataset["id"], **kw
    )
    grant(holder=users["buyer"]["name"])
    grant(holder_type="organization", holder=buyer_org["name"])
    grant(
        holder=users["expired"]["name"],
        valid_from=(now - dt.timedelta(days=30)).isoformat(),
        valid_until=(now - dt.timedelta(days=1)).isoformat(),
    )
    revoked = grant(holder=users["revoked"]["name"])
    helpers.call_action(
        "pricing_entitlement_revoke", context=seller, id=revoked["id"], reason="Payment refunded"
    )
    grant(holder=users["rival"]["name"])  # bought before the seller blocked their company
    helpers.call_action(
        "pricing_block_create",
        context=seller,
        package_id=dataset["id"],
        organization=rival_org["name"],
    )

    dataset = helpers.call_action("package_show", context=seller, id=dataset["id"])
    activities = helpers.call_action(
        "package_activity_list", context={"user": users["sysadmin"]["name"]}, id=dataset["id"]
    )
    return World(
        secret=secret,
        dataset=dataset,
        org=org,
        group=group,
        users=users,
        tokens={name: _token(user) for name, user in users.items()},
        link=link,
        upload=upload,
        datastore=datastore,
        sample=sample,
        view=view,
        activities=activities,
    )


@pytest.fixture(scope="module")
def world(upstream: str, reset_portal_db: Any, reset_index: Any) -> Iterator[World]:
    built = build_world(upstream, reset_portal_db, reset_index)
    yield built
    compat.unload_plugins()
