"""The stock CKAN peer the harvest tests read from (started by ``portal.sh peer test``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckanapi

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test-data" / "opendata"))
import catalog  # noqa: E402 (after the path set-up)


@dataclass
class Peer:
    url: str
    api: ckanapi.RemoteCKAN
    datasets: list[dict[str, Any]]

    @property
    def public(self) -> list[dict[str, Any]]:
        return [d for d in self.datasets if not d["private"]]

    @property
    def broken(self) -> dict[str, Any]:
        return self.datasets[catalog.BROKEN_INDEX]

    def of(self, org: str) -> list[dict[str, Any]]:
        return [d for d in self.public if d["owner_org"] == org]


def reset_peer(info_variable: str = "CDX_PEER_INFO") -> Peer:
    """The peer, brought back to its seed catalog (what an earlier test changed is
    purged and created again). ``CDX_PEER2_INFO``: the second portal, which republishes
    part of the first one's catalog (``portal.sh peer test2``)."""
    path = os.environ.get(info_variable)
    if not path or not Path(path).exists():
        raise RuntimeError(
            "the harvest tests need the stock CKAN peers: run them with `make test` "
            "(portal.sh peer test and peer test2 start them)"
        )
    info = json.loads(Path(path).read_text())
    variant = info.get("variant") or ""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "peer_seed.py"),
            info["url"],
            str(info["count"]),
            info["state"],
            *([variant] if variant else []),
        ],
        check=True,
        env=dict(os.environ, CDX_API_TOKEN=info["token"]),
        capture_output=True,
    )
    api = ckanapi.RemoteCKAN(info["url"], apikey=info["token"])
    seed = (
        catalog.republished(info["count"])
        if variant == "republished"
        else catalog.datasets(info["count"])
    )
    return Peer(info["url"], api, seed)
