"""The personal-data scanner: streams a file with bounded memory and reports what the
detectors found per column. Pure: bytes in, findings out; no CKAN import.

- CSV/TSV (delimiter sniffed from the header line), JSON (as text; the key before a
  value names its column) and XLSX (read as a zip of XML, row by row) are scanned.
- Text is read in chunks; a line longer than ``max_line`` is scanned in pieces, so a
  file that is one 1 GB line costs no more memory than any other.
- Bytes that are not UTF-8 are read as Windows-1252 (older Danish exports); a file with
  NUL bytes near its start is binary and reported as not scanned.
- Findings carry counts and masked examples only, never raw values.
"""
from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any, Iterator, Optional
from xml.etree import ElementTree

from ckanext.gdprcheck import detectors

CHUNK = 4 * 1024 * 1024
MAX_LINE = 1024 * 1024
MAX_EXAMPLES = 3
TEXT_FORMATS = ("csv", "tsv", "txt", "json", "geojson")
FORMATS = TEXT_FORMATS + ("xlsx",)
_JSON_KEY = re.compile(r'"([^"\\]{1,80})"\s*:\s*"?[^"]*$')
_PAIR = re.compile(r"\s*[,;\t ]\s*-?\d{1,3}\.\d{5,}")
_PAIR_BEFORE = re.compile(r"-?\d{1,3}\.\d{5,}\s*[,;\t ]\s*$")


@dataclass
class Finding:
    detector: str
    column: str
    count: int = 0
    confidence: str = detectors.MEDIUM
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"detector": self.detector, "column": self.column, "count": self.count,
                "confidence": self.confidence, "examples": list(self.examples)}


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    bytes_scanned: int = 0
    rows: int = 0
    encoding: str = "utf-8"
    skipped: Optional[str] = None  # why the file was not scanned

    def as_dict(self) -> dict[str, Any]:
        return {"findings": [f.as_dict() for f in self.findings], "bytes_scanned": self.bytes_scanned,
                "rows": self.rows, "encoding": self.encoding, "skipped": self.skipped}

    @property
    def detected(self) -> set[str]:
        """Detectors sure enough to block a "no personal data" answer. A CPR number counts
        at any confidence: modulus 11 is a hint, not a filter."""
        return {f.detector for f in self.findings if f.confidence == detectors.HIGH
                or f.detector in detectors.HEADER_DETECTORS or f.detector == "cpr"}


@dataclass(frozen=True)
class Match:
    detector: str
    confidence: str
    row: int          # 0 is the header line of a table
    column: str
    value: str        # raw: for the aggregation and the test corpus's scoring only


class _Decoder:
    """UTF-8, falling back to Windows-1252 for the rest of a file at the first bad byte."""

    def __init__(self) -> None:
        self.encoding = "utf-8"
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._pending = b""

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.encoding == "utf-8":
            try:
                return self._utf8.decode(data, final)
            except UnicodeDecodeError:
                self.encoding = "cp1252"
                data = self._utf8.getstate()[0] + data
        return data.decode("cp1252", errors="replace")


def _chunks(stream: IO[bytes], result: Result, decoder: _Decoder, chunk_size: int) -> Iterator[str]:
    while True:
        data = stream.read(chunk_size)
        if not data:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        result.bytes_scanned += len(data)
        yield decoder.decode(data)


class _Table:
    """Scans text that arrives in chunks, keeping whole lines together when it can."""

    def __init__(self, result: Result, json_mode: bool) -> None:
        self.result = result
        self.json_mode = json_mode
        self.header: list[str] = []
        self.delimiter = ","
        self.row = 0
        self.found: dict[tuple[str, str], Finding] = {}

    def set_header(self, line: str) -> None:
        if self.json_mode:
            return
        counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
        self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        self.header = [c.strip().strip('"').strip() for c in line.split(self.delimiter)]

    def column(self, text: str, line_start: int, pos: int) -> str:
        if self.json_mode:
            key = _JSON_KEY.search(text, max(line_start, pos - 200), pos)
            return key.group(1) if key else ""
        index = text.count(self.delimiter, line_start, pos)
        return self.header[index] if index < len(self.header) else f"column {index + 1}"

    def matches(self, text: str, first_row: int) -> Iterator[Match]:
        """Every confirmed match in ``text``; rows counted from ``first_row``."""
        row, last = first_row, 0
        for m in detectors.CANDIDATES.finditer(text):
            pos = m.start()
            row += text.count("\n", last, pos)
            last = pos
            kind = m.lastgroup or ""
            value = m.group()
            line_start = text.rfind("\n", 0, pos) + 1
            column = self.column(text, line_start, pos)
            pair = False
            if kind == "coord":
                pair = bool(_PAIR.match(text, m.end())) or bool(_PAIR_BEFORE.search(text, max(line_start, pos - 40), pos))
            confirmed = detectors.confirm(kind, value, column, pair=pair, before=text[pos - 1:pos],
                                          after=text[m.end():m.end() + 2])
            if confirmed:
                yield Match(confirmed[0], confirmed[1], row, column, value)

    def add(self, match: Match) -> None:
        key = (match.detector, match.column)
        finding = self.found.get(key)
        if finding is None:
            finding = self.found[key] = Finding(match.detector, match.column)
        finding.count += 1
        if match.confidence == detectors.HIGH:
            finding.confidence = detectors.HIGH
        if len(finding.examples) < MAX_EXAMPLES:
            masked = detectors.mask(match.value)
            if masked not in finding.examples:
                finding.examples.append(masked)


def _lines_of(chunks: Iterator[str], max_line: int) -> Iterator[str]:
    """Pieces of text that end at a line break, or pieces of an overlong line, each at
    most about ``max_line`` beyond the chunk size."""
    tail = ""
    for chunk in chunks:
        buffer = tail + chunk
        cut = buffer.rfind("\n")
        if cut >= 0:
            yield buffer[:cut + 1]
            tail = buffer[cut + 1:]
        else:
            tail = buffer
        while len(tail) > max_line:
            # An overlong line: scan it in pieces that overlap a little, so that a value
            # cut in two is still seen whole in one of them.
            yield tail[:max_line]
            tail = tail[max_line - 64:]
    if tail:
        yield tail


def _text_matches(chunks: Iterator[str], result: Result, *, json_mode: bool, max_line: int) -> Iterator[Match]:
    """Every confirmed match in text that arrives in chunks; the first line of a table
    is its header."""
    table = _Table(result, json_mode=json_mode)
    header_done = json_mode
    for text in _lines_of(chunks, max_line):
        if not header_done:
            first_break = text.find("\n")
            header = text if first_break < 0 else text[:first_break]
            table.set_header(header.rstrip("\r"))
            header_done = True
            for detector in {d for column in table.header for d in detectors.header_detectors(column)}:
                column = next(c for c in table.header if detector in detectors.header_detectors(c))
                yield Match(detector, detectors.HIGH, 0, column, column)
        yield from table.matches(text, table.row)
        table.row += text.count("\n")
    result.rows = table.row


def iter_matches(stream: IO[bytes], fmt: str, *, chunk_size: int = CHUNK, max_line: int = MAX_LINE,
                 result: Optional[Result] = None) -> Iterator[Match]:
    """Every confirmed match in a file, with its row and column."""
    result = result if result is not None else Result()
    fmt = fmt.lower().lstrip(".")
    if fmt == "xlsx":
        yield from _xlsx_matches(stream, result, max_line)
        return
    head = stream.read(8192)
    if b"\x00" in head:
        result.skipped = "binary file"
        return
    decoder = _Decoder()

    def with_head() -> Iterator[str]:
        result.bytes_scanned += len(head)
        yield decoder.decode(head)
        yield from _chunks(stream, result, decoder, chunk_size)

    yield from _text_matches(with_head(), result, json_mode=fmt in ("json", "geojson"), max_line=max_line)
    result.encoding = decoder.encoding


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    with zipfile.ZipFile(stream) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            with book.open("xl/sharedStrings.xml") as f:
                for _event, element in ElementTree.iterparse(f):
                    if element.tag.endswith("}si"):
                        shared.append("".join(t.text or "" for t in element.iter() if t.tag.endswith("}t")))
                        element.clear()
        sheets = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
        for sheet in sheets:
            with book.open(sheet) as f:
                for _event, element in ElementTree.iterparse(f):
                    if not element.tag.endswith("}row"):
                        continue
                    cells = []
                    for cell in element:
                        value = next((v.text or "" for v in cell.iter() if v.tag.endswith("}v") or v.tag.endswith("}t")), "")
                        if cell.get("t") == "s" and value.isdigit() and int(value) < len(shared):
                            value = shared[int(value)]
                        cells.append(value.replace("\t", " ").replace("\n", " "))
                    yield cells
                    element.clear()


def _xlsx_matches(stream: IO[bytes], result: Result, max_line: int) -> Iterator[Match]:
    """The sheets' rows as tab-separated lines of text, scanned like a TSV file."""
    try:
        rows = _xlsx_rows(stream)
        first = next(rows, None)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError) as error:
        result.skipped = f"not a readable XLSX file ({type(error).__name__})"
        return
    if first is None:
        return

    def lines() -> Iterator[str]:
        yield "\t".join(first) + "\n"
        try:
            for row in rows:
                line = "\t".join(row) + "\n"
                result.bytes_scanned += len(line)
                yield line
        except (zipfile.BadZipFile, ElementTree.ParseError):
            return  # a sheet broken part-way: what was read is scanned

    yield from _text_matches(lines(), result, json_mode=False, max_line=max_line)


def scan(stream: IO[bytes], fmt: str, **kwargs: Any) -> Result:
    """Scan a file; the findings per detector and column, with masked examples."""
    result = Result()
    table = _Table(result, json_mode=False)
    for match in iter_matches(stream, fmt, result=result, **kwargs):
        table.add(match)
    result.findings = sorted(table.found.values(), key=lambda f: (f.detector, f.column))
    return result
