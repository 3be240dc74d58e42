"""What the browser tests share: the people and data they start from, made with CKAN's
factories and actions as the suite's other tests make them; logging in through the real
login form; paying as Stripe confirms a payment; and the accessibility check (axe-core,
injected into the page).
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from ckan import model
from ckan.tests import factories, helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage
from playwright.sync_api import Page, Route, expect

from ckanext.pricing.model import Order
from ckanext.pricing.tests import stripe_events

ROOT = Path(__file__).resolve().parents[2]
#: Everything the scripts create (scripts/lib.sh exports CDX_VAR to the tests).
VAR = Path(os.environ.get("CDX_VAR") or ROOT / "var")
#: axe-core, installed by scripts/install.sh from tests/browser/package-lock.json.
AXE_JS = Path(os.environ.get("CDX_AXE_JS") or VAR / "node/node_modules/axe-core/axe.min.js")
#: Debian's Chromium; Playwright's own browser builds are never used.
CHROMIUM = "/usr/bin/chromium"
#: The machine has no network: these flags keep Chromium from calling home.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Every person the tests make logs in with it.
PASSWORD = "correct-horse-battery-staple"
#: The impacts of an accessibility violation that fail a page.
BLOCKING_IMPACTS = ("serious", "critical")
# Violations in CKAN 2.12's own templates, each with its cause; only these elements are
# excused (matched on their HTML), the rule still holds for everything else.
KNOWN_UPSTREAM = {
    "label-content-name-mismatch": (
        # core's facet links and resource list name themselves "Search datasets by
        # <field>: <value>" and "Navigate to resource: <name>", while their visible text
        # holds the count or the format too (snippets/facet_list.html,
        # package/snippets/resource_item.html)
        re.compile(
            r'aria-label="(Search datasets by |Søg datasæt efter |Navigate to resource: '
            r"|Gå til ressource: )"
        ),
        # core's account bar (header.html): the profile link is named "View profile"
        # around the user's name, the dashboard link "View dashboard" around its count
        re.compile(r'<a href="[^"]*/user/[^"]*" class="image"'),
        re.compile(r'<a href="[^"]*/dashboard/"'),
    ),
    # Select2 4 (CKAN 2.12) renders the tags field's search box without a name.
    "aria-input-field-name": (
        re.compile(r'class="select2-selection select2-selection--multiple"'),
    ),
}
#: Stripe's hosted payment page, where the portal sends a buyer to pay.
STRIPE_CHECKOUT = re.compile(r"^https://checkout\.stripe\.com/")


@dataclass(frozen=True)
class LivePortal:
    """The portal served over HTTP for the browser: ``portal("/dataset")`` is a full URL."""

    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


# --- people and data ----------------------------------------------------------------------


def person(role: str, **extra: Any) -> dict[str, Any]:
    """A new user named after their role, with the known password."""
    return factories.User(name=f"{role}-{secrets.token_hex(3)}", password=PASSWORD, **extra)


def organization(title: str, admins: list[dict[str, Any]]) -> dict[str, Any]:
    """A new organisation with these users as its admins."""
    return factories.Organization(
        title=title, users=[{"name": user["name"], "capacity": "admin"} for user in admins]
    )


def act(user: dict[str, Any], action: str, **data: Any) -> Any:
    """Call an action as this user, with their rights."""
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


def upload(
    user: dict[str, Any], dataset: dict[str, Any], filename: str, data: bytes, **extra: Any
) -> dict[str, Any]:
    """A resource of the dataset whose file is uploaded to the portal's storage."""
    return act(
        user,
        "resource_create",
        package_id=dataset["id"],
        upload=FakeFileStorage(io.BytesIO(data), filename),
        **extra,
    )


# --- in the browser -------------------------------------------------------------------------


def log_in(page: Page, user: dict[str, Any]) -> None:
    """Log in through the login form, as a person does."""
    page.goto("/user/login")
    page.get_by_label("Username or Email").fill(user["name"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def stand_in_for_stripe_checkout(page: Page) -> None:
    """Stripe's payment page, which the closed network cannot reach, is a plain page of
    the test's own in this browser."""

    def payment_page(route: Route) -> None:
        route.fulfill(
            content_type="text/html",
            body="<!doctype html><html lang='en'><title>Pay</title><h1>Stripe Checkout</h1>",
        )

    page.route(STRIPE_CHECKOUT, payment_page)


def order_of(buyer: dict[str, Any]) -> Order:
    """The buyer's one order."""
    model.Session.expire_all()
    return model.Session.query(Order).filter(Order.buyer_id == buyer["id"]).one()


def pay_at_stripe(portal: LivePortal, order: Order) -> None:
    """Stripe confirms the order's payment: a signed checkout.session.completed event,
    posted to the portal's webhook over HTTP (the pricing tests' signer and event)."""
    body, headers = stripe_events.signed(stripe_events.completed(order))
    response = requests.post(
        portal("/pricing/stripe/webhook"), data=body, headers=headers, timeout=30
    )
    assert response.status_code == 200, response.text


@dataclass(frozen=True)
class Violation:
    """One axe-core rule that a page breaks, and where."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: list[str]
    html: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = "\n".join(f"      {target}" for target in self.targets)
        return f"  {self.rule} ({self.impact}): {self.help}\n    {self.help_url}\n{where}"


def axe_violations(page: Page) -> list[Violation]:
    """Run axe-core over the page as it is now (every rule axe runs by default). The
    script is evaluated through the DevTools protocol, so the page's own Content Security
    Policy stays as it is."""
    if not AXE_JS.is_file():
        raise AssertionError(f"axe-core is not installed at {AXE_JS}: run scripts/install.sh")
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        Violation(
            rule=found["id"],
            impact=found.get("impact") or "",
            help=found["help"],
            help_url=found["helpUrl"],
            targets=[json.dumps(node["target"]) for node in found["nodes"]],
            html=tuple(node.get("html") or "" for node in found["nodes"]),
        )
        for found in result["violations"]
    ]


def _upstream(violation: Violation) -> bool:
    """Every element of the violation is one of core's, listed in KNOWN_UPSTREAM."""
    patterns = KNOWN_UPSTREAM.get(violation.rule, ())
    return bool(patterns) and all(
        any(pattern.search(html) for pattern in patterns) for html in violation.html
    )


def assert_accessible(page: Page) -> None:
    """Fail with every serious or critical accessibility violation of the page: its rule,
    what the rule asks for, and the elements that break it."""
    blocking = [
        v for v in axe_violations(page) if v.impact in BLOCKING_IMPACTS and not _upstream(v)
    ]
    assert not blocking, f"{page.url} breaks these accessibility rules:\n" + "\n".join(
        str(v) for v in blocking
    )
