"""Harvest sources go through the outbound guard: a CKAN portal or a DCAT catalog on
127.0.0.1 is a gather error naming the refused host when the allow-list is empty, and
is harvested when the allow-list lets 127.0.0.1 through (as the test configuration
does). The DCAT harvester's content fetch is the guarded one, so paged catalogs and
redirects are checked too, and local files are never read."""

from __future__ import annotations

import http.server
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ckan import plugins
from ckan.tests import helpers

from ckanext.cityexchange import compat
from ckanext.cityharvest.tests.peer import ROOT
from ckanext.cityharvest.tests.servers import StaticFiles, _Server
from ckanext.cityharvest.tests.test_harvest import harvested, run_source

sys.path.insert(0, str(ROOT / "test-data" / "opendata"))
import dcat as dcat_files

pytestmark = pytest.mark.module_plugins
CONFIG = {"rdf_format": "turtle", "organizations": {"Region Midtjylland": "region-midtjylland"}}


def _site() -> dict[str, Any]:
    return {"user": helpers.call_action("get_site_user")["name"], "ignore_auth": False}


def load(**source: Any) -> None:
    helpers.call_action("cityharvest_source_load", context=_site(), sources=[source])


class _Redirect(_Server):
    """Answers every request with a redirect to ``target``."""

    def __init__(self, target: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture(scope="module")
def files(reset_portal_db: Any, reset_index: Any, tmp_path_factory: Any) -> Iterator[StaticFiles]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    folder: Path = tmp_path_factory.mktemp("dcat-outbound")
    server = StaticFiles(folder)
    graph = dcat_files.graph(dcat_files.extra_datasets(3), server.url)
    for name in ("catalog.ttl", "allowed.ttl"):  # one harvest source per URL
        (folder / name).write_text(graph.serialize(format="turtle"), encoding="utf-8")
    try:
        yield server
    finally:
        server.close()
        compat.unload_plugins()


@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "")
def test_a_ckan_source_on_loopback_is_a_gather_error_naming_the_host(
    files: StaticFiles, ckan_config: Any
) -> None:
    load(name="loop-ckan", title="Loop CKAN", url="http://127.0.0.1:9", type="ckan")
    result = run_source("loop-ckan")
    assert result["objects"] == 0
    assert "127.0.0.1 is refused" in result["gather_errors"][0]
    assert "loopback" in result["gather_errors"][0]


@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "")
def test_a_dcat_source_on_loopback_is_a_gather_error_naming_the_host(
    files: StaticFiles, ckan_config: Any
) -> None:
    load(
        name="loop-dcat",
        title="Loop DCAT",
        url=f"{files.url}/catalog.ttl",
        type="dcat",
        config=CONFIG,
    )
    result = run_source("loop-dcat")
    assert result["objects"] == 0 and harvested("Loop DCAT") == {}
    assert "127.0.0.1 is refused" in result["gather_errors"][0]


@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "127.0.0.1")
def test_an_allowed_dcat_source_is_harvested_but_not_a_redirect_to_a_refused_address(
    files: StaticFiles, ckan_config: Any
) -> None:
    load(
        name="ok-dcat", title="OK DCAT", url=f"{files.url}/allowed.ttl", type="dcat", config=CONFIG
    )
    result = run_source("ok-dcat")
    assert result["gather_errors"] == [] and result["stats"]["added"] == 3

    redirect = _Redirect("http://169.254.169.254/latest/meta-data/")
    try:
        load(
            name="hop-dcat",
            title="Hop DCAT",
            url=f"{redirect.url}/catalog.ttl",
            type="dcat",
            config=CONFIG,
        )
        hop = run_source("hop-dcat")
    finally:
        redirect.close()
    assert hop["objects"] == 0 and "169.254.169.254 is refused" in hop["gather_errors"][0]


def test_the_dcat_harvester_never_reads_a_local_file(files: StaticFiles) -> None:
    from ckanext.cityharvest.harvesters import DcatCatalogHarvester

    errors: list[str] = []
    harvester = DcatCatalogHarvester()
    harvester._save_gather_error = lambda message, job: errors.append(message)  # type: ignore[method-assign]
    job = type("Job", (), {"source": type("Source", (), {"config": "{}"})()})()
    assert harvester._get_content_and_type("/etc/hostname", job) == (None, None)
    assert harvester._get_content_and_type("file:///etc/hostname", job) == (None, None)
    assert all("only http and https" in e for e in errors) and len(errors) == 2
