"""A real HTTP server on 127.0.0.1 for the tests that fetch linked files (the scanner,
the samples of harvested files, the paywall's proxy): each path answers with its status,
headers and body; anything else is a 404."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator, Mapping
from typing import Any

Answer = tuple[int, Mapping[str, str], bytes]


def file(body: bytes, content_type: str = "text/csv") -> Answer:
    return 200, {"Content-Type": content_type}, body


@contextlib.contextmanager
def serve(answers: Mapping[str, Answer]) -> Iterator[str]:
    """The server's base URL while the block runs."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = answers.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
