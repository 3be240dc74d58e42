"""The demo catalog (test-data/demo) is something a visitor can use: every open file and
free sample is served by the portal itself, and every seller has someone to answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.pure
DEMO = Path(__file__).resolve().parents[1] / "test-data" / "demo"


def _read(name: str) -> Any:
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def test_every_open_file_and_sample_is_uploaded_from_the_demo_folder() -> None:
    checked = 0
    for dataset in _read("datasets.json"):
        tier = dataset.get("access_tier", "open")
        for res in dataset.get("resources", []):
            public = tier == "open" or res.get("access") == "sample"
            if not public or res.get("format") == "API":
                continue
            checked += 1
            assert "url" not in res, f"{dataset['name']}: {res['name']} links elsewhere"
            assert (DEMO / res["upload"]).is_file(), res["upload"]
            assert (DEMO / res["upload"]).stat().st_size > 0
    assert checked >= 12  # the probe reached the open files


def test_every_seller_organisation_has_a_member_to_answer_deal_rooms() -> None:
    members = {o["name"]: o.get("users", []) for o in _read("organizations.json")}
    users = {u["name"] for u in _read("users.json")}
    sellers = {
        d["owner_org"]
        for d in _read("datasets.json")
        if d.get("access_tier", "open") in ("priced", "on_request")
    }
    assert sellers  # the demo sells something
    for org in sellers:
        assert members[org], f"{org} sells data but has no member"
        assert all(m["name"] in users for m in members[org])
