"""The ini renderer shared by the dev, test and container setups (plain data, no CKAN)."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("render_config", ROOT / "scripts" / "render_config.py")
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
