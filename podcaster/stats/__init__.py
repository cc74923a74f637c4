"""Audience figures: downloads counted from access logs by the IAB rules, keeping only aggregates."""

from podcaster.stats.figures import Audience, EpisodeFigures, audience
from podcaster.stats.ingest import IngestSummary, ingest
from podcaster.stats.logs import FORMATS

__all__ = ["FORMATS", "Audience", "EpisodeFigures", "IngestSummary", "audience", "ingest"]
