"""Business rules live in plain modules that do not import CKAN."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

PACKAGE = Path(__file__).resolve().parent.parent
PURE = ["offers.py", "rules.py", "redact.py", "licences.py", "orders.py", "odrl.py", "dataspace.py"]


@pytest.mark.parametrize("module", PURE)
def test_rule_module_does_not_import_ckan(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    offending = sorted(m for m in imported if m == "ckan" or m.startswith("ckan."))
    assert offending == []
    assert all(
        m == "ckanext.pricing" or m.startswith("ckanext.pricing.")
        for m in imported
        if m.startswith("ckanext")
    )
