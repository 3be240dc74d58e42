"""Build ckanext-cityexchange's gazetteer (``ckanext/cityexchange/data/places-dk.json``):
the bounding box of each Danish municipality and region, from the DAGI administrative
boundaries (Geodatastyrelsen & Danske Kommuner, 1:500 000, as published in GeoJSON in the
repository Neogeografen/dagi, commit a1c1563). Usage:

    python scripts/build_places.py kommuner.geojson regioner.geojson > places-dk.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield float(coordinates[0]), float(coordinates[1])
        return
    for part in coordinates:
        yield from _positions(part)


def boxes(path: str, name_key: str) -> dict[str, list[float]]:
    with open(path, encoding="utf-8") as f:
        collection = json.load(f)
    found: dict[str, list[float]] = {}
    for feature in collection["features"]:
        name = feature["properties"][name_key]
        for x, y in _positions(feature["geometry"]["coordinates"]):
            box = found.setdefault(name, [x, y, x, y])
            box[:] = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
    return {name: [round(v, 4) for v in box] for name, box in sorted(found.items())}


def main() -> None:
    municipalities, regions = sys.argv[1:3]
    json.dump(
        {
            "source": "DAGI, Geodatastyrelsen & Danske Kommuner, 2014-02-13, 1:500 000",
            "municipalities": boxes(municipalities, "KOMNAVN"),
            "regions": boxes(regions, "REGIONNAVN"),
        },
        sys.stdout,
        ensure_ascii=False,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
