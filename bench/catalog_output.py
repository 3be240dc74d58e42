#!/usr/bin/env python3
"""How fast the catalog answers harvesters: a page of 100 datasets from ``/catalog.ttl``
(ckanext-dcat's catalog with the suite's profiles), the same page with ckanext-dcat's
own DCAT-AP 3 profile alone (``?profiles=euro_dcat_ap_3``, the stock baseline), and a
page of the Dataspace Protocol catalog (``POST /dsp/catalog/request``); first built
anew on every request (``ckanext.cityexchange.catalog_cache_ttl = 0``), then with the
pages kept (the portal's default): cold is the first request after the kept pages are
dropped, warm the requests after it.

    var/venv/bin/python bench/catalog_output.py var/bench.ini [--datasets 300] [--rounds 15]

Loads a catalog (half open, half priced with locked resources and samples; the same
loader as pricing_overhead.py) into the bench databases, then through the WSGI app in
one process: the first request of each kind (cold: the process's caches empty) and the
median and 95th percentile of ``--rounds`` more (warm). Prints milliseconds; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from _common import flask_app as wsgi_flask_app
from pricing_overhead import load

MESSAGE = {
    "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
    "@type": "CatalogRequestMessage",
}


def _ms(fn: Any) -> float:
    start = time.perf_counter()
    response = fn()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ini")
    parser.add_argument("--datasets", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    flask_app = wsgi_flask_app(args.ini)

    from ckan import model
    from ckan.lib.search import clear_all
    from ckan.tests import helpers

    with flask_app.test_request_context():
        names = [f"bench-{i:05d}" for i in range(args.datasets)]
        if model.Package.get(names[-1]) and not model.Package.get(f"bench-{args.datasets:05d}"):
            print(f"reusing the {args.datasets} datasets already loaded", flush=True)
        else:
            load(args.datasets, helpers, model, clear_all)
    model.Session.remove()

    import ckan.plugins.toolkit as tk
    from ckan.lib.redis import connect_to_redis

    client = flask_app.test_client()
    cases = {
        "/catalog.ttl, the suite's profiles": lambda: client.get("/catalog.ttl?page=1"),
        "/catalog.ttl, euro_dcat_ap_3 alone": lambda: client.get(
            "/catalog.ttl?page=1&profiles=euro_dcat_ap_3"
        ),
        "/catalog.jsonld, the suite's profiles": lambda: client.get("/catalog.jsonld?page=1"),
        "POST /dsp/catalog/request": lambda: client.post("/dsp/catalog/request", json=MESSAGE),
    }
    redis = connect_to_redis()
    rows = []
    for ttl in (0, 600):
        tk.config["ckanext.cityexchange.catalog_cache_ttl"] = ttl
        for key in redis.scan_iter("cityexchange:catalog:*"):
            redis.delete(key)
        cold = {name: _ms(fn) for name, fn in cases.items()}
        warm: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, fn in cases.items():
                warm[name].append(_ms(fn))
        label = "built anew" if ttl == 0 else "pages kept"
        for name, times in warm.items():
            p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
            rows.append((f"{name}, {label}", cold[name], statistics.median(times), p95))
    print(f"\n{args.datasets} datasets, a page of 100; {args.rounds} warm requests each (ms)")
    print(f"{'case':58} {'cold':>7} {'median':>7} {'p95':>7}")
    for name, cold_ms, median, p95 in rows:
        print(f"{name:58} {cold_ms:7.0f} {median:7.0f} {p95:7.0f}")
    by_name = {name: median for name, _c, median, _p in rows}
    stock = by_name["/catalog.ttl, euro_dcat_ap_3 alone, built anew"]
    for label in ("built anew", "pages kept"):
        suite = by_name[f"/catalog.ttl, the suite's profiles, {label}"]
        print(f"the suite's /catalog.ttl {label} / euro_dcat_ap_3 built anew: {suite / stock:.2f}")


if __name__ == "__main__":
    main()
