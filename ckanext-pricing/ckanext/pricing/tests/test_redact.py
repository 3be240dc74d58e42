"""Redaction and scrubbing on plain data."""

from __future__ import annotations

import pytest

from ckanext.pricing import redact
from ckanext.pricing.rules import Access

pytestmark = pytest.mark.pure

SITE = "https://portal.example"


def test_scrub_reaches_nested_and_escaped_text() -> None:
    secret = "https://up.example/a?x=1&y=2"
    doc = {
        "a": [secret, {"b": f"see <{secret}>"}],
        "diff": "href=&quot;https://up.example/a?x=1&amp;y=2&quot;",
        "n": 3,
    }
    out = redact.scrub(doc, {secret: "P"})
    assert "up.example" not in str(out)
    assert out["n"] == 3


def test_redact_resources_per_level() -> None:
    resources = [
        {"id": "pub", "url": "https://open.example/x"},
        {"id": "mine", "url": "https://seller.example/mine"},
        {"id": "bought-link", "url": "https://seller.example/link"},
        {
            "id": "bought-file",
            "url": f"{SITE}/dataset/d/resource/bought-file/download/f.csv",
            "url_type": "upload",
        },
        {"id": "locked", "url": "https://seller.example/secret"},
    ]
    levels = {
        "mine": Access.MANAGE,
        "bought-link": Access.ENTITLED,
        "bought-file": Access.ENTITLED,
        "locked": Access.LOCKED,
    }
    replacements = redact.redact_resources(
        resources,
        levels,
        placeholder=lambda rid: redact.placeholder_url(SITE, rid),
        signed=lambda res: f"{SITE}{redact.SIGNED_PATH}{res['id']}?s=1",
    )
    urls = {r["id"]: r["url"] for r in resources}
    assert urls["pub"] == "https://open.example/x"
    assert urls["mine"] == "https://seller.example/mine"
    assert urls["bought-link"].startswith(f"{SITE}/pricing/fetch/bought-link")
    assert urls["bought-file"].endswith("/download/f.csv")
    assert urls["locked"] == f"{SITE}/pricing/locked/locked"
    assert replacements == {
        "https://seller.example/link": urls["bought-link"],
        "https://seller.example/secret": urls["locked"],
    }
    assert redact.is_substitute(urls["locked"], "locked")
    assert redact.is_substitute(urls["bought-link"], "bought-link")
    assert not redact.is_substitute(urls["locked"], "other")
