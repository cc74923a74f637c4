"""``/media/…``: the local storage folder over HTTP, with byte ranges, as podcast apps require.

Only when the show publishes to a local folder (``file://…``) or ``MEDIA_DIR``
names one. Keys are checked by the storage backend itself, which refuses
anything that could leave its folder (``..``, absolute paths, symbolic links).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_file

from podcaster.errors import StorageError
from podcaster.models import MEDIA_PREFIX, media_content_type

from .site import current_site

bp = Blueprint("media", __name__)


@bp.get("/media/<path:key>")
def media(key: str) -> Response:
    config = current_app.config
    if config["SERVE_MEDIA"] is False:
        abort(404)
    storage = current_site().storage(config["MEDIA_DIR"])
    if storage is None:
        abort(404)
    # publish puts media under media/ in storage, beside the feeds: the URL path is the storage key.
    key = MEDIA_PREFIX + key
    try:
        path = storage.public_path(key)
        info = storage.head(key)
    except StorageError:
        abort(404)  # an unsafe key, or a link out of the folder: as if there were nothing
    if info is None:
        abort(404)
    # What publish stored with the file; a file put there by hand is known by its suffix.
    mimetype = info.content_type or media_content_type(key)
    response = send_file(
        path,
        mimetype=mimetype,
        conditional=True,
        etag=info.etag,
        max_age=config["MEDIA_MAX_AGE"],
    )
    # Keys carry a content hash: a changed file gets a new key, so this one never changes.
    response.headers["Cache-Control"] = f"public, max-age={config['MEDIA_MAX_AGE']}, immutable"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if mimetype.startswith("text/html"):
        # A transcript in HTML is shown as a document of its own, never with scripts.
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
