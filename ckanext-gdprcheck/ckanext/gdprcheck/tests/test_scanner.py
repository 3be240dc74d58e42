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
FILES = ["people.csv", "events.json", "latin1.csv", "ragged.csv", "people.xlsx"]


def _matches(name: str) -> list[scanner.Match]:
    with open(CORPUS / name, "rb") as f:
        return list(scanner.iter_matches(f, name.rsplit(".", 1)[1]))


def test_precision_and_recall_per_detector() -> None:
    planted = collections.Counter(
        (p["file"], p["detector"], p["row"], p["column"])
        for p in json.loads((CORPUS / "manifest.json").read_text())["planted"])
    found = collections.Counter((name, m.detector, m.row, m.column) for name in FILES for m in _matches(name))
    report = []
    for detector in detectors.DETECTORS:
        truth = sum(v for k, v in planted.items() if k[1] == detector)
        seen = sum(v for k, v in found.items() if k[1] == detector)
        hits = sum(min(v, found[k]) for k, v in planted.items() if k[1] == detector)
        precision = hits / seen if seen else 1.0
        recall = hits / truth if truth else 1.0
        report.append(f"{detector:17s} planted {truth:3d} found {seen:3d} precision {precision:.2f} recall {recall:.2f}")
        assert truth > 0, f"the corpus plants no {detector}"
        assert precision >= 0.95 and recall >= 0.95, report[-1]
    print("\n" + "\n".join(report))


def test_look_alikes_are_not_personal_data() -> None:
    """Dates, order numbers, phone-like ids, version strings, failing checksums and
    low-precision coordinates stand in every row of people.csv; none is reported."""
    columns = {m.column for m in _matches("people.csv")}
    assert not columns & {"ordre_nr", "dato", "version", "note", "id"}


def test_findings_carry_masked_examples_never_raw_values() -> None:
    with open(CORPUS / "people.csv", "rb") as f:
        result = scanner.scan(f, "csv")
    raw = {m.value for m in _matches("people.csv") if m.detector not in detectors.HEADER_DETECTORS}
    text = json.dumps(result.as_dict(), ensure_ascii=False)
    assert not any(value in text for value in raw)
    assert all("•" in example for f in result.findings if f.detector not in detectors.HEADER_DETECTORS
               for example in f.examples)
    assert {f.detector for f in result.findings} >= {"cpr", "email", "phone", "iban", "card", "cvr", "ip", "coordinates"}


def test_cpr_rules() -> None:
    assert detectors.check_cpr("0101901234") is not None      # 1 Jan 1990
    assert detectors.check_cpr("3102901234") is None           # 31 Feb
    assert detectors.check_cpr("0101999999") is not None       # valid date, mod-11 fails: still found
    assert detectors.check_cpr("2902004000") is not None       # 29 Feb 2000 (century digit 4)
    assert detectors.check_cpr("2902014000") is None           # 2001 is no leap year
    assert detectors.cpr_century(58, 5) == 1858 and detectors.cpr_century(20, 5) == 2020


def test_the_encoding_falls_back_to_windows_1252() -> None:
    result = scanner.scan(open(CORPUS / "latin1.csv", "rb"), "csv")
    assert result.encoding == "cp1252" and any(f.detector == "cpr" for f in result.findings)


@pytest.mark.parametrize("name, skipped", [("binary.csv", "binary file"), ("empty.csv", None)])
def test_binary_and_empty_files(name: str, skipped: str | None) -> None:
    result = scanner.scan(open(CORPUS / name, "rb"), "csv")
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
