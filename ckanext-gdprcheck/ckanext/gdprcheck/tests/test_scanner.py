"""The scanner on the planted corpus in test-data/gdpr/ (precision and recall per
detector), and on files that must never crash it."""

from __future__ import annotations

import collections
import io
import json
from pathlib import Path

import pytest

from ckanext.gdprcheck import detectors, scanner

pytestmark = pytest.mark.pure
CORPUS = Path(__file__).resolve().parents[4] / "test-data" / "gdpr"
FILES = [
    "people.csv",
    "events.json",
    "latin1.csv",
    "ragged.csv",
    "people.xlsx",
    "quoted.csv",
    "semicolon.csv",
    "export.tsv",
]
TARGET = 0.97


def _matches(name: str) -> list[scanner.Match]:
    with open(CORPUS / name, "rb") as f:
        return list(scanner.iter_matches(f, name.rsplit(".", 1)[1]))


def _planted() -> list[dict[str, object]]:
    return json.loads((CORPUS / "manifest.json").read_text())["planted"]


def _blocking(p: dict[str, object]) -> bool:
    return p.get("confidence") != detectors.LOW


def _score(truth: collections.Counter, found: collections.Counter) -> tuple[int, int, float, float]:
    hits = sum(min(v, found[k]) for k, v in truth.items())
    seen, total = sum(found.values()), sum(truth.values())
    return total, seen, (hits / seen if seen else 1.0), (hits / total if total else 1.0)


def test_precision_and_recall_per_detector_by_row() -> None:
    """Each finding in its right row and column: blocking detectors only (low-confidence
    findings are scored by column below)."""
    planted = collections.Counter(
        (p["file"], p["detector"], p["row"], p["column"]) for p in _planted() if _blocking(p)
    )
    found = collections.Counter(
        (name, m.detector, m.row, m.column)
        for name in FILES
        for m in _matches(name)
        if m.confidence != detectors.LOW
    )
    report = []
    for detector in detectors.DETECTORS:
        truth, seen, precision, recall = _score(
            collections.Counter({k: v for k, v in planted.items() if k[1] == detector}),
            collections.Counter({k: v for k, v in found.items() if k[1] == detector}),
        )
        report.append(
            f"{detector:17s} planted {truth:3d} found {seen:3d} precision {precision:.2f} recall {recall:.2f}"
        )
        assert truth > 0, f"the corpus plants no {detector}"
        assert precision >= TARGET and recall >= TARGET, report[-1]
    print("\nby row and column:\n" + "\n".join(report))


def _columns() -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """(blocking, non-blocking) findings of scan(), as (file, detector, column)."""
    blocking, other = set(), set()
    for name in FILES:
        with open(CORPUS / name, "rb") as f:
            for finding in scanner.scan(f, name.rsplit(".", 1)[1]).findings:
                key = (name, finding.detector, finding.column)
                (other if finding.confidence == detectors.LOW else blocking).add(key)
    return blocking, other


def test_column_level_precision_and_recall_per_detector() -> None:
    """The per-column report an editor acts on: the right columns, whatever the quoting
    (delimiters, quotes and line breaks inside quoted fields), semicolons with decimal
    commas, a BOM, tabs or Windows-1252. Findings that alone do not block (CVR numbers
    by value under headers that say nothing) are scored separately."""
    found, found_low = _columns()
    report = []
    for label, truth_all, seen_all, detector_names in (
        (
            "blocking",
            {(p["file"], p["detector"], p["column"]) for p in _planted() if _blocking(p)},
            found,
            detectors.DETECTORS,
        ),
        (
            "non-blocking (low confidence)",
            {(p["file"], p["detector"], p["column"]) for p in _planted() if not _blocking(p)},
            found_low,
            ("cvr",),
        ),
    ):
        report.append(f"{label}:")
        for detector in detector_names:
            truth = collections.Counter({k: 1 for k in truth_all if k[1] == detector})
            seen = collections.Counter({k: 1 for k in seen_all if k[1] == detector})
            total, count, precision, recall = _score(truth, seen)
            report.append(
                f"  {detector:17s} columns planted {total:3d} found {count:3d} "
                f"precision {precision:.2f} recall {recall:.2f}"
            )
            assert total > 0, f"the corpus plants no {detector} ({label})"
            assert precision >= TARGET and recall >= TARGET, (
                report[-1] + f" {sorted(seen - truth)} {sorted(truth - seen)}"
            )
    print("\nby column:\n" + "\n".join(report))


def test_quoted_fields_keep_every_later_column_in_place() -> None:
    text = (
        "id,adresse,placering,note,email\r\n"
        '1,"Vesterbrogade 186, 1027 København","55.30,12.55","sagde ""hej, med dig""\nog gik",a@example.dk\r\n'
        "2,x,y,z,b@example.dk\r\n"
    )
    matches = [
        (m.detector, m.row, m.column)
        for m in scanner.iter_matches(io.BytesIO(text.encode()), "csv")
    ]
    assert matches == [
        ("address_column", 0, "adresse"),
        ("email", 1, "email"),
        ("email", 2, "email"),
    ]
    # The same across piece boundaries: a chunk size of 7 bytes cuts fields and quotes anywhere.
    small = [
        (m.detector, m.row, m.column)
        for m in scanner.iter_matches(io.BytesIO(text.encode()), "csv", chunk_size=7, max_line=64)
    ]
    assert small == matches


def test_semicolons_decimal_commas_bom_and_tabs() -> None:
    export = "\ufeffNavn;Breddegrad;Længdegrad;Beløb\r\nA;55,676098;12,568337;1234,50\r\n".encode(
        "utf-8"
    )
    found = {(m.detector, m.column) for m in scanner.iter_matches(io.BytesIO(export), "csv")}
    assert found == {
        ("name_column", "Navn"),
        ("coordinates", "Breddegrad"),
        ("coordinates", "Længdegrad"),
    }
    # In a comma-separated file "1,12345678" is two fields: no coordinate, the CVR stays.
    plain = b"id,cvr\n1,12345674\n"
    assert detectors.check_cvr("12345674")
    assert [(m.detector, m.column) for m in scanner.iter_matches(io.BytesIO(plain), "csv")] == [
        ("cvr", "cvr")
    ]
    utf16 = "navn\tmail\r\nA\ta@example.dk\r\n".encode("utf-16")
    result = scanner.scan(io.BytesIO(utf16), "tsv")
    assert {(f.detector, f.column) for f in result.findings} == {
        ("name_column", "navn"),
        ("email", "mail"),
    }


def test_cvr_by_value_is_reported_but_does_not_block() -> None:
    with open(CORPUS / "export.tsv", "rb") as f:
        result = scanner.scan(f, "tsv")
    cvr = [f for f in result.findings if f.detector == "cvr"]
    assert [(f.column, f.confidence) for f in cvr] == [("felt2", detectors.LOW)]
    assert "cvr" not in result.detected and "email" in result.detected
    assert not [f for f in result.findings if f.column == "felt3"], (
        "order numbers are not CVR numbers"
    )


def test_look_alikes_are_not_personal_data() -> None:
    """Dates, order numbers, phone-like ids, version strings, failing checksums and
    low-precision coordinates stand in every row of people.csv; none is reported."""
    columns = {m.column for m in _matches("people.csv") if m.confidence != detectors.LOW}
    assert not columns & {"ordre_nr", "dato", "version", "note", "id"}
    with open(CORPUS / "people.csv", "rb") as f:
        reported = {f.column for f in scanner.scan(f, "csv").findings}
    assert not reported & {"ordre_nr", "dato", "version", "note", "id"}


def test_a_street_name_column_is_a_place_not_a_person() -> None:
    """Parking zones and counting points name their street: not a person's address."""
    text = "street,vejnavn,postcode,occupied\r\nNørrebrogade,Nørrebrogade,2200,19\r\n"
    matches = list(scanner.iter_matches(io.BytesIO(text.encode()), "csv"))
    assert [m.detector for m in matches if m.detector == "address_column"] == []
    home = "id,home_address\r\n1,Vesterbrogade 186\r\n"
    assert [m.column for m in scanner.iter_matches(io.BytesIO(home.encode()), "csv")] == [
        "home_address"
    ]


def test_findings_carry_masked_examples_never_raw_values() -> None:
    with open(CORPUS / "people.csv", "rb") as f:
        result = scanner.scan(f, "csv")
    raw = {m.value for m in _matches("people.csv") if m.detector not in detectors.HEADER_DETECTORS}
    text = json.dumps(result.as_dict(), ensure_ascii=False)
    assert not any(value in text for value in raw)
    assert all(
        "•" in example
        for f in result.findings
        if f.detector not in detectors.HEADER_DETECTORS
        for example in f.examples
    )
    assert {f.detector for f in result.findings} >= {
        "cpr",
        "email",
        "phone",
        "iban",
        "card",
        "cvr",
        "ip",
        "coordinates",
    }


def test_cpr_rules() -> None:
    assert detectors.check_cpr("0101901234") is not None  # 1 Jan 1990
    assert detectors.check_cpr("3102901234") is None  # 31 Feb
    assert detectors.check_cpr("0101999999") is not None  # valid date, mod-11 fails: still found
    assert detectors.check_cpr("2902004000") is not None  # 29 Feb 2000 (century digit 4)
    assert detectors.check_cpr("2902014000") is None  # 2001 is no leap year
    assert detectors.cpr_century(58, 5) == 1858 and detectors.cpr_century(20, 5) == 2020


def test_the_encoding_falls_back_to_windows_1252() -> None:
    with open(CORPUS / "latin1.csv", "rb") as stream:
        result = scanner.scan(stream, "csv")
    assert result.encoding == "cp1252" and any(f.detector == "cpr" for f in result.findings)


@pytest.mark.parametrize("name, skipped", [("binary.csv", "binary file"), ("empty.csv", None)])
def test_binary_and_empty_files(name: str, skipped: str | None) -> None:
    with open(CORPUS / name, "rb") as stream:
        result = scanner.scan(stream, "csv")
    assert result.skipped == skipped and result.findings == []


def test_a_broken_xlsx_is_reported_not_raised() -> None:
    result = scanner.scan(io.BytesIO(b"PK\x03\x04 this is not a zip"), "xlsx")
    assert result.skipped and "XLSX" in result.skipped


class _OneLongLine(io.RawIOBase):
    """A file that is one line of ``size`` bytes with an e-mail address at its end,
    produced on the fly (nothing of it is held in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.tail = b",x jens@example.dk\n"

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            tail, self.tail = self.tail, b""
            return tail
        n = min(n if n > 0 else 1 << 20, self.left)
        self.left -= n
        return b"a" * n


def test_a_one_gigabyte_line_is_scanned_in_bounded_memory() -> None:
    import tracemalloc

    tracemalloc.start()
    result = scanner.scan(_OneLongLine(1 << 30), "csv")  # type: ignore[arg-type]
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.bytes_scanned > 1 << 30
    assert [f.detector for f in result.findings] == ["email"]
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_ragged_rows_name_extra_columns() -> None:
    matches = _matches("ragged.csv")
    assert [(m.detector, m.column) for m in matches] == [("email", "email")]
