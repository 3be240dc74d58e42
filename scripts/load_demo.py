#!/usr/bin/env python3
"""Load the demo catalog from test-data/demo into a running portal, through its API.

    CDX_API_TOKEN=... load_demo.py SITE_URL DEMO_FOLDER

Creates what is missing and updates what exists, so a second run changes nothing.
Demo users get the password in CDX_DEMO_PASSWORD (documented in the README).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ckanapi import NotFound, RemoteCKAN

DEFAULT_PASSWORD = "cityexchange-demo"


def _read(folder: Path, name: str) -> list[dict[str, Any]]:
    with open(folder / name, encoding="utf-8") as f:
        return json.load(f)


def load_users(ckan: RemoteCKAN, users: list[dict[str, Any]], password: str) -> None:
    for user in users:
        fields = {k: v for k, v in user.items() if k != "role"}
        try:
            ckan.action.user_show(id=user["name"])
        except NotFound:
            ckan.action.user_create(password=password, **fields)
            print(f"  user {user['name']} ({user['role']}): created")


def load_organizations(ckan: RemoteCKAN, organizations: list[dict[str, Any]]) -> None:
    for org in organizations:
        try:
            ckan.action.organization_show(id=org["name"])
            ckan.action.organization_patch(id=org["name"], **org)
            print(f"  organisation {org['name']}: updated")
        except NotFound:
            ckan.action.organization_create(**org)
            print(f"  organisation {org['name']}: created")


def load_groups(ckan: RemoteCKAN, groups: list[dict[str, Any]]) -> None:
    for group in groups:
        try:
            ckan.action.group_show(id=group["name"])
            ckan.action.group_patch(id=group["name"], **group)
        except NotFound:
            ckan.action.group_create(**group)
            print(f"  group {group['name']}: created")


def load_datasets(ckan: RemoteCKAN, datasets: list[dict[str, Any]]) -> None:
    for dataset in datasets:
        try:
            ckan.action.package_show(id=dataset["name"])
            ckan.action.package_update(**dataset)
            print(f"  dataset {dataset['name']}: updated")
        except NotFound:
            ckan.action.package_create(**dataset)
            print(f"  dataset {dataset['name']}: created")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not os.environ.get("CDX_API_TOKEN"):
        print(__doc__, file=sys.stderr)
        return 2
    site_url, folder = argv[1], Path(argv[2])
    password = os.environ.get("CDX_DEMO_PASSWORD", DEFAULT_PASSWORD)
    ckan = RemoteCKAN(site_url, apikey=os.environ["CDX_API_TOKEN"], user_agent="cityexchange-demo-loader")
    load_users(ckan, _read(folder, "users.json"), password)
    load_organizations(ckan, _read(folder, "organizations.json"))
    load_groups(ckan, _read(folder, "groups.json"))
    load_datasets(ckan, _read(folder, "datasets.json"))
    count = ckan.action.package_search(rows=0)["count"]
    print(f"demo catalog loaded: {count} datasets in the search index")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
