from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import pytest


@pytest.mark.usefixtures("with_plugins")
def test_plugin_is_loaded_and_declares_its_config() -> None:
    assert p.plugin_loaded("dealroom")
    assert tk.config.get("ckanext.dealroom.max_attachment_size") == 10
