"""``akhbar explore``: a static, offline site that shows what a build kept, what it removed
and why, and (with ``--compare``) what changed since another build.

The site (``OUT/explorer/``) is hand-written HTML/CSS/JS in ``assets/`` plus data scripts
written by :mod:`akhbar.explore.site`; it works opened from disk and makes no network
request. :func:`serve` is only a convenience for browsers that restrict ``file://``.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

from akhbar.explore.site import generate, matches, search_key

__all__ = ["generate", "matches", "search_key", "serve"]


def serve(site: Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``site`` on 127.0.0.1 (a free port when ``port`` is 0) in a daemon thread;
    returns the server (``shutdown()`` stops it) and its URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/index.html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
