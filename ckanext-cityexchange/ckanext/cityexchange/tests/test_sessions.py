"""A session cookie is dead after logout, and so is the "remember me" cookie.

Driven through the WSGI app built as in production (``make_app``, not CKAN's test app)
with werkzeug's test client: the real Redis session interface, the real login form with
its CSRF token, real cookies copied from one client into another.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan.config.middleware import make_app
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from werkzeug.test import Client, TestResponse

PASSWORD = "correct-horse-battery-staple"
#: The value CKAN's login form posts for a ticked "Remember me" (milliseconds).
REMEMBER = "63072000"


@pytest.fixture
def wsgi_app(ckan_config: Any) -> Any:
    # Per test, after ckan_config has saved the configuration: make_app puts the Redis
    # client of the sessions (SESSION_REDIS) into it, which ckan_config's deep copy of
    # the next test could not copy; ckan_config's teardown takes it out again.
    return make_app(ckan_config)


@pytest.fixture
def user() -> dict[str, Any]:
    return factories.User(name=f"sess-{secrets.token_hex(4)}", password=PASSWORD)


def _login(app: Any, name: str, remember: bool) -> Client:
    client = Client(app)
    form = client.get("/user/login")
    assert form.status_code == 200
    field = tk.config.get("WTF_CSRF_FIELD_NAME")
    token = re.search(rf'name="{field}" value="([^"]+)"', form.get_data(as_text=True))
    assert token, "the login form carries a CSRF token"
    data = {field: token.group(1), "login": name, "password": PASSWORD}
    if remember:
        data["remember"] = REMEMBER
    done = client.post("/user/login", data=data)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    assert "/user/login" not in done.headers["Location"]
    return client


def _copy(app: Any, cookies: dict[str, str]) -> Client:
    """A fresh client (another browser) holding only these cookies."""
    client = Client(app)
    for name, value in cookies.items():
        client.set_cookie(name, value, domain="localhost")
    return client


def _cookie(client: Client, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"cookie {name} is set"
    return cookie.value


def _opens_dashboard(client: Client, name: str) -> bool:
    response: TestResponse = client.get("/dashboard/")
    if response.status_code == 302:
        assert "/user/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    assert name in response.get_data(as_text=True)
    return True


def _session_key(sid: str) -> str:
    return tk.config.get("SESSION_KEY_PREFIX") + sid


def test_sessions_are_kept_in_redis(wsgi_app: Any, user: dict[str, Any]) -> None:
    client = _login(wsgi_app, user["name"], remember=False)
    sid = _cookie(client, tk.config.get("SESSION_COOKIE_NAME"))
    stored = connect_to_redis().get(_session_key(sid))
    assert stored is not None and user["id"].encode() in stored


def test_a_copied_session_cookie_is_dead_after_logout(wsgi_app: Any, user: dict[str, Any]) -> None:
    browser = _login(wsgi_app, user["name"], remember=False)
    copied = {
        tk.config.get("SESSION_COOKIE_NAME"): _cookie(browser, tk.config.get("SESSION_COOKIE_NAME"))
    }
    # The copy works while the owner is logged in: the test can fail.
    assert _opens_dashboard(_copy(wsgi_app, copied), user["name"])

    logout = browser.get("/user/_logout")
    assert logout.status_code == 302
    assert not _opens_dashboard(browser, user["name"])
    assert not _opens_dashboard(_copy(wsgi_app, copied), user["name"])
    sid = next(iter(copied.values()))
    stored = connect_to_redis().get(_session_key(sid)) or b""
    assert user["id"].encode() not in stored


def test_a_copied_remember_cookie_opens_nothing(wsgi_app: Any, user: dict[str, Any]) -> None:
    """The "remember me" cookie cannot be revoked (it holds the user id and an HMAC), so
    it is never honoured: the session, kept in Redis, is what keeps people logged in."""
    session_name = tk.config.get("SESSION_COOKIE_NAME")
    remember_name = tk.config.get("REMEMBER_COOKIE_NAME")
    browser = _login(wsgi_app, user["name"], remember=True)
    cookies = {
        session_name: _cookie(browser, session_name),
        remember_name: _cookie(browser, remember_name),
    }

    # The remember cookie is genuine: Flask-Login, left alone, would log its holder in.
    from flask_login.utils import decode_cookie

    with wsgi_app._wsgi_app.test_request_context():
        assert decode_cookie(cookies[remember_name]) == user["id"]
    # Both cookies together open the dashboard before logout: the test can fail.
    assert _opens_dashboard(_copy(wsgi_app, cookies), user["name"])
    # The remember cookie alone opens nothing, and the portal deletes it.
    alone = _copy(wsgi_app, {remember_name: cookies[remember_name]})
    assert not _opens_dashboard(alone, user["name"])
    assert alone.get_cookie(remember_name) is None

    assert browser.get("/user/_logout").status_code == 302
    for copy in (cookies, {remember_name: cookies[remember_name]}):
        assert not _opens_dashboard(_copy(wsgi_app, copy), user["name"])
    # Nor does it log anybody in through the API.
    response = _copy(wsgi_app, {remember_name: cookies[remember_name]}).get(
        "/api/action/dashboard_activity_list"
    )
    assert response.status_code == 403


def test_the_remember_cookie_is_cleared_on_the_next_request(
    wsgi_app: Any, user: dict[str, Any]
) -> None:
    browser = _login(wsgi_app, user["name"], remember=True)
    remember_name = tk.config.get("REMEMBER_COOKIE_NAME")
    assert browser.get_cookie(remember_name) is not None
    assert _opens_dashboard(browser, user["name"])  # still logged in, by the session
    assert browser.get_cookie(remember_name) is None
    assert _opens_dashboard(browser, user["name"])
