"""A unit reporter sees no office's people; telling a disabled account's websockets to close never
fails the disabling, even with no channel layer or a broken one."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_a_unit_reporter_sees_no_office(office_a: Any) -> None:
    from backend.accounts.scoping import may_see_office, visible_office_ids

    reporter = make_staff("reporter_scoping", "reporter", office_a)
    assert visible_office_ids(reporter) == set()
    assert not may_see_office(reporter, office_a.pk)


def test_closing_websockets_survives_a_missing_or_broken_channel_layer(caplog: Any) -> None:
    from backend.accounts import services

    with mock.patch.object(services, "get_channel_layer", return_value=None):
        services.close_websockets(1, "disabled")  # nothing to tell: no error
    broken = mock.Mock()
    broken.group_send = mock.AsyncMock(side_effect=ConnectionError("redis away"))
    with mock.patch.object(services, "get_channel_layer", return_value=broken):
        services.close_websockets(1, "disabled")
    assert "could not tell the open websockets" in caplog.text
