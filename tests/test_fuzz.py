"""Hostile input to every action and every route of the suite: never a server error.

Every parameter an action documents (``:param name:`` in its docstring, plus ``id``) gets
each value of a catalogue of hostile values (NUL bytes, objects and lists where text is
expected, over-long text, numbers and dates out of range, malformed ids, markup), one
parameter at a time with the others valid, as a sysadmin (so that the call gets past
access checks into validation and the rules) and anonymously; then Hypothesis generates
whole hostile data dicts. Every route of the suite gets hostile path parameters, query
strings and form fields. Each response must be below 500 and, for the API, the JSON
envelope naming the action.

Example counts are bounded for ``make test``: one hostile value of each kind and a few
generated data dicts per action; ``make test-deep`` sends the whole catalogue
(``CDX_FUZZ_FULL=1``) and more generated examples (``CDX_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import ckan.logic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_route_leaks import RouteWorld, _fill, _headers, rworld, upstream  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.module_plugins

SUITE_ACTION = re.compile(r"^(pricing|dealroom|gdprcheck|cityharvest)_")
SUITE_ENDPOINT = re.compile(r"^(pricing|dealroom|gdprcheck|cityharvest|cityexchange)\.")
EXAMPLES = int(os.environ.get("CDX_FUZZ_EXAMPLES", "6"))

HOSTILE: list[Any] = [
    "\x00",
    "id\x00x",
    {"a": "b"},
    [1, 2],
    ["\x00"],
    [{"a": []}],
    "x" * 100_001,
    10**30,
    -(10**30),
    -1,
    1.5,
    True,
    None,
    "",
    "   ",
    "9999-99-99T99:99:99",
    "0000-00-00",
    "-0001-01-01",
    "1e309",
    "a b",
    "../../etc/passwd",
    "%00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\u202e\U0001f600",
    "null",
    "[]",
    "{}",
]
# make test sends one value of each hostile kind (CDX_FUZZ_FULL=1, as in make test-deep,
# sends the whole catalogue).
HOSTILE_KINDS: list[Any] = [
    "id\x00x",
    {"a": "b"},
    [1, 2],
    [{"a": []}],
    "x" * 100_001,
    10**30,
    -1,
    1.5,
    True,
    None,
    "   ",
    "9999-99-99T99:99:99",
    "a b",
    "\u202e\U0001f600",
    "../../etc/passwd",
    "<script>alert(1)</script>",
]
if not os.environ.get("CDX_FUZZ_FULL"):
    HOSTILE = HOSTILE_KINDS
# Anonymous callers meet the auth functions first: one value of each hostile kind.
HOSTILE_ANONYMOUS: list[Any] = [
    "\x00",
    {"a": "b"},
    [1, 2],
    "x" * 100_001,
    10**30,
    True,
    "a b",
    None,
]
_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from([h for h in HOSTILE if isinstance(h, str)]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _suite_actions() -> dict[str, Any]:
    return {
        name: func for name, func in sorted(ckan.logic._actions.items()) if SUITE_ACTION.match(name)
    }


def _params(func: Any) -> list[str]:
    doc = func.__doc__ or ""
    return sorted(set(re.findall(r":param (\w+):", doc)) | {"id"})


def _base(w: RouteWorld, name: str) -> dict[str, Any]:
    """Valid values, so that one hostile parameter is what the action meets."""
    b = w.base
    ident = {
        "dealroom": w.room["id"],
        "pricing_order": w.order.get("order_id", w.order.get("id")),
        "pricing_entitlement": "no-such-entitlement",
    }
    return {
        "id": next((v for k, v in ident.items() if name.startswith(k)), b.dataset["id"]),
        "package_id": b.dataset["id"],
        "resource_id": b.link["id"],
        "offer_id": "standard",
    }


def _api(app: Any, name: str, params: Any, headers: dict[str, str]) -> tuple[int, bool]:
    response = app.post(f"/api/3/action/{name}", json=params, headers=headers)
    envelope = response.json if response.is_json else None
    named = (
        isinstance(envelope, dict)
        and "success" in envelope
        and (
            name in str(envelope.get("help", ""))
            or envelope.get("error", {}).get("__type") == "Validation Error"
        )
    )
    return response.status_code, named


def test_hostile_values_to_every_parameter_of_every_suite_action(
    app: Any, rworld: RouteWorld
) -> None:
    actions = _suite_actions()
    assert len(actions) >= 40, sorted(actions)
    errors, unreached, calls = [], [], 0
    for name, func in actions.items():
        base = _base(rworld, name)
        for param in _params(func):
            for persona, values in (("sysadmin", HOSTILE), ("anonymous", HOSTILE_ANONYMOUS)):
                for value in values:
                    status, named = _api(
                        app, name, dict(base, **{param: value}), _headers(rworld, persona)
                    )
                    calls += 1
                    if status >= 500:
                        errors.append(f"{persona} {name} {param}={value!r:.40}: HTTP {status}")
                    elif not named:
                        unreached.append(f"{persona} {name} {param}: HTTP {status}")
    print(f"\nfuzz, catalogue: {len(actions)} suite actions, {calls} calls")
    assert errors == [], "\n".join(errors)
    assert unreached == [], "\n".join(unreached[:50])


def _generated_probe(
    app: Any, w: RouteWorld, name: str, params: list[str], errors: list[str], calls: list[int]
) -> Any:
    keys = st.sampled_from([*params, "extras", "__junk"])

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.dictionaries(keys, _JSONISH, max_size=4) | _JSONISH)
    def probe(data: Any) -> None:
        status, _named = _api(app, name, data, _headers(w, "sysadmin"))
        calls[0] += 1
        if status >= 500:
            errors.append(f"{name} {data!r:.80}: HTTP {status}")

    return probe


def test_generated_data_dicts_to_every_suite_action(app: Any, rworld: RouteWorld) -> None:
    actions = _suite_actions()
    errors: list[str] = []
    calls = [0]
    for name, func in actions.items():
        _generated_probe(app, rworld, name, _params(func), errors, calls)()
    print(f"\nfuzz, generated: {len(actions)} suite actions, {calls[0]} calls")
    assert errors == [], "\n".join(errors)


_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_FORM_FIELDS = (
    "use_case",
    "body",
    "reason",
    "amount",
    "offer_id",
    "holder",
    "holder_type",
    "do",
    "what",
    "q",
    "valid_until",
    "organization",
    "entitlement_id",
    "period_months",
    "resource_ids",
    "licence",
    "clauses",
    "consent",
    "closed",
    "deal_type",
)


def _hit(app: Any, w: RouteWorld, method: str, url: str, value: str) -> dict[str, int]:
    """One hostile value in every form field (POST) or query parameter (GET), as a
    sysadmin and anonymously: the status codes by persona."""
    fields = dict.fromkeys(_FORM_FIELDS, value)
    out = {}
    for persona in ("sysadmin", "anonymous"):
        headers = _headers(w, persona)
        if method == "GET":
            response = app.get(url, query_string=fields, headers=headers, follow_redirects=False)
        else:
            response = app.post(url, data=fields, headers=headers, follow_redirects=False)
        out[persona] = response.status_code
    return out


def test_hostile_values_to_every_suite_route(app: Any, rworld: RouteWorld) -> None:
    rules = [r for r in app.flask_app.url_map.iter_rules() if SUITE_ENDPOINT.match(r.endpoint)]
    assert len(rules) >= 20
    texts = [h for h in HOSTILE if isinstance(h, str) and h and len(h) < 1000] + ["x" * 100_001]
    path_texts = [
        t
        for t in texts
        if t
        in (
            "\x00",
            "id\x00x",
            "   ",
            "a b",
            "../../etc/passwd",
            "%00",
            "' OR 1=1 --",
            "\u202e\U0001f600",
            "9999-99-99T99:99:99",
        )
    ]
    real = {
        "id": rworld.base.dataset["name"],
        "room_id": rworld.room["id"],
        "resource_id": rworld.base.link["id"],
        "order_id": rworld.order.get("order_id", ""),
        "attachment_id": rworld.attachment_id,
        "what": "withdraw",
        "outcome": "success",
    }
    errors, calls = [], 0
    for rule in rules:
        names = _PARAM.findall(rule.rule)
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        # every path parameter hostile; then real ids in the path and hostile fields, so
        # that the views' own validation is reached
        urls = [
            (_fill(rule.rule, {n: quote(v, safe="") for n in names}) if names else rule.rule, v)
            for v in (path_texts if names else texts)
        ]
        if all(n in real for n in names):
            urls += [(_fill(rule.rule, real), v) for v in texts]
        for url, value in urls:
            for method in methods:
                for persona, status in _hit(app, rworld, method, url, value).items():
                    calls += 1
                    if status >= 500:
                        errors.append(
                            f"{persona} {method} {url[:120]} <- {value!r:.40}: HTTP {status}"
                        )
    print(f"\nfuzz, routes: {len(rules)} suite routes, {calls} calls")
    assert errors == [], "\n".join(errors)
