#!/usr/bin/env python3
"""Load the demo catalog from test-data/demo into a running portal, through its API.

    CDX_API_TOKEN=... load_demo.py SITE_URL DEMO_FOLDER

Creates what is missing and updates what exists, so a second run changes nothing.
Demo users get the password in CDX_DEMO_PASSWORD (documented in the README).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ckanapi import NotFound, RemoteCKAN

DEFAULT_PASSWORD = "cityexchange-demo"


def _read(folder: Path, name: str) -> list[dict[str, Any]]:
    with open(folder / name, encoding="utf-8") as f:
        return json.load(f)


def load_users(ckan: Any, users: list[dict[str, Any]], password: str) -> None:
    for user in users:
        fields = {k: v for k, v in user.items() if k != "role"}
        try:
            ckan.action.user_show(id=user["name"])
        except NotFound:
            ckan.action.user_create(password=password, **fields)
            print(f"  user {user['name']} ({user['role']}): created")


def load_organizations(ckan: Any, organizations: list[dict[str, Any]]) -> None:
    for org in organizations:
        try:
            ckan.action.organization_show(id=org["name"])
            ckan.action.organization_patch(id=org["name"], **org)
            print(f"  organisation {org['name']}: updated")
        except NotFound:
            ckan.action.organization_create(**org)
            print(f"  organisation {org['name']}: created")


def load_groups(ckan: Any, groups: list[dict[str, Any]]) -> None:
    for group in groups:
        try:
            ckan.action.group_show(id=group["name"])
            ckan.action.group_patch(id=group["name"], **group)
        except NotFound:
            ckan.action.group_create(**group)
            print(f"  group {group['name']}: created")


def _sync_resources(ckan: Any, folder: Path, dataset_id: str, wanted: list[dict[str, Any]]) -> None:
    """Create or update each resource by name; ``upload`` names a file under the folder."""
    existing = {r["name"]: r for r in ckan.action.package_show(id=dataset_id)["resources"]}
    names = {res["name"] for res in wanted}
    for name, res in existing.items():
        if name not in names:  # the demo files are the source of truth
            ckan.action.resource_delete(id=res["id"])
    for res in wanted:
        fields = {k: v for k, v in res.items() if k not in ("upload", "charts")}
        if res.get("upload"):
            fields["url"] = ""
            with open(folder / res["upload"], "rb") as f:
                files = {"upload": (Path(res["upload"]).name, f)}
                if res["name"] in existing:
                    ckan.call_action(
                        "resource_patch", dict(fields, id=existing[res["name"]]["id"]), files=files
                    )
                else:
                    ckan.call_action(
                        "resource_create", dict(fields, package_id=dataset_id), files=files
                    )
        elif res["name"] in existing:
            ckan.action.resource_patch(id=existing[res["name"]]["id"], **fields)
        else:
            ckan.action.resource_create(package_id=dataset_id, **fields)
    by_name = {r["name"]: r["id"] for r in ckan.action.package_show(id=dataset_id)["resources"]}
    ckan.action.package_resource_reorder(
        id=dataset_id, order=[by_name[res["name"]] for res in wanted]
    )


def load_datasets(ckan: Any, datasets: list[dict[str, Any]], folder: Path | None = None) -> None:
    for dataset in datasets:
        fields = {k: v for k, v in dataset.items() if k != "resources"}
        try:
            current = ckan.action.package_show(id=dataset["name"])
            ckan.action.package_patch(id=current["id"], **fields)
            print(f"  dataset {dataset['name']}: updated")
        except NotFound:
            current = ckan.action.package_create(**fields)
            print(f"  dataset {dataset['name']}: created")
        _sync_resources(ckan, folder or Path("."), current["id"], dataset.get("resources", []))


# How long the charts wait for the worker to load their tables (seconds).
CHART_WAIT = 180


def load_charts(ckan: Any, datasets: list[dict[str, Any]]) -> None:
    """The demo's chart views (``charts`` of a resource): ckanext-charts reads the
    resource's DataStore table when a view is made, so each waits until the worker has
    loaded it; one that is not loaded in time is left out, with a message."""
    wanted = [
        (dataset["name"], res["name"], res["charts"])
        for dataset in datasets
        for res in dataset.get("resources", [])
        if res.get("charts")
    ]
    deadline = time.monotonic() + CHART_WAIT
    for dataset_name, resource_name, charts in wanted:
        resource = next(
            r
            for r in ckan.action.package_show(id=dataset_name)["resources"]
            if r["name"] == resource_name
        )
        while not resource.get("datastore_active") and time.monotonic() < deadline:
            time.sleep(2)
            resource = ckan.action.resource_show(id=resource["id"])
        if not resource.get("datastore_active"):
            print(f"  charts of {dataset_name}/{resource_name}: its table is not loaded yet")
            continue
        titles = {v["title"] for v in ckan.action.resource_view_list(id=resource["id"])}
        for chart in charts:
            if chart["title"] not in titles:
                ckan.action.resource_view_create(
                    resource_id=resource["id"], view_type="charts_view", **chart
                )
                print(f"  chart {chart['title']!r} of {dataset_name}: created")


def load_access(ckan: Any, access: dict[str, Any]) -> None:
    """Seller controls of the demo: blocked competitors and buyers who already paid."""
    for block in access.get("blocks", []):
        ckan.action.pricing_block_create(
            package_id=block["dataset"], organization=block["organization"]
        )
        print(f"  {block['organization']} blocked from {block['dataset']}")
    for grant in access.get("entitlements", []):
        held = ckan.action.pricing_entitlement_list(package_id=grant["dataset"])
        if any(e["holder_name"] == grant["holder"] and e["active"] for e in held):
            continue
        until = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(
            days=grant["valid_days"]
        )
        ckan.action.pricing_entitlement_grant(
            package_id=grant["dataset"],
            holder_type=grant["holder_type"],
            holder=grant["holder"],
            valid_until=until.isoformat(),
        )
        print(f"  {grant['holder']} entitled to {grant['dataset']}")


def _as(ckan: Any, site_url: str, user: str) -> Any:
    """The API as a demo user (a token the sysadmin makes for them)."""
    token = ckan.action.api_token_create(user=user, name="demo-loader")["token"]
    return RemoteCKAN(site_url, apikey=token, user_agent="cityexchange-demo-loader")


def load_deals(ckan: Any, site_url: str, deals: list[dict[str, Any]]) -> None:
    """Deal rooms under way: a buyer's request, the seller's answer and offers back and
    forth. A buyer who has a room for the dataset already gets no second one."""
    for deal in deals:
        buyer = _as(ckan, site_url, deal["buyer"])
        if any(
            r["dataset"]["name"] == deal["dataset"]
            for r in buyer.action.dealroom_list(role="buyer")
        ):
            continue
        seller = _as(ckan, site_url, deal["seller"])
        room = buyer.action.dealroom_create(
            package_id=deal["dataset"],
            use_case=deal["use_case"],
            buyer_org=deal.get("buyer_org"),
            period_months=deal.get("period_months"),
        )
        seller.action.dealroom_accept_request(id=room["id"])
        sides = {"buyer": buyer, "seller": seller}
        for message in deal.get("messages", []):
            sides[message["from"]].action.dealroom_message_create(
                id=room["id"], body=message["body"]
            )
        for offer in deal.get("offers", []):
            terms = {k: v for k, v in offer.items() if k != "from"}
            sides[offer["from"]].action.dealroom_offer_create(id=room["id"], **terms)
        print(f"  deal room for {deal['dataset']}: {deal['buyer']} and {deal['seller']}")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not os.environ.get("CDX_API_TOKEN"):
        print(__doc__, file=sys.stderr)
        return 2
    site_url, folder = argv[1], Path(argv[2])
    password = os.environ.get("CDX_DEMO_PASSWORD", DEFAULT_PASSWORD)
    ckan = RemoteCKAN(
        site_url, apikey=os.environ["CDX_API_TOKEN"], user_agent="cityexchange-demo-loader"
    )
    load_users(ckan, _read(folder, "users.json"), password)
    load_organizations(ckan, _read(folder, "organizations.json"))
    load_groups(ckan, _read(folder, "groups.json"))
    load_datasets(ckan, _read(folder, "datasets.json"), folder)
    with open(folder / "access.json", encoding="utf-8") as f:
        access = json.load(f)
    load_access(ckan, access)
    load_deals(ckan, site_url, access.get("deals", []))
    load_charts(ckan, _read(folder, "datasets.json"))
    count = ckan.action.package_search(rows=0)["count"]
    print(f"demo catalog loaded: {count} datasets in the search index")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
