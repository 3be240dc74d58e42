#!/usr/bin/env python3
"""What the pricing plugin costs package_search and package_show.

    var/venv/bin/python bench/pricing_overhead.py var/test.ini [--datasets 5000] [--rounds 3]

Loads a catalog (half open, half priced with locked resources and samples) into the
*test* databases and Solr core (the test suite resets them anyway), then measures, in one
process and on the same data, throughput with the plugin loaded and with it unloaded,
alternating the two in rounds. Prints calls per second and the ratio. Nothing is asserted:
the figures go in the issue notes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import flask_app as wsgi_flask_app


def _timed(fn: Callable[[], Any], seconds: float) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return calls / (time.perf_counter() - start)


def load(count: int, helpers: Any, model: Any, clear_all: Callable[[], None]) -> None:
    """A catalog of ``count`` datasets, every second one priced with a locked resource."""
    model.repo.rebuild_db()
    import os

    import ckan.plugins.toolkit as tk
    from ckan.cli.db import _resolve_alembic_config, _run_migrations

    # the tables of every enabled plugin: the suite's other plugins act on every dataset
    for plugin in tk.aslist(tk.config.get("ckan.plugins")):
        if os.path.exists(_resolve_alembic_config(plugin)):
            _run_migrations(plugin)
    clear_all()
    site = helpers.call_action("get_site_user", context={"ignore_auth": True})["name"]
    ctx = {"user": site}
    org = helpers.call_action("organization_create", context=ctx, name="bench-seller")
    buyer = helpers.call_action(
        "user_create",
        context=ctx,
        name="bench-buyer",
        email="b@bench.invalid",
        password="bench-password-1",
    )
    print(f"loading {count} datasets (half priced) ...", flush=True)
    start = time.perf_counter()
    names = []
    for i in range(count):
        priced = i % 2 == 1
        fields: dict[str, Any] = {
            "name": f"bench-{i:05d}",
            "title": f"Bench dataset {i} {'priced' if priced else 'open'}",
            "owner_org": org["id"],
            "notes": "Parking occupancy per street, hourly.",
            "tags": [{"name": random.choice(["parkering", "trafik", "luft", "cykler"])}],
            "resources": [
                {
                    "name": "sample",
                    "url": f"https://seller.example/{i}/sample.csv",
                    "access": "sample" if priced else "",
                },
                {"name": "full", "url": f"https://seller.example/{i}/full.csv"},
            ],
        }
        if priced:
            fields.update(
                access_tier="priced",
                offers=[
                    {
                        "id": "standard",
                        "kind": "one_off",
                        "amount": 1000 * (i % 500 + 1),
                        "currency": "DKK",
                        "licence": "internal-use",
                    }
                ],
            )
        helpers.call_action("package_create", context=ctx, **fields)
        names.append(fields["name"])
        if (i + 1) % 500 == 0:
            print(f"  {i + 1} ({(i + 1) / (time.perf_counter() - start):.0f}/s)", flush=True)
    helpers.call_action(
        "pricing_entitlement_grant", context=ctx, package_id=names[1], holder=buyer["name"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ini")
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a catalog loaded by an earlier run of the same size",
    )
    args = parser.parse_args()

    flask_app = wsgi_flask_app(args.ini)

    from ckan import model, plugins
    from ckan.lib.search import clear_all
    from ckan.tests import helpers

    with flask_app.test_request_context():
        names = [f"bench-{i:05d}" for i in range(args.datasets)]
        if args.reuse and model.Package.get(names[-1]) and model.User.get("bench-buyer"):
            print(f"reusing the {args.datasets} datasets already loaded", flush=True)
        else:
            load(args.datasets, helpers, model, clear_all)
        buyer = {"name": "bench-buyer"}
        rng = random.Random(7)
        queries = ["*:*", "parkering", "tags:luft", "title:priced", "occupancy"]

        # Each call in a request context of its own, as an API request would be.
        def search() -> None:
            with flask_app.test_request_context():
                helpers.call_action(
                    "package_search", context={"user": ""}, q=rng.choice(queries), rows=20
                )

        def show_anonymous() -> None:
            with flask_app.test_request_context():
                helpers.call_action("package_show", context={"user": ""}, id=rng.choice(names))

        def show_buyer() -> None:
            with flask_app.test_request_context():
                helpers.call_action(
                    "package_show", context={"user": buyer["name"]}, id=rng.choice(names)
                )

        cases = {
            "package_search (anonymous)": search,
            "package_show (anonymous)": show_anonymous,
            "package_show (logged-in buyer)": show_buyer,
        }
        results: dict[str, dict[str, list[float]]] = {c: {"with": [], "without": []} for c in cases}
        for fn in cases.values():  # warm caches once
            for _ in range(50):
                fn()
        for round_ in range(args.rounds):
            for state in ("without", "with") if round_ % 2 else ("with", "without"):
                if state == "without" and plugins.plugin_loaded("pricing"):
                    plugins.unload("pricing")
                elif state == "with" and not plugins.plugin_loaded("pricing"):
                    plugins.load("pricing")
                for name, fn in cases.items():
                    _timed(fn, 1.0)  # warm up after the switch: caches, Solr searchers
                    results[name][state].append(_timed(fn, args.seconds))
            print(f"  round {round_ + 1}/{args.rounds} done", flush=True)
        if not plugins.plugin_loaded("pricing"):
            plugins.load("pricing")

    print(
        f"\n{args.datasets} datasets, {args.rounds} rounds of {args.seconds:.0f}s, median calls/s"
    )
    print(f"{'case':34} {'without':>9} {'with':>9} {'with/without':>13}  per-round ratios")
    for name, r in results.items():
        without, with_ = statistics.median(r["without"]), statistics.median(r["with"])
        rounds = " ".join(f"{w / wo:.2f}" for w, wo in zip(r["with"], r["without"], strict=False))
        print(f"{name:34} {without:9.1f} {with_:9.1f} {with_ / without:13.3f}  {rounds}")


if __name__ == "__main__":
    main()
