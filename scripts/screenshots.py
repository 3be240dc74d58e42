#!/usr/bin/env python3
"""Screenshots of the main pages of a running portal with demo data, for the README.

    screenshots.py SITE_URL OUT_FOLDER [PAGE ...]

Takes the home page, a commercial dataset, the dataset form and a deal room, in English
and Danish, at desktop width and at 390 px (a phone), with Debian's Chromium driven by
Playwright. The demo users' password comes from CDX_DEMO_PASSWORD (README).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
LANGUAGES = {"en": "", "da": "/da"}


def _log_in(page: Page, site: str, user: str, password: str) -> None:
    page.goto(f"{site}/user/login")
    page.fill("#field-login", user)
    page.fill("#field-password", password)
    page.click(
        "form.form-horizontal button[type=submit], #login-form button[type=submit], button.btn-primary[type=submit]"
    )
    page.wait_for_load_state()


def _deal_room(page: Page, site: str) -> str:
    page.goto(f"{site}/dealroom")
    link = page.locator("a[href*='/dealroom/']").first
    href = link.get_attribute("href") if link.count() else None
    return href or "/dealroom"


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    site, out = argv[1].rstrip("/"), Path(argv[2])
    wanted = set(argv[3:])
    password = os.environ.get("CDX_DEMO_PASSWORD", "cityexchange-demo")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width_name, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            _log_in(page, site, "emil", password)
            room = _deal_room(page, site)
            pages = {
                "home": "/",
                "commercial-dataset": "/dataset/parkeringsbelaegning-realtid",
                "form": "/dataset/new",
                "deal-room": room,
            }
            for lang, prefix in LANGUAGES.items():
                for name, path in pages.items():
                    if wanted and name not in wanted:
                        continue
                    page.goto(f"{site}{prefix}{path}")
                    page.wait_for_load_state("networkidle")
                    target = out / f"{name}-{lang}-{width_name}.png"
                    page.screenshot(
                        path=str(target), full_page=width_name == "phone" and name != "form"
                    )
                    print(f"  {target}")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
