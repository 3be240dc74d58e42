"""An opendata.dk-style catalog for the harvest tests and benchmark, made up but
shaped like the real thing: several municipalities and a region, Danish titles and
tags (æ, ø, å), CSV, GeoJSON and API resources, the licences Danish portals use, a few
private datasets and one a strict importer must refuse (a resource with a
``javascript:`` URL). Deterministic: the same count gives the same catalog.

    python test-data/opendata/catalog.py --count 240 > catalog.json
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from typing import Any

NAMESPACE = uuid.UUID("5b0c1f0e-7a53-4d0a-9a57-3c1d2e0f4b21")
ORGANIZATIONS = [
    ("aarhus", "Aarhus Kommune", "aarhus.dk"),
    ("aalborg", "Aalborg Kommune", "aalborg.dk"),
    ("odense", "Odense Kommune", "odense.dk"),
    ("kobenhavn", "Københavns Kommune", "kk.dk"),
    ("vejle", "Vejle Kommune", "vejle.dk"),
    ("frederiksberg", "Frederiksberg Kommune", "frederiksberg.dk"),
    ("region-midtjylland", "Region Midtjylland", "rm.dk"),
]
SUBJECTS = [
    ("Trafiktællinger", "traffic counts", ["trafik", "cykler", "biler"]),
    ("Luftkvalitet", "air quality", ["miljø", "luft", "sundhed"]),
    ("Parkeringspladser", "parking", ["parkering", "trafik"]),
    ("Affaldsindsamling", "waste collection", ["affald", "genbrug", "miljø"]),
    ("Legepladser", "playgrounds", ["børn", "fritid", "grønne områder"]),
    ("Skoledistrikter", "school districts", ["skoler", "børn", "uddannelse"]),
    ("Træer i byen", "city trees", ["træer", "grønne områder", "natur"]),
    ("Badevandskvalitet", "bathing water quality", ["vand", "strande", "sundhed"]),
    ("Cykelstier", "cycle paths", ["cykler", "infrastruktur"]),
    ("Offentlige toiletter", "public toilets", ["service", "byrum"]),
    ("Støjmålinger", "noise measurements", ["støj", "miljø"]),
    ("Befolkningstal", "population", ["befolkning", "statistik"]),
]
LICENCES = ["cc-by-4.0", "CC-BY-4.0", "cc-zero", "odc-odbl", "cc-by", "notspecified",
            "Vilkår for brug af Danske Offentlige Data"]
FREQUENCIES = ["daily", "weekly", "monthly", "annual", "continuous", "irreg"]
PRIVATE_EVERY = 12        # every 12th dataset is private at the source
BROKEN_INDEX = 5          # this one has a resource the importer must refuse


def dataset_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def organizations() -> list[dict[str, Any]]:
    return [{"name": name, "title": title, "description": f"Åbne data fra {title}."}
            for name, title, _ in ORGANIZATIONS]


def datasets(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    result = []
    for number in range(count):
        org, org_title, domain = ORGANIZATIONS[number % len(ORGANIZATIONS)]
        subject, english, tags = SUBJECTS[(number // len(ORGANIZATIONS)) % len(SUBJECTS)]
        year = 2015 + number % 10
        name = f"{org}-{english.replace(' ', '-')}-{number:05d}"
        extra_tags = [org_title, "åbne data", "statistik-årlig" if number % 3 == 0 else f"år {year}"]
        resources = [
            {"id": str(uuid.uuid5(NAMESPACE, name + "/csv")), "name": f"{subject} {year} (CSV)",
             "format": "CSV", "url": f"https://www.{domain}/opendata/{name}.csv",
             "description": f"{subject} for {org_title}, {year}."},
            {"id": str(uuid.uuid5(NAMESPACE, name + "/geojson")), "name": f"{subject} (GeoJSON)",
             "format": "geojson", "url": f"https://www.{domain}/opendata/{name}.geojson"},
        ]
        if number % 4 == 0:
            resources.append({"id": str(uuid.uuid5(NAMESPACE, name + "/api")), "name": "API",
                              "format": "API", "url": f"https://api.{domain}/v1/{english.replace(' ', '-')}"})
        if number == BROKEN_INDEX:
            resources.append({"id": str(uuid.uuid5(NAMESPACE, name + "/bad")), "name": "Kort",
                              "format": "HTML", "url": "javascript:alert(document.cookie)"})
        result.append({
            "id": dataset_id(name),
            "name": name,
            "title": f"{subject} i {org_title} {year}",
            "notes": f"{subject} ({english}) for {org_title}, opdateret {rng.choice(['dagligt', 'ugentligt', 'månedligt'])}. "
                     "Data stilles til rådighed som åbne data.",
            "owner_org": org,
            "private": number % PRIVATE_EVERY == PRIVATE_EVERY - 1,
            "license_id": LICENCES[(number * 3 + number // len(ORGANIZATIONS)) % len(LICENCES)],
            "author": org_title,
            "maintainer": f"Team Data, {org_title}",
            "maintainer_email": f"opendata@{domain}",
            "url": f"https://www.{domain}/opendata",
            "tags": [{"name": t} for t in tags + extra_tags],
            "extras": [{"key": "frequency", "value": FREQUENCIES[number % len(FREQUENCIES)]}],
            "resources": resources,
        })
    return result


REPUBLISHED_ORGS = ("aalborg", "frederiksberg")
REPUBLISHED_EACH = (13, 12)


def republished(count: int = 240) -> list[dict[str, Any]]:
    """A second portal republishing part of the catalog as Danish portals do: the same
    datasets (name, title, publisher, resource URLs) under its own CKAN ids, with no
    identifier extra; 13 of Aalborg's and 12 of Frederiksberg's public datasets. Besides:
    one dataset with the same publisher and title as one of the catalog's but other files
    (an uncertain pair), and one with a similar title and other files (a different
    dataset)."""
    public = [d for d in datasets(count) if not d["private"] and d["name"] != datasets(count)[BROKEN_INDEX]["name"]]
    result: list[dict[str, Any]] = []

    def copy(original: dict[str, Any], suffix: str = "", url_part: str = "") -> dict[str, Any]:
        name = original["name"] + suffix
        twin = dict(original, id=str(uuid.uuid5(NAMESPACE, "republished/" + name)), name=name)
        twin["resources"] = [
            dict(r, id=str(uuid.uuid5(NAMESPACE, "republished/" + r["id"] + suffix)),
                 url=r["url"].replace("/opendata/", f"/opendata/{url_part}") if url_part else r["url"])
            for r in original["resources"]
        ]
        return twin

    for org, each in zip(REPUBLISHED_ORGS, REPUBLISHED_EACH):
        result.extend(copy(d) for d in [d for d in public if d["owner_org"] == org][:each])
    aalborg = [d for d in public if d["owner_org"] == "aalborg"]
    uncertain = copy(aalborg[REPUBLISHED_EACH[0]], url_part="v2/")
    different = copy(aalborg[0], suffix="-arkiv", url_part="arkiv/")
    different["title"] = aalborg[0]["title"] + " (arkiv)"
    return result + [uncertain, different]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=240)
    args = parser.parse_args()
    json.dump({"organizations": organizations(), "datasets": datasets(args.count)},
              sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
