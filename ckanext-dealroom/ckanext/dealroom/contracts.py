"""Contract snapshots and their fingerprints. Pure: no CKAN import."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

DEAL_TYPES = ("sale", "donation")
ATTACHMENT_TYPES = {
    # extension: (media type, leading bytes that a file of that type starts with, or None)
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    "odt": ("application/vnd.oasis.opendocument.text", b"PK\x03\x04"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
}


def canonical_json(terms: Mapping[str, Any]) -> str:
    """One text for the same terms, whatever the key order: sorted keys, no spaces, UTF-8."""
    return json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(terms: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON, as printed on the contract."""
    return fingerprint_text(canonical_json(terms))


def fingerprint_text(text: str) -> str:
    """SHA-256 of a contract's canonical JSON text (as a reader checks a printed one)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_attachment(filename: str, head: bytes, size: int, max_bytes: int) -> tuple[str, str]:
    """(extension, media type) of an acceptable attachment, or ValueError saying why not."""
    if size <= 0:
        raise ValueError("The file is empty")
    if size > max_bytes:
        raise ValueError(f"The file is larger than {max_bytes // (1024 * 1024)} MB")
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "jpeg":
        ext = "jpg"
    if ext not in ATTACHMENT_TYPES:
        raise ValueError("Attach a PDF, Word, OpenDocument, Excel, text, CSV, PNG or JPEG file")
    media_type, magic = ATTACHMENT_TYPES[ext]
    if magic is not None and not head.startswith(magic):
        raise ValueError(f"The file's content is not a .{ext} file")
    if magic is None and b"\x00" in head:
        raise ValueError(f"The file's content is not a .{ext} file")
    return ext, media_type


def parse_amount(value: Any, *, allow_zero: bool) -> int:
    """A price in minor units; ValueError with a plain reason."""
    if isinstance(value, bool):
        raise ValueError("Price must be a whole number of minor units (e.g. øre)")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError("Price must be a whole number of minor units (e.g. øre)")
    if value < 0:
        raise ValueError("Price cannot be negative")
    if value == 0 and not allow_zero:
        raise ValueError("A sale needs a price; a free deal is a data donation")
    if value > 10**12:
        raise ValueError("Price is too large")
    return value
