"""The studio's home: every episode and its state, the checks at a glance, the last publish, who did what."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app

from podcaster.errors import Problem
from podcaster.studio import (
    Permission,
    can,
    can_edit_episode,
    last_publish,
    recent_activity,
    studio_overview,
    wall_clock,
)

from .blueprint import account, bp, page


@bp.get("/")
def home() -> Response:
    now = current_app.config["CLOCK"]()
    overview = studio_overview(current_app.config["ROOT"], now)
    zone = current_app.config["STUDIO_TIMEZONE"]
    role = account().role
    rows = [
        {
            "row": row,
            "local_date": wall_clock(row.episode.date, zone),
            "counts": overview.problems_of(row.episode),
            "editable": can_edit_episode(role, draft=row.episode.draft),
        }
        for row in overview.rows
    ]
    root = Path(current_app.config["ROOT"])

    def where(problem: Problem) -> str:
        """The file a problem is in, named from the podcast folder as the CLI names it."""
        if problem.path is None:
            return ""
        path = Path(problem.path)
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        return f"{name}:{problem.line}" if problem.line else name

    return page(
        "studio/home.html",
        overview=overview,
        rows=rows,
        zone=zone,
        where=where,
        wall_clock=wall_clock,
        can_publish=can(role, Permission.PUBLISH),
        activity=recent_activity(root),
        last=last_publish(root),
    )


@bp.get("/<path:rest>")
def unknown(rest: str) -> Response:
    """Any other studio address: through the sign-in guard first, then not found."""
    abort(404)
