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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree import ElementTree

from ckanext.gdprcheck import detectors

CHUNK = 4 * 1024 * 1024
MAX_LINE = 1024 * 1024
MAX_EXAMPLES = 3
TEXT_FORMATS = ("csv", "tsv", "txt", "json", "geojson")
FORMATS = (*TEXT_FORMATS, "xlsx")
_JSON_KEY = re.compile(r'"([^"\\]{1,80})"\s*:\s*"?[^"]*$')
_PAIR = re.compile(r"\s*[,;\t ]\s*-?\d{1,3}\.\d{5,}")
_PAIR_BEFORE = re.compile(r"-?\d{1,3}\.\d{5,}\s*[,;\t ]\s*$")
_QUOTED = re.compile(r'"[^"]*"')
_PAIR_COMMA = re.compile(r"\s*[;\t |]\s*-?\d{1,3},\d{5,}")
_PAIR_COMMA_BEFORE = re.compile(r"-?\d{1,3},\d{5,}\s*[;\t |]\s*$")


@dataclass
class Finding:
    detector: str
    column: str
    count: int = 0
    confidence: str = detectors.MEDIUM
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "column": self.column,
            "count": self.count,
            "confidence": self.confidence,
            "examples": list(self.examples),
        }


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    bytes_scanned: int = 0
    rows: int = 0
    encoding: str = "utf-8"
    skipped: str | None = None  # why the file was not scanned
    # 8-digit values per column and how many pass modulus 11: a column where few do is
    # not a column of CVR numbers (see scan()).
    digits8: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.as_dict() for f in self.findings],
            "bytes_scanned": self.bytes_scanned,
            "rows": self.rows,
            "encoding": self.encoding,
            "skipped": self.skipped,
        }

    @property
    def detected(self) -> set[str]:
        """Detectors sure enough to block a "no personal data" answer. A CPR number counts
        at any confidence: modulus 11 is a hint, not a filter."""
        return {
            f.detector
            for f in self.findings
            if f.confidence == detectors.HIGH
            or f.detector in detectors.HEADER_DETECTORS
            or f.detector == "cpr"
        }


@dataclass(frozen=True)
class Match:
    detector: str
    confidence: str
    row: int  # 0 is the header line of a table
    column: str
    value: str  # raw: for the aggregation and the test corpus's scoring only


class _Decoder:
    """UTF-8, falling back to Windows-1252 for the rest of a file at the first bad byte."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding
        self._utf8 = codecs.getincrementaldecoder(encoding)(
            errors="replace" if encoding == "utf-16" else "strict"
        )

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.encoding == "utf-16":  # Excel's "Unicode text": UTF-16 with a BOM
            return self._utf8.decode(data, final)
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
    """Scans text that arrives in pieces ending at a line break (or pieces of an overlong
    line), and names the row and column of each match.

    Tables are read as RFC 4180 says: a delimiter or a line break inside a quoted field
    belongs to the field, and ``""`` is a quote inside one. The reader keeps three facts
    between matches and between pieces (inside quotes or not, the record number, the
    fields seen in the current record), and advances them over the text between two
    matches with ``str.count`` and one substitution that drops quoted fields: the cost
    is linear and C-level, and text without a quote takes the old fast path.
    """

    def __init__(self, result: Result, json_mode: bool) -> None:
        self.result = result
        self.json_mode = json_mode
        self.header: list[str] = []
        self.delimiter = ","
        self.row = 0
        self.found: dict[tuple[str, str], Finding] = {}
        self.in_quote = False  # at the end of the text read so far
        self.fields = 0  # delimiters outside quotes in the current record so far
        # 8-digit values per column and how many pass modulus 11 (see scan()).
        self.digits8: dict[str, list[int]] = {}

    def set_header(self, line: str) -> None:
        if self.json_mode:
            return
        line = line.lstrip("\ufeff")
        bare = re.sub(r'"[^"]*"', "", line)  # delimiters inside quoted names do not count
        counts = {d: bare.count(d) for d in (",", ";", "\t", "|")}
        self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        self.header = [c.strip().strip('"').strip() for c in _split_record(line, self.delimiter)]

    def _advance(self, segment: str) -> None:
        """Move the reader's state over ``segment``, the text since the last position."""
        delimiter = self.delimiter
        if '"' not in segment:
            if self.in_quote:
                return
            breaks = segment.count("\n")
            if breaks:
                self.row += breaks
                self.fields = segment.count(delimiter, segment.rfind("\n") + 1)
            else:
                self.fields += segment.count(delimiter)
            return
        if self.in_quote:  # the rest of an open quoted field ("" inside it reopens it below)
            segment = segment[segment.find('"') + 1 :]
        open_at_end = segment.count('"') % 2 == 1
        if open_at_end:  # a quoted field runs on past this segment
            segment = segment[: segment.rfind('"')]
        bare = _QUOTED.sub("", segment)  # quoted fields out; what is left has no quote
        self.in_quote = open_at_end
        breaks = bare.count("\n")
        if breaks:
            self.row += breaks
            self.fields = bare.count(delimiter, bare.rfind("\n") + 1)
        else:
            self.fields += bare.count(delimiter)

    def column_at(self) -> str:
        index = self.fields
        return self.header[index] if index < len(self.header) else f"column {index + 1}"

    def _json_column(self, text: str, line_start: int, pos: int) -> str:
        key = _JSON_KEY.search(text, max(line_start, pos - 200), pos)
        return key.group(1) if key else ""

    def matches(self, text: str, first_row: int) -> Iterator[Match]:
        """Every confirmed match in ``text``; rows counted from ``first_row`` (JSON) or
        by the reader's own record count (tables)."""
        if self.json_mode:
            yield from self._json_matches(text, first_row)
            return
        decimal_comma = self.delimiter != ","
        candidates = detectors.CANDIDATES_DECIMAL_COMMA if decimal_comma else detectors.CANDIDATES
        last = 0
        for m in candidates.finditer(text):
            pos = m.start()
            self._advance(text[last:pos])
            last = pos
            kind = m.lastgroup or ""
            value = m.group()
            column = self.column_at()
            pair = False
            if kind == "coord":
                line_start = text.rfind("\n", 0, pos) + 1
                pair = bool(_PAIR.match(text, m.end())) or bool(
                    _PAIR_BEFORE.search(text, max(line_start, pos - 40), pos)
                )
            elif kind == "coord_comma":
                kind = "coord"
                line_start = text.rfind("\n", 0, pos) + 1
                pair = bool(_PAIR_COMMA.match(text, m.end())) or bool(
                    _PAIR_COMMA_BEFORE.search(text, max(line_start, pos - 40), pos)
                )
            confirmed = detectors.confirm(
                kind,
                value,
                column,
                pair=pair,
                before=text[pos - 1 : pos],
                after=text[m.end() : m.end() + 2],
            )
            if kind == "digits8":
                stats = self.digits8.setdefault(column, [0, 0])
                stats[0] += 1
                stats[1] += detectors.check_cvr(value)
            if confirmed:
                yield Match(confirmed[0], confirmed[1], self.row, column, value)
        self._advance(text[last:])

    def _json_matches(self, text: str, first_row: int) -> Iterator[Match]:
        row, last = first_row, 0
        for m in detectors.CANDIDATES.finditer(text):
            pos = m.start()
            row += text.count("\n", last, pos)
            last = pos
            kind = m.lastgroup or ""
            value = m.group()
            line_start = text.rfind("\n", 0, pos) + 1
            column = self._json_column(text, line_start, pos)
            pair = False
            if kind == "coord":
                pair = bool(_PAIR.match(text, m.end())) or bool(
                    _PAIR_BEFORE.search(text, max(line_start, pos - 40), pos)
                )
            confirmed = detectors.confirm(
                kind,
                value,
                column,
                pair=pair,
                before=text[pos - 1 : pos],
                after=text[m.end() : m.end() + 2],
            )
            if confirmed:
                yield Match(confirmed[0], confirmed[1], row, column, value)

    def add(self, match: Match) -> None:
        key = (match.detector, match.column)
        finding = self.found.get(key)
        if finding is None:
            finding = self.found[key] = Finding(
                match.detector, match.column, confidence=match.confidence
            )
        finding.count += 1
        if match.confidence == detectors.HIGH or (
            match.confidence == detectors.MEDIUM and finding.confidence == detectors.LOW
        ):
            finding.confidence = match.confidence
        if len(finding.examples) < MAX_EXAMPLES:
            masked = detectors.mask(match.value)
            if masked not in finding.examples:
                finding.examples.append(masked)


def _split_record(line: str, delimiter: str) -> list[str]:
    """The fields of one record (RFC 4180 quoting: a delimiter inside quotes belongs to
    its field). Quote characters themselves are dropped: this names header columns."""
    fields = [""]
    for index, part in enumerate(line.split('"')):
        if index % 2:  # inside quotes
            fields[-1] += part
        else:
            pieces = part.split(delimiter)
            fields[-1] += pieces[0]
            fields.extend(pieces[1:])
    return fields


def _lines_of(chunks: Iterator[str], max_line: int) -> Iterator[str]:
    """Pieces of text that end at a line break, or pieces of an overlong line, each at
    most about ``max_line`` beyond the chunk size."""
    tail = ""
    for chunk in chunks:
        buffer = tail + chunk
        cut = buffer.rfind("\n")
        if cut >= 0:
            yield buffer[: cut + 1]
            tail = buffer[cut + 1 :]
        else:
            tail = buffer
        while len(tail) > max_line:
            # An overlong line: scan it in pieces that overlap a little, so that a value
            # cut in two is still seen whole in one of them.
            yield tail[:max_line]
            tail = tail[max_line - 64 :]
    if tail:
        yield tail


def _text_matches(
    chunks: Iterator[str], result: Result, *, json_mode: bool, max_line: int
) -> Iterator[Match]:
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
            for detector in {
                d for column in table.header for d in detectors.header_detectors(column)
            }:
                column = next(c for c in table.header if detector in detectors.header_detectors(c))
                yield Match(detector, detectors.HIGH, 0, column, column)
        yield from table.matches(text, table.row)
        if json_mode:
            table.row += text.count("\n")
    result.rows = table.row
    result.digits8 = table.digits8


def iter_matches(
    stream: IO[bytes],
    fmt: str,
    *,
    chunk_size: int = CHUNK,
    max_line: int = MAX_LINE,
    result: Result | None = None,
) -> Iterator[Match]:
    """Every confirmed match in a file, with its row and column."""
    result = result if result is not None else Result()
    fmt = fmt.lower().lstrip(".")
    if fmt == "xlsx":
        yield from _xlsx_matches(stream, result, max_line)
        return
    head = stream.read(8192)
    utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if b"\x00" in head and not utf16:
        result.skipped = "binary file"
        return
    decoder = _Decoder("utf-16" if utf16 else "utf-8")

    def with_head() -> Iterator[str]:
        result.bytes_scanned += len(head)
        yield decoder.decode(head)
        yield from _chunks(stream, result, decoder, chunk_size)

    yield from _text_matches(
        with_head(), result, json_mode=fmt in ("json", "geojson"), max_line=max_line
    )
    result.encoding = decoder.encoding


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    with zipfile.ZipFile(stream) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            with book.open("xl/sharedStrings.xml") as f:
                for _event, element in ElementTree.iterparse(f):
                    if element.tag.endswith("}si"):
                        shared.append(
                            "".join(t.text or "" for t in element.iter() if t.tag.endswith("}t"))
                        )
                        element.clear()
        sheets = sorted(
            n for n in book.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")
        )
        for sheet in sheets:
            with book.open(sheet) as f:
                for _event, element in ElementTree.iterparse(f):
                    if not element.tag.endswith("}row"):
                        continue
                    cells = []
                    for cell in element:
                        value = next(
                            (
                                v.text or ""
                                for v in cell.iter()
                                if v.tag.endswith("}v") or v.tag.endswith("}t")
                            ),
                            "",
                        )
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
    result.findings = sorted(
        (f for f in table.found.values() if _keep(f, result.digits8)),
        key=lambda f: (f.detector, f.column),
    )
    return result


# Share of a column's 8-digit values that must pass modulus 11 before the column is
# reported as (probably) CVR numbers: one in eleven random numbers passes.
CVR_COLUMN_SHARE = 0.5


def _keep(finding: Finding, digits8: dict[str, list[int]]) -> bool:
    """A low-confidence CVR finding is kept only for a column most of whose 8-digit
    values pass modulus 11 (order numbers and dates pass one time in eleven)."""
    if finding.detector != "cvr" or finding.confidence != detectors.LOW:
        return True
    total, passing = digits8.get(finding.column, [0, 0])
    return total > 0 and passing / total >= CVR_COLUMN_SHARE
