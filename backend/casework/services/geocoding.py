"""Looking up an address's point (a leave's destination, a subject's home), when configured.

Only with ``BAIDU_GEOCODER_KEY`` set: nothing reaches the network otherwise. Baidu answers in
BD-09, which ``geofence`` converts to WGS-84; staff confirm the point before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

import geofence as gf


class GeocoderNotConfigured(Exception):
    pass


@dataclass(frozen=True)
class Found:
    lat: float  # WGS-84
    lon: float
    address: str


def geocoder_configured() -> bool:
    return bool(getattr(settings, "BAIDU_GEOCODER_KEY", ""))


def geocode(address: str) -> Found | None:
    """The WGS-84 point of ``address``, or None when the geocoder knows no such place."""
    key = getattr(settings, "BAIDU_GEOCODER_KEY", "")
    if not key:
        raise GeocoderNotConfigured
    from geopy.geocoders import BaiduV3

    location = BaiduV3(api_key=key, timeout=5).geocode(address)
    if location is None:
        return None
    lat, lon = gf.to_wgs84(location.latitude, location.longitude, gf.Crs.BD09)
    return Found(lat=lat, lon=lon, address=str(location.address or address))
