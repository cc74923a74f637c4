"""``/e/<key>``: the counting hop. It records the request for the audience figures and answers 302 to the audio.

Only when the show asks for it (``[stats] prefix = true``): the feed's enclosures then point here.
It is WSGI middleware, like :class:`web.http.FastPath`, because it is on every listener's path and
must cost no more than a bare redirect: Flask's per-request machinery is skipped. The answer never
waits for the audience database: :class:`podcaster.HopRecorder` queues the request in memory and a
background thread counts and writes. Only the keys of the episodes listeners may hear now are
redirected, so the hop is no open redirect; anything else goes on to Flask (a 404).
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from podcaster import HopRecorder, PodcasterError, audience_store, targets_of
from podcaster.settings import Settings

from .http import WSGIApp
from .site import Site, Snapshot

PREFIX = "/e/"
EXTENSION = "podcaster.hop"
# What may stay as it is in a Location header; the rest (accents, spaces) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


class HopPath:
    """WSGI middleware answering ``GET``/``HEAD /e/<key>`` with a 302, after queueing the request."""

    def __init__(
        self,
        app: WSGIApp,
        site: Site,
        clock: Callable[[], datetime],
        flush_seconds: float,
        settings: Settings | None = None,
    ) -> None:
        self.app = app
        self.settings = settings  # the audience store's password, when the show keeps it on a server
        self.site = site
        self.clock = clock
        self.flush_seconds = flush_seconds
        self._snapshot: Snapshot | None = None
        self._recorder: HopRecorder | None = None
        self._destinations: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def recorder(self) -> HopRecorder | None:
        return self._recorder

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if not path.startswith(PREFIX) or (method != "GET" and method != "HEAD"):
            return self.app(environ, start_response)
        try:
            snap = self.site.snapshot()
        except PodcasterError:
            return self.app(environ, start_response)  # Flask shows the error page
        if snap.catalogue.show.stats.get("prefix") is not True:
            return self.app(environ, start_response)
        if snap is not self._snapshot:
            self._refresh(snap)
        # WSGI gives the path as Latin-1 code points of its UTF-8 bytes.
        key = path[len(PREFIX) :].encode("latin-1").decode("utf-8", "replace")
        destination = self._destinations.get(key)
        recorder = self._recorder
        if destination is None or recorder is None:
            return self.app(environ, start_response)
        recorder.record(
            environ.get("REMOTE_ADDR", ""),
            environ.get("HTTP_USER_AGENT", ""),
            method,
            key,
            environ.get("HTTP_RANGE"),
            self.clock(),
        )
        start_response(
            "302 Found",
            [
                ("Location", destination),
                ("Cache-Control", "private, no-cache"),
                ("Access-Control-Allow-Origin", "*"),  # web players fetch audio across origins
                ("Content-Length", "0"),
            ],
        )
        return []

    def _refresh(self, snap: Snapshot) -> None:
        """A new view of the catalogue: a new redirect table and a recorder that knows its episodes."""
        with self._lock:
            if snap is self._snapshot:
                return
            urls = snap.catalogue.show.urls
            destinations = {
                public.audio_key: quote(urls.media_url(public.audio_key), safe=_URL_SAFE)
                for public in snap.episodes
                if public.audio_key
            }
            old = self._recorder
            # The same store as ingest and the report (SQLite, or the show's [stats] store).
            where, password = audience_store(snap.catalogue, self.settings)
            recorder = HopRecorder(
                where,
                targets_of(snap.catalogue),
                interval=self.flush_seconds,
                base=snap.folder.root,
                password=password,
            )
            atexit.register(recorder.close)
            self._recorder, self._destinations, self._snapshot = recorder, destinations, snap
            if old is not None:
                atexit.unregister(old.close)
                threading.Thread(target=old.close, daemon=True).start()  # its last gains, off the request
