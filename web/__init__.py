"""The podcast's website: show, seasons and episode pages, feeds, JSON API, embeds and local media."""

from .app import create_app

__all__ = ["create_app"]
