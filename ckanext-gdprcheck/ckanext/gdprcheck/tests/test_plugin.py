from __future__ import annotations

import pytest

import ckan.plugins as p
import ckan.plugins.toolkit as tk


@pytest.mark.usefixtures("with_plugins")
def test_plugin_is_loaded_and_declares_its_config() -> None:
    assert p.plugin_loaded("gdprcheck")
    assert tk.config.get("ckanext.gdprcheck.gate") == "enforce"
    assert tk.config.get("ckanext.gdprcheck.min_cell_count") == 5
