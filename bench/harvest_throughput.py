#!/usr/bin/env python3
"""Harvest throughput from a local, stock CKAN source catalog (``portal.sh peer
bench``: 2,000 public opendata.dk-style datasets plus private ones), for the suite's
CKAN harvester (``cityharvest_ckan``) and, in the same run on the same source and
portal, ckanext-harvest's stock ``ckan`` harvester.

    var/venv/bin/python bench/harvest_throughput.py var/bench.ini var/data/peer-bench.json [--workers 2]

For each harvester: a first run into an empty catalog (datasets per minute), then a run
with no change at the source (seconds). Both go through the same runner
(``cityharvest_source_run``: gather, then fetch and import with the same number of
import processes); the stock harvester's datasets are purged before the suite's run.
Nothing is asserted: the figures go in the issue notes.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from _common import flask_app as wsgi_flask_app


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ini")
    parser.add_argument("peer", help="the peer's description written by portal.sh peer bench")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with open(args.peer) as handle:
        peer = json.load(handle)

    wsgi_flask_app(args.ini).test_request_context().push()
    import ckan.plugins.toolkit as tk
    from ckan import model

    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})

    def ctx() -> dict[str, Any]:
        return {"user": site["name"]}

    def fresh_source(name: str, source_type: str) -> None:
        tk.get_action("cityharvest_source_load")(
            ctx(),
            {
                "sources": [
                    {
                        "name": name,
                        "title": name,
                        "url": peer["url"],
                        "type": "ckan",
                        "frequency": "MANUAL",
                        # ckanext-harvest allows one source per URL and configuration.
                        "config": {} if source_type == "ckan" else {"timeout": 30},
                    }
                ]
            },
        )
        source = tk.get_action("harvest_source_show")(ctx(), {"id": name})
        if source["source_type"] != source_type:
            tk.get_action("harvest_source_patch")(
                ctx(), {"id": source["id"], "source_type": source_type}
            )

    def timed_run(name: str) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        result = tk.get_action("cityharvest_source_run")(
            ctx(), {"id": name, "workers": args.workers}
        )
        model.Session.remove()
        return time.perf_counter() - started, result

    def active_datasets() -> int:
        return (
            model.Session.query(model.Package)
            .filter(model.Package.state == "active", model.Package.type == "dataset")
            .count()
        )

    figures = {}
    for label, source_type, name in (
        ("stock ckan harvester", "ckan", "bench-stock"),
        ("cityharvest_ckan", "cityharvest_ckan", "bench-city"),
    ):
        # Each harvester starts from a catalog without the other's datasets.
        for other in ("bench-stock", "bench-city"):
            try:
                source = tk.get_action("harvest_source_show")(ctx(), {"id": other})
                tk.get_action("harvest_source_clear")(ctx(), {"id": source["id"]})
            except tk.ObjectNotFound:
                pass
        model.Session.execute(model.meta.metadata.tables["cityharvest_record"].delete())
        model.Session.commit()
        before = active_datasets()
        fresh_source(name, source_type)
        first_s, first = timed_run(name)
        imported = active_datasets() - before
        again_s, again = timed_run(name)
        figures[label] = (first_s, imported, again_s)
        print(
            f"{label:<22} first run: {imported} datasets in {first_s:6.1f} s = {60 * imported / first_s:6.0f}/min "
            f"(errors {first['stats'].get('errored', 0)}); re-run without changes: {again_s:5.1f} s "
            f"({again['objects']} objects, {again['stats']})",
            flush=True,
        )

    stock, city = figures["stock ckan harvester"], figures["cityharvest_ckan"]
    print(
        f"source: {peer['url']} ({peer['count']} datasets in the seed), import processes: {args.workers}"
    )
    if stock[1] and city[1]:
        print(
            f"ratio cityharvest/stock: first run {(city[1] / city[0]) / (stock[1] / stock[0]):.2f} x the "
            f"datasets per minute; re-run {city[2] / stock[2]:.2f} x the time"
        )


if __name__ == "__main__":
    main()
