"""Country from an offline IP database (a MaxMind ``.mmdb``: DB-IP Lite, GeoLite2), never a web service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from podcaster.errors import StatsError


class CountryLookup:
    """Answer the ISO country code of an IP address, or ``""`` when the database does not know it."""

    def __init__(self, path: Path) -> None:
        # Imported here: only a show that configured [stats] geo_db needs the reader.
        import maxminddb

        try:
            self._reader: Any = maxminddb.open_database(str(path))
        except (OSError, ValueError) as error:
            raise StatsError(f"cannot read the geography database: {error}", path=path) from None

    def __call__(self, ip: str) -> str:
        try:
            record = self._reader.get(ip)
        except ValueError:
            return ""
        if not isinstance(record, dict):
            return ""
        country = record.get("country") or record.get("registered_country") or {}
        code = country.get("iso_code") if isinstance(country, dict) else None
        return str(code) if code else ""

    def close(self) -> None:
        self._reader.close()
