#!/usr/bin/env python3
"""Search at catalog scale: the suite against stock CKAN on the same data, over HTTP.

    var/venv/bin/python bench/search_scale.py var/bench.ini [--datasets 100000]
        [--clients 8] [--seconds 20] [--rounds 2] [--loaders 2] [--reuse]

1. Loads ``--datasets`` datasets into the benchmark database (mixed as a city exchange
   holds them: open municipal data, priced commercial data with a sample and a locked
   file, harvested-like records with a source and a geometry), through CKAN's actions in
   ``--loaders`` processes with the search index switched off and a commit per 200
   datasets, then indexes them with ``--loaders`` processes (``search.rebuild`` of a
   share each, one commit at the end). Load and index times are printed.
2. Serves the portal with gunicorn (one worker per core, on loopback), once with the
   whole suite loaded and once as stock CKAN (core plugins and the same scheming
   schema) on the same database and Solr core, and runs ``--clients`` concurrent clients
   for ``--seconds`` per case: ``package_search`` with typical queries and facets, the
   search page and a dataset page. Prints p50/p95 per case and the suite/stock ratio
   of p95, ``--rounds`` times alternating the two.

Nothing is asserted: the figures go in the notes. ``--reuse`` keeps a catalog of the
same size loaded by an earlier run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test-data" / "search"))
import corpus  # noqa: E402
from _common import flask_app as wsgi_flask_app  # noqa: E402

ORGS = 20
PREFIX = "scale-"
WORDS = [
    "luft",
    "parkering",
    "cykel",
    "trafik",
    "affald",
    "støj",
    "skole",
    "budget",
    "havn",
    "befolkning",
    "energi",
    "bolig",
    "københavn",
    "aarhus",
    "traffic",
    "air quality",
]
FACETS = json.dumps(["organization", "tags", "res_format", "license_id", "access_tier"])
STOCK_PLUGINS = "activity datastore scheming_datasets text_view image_view datatables_view"


def _fields(i: int, org: str) -> dict[str, Any]:
    subjects = list(corpus.SUBJECTS.items())
    places = list(corpus.PLACES.items())
    _subject, (titles, english, tags) = subjects[i % len(subjects)]
    place, spellings = places[(i // len(subjects)) % len(places)]
    kind = ("open", "open", "open", "priced", "harvested", "open", "priced", "open")[i % 8]
    title = f"{titles[i % len(titles)]} i {spellings[i % len(spellings)]} {2000 + i % 26}"
    fields: dict[str, Any] = {
        "name": f"{PREFIX}{i:06d}",
        "title": title if i % 5 else f"{english} in {corpus.PLACES_EN[place]} {2000 + i % 26}",
        "notes": f"Data om {titles[(i + 1) % len(titles)].lower()} i {spellings[0]}. Nummer {i}.",
        "owner_org": org,
        "tags": [{"name": t} for t in tags],
        "license_id": "cc-by-4.0" if kind != "priced" else "other-closed",
        "resources": [
            {"name": "Data", "url": f"https://data.example/{i}/data.csv", "format": "CSV"}
        ],
    }
    if kind == "priced":
        fields.update(
            access_tier="priced",
            offers=[
                {
                    "id": "standard",
                    "kind": "one_off",
                    "amount": 1000 * (i % 300 + 1),
                    "currency": "DKK",
                    "licence": "internal-use",
                }
            ],
            resources=[
                {
                    "name": "Sample",
                    "url": f"https://seller.example/{i}/sample.csv",
                    "format": "CSV",
                    "access": "sample",
                },
                {
                    "name": "Full data",
                    "url": f"https://seller.example/{i}/full.csv",
                    "format": "CSV",
                    "access": "locked",
                },
            ],
        )
    elif kind == "harvested":
        lon, lat = 8.5 + (i % 60) / 10, 54.8 + (i % 30) / 10
        ring = [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
        fields.update(
            spatial=json.dumps({"type": "Polygon", "coordinates": [ring]}),
            spatial_coverage=spellings[0],
            update_frequency="monthly",
        )
    return fields


def _load_share(ini: str, numbers: list[int], orgs: list[str]) -> None:
    flask_app = wsgi_flask_app(ini)
    from ckan import model
    from ckan.lib import search
    from ckan.tests import helpers

    # Indexed afterwards, in bulk: in the loading processes every write's indexing (CKAN
    # 2.12's actions and 2.11's synchronous search plugin both ask index_for) is a no-op.
    search.index_for = lambda _type: search.NoopSearchIndex()  # type: ignore[assignment]
    with flask_app.test_request_context():
        site = helpers.call_action("get_site_user", context={"ignore_auth": True})["name"]
        for n, i in enumerate(numbers, 1):
            helpers.call_action(
                "package_create",
                context={"user": site, "defer_commit": True},
                **_fields(i, orgs[i % len(orgs)]),
            )
            if n % 200 == 0:
                model.repo.commit()
        model.repo.commit()


def _index_share(ini: str, ids: list[str]) -> None:
    flask_app = wsgi_flask_app(ini)
    from ckan.lib import search

    with flask_app.test_request_context():
        search.rebuild(package_ids=ids, defer_commit=True, quiet=True)


def load(ini: str, count: int, loaders: int) -> None:
    flask_app = wsgi_flask_app(ini)
    from ckan import model
    from ckan.lib import search
    from ckan.tests import helpers

    with flask_app.test_request_context():
        site = helpers.call_action("get_site_user", context={"ignore_auth": True})["name"]
        orgs = []
        for n in range(ORGS):
            name = f"{PREFIX}org-{n:02d}"
            if not model.Group.get(name):
                helpers.call_action("organization_create", context={"user": site}, name=name)
            orgs.append(model.Group.get(name).id)
        existing = {
            name
            for (name,) in model.Session.query(model.Package.name).filter(
                model.Package.name.like(f"{PREFIX}%")
            )
        }
    numbers = [i for i in range(count) if f"{PREFIX}{i:06d}" not in existing]
    print(f"loading {len(numbers)} datasets with {loaders} processes ...", flush=True)
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(loaders) as pool:
        pool.starmap(_load_share, [(ini, numbers[k::loaders], orgs) for k in range(loaders)])
    loaded = time.perf_counter() - start
    with flask_app.test_request_context():
        ids = [
            i
            for (i,) in model.Session.query(model.Package.id).filter(
                model.Package.name.like(f"{PREFIX}%"), model.Package.state == "active"
            )
        ]
    print(f"indexing {len(ids)} datasets with {loaders} processes ...", flush=True)
    start = time.perf_counter()
    with ctx.Pool(loaders) as pool:
        pool.starmap(_index_share, [(ini, ids[k::loaders]) for k in range(loaders)])
    with flask_app.test_request_context():
        search.commit()
    indexed = time.perf_counter() - start
    print(
        f"load: {len(numbers)} datasets in {loaded:.0f} s ({len(numbers) / max(loaded, 1e-9):.0f}/s); "
        f"index: {len(ids)} in {indexed:.0f} s ({len(ids) / max(indexed, 1e-9):.0f}/s)",
        flush=True,
    )


def _stock_ini(ini: str) -> str:
    text = Path(ini).read_text(encoding="utf-8")
    text = re.sub(
        r"^ckan\.plugins\s*=.*?(?=^\S)",
        f"ckan.plugins = {STOCK_PLUGINS}\n",
        text,
        flags=re.S | re.M,
    )
    out = Path(tempfile.mkdtemp()) / "stock.ini"
    out.write_text(text, encoding="utf-8")
    return str(out)


class Server:
    """gunicorn serving the ini's WSGI app on loopback."""

    def __init__(self, ini: str, port: int, workers: int) -> None:
        env = dict(os.environ, CKAN_INI=str(Path(ini).resolve()))
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--chdir",
                str(ROOT / "docker"),
                "wsgi:application",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.port = port
        deadline = time.monotonic() + 180
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", "/api/3/action/status_show")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not serve {ini}")
            time.sleep(0.5)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def _paths(case: str, rng: random.Random, count: int) -> str:
    word = rng.choice(WORDS)
    if case == "package_search, query + 5 facets":
        query = {"q": word, "rows": 20, "facet.field": FACETS}
        return "/api/3/action/package_search?" + urllib.parse.urlencode(query)
    if case == "search page":
        return "/dataset/?" + urllib.parse.urlencode({"q": word})
    return f"/dataset/{PREFIX}{rng.randrange(count):06d}"


CASES = ("package_search, query + 5 facets", "search page", "dataset page")


def measure(port: int, case: str, clients: int, seconds: float, count: int) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        while time.monotonic() < stop:
            start = time.perf_counter()
            connection.request("GET", _paths(case, rng, count))
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{case}: HTTP {response.status}")
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ini")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--loaders", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument(
        "--reuse", action="store_true", help="skip loading when the catalog is there"
    )
    args = parser.parse_args()

    if not args.reuse:
        load(args.ini, args.datasets, args.loaders)
    workers = os.cpu_count() or 2
    variants = {"suite": args.ini, "stock": _stock_ini(args.ini)}
    results: dict[tuple[str, str], list[float]] = {}
    for round_number in range(args.rounds):
        for label, ini in variants.items() if round_number % 2 == 0 else reversed(variants.items()):
            server = Server(ini, args.port, workers)
            try:
                for case in CASES:
                    measure(server.port, case, args.clients, 2, args.datasets)  # warm up
                    results.setdefault((label, case), []).extend(
                        measure(server.port, case, args.clients, args.seconds, args.datasets)
                    )
            finally:
                server.stop()
        print(f"  round {round_number + 1}/{args.rounds} done", flush=True)

    print(
        f"\n{args.datasets} datasets, {args.clients} clients, gunicorn with {workers} workers, "
        f"{args.rounds} x {args.seconds:.0f} s per case (ms)"
    )
    print(
        f"{'case':36} {'stock p50':>9} {'p95':>7} {'suite p50':>9} {'p95':>7} {'p95 suite/stock':>16} {'req/s suite':>11}"
    )
    for case in CASES:
        stock, suite = results[("stock", case)], results[("suite", case)]
        print(
            f"{case:36} {statistics.median(stock):9.0f} {_pct(stock, 0.95):7.0f} {statistics.median(suite):9.0f} "
            f"{_pct(suite, 0.95):7.0f} {_pct(suite, 0.95) / _pct(stock, 0.95):16.2f} "
            f"{len(suite) / (args.rounds * args.seconds):11.1f}"
        )


if __name__ == "__main__":
    main()
