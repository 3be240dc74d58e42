"""Bring a source CKAN (the harvest tests' and benchmark's peer) to the seed catalog.

    CDX_API_TOKEN=... peer_seed.py URL COUNT STATE_FILE [republished]

Datasets of test-data/opendata/catalog.py that are missing, deleted or changed since
the last seeding (the state file keeps each one's metadata_modified, and a digest of
its seed so that a changed catalog is loaded again) are purged and
created again with the same id; datasets that are not in the seed are purged. A second
run on an untouched peer does nothing but list it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ckanapi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test-data" / "opendata"))
import contextlib

import catalog


def listing(ckan: ckanapi.RemoteCKAN) -> dict[str, str]:
    found: dict[str, str] = {}
    start = 0
    while True:
        page = ckan.action.package_search(
            q="*:*",
            fl="id,metadata_modified",
            rows=1000,
            start=start,
            include_private=True,
            include_drafts=True,
            sort="id asc",
        )
        for row in page["results"]:
            found[row["id"]] = row["metadata_modified"]
        start += 1000
        if start >= page["count"]:
            return found


def main() -> None:
    url, count, state_path = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    variant = sys.argv[4] if len(sys.argv) > 4 else ""
    token = os.environ["CDX_API_TOKEN"]
    ckan = ckanapi.RemoteCKAN(url, apikey=token, user_agent="cityharvest-peer-seed")
    started = time.monotonic()
    for org in catalog.organizations():
        try:
            ckan.action.organization_show(id=org["name"])
        except ckanapi.NotFound:
            ckan.action.organization_create(**org)
    chosen = catalog.republished(count) if variant == "republished" else catalog.datasets(count)
    seed = {d["id"]: d for d in chosen}
    digests = {
        i: hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()
        for i, d in seed.items()
    }
    saved = json.loads(state_path.read_text()) if state_path.exists() else {}
    modified, seeded = saved.get("modified", {}), saved.get("digests", {})
    present = listing(ckan)
    stale = [
        i
        for i in seed
        if i not in present or present[i] != modified.get(i) or seeded.get(i) != digests[i]
    ]
    extra = [i for i in present if i not in seed]

    def purge(dataset_id: str) -> None:
        with contextlib.suppress(ckanapi.NotFound):
            ckan.action.dataset_purge(id=dataset_id)

    def recreate(dataset_id: str) -> None:
        purge(dataset_id)
        ckan.action.package_create(**seed[dataset_id])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(purge, extra))
        list(pool.map(recreate, stale))
    if stale or extra:
        present = listing(ckan)
    state_path.write_text(
        json.dumps({"digests": digests, "modified": {i: present.get(i, "") for i in seed}})
    )
    print(
        f"peer {url}: {len(seed)} datasets in the seed, {len(stale)} (re)created, {len(extra)} purged, "
        f"{time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
