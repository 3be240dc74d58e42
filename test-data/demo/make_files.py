#!/usr/bin/env python3
"""Make the demo catalog's open files and free samples under files/ (run once; the files
are committed). The data is synthetic but shaped like the municipalities' real exports:
Danish column names, semicolon-free CSV in UTF-8, GeoJSON in WGS 84 with coordinates
rounded to 4 decimals (about 10 m: places, not people), one small Excel workbook.

    python3 test-data/demo/make_files.py
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from pathlib import Path

FILES = Path(__file__).resolve().parent / "files"
RNG = random.Random(2025)

STREETS = [
    ("Nørrebrogade", 55.6905, 12.5510),
    ("Østerbrogade", 55.7015, 12.5790),
    ("Vesterbrogade", 55.6720, 12.5480),
    ("Amagerbrogade", 55.6560, 12.6050),
    ("Jagtvej", 55.6960, 12.5490),
    ("Gothersgade", 55.6835, 12.5800),
    ("Istedgade", 55.6690, 12.5540),
    ("Frederiksberg Allé", 55.6745, 12.5390),
]


def _write_csv(name: str, header: list[str], rows: list[list[object]]) -> None:
    with open(FILES / name, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _point(lat: float, lon: float) -> list[float]:
    return [round(lon + RNG.uniform(-0.004, 0.004), 4), round(lat + RNG.uniform(-0.003, 0.003), 4)]


def _geojson(name: str, features: list[dict[str, object]]) -> None:
    body = {"type": "FeatureCollection", "features": features}
    (FILES / name).write_text(
        json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def parking_zones() -> None:
    zones = [
        ("Indre By", "rød", 39.0),
        ("Brokvartererne", "grøn", 12.0),
        ("Christianshavn", "blå", 24.0),
    ]
    rows, features = [], []
    for i, (area, colour, price) in enumerate(zones, start=1):
        lat, lon = STREETS[i][1], STREETS[i][2]
        ring = [
            [round(lon + dx, 4), round(lat + dy, 4)]
            for dx, dy in [
                (-0.01, -0.006),
                (0.01, -0.006),
                (0.01, 0.006),
                (-0.01, 0.006),
                (-0.01, -0.006),
            ]
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"zone": colour, "omraade": area, "pris_pr_time": price},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
        rows.append([i, colour, area, price, "09-20"])
    _geojson("parkeringszoner.geojson", features)
    _write_csv(
        "parkeringszoner.csv", ["zone_id", "zone", "omraade", "pris_pr_time", "betalingstid"], rows
    )


def bicycle_counts() -> None:
    rows = []
    for street, _lat, _lon in STREETS[:6]:
        for month in range(1, 13):
            rows.append([street, f"2025-{month:02d}", RNG.randint(180_000, 1_100_000)])
    _write_csv("cykeltaellinger-2025.csv", ["taellested", "maaned", "cykler"], rows)


def street_trees() -> None:
    species = ["Lind", "Ahorn", "Eg", "Platan", "Kirsebær", "Elm"]
    rows, features = [], []
    for n in range(1, 121):
        street, lat, lon = RNG.choice(STREETS)
        art, year = RNG.choice(species), RNG.randint(1950, 2024)
        lon_lat = _point(lat, lon)
        rows.append([n, art, year, street, lon_lat[1], lon_lat[0]])
        features.append(
            {
                "type": "Feature",
                "properties": {"trae_id": n, "art": art, "plantet": year},
                "geometry": {"type": "Point", "coordinates": lon_lat},
            }
        )
    _geojson("gadetraeer.geojson", features)
    _write_csv("gadetraeer.csv", ["trae_id", "art", "plantet", "vej", "bredde", "laengde"], rows)


def air_quality_aarhus() -> None:
    rows = []
    for day in range(1, 31):
        for station in ("Banegårdsgade", "Botanisk Have"):
            rows.append(
                [
                    station,
                    f"2025-06-{day:02d}",
                    round(RNG.uniform(8, 35), 1),
                    round(RNG.uniform(4, 18), 1),
                ]
            )
    _write_csv("luftkvalitet-aarhus.csv", ["station", "dato", "no2_ugm3", "pm25_ugm3"], rows)


def bins_aarhus() -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"spand_id": n, "type": RNG.choice(["rest", "pant", "papir"])},
            "geometry": {"type": "Point", "coordinates": _point(56.1560, 10.2100)},
        }
        for n in range(1, 81)
    ]
    _geojson("affaldsspande-aarhus.geojson", features)


POSTCODES = [
    (1050, "København K"),
    (2100, "København Ø"),
    (2200, "København N"),
    (2300, "København S"),
    (2450, "København SV"),
    (2500, "Valby"),
    (2700, "Brønshøj"),
    (2800, "Kongens Lyngby"),
    (3000, "Helsingør"),
    (3400, "Hillerød"),
]


def population() -> None:
    rows = [[code, town, RNG.randint(9_000, 80_000)] for code, town in POSTCODES]
    header = ["postnummer", "by", "indbyggere_2025"]
    _write_csv("befolkning-postnummer-2025.csv", header, rows)
    _xlsx("befolkning-postnummer-2025.xlsx", [header, *rows])


def emergency_clinics() -> None:
    clinics = [
        ("Akutklinik Amager", 55.6540, 12.6030),
        ("Akutklinik Bispebjerg", 55.7120, 12.5400),
        ("Akutklinik Frederiksberg", 55.6790, 12.5270),
        ("Akutmodtagelse Hillerød", 55.9280, 12.3010),
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"klinik": name, "aabent": "døgnet rundt"},
            "geometry": {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]},
        }
        for name, lat, lon in clinics
    ]
    _geojson("akutklinikker.geojson", features)


def samples() -> None:
    rows = []
    for n in range(1, 1001):
        start = RNG.choice(STREETS)[0]
        rows.append(
            [
                f"T{n:05d}",
                f"2025-05-{RNG.randint(1, 31):02d}",
                start,
                RNG.choice(STREETS)[0],
                RNG.randint(3, 45),
            ]
        )
    _write_csv(
        "bikeshare-1000-sample.csv",
        ["tur_id", "dato", "start_station", "slut_station", "minutter"],
        rows,
    )
    rows = []
    for sensor in range(1, 11):
        for hour in range(0, 168, 6):
            rows.append(
                [
                    f"S{sensor:03d}",
                    f"2025-05-{12 + hour // 24:02d}T{hour % 24:02d}:00:00",
                    round(RNG.uniform(8, 40), 1),
                    round(RNG.uniform(3, 20), 1),
                ]
            )
    _write_csv(
        "luftsensor-week-sample.csv", ["sensor_id", "tidspunkt", "no2_ugm3", "pm25_ugm3"], rows
    )


def _xlsx(name: str, table: list[list[object]]) -> None:
    """A one-sheet workbook, written as its parts (Office Open XML, inline strings)."""

    def cell(ref: str, value: object) -> str:
        if isinstance(value, (int, float)):
            return f'<c r="{ref}"><v>{value}</v></c>'
        text = str(value).replace("&", "&amp;").replace("<", "&lt;")
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    rows = "".join(
        f'<row r="{r}">'
        + "".join(cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row))
        + "</row>"
        for r, row in enumerate(table, start=1)
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Befolkning" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for part, xml in parts.items():
            info = zipfile.ZipInfo(part, date_time=(2025, 1, 1, 0, 0, 0))  # same bytes each run
            z.writestr(info, xml, zipfile.ZIP_DEFLATED)
    (FILES / name).write_bytes(buffer.getvalue())


if __name__ == "__main__":
    FILES.mkdir(exist_ok=True)
    for make in (
        parking_zones,
        bicycle_counts,
        street_trees,
        air_quality_aarhus,
        bins_aarhus,
        population,
        emergency_clinics,
        samples,
    ):
        make()
    print("demo files written to", FILES)
