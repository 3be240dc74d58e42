"""The same catalog as a DCAT-AP catalog (what a national feed or a portal's
``catalog.ttl`` serves), for the DCAT harvester's tests.

    python test-data/opendata/dcat.py --count 240 --first 0 --last 40 --format turtle > catalog.ttl

Each dataset keeps the source portal's id as ``dct:identifier``, so a dataset that is in
both the CKAN portal and this catalog is the same dataset. Keywords come as portals
write them in DCAT ("trafik, cykler" in one keyword); ``extra`` adds datasets that are
only in the DCAT catalog.
"""
from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any, Iterable

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalog  # noqa: E402

LICENCES = {"cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
            "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
            "cc-by": "https://creativecommons.org/licenses/by/4.0/",
            "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/",
            "odc-odbl": "https://opendatacommons.org/licenses/odbl/1-0/"}
FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
FREQUENCIES = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "annual": "ANNUAL",
               "continuous": "CONT", "irreg": "IRREG"}


def extra_datasets(count: int) -> list[dict[str, Any]]:
    """Datasets published only in the DCAT catalog (a region's own feed)."""
    result = []
    for number in range(count):
        name = f"region-midtjylland-busruter-{number:03d}"
        result.append({
            "id": str(uuid.uuid5(catalog.NAMESPACE, name)), "name": name,
            "title": f"Busruter i Region Midtjylland, rute {number}",
            "notes": "Køreplaner og stoppesteder for regionens busruter.",
            "owner_org": "region-midtjylland", "license_id": "cc-zero",
            "tags": [{"name": "trafik, busser"}, {"name": "kollektiv trafik/rejser"}],
            "extras": [{"key": "frequency", "value": "weekly"}],
            "resources": [{"name": "Stoppesteder (GeoJSON)", "format": "GeoJSON",
                           "url": f"https://www.rm.dk/opendata/{name}.geojson"}],
        })
    return result


def graph(datasets: Iterable[dict[str, Any]], base: str, modified: str = "2026-01-01T00:00:00") -> Graph:
    titles = {name: title for name, title, _ in catalog.ORGANIZATIONS}
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    cat = URIRef(f"{base}/catalog")
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal("Åbne data (DCAT)", lang="da")))
    for d in datasets:
        uri = URIRef(f"{base}/dataset/{d['id']}")
        g.add((cat, DCAT.dataset, uri))
        g.add((uri, RDF.type, DCAT.Dataset))
        g.add((uri, DCTERMS.identifier, Literal(d["id"])))
        g.add((uri, DCTERMS.title, Literal(d["title"], lang="da")))
        g.add((uri, DCTERMS.description, Literal(d.get("notes") or "", lang="da")))
        g.add((uri, DCTERMS.modified, Literal(d.get("modified") or modified, datatype=XSD.dateTime)))
        g.add((uri, DCAT.landingPage, URIRef(f"{base}/dataset/{d['name']}")))
        for tag in d.get("tags") or []:
            g.add((uri, DCAT.keyword, Literal(tag["name"], lang="da")))
        publisher = BNode()
        g.add((uri, DCTERMS.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Organization))
        g.add((publisher, FOAF.name, Literal(titles.get(d["owner_org"], d["owner_org"]))))
        frequency = next((e["value"] for e in d.get("extras") or [] if e["key"] == "frequency"), None)
        if frequency in FREQUENCIES:
            g.add((uri, DCTERMS.accrualPeriodicity, FREQ[FREQUENCIES[frequency]]))
        for number, res in enumerate(d.get("resources") or []):
            dist = URIRef(f"{uri}/distribution/{number}")
            g.add((uri, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, Literal(res["name"], lang="da")))
            g.add((dist, DCAT.accessURL, URIRef(res["url"]) if res["url"].startswith("http") else Literal(res["url"])))
            g.add((dist, DCTERMS.format, Literal(res.get("format") or "")))
            if d.get("license_id") in LICENCES:
                g.add((dist, DCTERMS.license, URIRef(LICENCES[d["license_id"]])))
    return g


def paged(datasets: list[dict[str, Any]], base: str, size: int, stem: str = "page") -> list[tuple[str, Graph]]:
    """The catalog in pages of ``size`` datasets (``stem-1.ttl``, ``stem-2.ttl``, …), each
    a Hydra paged collection pointing to the next, as paged DCAT feeds are served."""
    chunks = [datasets[i:i + size] for i in range(0, len(datasets), size)] or [[]]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        g = graph(chunk, base)
        g.bind("hydra", HYDRA)
        view = URIRef(f"{base}/{stem}-{number}.ttl")
        g.add((view, RDF.type, HYDRA.PagedCollection))
        g.add((view, HYDRA.totalItems, Literal(len(datasets))))
        if number < len(chunks):
            g.add((view, HYDRA.next, URIRef(f"{base}/{stem}-{number + 1}.ttl")))
        pages.append((f"{stem}-{number}.ttl", g))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=240)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--last", type=int, default=40)
    parser.add_argument("--extra", type=int, default=10)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--format", default="turtle", choices=["turtle", "json-ld", "xml"])
    args = parser.parse_args()
    chosen = [d for d in catalog.datasets(args.count)[args.first:args.last] if not d["private"]]
    sys.stdout.write(graph(chosen + extra_datasets(args.extra), args.base).serialize(format=args.format))


if __name__ == "__main__":
    main()
