"""Local HTTP servers for the harvest tests: static DCAT files, and a proxy in front of
the stock CKAN peer that injects the faults a real network and real portals bring
(a request that never gets an answer, a broken JSON body). The CKAN answers
themselves come from the real peer; nothing is mocked."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests


class _Server:
    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class StaticFiles(_Server):
    """Serves a folder; files can be replaced between harvest runs. ``on_request``, if
    set, is told each path before it is served (a probe of what happened before)."""

    def __init__(self, folder: Path) -> None:
        self.on_request: Any = None
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                if outer.on_request is not None:
                    outer.on_request(self.path)
                super().do_GET()

            extensions_map = {
                ".ttl": "text/turtle",
                ".jsonld": "application/ld+json",
                "": "application/octet-stream",
            }

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)


class FaultyProxy(_Server):
    """Forwards to ``upstream``. A request whose URL names an id in ``hang`` is held
    until the test ends (the client's timeout fires first); one naming an id in
    ``garble`` gets a cut-off JSON body; ``garble_listing`` breaks the id listing."""

    def __init__(self, upstream: str) -> None:
        self.hang: set[str] = set()
        self.garble: set[str] = set()
        self.garble_listing = False
        self.released = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = unquote(self.path)
                if any(i in path for i in proxy.hang):
                    proxy.released.wait(30)
                    return
                answer = requests.get(upstream + self.path, timeout=30)
                body = answer.content
                listing = "fl=id" in path or "fl=id%2Cmetadata_modified" in self.path
                if any(i in path for i in proxy.garble) or (listing and proxy.garble_listing):
                    body = body[: len(body) // 2]
                self.send_response(answer.status_code)
                self.send_header(
                    "Content-Type", answer.headers.get("Content-Type", "application/json")
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)

    def close(self) -> None:
        self.released.set()
        super().close()


def serve(server: _Server) -> Iterator[_Server]:
    try:
        yield server
    finally:
        server.close()
