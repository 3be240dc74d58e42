"""The browser tests: Debian's Chromium, driven by Playwright, against a live portal.

- ``live_portal`` (per module): the portal's plugins loaded, an empty database and search
  index, and CKAN's WSGI app as production builds it (``make_app``: CSRF checks, error
  pages), served over real HTTP by a threaded werkzeug server on 127.0.0.1 in this
  process. The tests make users and data with CKAN's factories and actions in the same
  database the browser sees; ``ckan.site_url`` points to the server, so every link the
  portal writes leads back to it.
- ``chromium`` (per session), and ``page`` and ``other_page`` (per test: each a fresh
  browser context, no cookies, downloads accepted, relative URLs resolved against the
  live portal; two people at once take one each).
- A test that fails leaves a screenshot, the URL and the HTML of every page it had open
  under ``var/browser-failures/`` (named after the test and the page fixture), and its
  report says where.

Every browser test module is marked ``browser`` and ``module_plugins`` (``live_portal``
loads the plugins once for the module).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import plugins
from ckan.config.middleware import make_app
from ckan.lib.app_globals import _CONFIG_CACHE
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from ckanext.cityexchange import compat
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, VAR, LivePortal

#: How long a step waits for what it expects (Playwright's auto-waiting), in ms.
TIMEOUT_MS = 15_000
FAILURES = VAR / "browser-failures"


def _starting(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def _configure(patch: pytest.MonkeyPatch, portal: LivePortal) -> None:
    patch.setitem(tk.config, "ckan.site_url", portal.url)
    patch.setitem(tk.config, "testing", False)  # as in production: CSRF, error pages


@pytest.fixture(scope="module")
def live_portal(reset_portal_db: Any, reset_index: Any) -> Iterator[LivePortal]:
    # The port is taken first: the site URL names it, and CKAN reads the site URL when
    # the app is built.
    server = make_server("127.0.0.1", 0, _starting, threaded=True)
    portal = LivePortal(f"http://127.0.0.1:{server.server_port}")
    with pytest.MonkeyPatch.context() as patch:
        _configure(patch, portal)
        plugins.load_all()
        reset_portal_db()
        reset_index()
        # Building the app resets the settings it shows from the values it first saw (as
        # CKAN's own make_app fixture does, that memory is cleared): this site URL, then
        # the configured one again after the module.
        _CONFIG_CACHE.clear()
        server.app = make_app(tk.config)
        thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
        thread.start()
        try:
            yield portal
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
            compat.unload_plugins()
    _CONFIG_CACHE.clear()


@pytest.fixture(autouse=True)
def _live_config(live_portal: LivePortal, monkeypatch: pytest.MonkeyPatch) -> None:
    """CKAN's pytest plugin restores the configuration before every test: the live
    portal's settings are made again for each one."""
    _configure(monkeypatch, live_portal)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()


def _new_page(chromium: Browser, portal: LivePortal) -> Iterator[Page]:
    context = chromium.new_context(base_url=portal.url, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(chromium: Browser, live_portal: LivePortal) -> Iterator[Page]:
    yield from _new_page(chromium, live_portal)


@pytest.fixture
def other_page(chromium: Browser, live_portal: LivePortal) -> Iterator[Page]:
    """A second person's browser, with cookies of its own: the other party of a deal."""
    yield from _new_page(chromium, live_portal)


def _save_failure(name: str, page: Page) -> list[str]:
    """Screenshot, URL and HTML of every page the test had open; what was saved."""
    FAILURES.mkdir(parents=True, exist_ok=True)
    saved = []
    for number, open_page in enumerate(page.context.pages, start=1):
        stem = str(FAILURES / (name if number == 1 else f"{name}-{number}"))
        # The test has failed already: a page that cannot be saved (closed, crashed) is
        # reported here and must not hide that failure.
        try:
            open_page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(open_page.content(), encoding="utf-8")
            Path(f"{stem}.url").write_text(open_page.url + "\n", encoding="utf-8")
            saved.append(f"{open_page.url}\n  {stem}.png, .html, .url")
        except Exception as error:
            saved.append(f"{open_page.url}\n  not saved: {error}")
    return saved


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and report.when == "call":
        test = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("/")[-1])
        saved = [
            line
            for fixture, value in getattr(item, "funcargs", {}).items()
            if isinstance(value, Page)
            for line in _save_failure(f"{test}-{fixture}", value)
        ]
        if saved:
            report.sections.append(("browser pages at the failure", "\n".join(saved)))
    return report
