"""The dataset schema's texts: every label, help text and placeholder that is given per
language is given in English and Danish, and nothing else (a comma in an unquoted YAML
flow mapping silently cuts a label in two)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.pure

SCHEMA = Path(__file__).resolve().parent.parent / "config" / "schemas" / "dataset.yaml"


def _texts(fields: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    found = []
    for field in fields:
        for key in ("label", "help_text", "form_placeholder"):
            if isinstance(field.get(key), dict):
                found.append((field["field_name"], key, field[key]))
        for choice in field.get("choices") or []:
            if isinstance(choice.get("label"), dict):
                found.append((field["field_name"], f"choice {choice['value']}", choice["label"]))
        found.extend(_texts(field.get("repeating_subfields") or []))
    return found


def test_every_text_is_given_in_english_and_danish_whole() -> None:
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    texts = _texts(schema["dataset_fields"]) + _texts(schema["resource_fields"])
    assert len(texts) > 50  # the probe reads the schema's texts
    for field, key, text in texts:
        assert set(text) == {"en", "da_DK"}, (field, key, text)
        for language, value in text.items():
            assert isinstance(value, str) and value.strip(), (field, key, language)
            assert value.count("(") == value.count(")"), (field, key, language, value)
