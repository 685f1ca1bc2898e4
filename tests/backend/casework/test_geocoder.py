"""The geocoder is optional: without a key nothing reaches the network and staff set the point;
with one, Baidu's BD-09 answer comes back in WGS-84 for staff to confirm."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import override_settings

import geofence as gf

pytestmark = pytest.mark.django_db


def test_without_a_key_nothing_is_looked_up(api: Any, officer_a: Any) -> None:
    with mock.patch("geopy.geocoders.BaiduV3") as baidu:
        answer = api(officer_a).get("/api/v1/geocode", {"address": "青岛市市南区香港中路"})
    assert answer.status_code == 400 and "address" in answer.json()["errors"]
    baidu.assert_not_called()


@override_settings(BAIDU_GEOCODER_KEY="test-key")
def test_with_a_key_the_bd09_answer_is_converted(api: Any, officer_a: Any) -> None:
    from backend.audit.models import AccessLog

    bd_lat, bd_lon = gf.from_wgs84(36.07, 120.38, gf.Crs.BD09)
    found = mock.Mock(latitude=bd_lat, longitude=bd_lon, address="青岛市市南区香港中路")
    with mock.patch("geopy.geocoders.BaiduV3") as baidu:
        baidu.return_value.geocode.return_value = found
        answer = api(officer_a).get("/api/v1/geocode", {"address": "青岛市市南区香港中路"})
    assert answer.status_code == 200, answer.json()
    baidu.assert_called_once_with(api_key="test-key", timeout=5)
    point = answer.json()
    assert abs(point["lat"] - 36.07) < 1e-5 and abs(point["lon"] - 120.38) < 1e-5
    assert AccessLog.objects.filter(resource="geocode", actor=officer_a).exists()


@override_settings(BAIDU_GEOCODER_KEY="test-key")
def test_an_unknown_address_or_a_failing_service_is_not_a_500(api: Any, officer_a: Any) -> None:
    with mock.patch("geopy.geocoders.BaiduV3") as baidu:
        baidu.return_value.geocode.return_value = None
        assert api(officer_a).get("/api/v1/geocode", {"address": "不存在"}).status_code == 400
        baidu.return_value.geocode.side_effect = OSError("network down")
        assert api(officer_a).get("/api/v1/geocode", {"address": "不存在"}).status_code == 502
    assert api(officer_a).get("/api/v1/geocode").status_code == 400
    assert api(officer_a).get("/api/v1/geocode", {"address": "x" * 201}).status_code == 400
