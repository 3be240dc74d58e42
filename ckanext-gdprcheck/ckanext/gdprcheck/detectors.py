"""Personal-data detectors: patterns and the checks that confirm them. Pure, no CKAN.

One combined regular expression finds candidates in a whole chunk of text at a time;
each candidate is then confirmed (a real calendar date for a CPR number, Luhn for a card,
mod-97 for an IBAN, ...) and, for numbers that are only personal data in context (a plain
8-digit phone number, coordinates), by the column it stands in. Raw values never leave
this module except to :func:`mask`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import re2

DETECTORS = (
    "cpr",
    "email",
    "phone",
    "iban",
    "card",
    "cvr",
    "ip",
    "coordinates",
    "name_column",
    "address_column",
    "birthdate_column",
)
# What each detector finds, as people read it (translated where it is shown).
LABELS = {
    "cpr": "CPR numbers",
    "email": "E-mail addresses",
    "phone": "Phone numbers",
    "iban": "Bank account numbers (IBAN)",
    "card": "Payment card numbers",
    "cvr": "CVR numbers",
    "ip": "IP addresses",
    "coordinates": "Coordinates",
    "name_column": "Names (by column header)",
    "address_column": "Addresses (by column header)",
    "birthdate_column": "Birth dates (by column header)",
}
HIGH, MEDIUM = "high", "medium"
# Found by value alone where many other values would pass the same check (an 8-digit
# number passing modulus 11 in a column whose header says nothing): reported, never
# blocking on its own.
LOW = "low"

_PATTERNS = [
    r"(?P<email>[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24})",
    r"(?P<iban>\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b)",
    r"(?P<cvr>\bDK[ -]?\d{8}\b)",
    r"(?P<phone>(?:\+45|\b0045) ?\d{2} ?\d{2} ?\d{2} ?\d{2}\b|\b[2-9]\d \d{2} \d{2} \d{2}\b)",
    r"(?P<ip>\b(?:\d{1,3}\.){3}\d{1,3}\b)",
    r"(?P<coord>-?\b\d{1,3}\.\d{5,}\b)",
    r"(?P<card>\b\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}\b|\b\d{13,19}\b)",
    r"(?P<cpr>\b[0-3]\d[01]\d\d\d-?\d{4}\b)",
    r"(?P<digits8>\b[1-9]\d{7}\b)",
]
# A coordinate with a decimal comma (Danish Excel exports): only where the comma is not
# the delimiter, or "1,12345678" in a comma-separated file would hide its second field.
_DECIMAL_COMMA = r"(?P<coord_comma>-?\b\d{1,3},\d{5,}\b)"


def _compile_candidates(patterns: list[str]) -> Any:
    """One RE2 automaton for every candidate: linear time, a single pass over the text
    (Python's backtracking engine manages a few MB/s with this many alternatives)."""
    options = re2.Options()
    options.max_mem = 64 << 20
    return re2.compile("|".join(patterns), options=options)


CANDIDATES = _compile_candidates(_PATTERNS)
CANDIDATES_DECIMAL_COMMA = _compile_candidates([*_PATTERNS[:6], _DECIMAL_COMMA, *_PATTERNS[6:]])

HEADER_HINTS = {
    "phone": re.compile(r"(tlf|telefon|phone|mobil|mobile|tel\b)", re.I),
    "cvr": re.compile(r"cvr", re.I),
    "coordinates": re.compile(
        r"(^|[^a-z])(lat|lon|lng|latitude|longitude|breddegrad|l[æa]ngdegrad|koordinat|coord)", re.I
    ),
    "name_column": re.compile(
        r"^\s*\"?(navn|name|fornavn|efternavn|first_?name|last_?name|full_?name|"
        r"surname|given_?name|person_?navn|borger_?navn)\"?\s*$",
        re.I,
    ),
    # A street name alone (a parking zone's street, a counting point's road) locates a
    # place, not a person: only a full or home address is flagged.
    "address_column": re.compile(
        r"^\s*\"?(adresse|address|street_?address|bopæl|bopaelsadresse|"
        r"husnummer|home_?address)\"?\s*$",
        re.I,
    ),
    "birthdate_column": re.compile(
        r"^\s*\"?(fødselsdato|foedselsdato|birth_?date|date_?of_?birth|dob|"
        r"birthday|født)\"?\s*$",
        re.I,
    ),
}
HEADER_DETECTORS = ("name_column", "address_column", "birthdate_column")

_CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def cpr_century(yy: int, seventh: int) -> int | None:
    """The birth year from the two-digit year and the first digit of the serial number,
    by the CPR office's rules."""
    if seventh <= 3:
        return 1900 + yy
    if seventh in (4, 9):
        return (2000 if yy <= 36 else 1900) + yy
    return (2000 if yy <= 57 else 1800) + yy


def check_cpr(digits: str, today: dt.date | None = None) -> str | None:
    """HIGH (date valid and modulus 11 holds), MEDIUM (date valid: numbers issued since
    2007 need not satisfy modulus 11) or None (no such birth date)."""
    d = [int(c) for c in digits if c.isdigit()]
    if len(d) != 10:
        return None
    day, month, yy = d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]
    year = cpr_century(yy, d[6])
    if year is None:
        return None
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return None
    if born > (today or dt.date.today()):
        return None
    return HIGH if sum(a * b for a, b in zip(d, _CPR_WEIGHTS, strict=False)) % 11 == 0 else MEDIUM


def luhn(digits: str) -> bool:
    d = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(d)):
        if i % 2 == 1:
            total += n * 2 - 9 if n > 4 else n * 2
        else:
            total += n
    return total % 10 == 0


def check_card(value: str) -> bool:
    digits = "".join(c for c in value if c.isdigit())
    return 13 <= len(digits) <= 19 and digits[0] in "3456" and len(set(digits)) > 2 and luhn(digits)


def check_iban(value: str) -> bool:
    compact = value.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def check_cvr(digits: str) -> bool:
    d = [int(c) for c in digits if c.isdigit()][-8:]
    return (
        len(d) == 8
        and d[0] != 0
        and sum(a * b for a, b in zip(d, _CVR_WEIGHTS, strict=False)) % 11 == 0
    )


def mask(value: str) -> str:
    """A value with all but its first and last two letters or digits hidden."""
    chars = list(value)
    positions = [i for i, c in enumerate(chars) if c.isalnum()]
    for i in positions[2:-2] if len(positions) > 6 else positions[1:]:
        chars[i] = "•"
    return "".join(chars)


def header_detectors(column: str) -> list[str]:
    return [name for name in HEADER_DETECTORS if HEADER_HINTS[name].search(column or "")]


def check_ip(value: str, before: str, after: str) -> bool:
    """Four octets of at most 255, not part of a longer dotted number (a version string)."""
    if (before in ".-" and before) or (after[:1] == "." and after[1:2].isdigit()):
        return False
    return all(
        int(part) <= 255 and (part == "0" or not part.startswith("0")) for part in value.split(".")
    )


def confirm(
    kind: str, value: str, column: str, *, pair: bool, before: str = "", after: str = ""
) -> tuple[str, str] | None:
    """(detector, confidence) for a candidate, or None. ``pair``: a coordinate stands
    next to another one (``55.67610, 12.56834``); ``before``/``after``: the characters
    around the candidate."""
    if kind == "email":
        return "email", HIGH
    if kind == "iban":
        return ("iban", HIGH) if check_iban(value) else None
    if kind == "cvr":
        return ("cvr", HIGH) if check_cvr(value) else None
    if kind == "phone":
        return "phone", HIGH
    if kind == "ip":
        return ("ip", MEDIUM) if check_ip(value, before, after) else None
    if kind == "coord":
        if before == "." or after[:1] == ".":
            return None
        if pair or HEADER_HINTS["coordinates"].search(column or ""):
            return "coordinates", MEDIUM
        return None
    if kind == "card":
        return ("card", HIGH) if check_card(value) else None
    if kind == "cpr":
        confidence = check_cpr(value)
        return ("cpr", confidence) if confidence else None
    if kind == "digits8":
        if HEADER_HINTS["cvr"].search(column or ""):
            return ("cvr", HIGH) if check_cvr(value) else None
        if HEADER_HINTS["phone"].search(column or "") and value[0] in "23456789":
            return "phone", HIGH
        return ("cvr", LOW) if check_cvr(value) else None
    return None
