#!/usr/bin/env python3
"""How well search answers Danish and English queries: recall@10 and nDCG@10 of the
judged queries in ``test-data/search/queries.json`` with stock CKAN's Solr schema and
query fields and with the suite's (Danish analysis, compound parts, synonyms), on the
same datasets in one run.

    var/venv/bin/python bench/search_relevance.py var/bench.ini [--show-misses]

Loads the demo catalog's datasets (titles, descriptions, tags) and the generated catalog
of ``test-data/search/corpus.py`` into an organisation of their own in the benchmark
database, indexes them into the suite's core (the ini's ``solr_url``) and into
``ckan_stock`` (CKAN's own schema.xml, scripts/services.sh) and asks every query through
``package_search`` limited to that organisation. Each query's relevant datasets are
at most ten, so recall@10 can reach 1. Nothing is asserted: the figures go in the notes.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test-data" / "search"))
import corpus  # noqa: E402
from _common import flask_app as wsgi_flask_app  # noqa: E402

ORG = "search-relevance"
STOCK_QF = "name^4 title^4 tags^2 groups^2 text"


def catalog() -> list[dict[str, Any]]:
    judged = json.loads((ROOT / "test-data" / "search" / "queries.json").read_text())
    demo = json.loads((ROOT / "test-data" / "demo" / "datasets.json").read_text())
    found = []
    for item in demo:
        judgement = judged["demo"].get(
            item["name"], {"subject": None, "concepts": [], "places": []}
        )
        found.append(
            {
                "name": f"demo-{item['name']}",
                "title": item["title"],
                "notes": item.get("notes", ""),
                "tags": [t["name"] if isinstance(t, dict) else t for t in item.get("tags", [])],
                "subject": judgement["subject"],
                "concepts": judgement["concepts"],
                "places": judgement["places"],
            }
        )
    for item in corpus.datasets():
        found.append({**item, "places": [item["place"]]})
    return found


def relevant(query: dict[str, Any], datasets: list[dict[str, Any]]) -> set[str]:
    """The datasets about a broad query's subjects or a specific query's kinds, and about
    its place if it names one."""

    def about(d: dict[str, Any]) -> bool:
        if "concepts" in query:
            return bool(set(query["concepts"]) & set(d["concepts"]))
        return d["subject"] in query["subjects"]

    place = query.get("place")
    return {d["name"] for d in datasets if about(d) and (not place or place in d["places"])}


def ndcg(ranked: list[str], wanted: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, name in enumerate(ranked[:k]) if name in wanted)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(wanted), k)))
    return dcg / ideal if ideal else 0.0


def use_core(url: str) -> None:
    """Point CKAN's search at another Solr core (2.12 reads solr_url on every call,
    2.11 keeps it in SolrSettings)."""
    import ckan.plugins.toolkit as tk
    from ckan.lib.search import common

    tk.config["solr_url"] = url
    if hasattr(common, "SolrSettings"):
        common.SolrSettings.init(url)


def load(datasets: list[dict[str, Any]], helpers: Any, model: Any) -> list[str]:
    site = helpers.call_action("get_site_user", context={"ignore_auth": True})["name"]
    ctx = {"user": site}
    if not model.Group.get(ORG):
        helpers.call_action("organization_create", context=ctx, name=ORG)
    ids = []
    for item in datasets:
        existing = model.Package.get(item["name"])
        fields = {
            "name": item["name"],
            "title": item["title"],
            "notes": item["notes"],
            "owner_org": ORG,
            "tags": [{"name": t} for t in item["tags"]],
        }
        if existing and existing.state == "active":
            ids.append(
                helpers.call_action("package_patch", context=dict(ctx), id=existing.id, **fields)[
                    "id"
                ]
            )
        else:
            ids.append(helpers.call_action("package_create", context=dict(ctx), **fields)["id"])
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ini")
    parser.add_argument("--show-misses", action="store_true", help="list the queries that miss")
    args = parser.parse_args()

    flask_app = wsgi_flask_app(args.ini)

    import ckan.plugins.toolkit as tk
    from ckan import model
    from ckan.lib import search
    from ckan.tests import helpers

    datasets = catalog()
    queries = json.loads((ROOT / "test-data" / "search" / "queries.json").read_text())["queries"]
    suite_url = tk.config["solr_url"]
    stock_url = suite_url.rsplit("/", 1)[0] + "/ckan_stock"
    with flask_app.test_request_context():
        print(f"loading {len(datasets)} datasets into the suite's core ...", flush=True)
        ids = load(datasets, helpers, model)
        print("indexing them into the stock core ...", flush=True)
        use_core(stock_url)
        try:
            # The stock core is this benchmark's alone: emptied first, so that entries of
            # an earlier run (whose database was made anew since) never answer.
            search.clear_all()
            for package_id in ids:
                search.rebuild(package_id, defer_commit=True)
            search.commit()
        finally:
            use_core(suite_url)
    model.Session.remove()

    variants = {
        "stock CKAN schema and fields": (stock_url, STOCK_QF),
        "the suite's": (suite_url, None),
    }
    rows: dict[str, dict[str, list[float]]] = {}
    misses: dict[str, list[str]] = {}
    for label, (url, qf) in variants.items():
        use_core(url)
        per: dict[str, list[float]] = {"recall": [], "ndcg": [], "recall da": [], "recall en": []}
        with flask_app.test_request_context():
            for query in queries:
                wanted = relevant(query, datasets)
                assert 0 < len(wanted) <= 10, (query["q"], len(wanted))
                params: dict[str, Any] = {"q": query["q"], "fq": f"organization:{ORG}", "rows": 10}
                if qf:
                    params["qf"] = qf
                ranked = [
                    d["name"]
                    for d in helpers.call_action("package_search", context={"user": ""}, **params)[
                        "results"
                    ]
                ]
                recall = len(wanted & set(ranked)) / len(wanted)
                per["recall"].append(recall)
                per["ndcg"].append(ndcg(ranked, wanted))
                per[f"recall {query['lang']}"].append(recall)
                if recall < 1:
                    misses.setdefault(label, []).append(f"{query['q']!r}: {recall:.2f}")
        rows[label] = per
    use_core(suite_url)

    print(
        f"\n{len(queries)} judged queries ({sum(q['lang'] == 'da' for q in queries)} Danish, "
        f"{sum(q['lang'] == 'en' for q in queries)} English) over {len(datasets)} datasets"
    )
    print(
        f"{'':32} {'recall@10':>10} {'nDCG@10':>9} {'recall da':>10} {'recall en':>10} {'all found':>10}"
    )
    for label, per in rows.items():
        print(
            f"{label:32} {statistics.mean(per['recall']):10.3f} {statistics.mean(per['ndcg']):9.3f} "
            f"{statistics.mean(per['recall da']):10.3f} {statistics.mean(per['recall en']):10.3f} "
            f"{sum(r == 1 for r in per['recall']):7d}/{len(per['recall'])}"
        )
    if args.show_misses:
        for label, items in misses.items():
            print(f"\nmissed by {label}:\n  " + "\n  ".join(items))


if __name__ == "__main__":
    main()
