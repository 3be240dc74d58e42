from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import pytest


@pytest.mark.usefixtures("with_plugins")
def test_plugin_is_loaded_and_declares_its_config() -> None:
    assert p.plugin_loaded("gdprcheck")
    # The test portal only warns (tests of the other plugins publish datasets without a
    # checklist); the declared default, used by `make run` and docker/, enforces.
    assert tk.config.get("ckanext.gdprcheck.gate") == "warn"
    from ckan.common import config_declaration
    from ckan.config.declaration import Key

    assert config_declaration[Key.from_string("ckanext.gdprcheck.gate")].default == "enforce"
    assert tk.config.get("ckanext.gdprcheck.min_cell_count") == 5
