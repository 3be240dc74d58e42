#!/usr/bin/env python3
"""Writes the personal-data scanner's test corpus (deterministic: same files every run).

    python test-data/gdpr/make_corpus.py

Each file mixes planted personal data of every kind with look-alikes that are not
personal data (dates, order numbers, phone-like ids, failing checksums, version strings,
low-precision coordinates). ``manifest.json`` lists every planted value's file, detector,
row and column: the scanner tests score precision and recall against it.
"""
from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
R = random.Random(20261123)
CPR_W = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
CVR_W = (2, 7, 6, 5, 4, 3, 2, 1)


def cpr(mod11: bool) -> str:
    while True:
        day, month, yy = R.randint(1, 28), R.randint(1, 12), R.randint(40, 99)
        serial = [R.randint(0, 3)] + [R.randint(0, 9) for _ in range(3)]
        digits = [day // 10, day % 10, month // 10, month % 10, yy // 10, yy % 10] + serial
        if (sum(a * b for a, b in zip(digits, CPR_W)) % 11 == 0) == mod11:
            s = "".join(map(str, digits))
            return s[:6] + "-" + s[6:] if R.random() < 0.5 else s


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(str(R.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        digits = [int(c) for c in body + check]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return body + check
    raise AssertionError


def iban(valid: bool) -> str:
    bban = "".join(str(R.randint(0, 9)) for _ in range(14))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "DK00")) % 97
    if not valid:
        check = (check + 1) % 97 or 2
    return f"DK{check:02d}{bban}"


def cvr() -> str:
    while True:
        d = [R.randint(1, 9)] + [R.randint(0, 9) for _ in range(7)]
        if sum(a * b for a, b in zip(d, CVR_W)) % 11 == 0:
            return "".join(map(str, d))


def phone() -> str:
    n = str(R.randint(2, 9)) + "".join(str(R.randint(0, 9)) for _ in range(7))
    return R.choice([f"+45 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}", f"+45{n}", f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}"])


def main() -> None:
    planted: list[dict] = []
    header = ["id", "navn", "adresse", "fødselsdato", "email", "telefon", "cpr_nr", "konto", "kort",
              "cvr", "ip", "lat", "lon", "ordre_nr", "dato", "version", "note"]
    rows = [header]
    for i in range(1, 401):
        row = {c: "" for c in header}
        row.update(id=str(i), ordre_nr=str(R.randint(10**7, 10**8 - 1)),  # phone-like id, not a phone
                   dato=f"2026-{R.randint(1, 12):02d}-{R.randint(1, 28):02d}",
                   version=f"{R.randint(1, 9)}.{R.randint(0, 20)}.{R.randint(0, 99)}.{R.randint(0, 9)}.{R.randint(0, 9)}",
                   note=R.choice(["ok", "leveret", "ordre 3299123456", "ref 4111111111111112", "målt 55.67 / 12.56"]))
        kind = i % 10
        if kind == 0:
            row["cpr_nr"] = cpr(mod11=R.random() < 0.7)
            planted.append({"detector": "cpr", "column": "cpr_nr"})
        elif kind == 1:
            row["email"] = f"{R.choice(['jens', 'mette.h', 'lars_k'])}{i}@{R.choice(['example.dk', 'post.example.com'])}"
            planted.append({"detector": "email", "column": "email"})
        elif kind == 2:
            row["telefon"] = phone()
            planted.append({"detector": "phone", "column": "telefon"})
        elif kind == 3:
            row["konto"] = iban(True)
            planted.append({"detector": "iban", "column": "konto"})
        elif kind == 4:
            row["kort"] = luhn_complete(R.choice(["4", "51", "55"]), 16)
            planted.append({"detector": "card", "column": "kort"})
        elif kind == 5:
            row["cvr"] = R.choice(["DK", ""]) + cvr()
            planted.append({"detector": "cvr", "column": "cvr"})
        elif kind == 6:
            row["ip"] = ".".join(str(R.randint(1, 254)) for _ in range(4))
            planted.append({"detector": "ip", "column": "ip"})
        elif kind == 7:
            row["lat"], row["lon"] = f"55.{R.randint(10**5, 10**6 - 1)}", f"12.{R.randint(10**5, 10**6 - 1)}"
            planted += [{"detector": "coordinates", "column": "lat"}, {"detector": "coordinates", "column": "lon"}]
        elif kind == 8:
            row["konto"] = iban(False)  # failing checksum: not an IBAN
            row["kort"] = str(int(luhn_complete("4", 16)) + 1)  # failing Luhn: not a card
        else:
            row["cpr_nr"] = f"{R.randint(32, 99)}{R.randint(13, 99)}{R.randint(10, 99)}-{R.randint(1000, 9999)}"  # no such date
        for p in planted:
            p.setdefault("file", "people.csv")
            p.setdefault("row", i)
        rows.append([row[c] for c in header])
    (HERE / "people.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    for detector, column in (("name_column", "navn"), ("address_column", "adresse"), ("birthdate_column", "fødselsdato")):
        planted.append({"file": "people.csv", "detector": detector, "row": 0, "column": column})

    # JSON events: values under keys
    events = []
    for i in range(1, 101):
        event = {"event": i, "at": f"2026-11-{R.randint(1, 28):02d}T10:00:00Z", "sensor": f"S-{R.randint(1000, 9999)}"}
        if i % 4 == 0:
            event["contact"] = f"borger{i}@example.dk"
            planted.append({"file": "events.json", "detector": "email", "row": i, "column": "contact"})
        if i % 5 == 0:
            event["client_ip"] = f"10.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"
            planted.append({"file": "events.json", "detector": "ip", "row": i, "column": "client_ip"})
        events.append(event)
    (HERE / "events.json").write_text("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n]\n")

    # Windows-1252 (an older Danish export) with a CPR number and Danish letters
    lines = ["navn;by;cpr"]
    for i in range(1, 51):
        value = cpr(mod11=True) if i % 10 == 0 else ""
        lines.append(f"Søren Ærø Åby {i};København;{value}")
        if value:
            planted.append({"file": "latin1.csv", "detector": "cpr", "row": i, "column": "cpr"})
    planted.append({"file": "latin1.csv", "detector": "name_column", "row": 0, "column": "navn"})
    (HERE / "latin1.csv").write_bytes(("\n".join(lines) + "\n").encode("cp1252"))

    # Ragged rows: too few and too many fields
    ragged = ["a,b,email", "1,2", f"1,2,{'ragnar'}@example.dk,extra,fields,9", "", "only-one-field", "3,4,5"]
    planted.append({"file": "ragged.csv", "detector": "email", "row": 2, "column": "email"})
    (HERE / "ragged.csv").write_text("\n".join(ragged) + "\n")

    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "binary.csv").write_bytes(bytes(R.randint(0, 255) for _ in range(20000)))

    # XLSX with inline strings, written by hand (no spreadsheet library needed)
    def cell(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    sheet_rows = []
    table = [["navn", "email", "telefon", "beløb"]]
    for i in range(1, 31):
        email = f"kunde{i}@example.dk" if i % 3 == 0 else ""
        table.append([f"Kunde {i}", email, f"+45 2{i % 10} 11 22 33" if i % 5 == 0 else "", str(i * 100)])
        if email:
            planted.append({"file": "people.xlsx", "detector": "email", "row": i, "column": "email"})
        if i % 5 == 0:
            planted.append({"file": "people.xlsx", "detector": "phone", "row": i, "column": "telefon"})
    planted.append({"file": "people.xlsx", "detector": "name_column", "row": 0, "column": "navn"})
    for r, values in enumerate(table, start=1):
        cells = "".join(cell(f"{'ABCD'[c]}{r}", v) for c, v in enumerate(values))
        sheet_rows.append(f'<row r="{r}">{cells}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    with zipfile.ZipFile(HERE / "people.xlsx", "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                      '<Default Extension="xml" ContentType="application/xml"/>'
                      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        book.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns}><sheets><sheet name="Kunder" sheetId="1"/></sheets></workbook>')
        book.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {ns}><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>')

    # RFC 4180 quoting: delimiters, quotes and line breaks inside quoted fields. A reader
    # that splits on every comma or line break puts every later column in the wrong place.
    header = ["id", "adresse", "placering", "bemærkning", "email", "cpr_nr", "beløb"]
    lines = [",".join(header)]
    for i in range(1, 201):
        place = (f'"55.{R.randint(10**5, 10**6 - 1)},12.{R.randint(10**5, 10**6 - 1)}"' if i % 3 == 0
                 else '"55.67,12.56"')
        if i % 3 == 0:
            planted += [{"file": "quoted.csv", "detector": "coordinates", "row": i, "column": "placering"}] * 2
        if i % 4 == 0:
            mail = f"svar{i}@example.dk"
            remark = f'"Ringede to gange,\nsagde ""ok""; skrev til {mail}\nsenere"'
            planted.append({"file": "quoted.csv", "detector": "email", "row": i, "column": "bemærkning"})
        else:
            remark = R.choice(['"leveret, ok"', "ok", '"ordre ""3299123456"", betalt"'])
        email = f"borger{i}@example.dk" if i % 2 == 0 else ""
        if email:
            planted.append({"file": "quoted.csv", "detector": "email", "row": i, "column": "email"})
        number = cpr(mod11=True) if i % 5 == 0 else ""
        if number:
            planted.append({"file": "quoted.csv", "detector": "cpr", "row": i, "column": "cpr_nr"})
        lines.append(",".join([str(i), f'"Vesterbrogade {i}, 1620 København V"', place, remark, email, number,
                               f'"{R.randint(1, 9)}.{R.randint(100, 999)},{R.randint(10, 99)}"']))
    planted.append({"file": "quoted.csv", "detector": "address_column", "row": 0, "column": "adresse"})
    (HERE / "quoted.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    # A Danish Excel export: BOM, semicolons, decimal commas, quoted fields.
    header = ["Navn", "Adresse", "Telefon", "Breddegrad", "Længdegrad", "Beløb", "CPR"]
    lines = [";".join(header)]
    for i in range(1, 201):
        tel = phone() if i % 3 == 0 else ""
        if tel:
            planted.append({"file": "semicolon.csv", "detector": "phone", "row": i, "column": "Telefon"})
        if i % 4 == 0:
            lat, lon = f"55,{R.randint(10**5, 10**6 - 1)}", f"12,{R.randint(10**5, 10**6 - 1)}"
            planted += [{"file": "semicolon.csv", "detector": "coordinates", "row": i, "column": "Breddegrad"},
                        {"file": "semicolon.csv", "detector": "coordinates", "row": i, "column": "Længdegrad"}]
        else:
            lat, lon = "55,67", "12,56"
        number = cpr(mod11=R.random() < 0.7) if i % 5 == 0 else ""
        if number:
            planted.append({"file": "semicolon.csv", "detector": "cpr", "row": i, "column": "CPR"})
        lines.append(";".join([f"Kunde {i}", f'"Nørregade {i}; 8000 Aarhus C"' if i % 7 == 0 else f"Nørregade {i}, 8000 Aarhus C",
                               tel, lat, lon, f"{R.randint(100, 99999)},{R.randint(10, 99)}", number]))
    planted += [{"file": "semicolon.csv", "detector": "name_column", "row": 0, "column": "Navn"},
                {"file": "semicolon.csv", "detector": "address_column", "row": 0, "column": "Adresse"}]
    (HERE / "semicolon.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))

    # A TSV whose headers say nothing: CVR numbers found by value (low confidence, never
    # blocking alone) beside order numbers, one in eleven of which passes modulus 11 too.
    lines = ["\t".join(["felt1", "felt2", "felt3", "felt4", "felt5"])]
    for i in range(1, 301):
        company = cvr() if i % 2 == 0 else ""
        if company:
            planted.append({"file": "export.tsv", "detector": "cvr", "row": i, "column": "felt2",
                            "confidence": "low"})
        mail = f"firma{i}@example.com" if i % 3 == 0 else ""
        if mail:
            planted.append({"file": "export.tsv", "detector": "email", "row": i, "column": "felt4"})
        lines.append("\t".join([str(i), company, str(R.randint(10**7, 10**8 - 1)), mail,
                                '"a\tb"' if i % 10 == 0 else f"DK-{R.randint(1000, 9999)}"]))
    (HERE / "export.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    (HERE / "manifest.json").write_text(json.dumps({"planted": planted}, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(planted)} planted values in {HERE}")


if __name__ == "__main__":
    main()
