"""The ini renderer shared by the dev, test and container setups (plain data, no CKAN)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "render_config", ROOT / "scripts" / "render_config.py"
)
assert _spec and _spec.loader
render_config: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_config)


def test_placeholders_take_the_environment_then_the_default() -> None:
    text, missing = render_config.render("a = ${A}\nb = ${B:-two}\nc = ${C:-}\n", {"A": "one"})
    assert text == "a = one\nb = two\nc = \n"
    assert missing == []


def test_missing_variables_are_all_named() -> None:
    _, missing = render_config.render("${X} ${Y} ${X}", {})
    assert sorted(set(missing)) == ["X", "Y"]


def test_the_template_needs_exactly_the_documented_variables() -> None:
    """Every variable without a default appears in the README's configuration table."""
    template = (ROOT / "config" / "ckan.ini.in").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = {m.group(1) for m in render_config.PLACEHOLDER.finditer(template)}
    assert names, "the template has placeholders"
    undocumented = sorted(n for n in names if f"`{n}`" not in readme)
    assert undocumented == []


def _required(template: str) -> set[str]:
    return {
        m.group(1)
        for m in render_config.PLACEHOLDER.finditer(template)
        if m.group(2) is None and m.group(1) not in render_config.DERIVED
    }


def test_cookies_are_secure_exactly_when_the_site_is_https() -> None:
    assert (
        render_config.with_derived({"CDX_SITE_URL": "https://x.dk"})["CDX_COOKIE_SECURE"] == "true"
    )
    assert (
        render_config.with_derived({"CDX_SITE_URL": "http://x.dk"})["CDX_COOKIE_SECURE"] == "false"
    )
    # Derived, never taken from the environment.
    assert (
        render_config.with_derived({"CDX_SITE_URL": "http://x.dk", "CDX_COOKIE_SECURE": "true"})[
            "CDX_COOKIE_SECURE"
        ]
        == "false"
    )


def test_docker_has_no_default_secrets() -> None:
    """compose refuses to start without the secret key, the site URL and the database
    passwords; the entrypoint never makes a key of its own (one key for every container)."""
    import re

    compose = (ROOT / "docker" / "docker-compose.yml").read_text(encoding="utf-8")
    for name in (
        "CDX_SECRET_KEY",
        "CDX_SITE_URL",
        "CDX_DB_PASSWORD",
        "CDX_DATASTORE_RO_PASSWORD",
        "CDX_POSTGRES_PASSWORD",
    ):
        uses = re.findall(r"\$\{" + name + r"(:?[-?])?", compose)
        assert uses and all(u == ":?" for u in uses), name
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text(encoding="utf-8")
    assert "secrets.token" not in entrypoint


def test_docker_and_dev_set_every_required_variable() -> None:
    """docker/ stays in step with the development setup: the same template, and every
    variable it needs is set by both."""
    import yaml

    template = (ROOT / "config" / "ckan.ini.in").read_text(encoding="utf-8")
    compose = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text(encoding="utf-8"))
    docker_env = set(compose["x-ckan-env"])
    assert sorted(_required(template) - docker_env) == []
    portal = "".join(
        (ROOT / "scripts" / name).read_text(encoding="utf-8") for name in ("lib.sh", "portal.sh")
    )
    assert (
        sorted(v for v in _required(template) if f"{v}=" not in portal and f" {v} " not in portal)
        == []
    )
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY config config" in dockerfile and "render_config.py" in dockerfile
    assert {"ckan", "worker", "postgres", "solr", "redis"} <= set(compose["services"])
