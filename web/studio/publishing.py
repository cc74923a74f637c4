"""Publishing from the browser: start the library's publish in a thread, then show how it goes.

Only editors and admins reach these views (a forged request from an author
is refused with 403). The job's page polls a small JSON view when script
runs; without script it reloads itself until the publish ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, redirect, request, url_for

from podcaster import PodcastFolder
from podcaster.errors import PodcasterError
from podcaster.studio import (
    Action,
    EditRefused,
    JobState,
    Permission,
    PublishJob,
    read_episode,
    read_job,
    start_publish,
)

from .blueprint import account, bp, language, page, require
from .history import committer
from .texts import texts

JOBS = "studio_jobs"
KEEP_JOBS = 20  # the newest jobs are kept in memory; the others are read from their files


def init_publishing(app: Flask) -> None:
    """Make room for the publish jobs this process runs."""
    app.extensions[JOBS] = {}
    app.extensions[JOBS + "_lock"] = threading.Lock()


def _jobs() -> dict[str, PublishJob]:
    jobs: dict[str, PublishJob] = current_app.extensions[JOBS]
    return jobs


@bp.post("/publier")
@require(Permission.PUBLISH)
def publish_now() -> Response:
    action_name = request.form.get("action", Action.PUBLISH.value)
    slug = request.form.get("slug", "")
    try:
        action = Action(action_name)
    except ValueError:
        abort(400)
    if action is Action.UNPUBLISH and not slug:
        abort(400)
    try:
        job = start_publish(
            current_app.config["ROOT"],
            account().name,
            account().role,
            current_app.config["CLOCK"](),
            action=action,
            slug=slug,
            settings=current_app.config["LIBRARY_SETTINGS"],
            on_end=_committing(slug),
        )
    except EditRefused:
        abort(403)
    except PodcasterError as error:
        t = texts(language())
        return page("studio/message.html", 422, title=t["publish_refused"], text=str(error))
    with current_app.extensions[JOBS + "_lock"]:
        jobs = _jobs()
        jobs[job.id] = job
        for old in sorted(jobs.values(), key=lambda item: item.started)[:-KEEP_JOBS]:
            if old.state.value != "running":
                jobs.pop(old.id, None)
    return redirect(url_for("studio.publish_progress", job_id=job.id))  # type: ignore[return-value]


def _committing(slug: str) -> Callable[[PublishJob, JobState], None]:
    """What a publish commits when it ends: the episode's draft flag it changed, the lock file it wrote."""
    run = committer(account().name)
    folder = PodcastFolder(current_app.config["ROOT"])
    episode = read_episode(folder.root, slug).path if slug else None

    def end(job: PublishJob, state: JobState) -> None:
        verb = job.action.value + ("ed" if state is JobState.DONE else " (failed)")
        run([episode, folder.lock_file], f"{slug or 'the show'}: {verb} from the studio")

    return end


@bp.get("/publications/<job_id>/")
@require(Permission.PUBLISH)
def publish_progress(job_id: str) -> Response:
    return page("studio/publishing.html", job=_progress(job_id))


@bp.get("/publications/<job_id>.json")
@require(Permission.PUBLISH)
def publish_status(job_id: str) -> Response:
    response = jsonify(_progress(job_id))
    response.headers["Cache-Control"] = "no-store"
    return response


def _progress(job_id: str) -> dict[str, Any]:
    """The job's progress: from memory in the process running it, else as that process saved it."""
    job = _jobs().get(job_id)
    if job is not None:
        return job.progress()
    return read_job(current_app.config["ROOT"], job_id) or abort(404)
