"""Audience figures: downloads counted from access logs by the IAB rules, keeping only aggregates."""

from podcaster.stats.counting import Target, targets_of
from podcaster.stats.figures import Audience, EpisodeFigures, audience
from podcaster.stats.ingest import HopRecorder, IngestSummary, ingest, requested_bytes
from podcaster.stats.logs import FORMATS

__all__ = [
    "FORMATS",
    "Audience",
    "EpisodeFigures",
    "HopRecorder",
    "IngestSummary",
    "Target",
    "audience",
    "ingest",
    "requested_bytes",
    "targets_of",
]
