"""Security headers and cookie flags on the configuration docker renders (https site)."""

from __future__ import annotations

import configparser
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import yaml
from ckan.config.middleware import make_app
from werkzeug.test import Client

from ckanext.cityexchange import headers

ROOT = Path(__file__).resolve().parents[4]
# CKAN's template, by release: the copy follows 2.12's, which renders on 2.11 too.
DATATABLES_SHA256 = {
    "2.11": "4073ffd2cd6b06fd4a19ec8c2b7da1179037135bcbea19950526befcf6709875",
    "2.12": "f01df3cb0c91f937fbfe4850479652d736b5e4920bbe12f4078ab88637aae26b",
}


def _docker_ini(tmp_path: Path) -> configparser.ConfigParser:
    """config/ckan.ini.in rendered as docker/entrypoint.sh does, with compose's values."""
    compose = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text(encoding="utf-8"))
    env = {k: str(v) for k, v in compose["x-ckan-env"].items()}
    env.update(
        CDX_SITE_URL="https://data.example.dk", CDX_SECRET_KEY="s" * 40, PATH=os.environ["PATH"]
    )
    out = tmp_path / "ckan.ini"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "render_config.py"),
            str(ROOT / "config" / "ckan.ini.in"),
            str(out),
        ],
        env=env,
        check=True,
    )
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(out)
    return ini


def test_docker_cookies_are_secure_lax_and_sessions_in_redis(tmp_path: Path) -> None:
    app = _docker_ini(tmp_path)["app:main"]
    assert app["SESSION_TYPE"] == "redis"
    assert app["ckan.redis.url"] == "redis://redis:6379/0"
    for prefix in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
        assert app[f"{prefix}_SECURE"] == "true"
        assert app[f"{prefix}_SAMESITE"] == "Lax"
        assert app[f"{prefix}_HTTPONLY"] == "true"


def test_every_response_carries_the_headers(tmp_path: Path, ckan_config: Any) -> None:
    app = _docker_ini(tmp_path)["app:main"]
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        ckan_config[key] = tk.asbool(app[key])
    client = Client(make_app(ckan_config))
    for path in ("/", "/dataset/", "/user/login", "/api/3/action/status_show", "/no-such-page"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        policy = headers.directives(response.headers["Content-Security-Policy"])
        assert policy["frame-ancestors"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
    login = client.get("/user/login")
    cookie = login.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie


def test_inline_scripts_of_the_pages_carry_the_nonce(ckan_config: Any) -> None:
    """No inline <script> of the main pages runs without this response's nonce."""
    import re

    client = Client(make_app(ckan_config))
    for path in ("/", "/dataset/", "/organization/", "/user/login"):
        response = client.get(path)
        nonce = headers.directives(response.headers["Content-Security-Policy"])["script-src"]
        allowed = {w[len("'nonce-") : -1] for w in nonce if w.startswith("'nonce-")}
        for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
            if "src=" in tag or "application/ld+json" in tag:
                continue
            found = re.search(r'nonce="([^"]+)"', tag)
            assert found and found.group(1) in allowed, (path, tag)


def test_the_copied_datatables_template_matches_ckans() -> None:
    """templates/datatables/datatables_view.html copies CKAN's page block: re-copy it
    when CKAN's template changes."""
    import ckan

    import ckanext.datatablesview

    core = (
        Path(ckanext.datatablesview.__file__).parent
        / "templates"
        / "datatables"
        / "datatables_view.html"
    )
    release = ".".join(ckan.__version__.split(".")[:2])
    assert hashlib.sha256(core.read_bytes()).hexdigest() == DATATABLES_SHA256[release]
