"""FCMTransport runs on its own named firebase-admin app, created once and never the default."""

from __future__ import annotations

import firebase_admin
import pytest
from firebase_admin import credentials

from notifications import Message
from notifications.fcm import FCMTransport


def _default_app_or_none():
    try:
        return firebase_admin.get_app()
    except ValueError:
        return None


def test_transport_creates_a_named_app_and_no_default_app(make_fcm_transport, app_name):
    assert _default_app_or_none() is None

    transport = make_fcm_transport(app_name=app_name)

    assert firebase_admin.get_app(app_name) is transport.app
    assert _default_app_or_none() is None


def test_an_existing_default_app_is_left_untouched(make_fcm_transport, fake_google, service_account_file):
    default = firebase_admin.initialize_app(
        credentials.Certificate(str(service_account_file)), {"projectId": "someone-elses-project"}
    )
    try:
        transport = make_fcm_transport()
        transport.send(Message(tokens=("token-a",), title="t", body="b"))

        assert firebase_admin.get_app() is default
        assert default.project_id == "someone-elses-project"
        assert transport.app is not default
        assert fake_google.fcm_requests[0].url == fake_google.SEND_URL
    finally:
        firebase_admin.delete_app(default)


def test_second_transport_of_the_same_name_reuses_the_app(make_fcm_transport, app_name, tmp_path):
    first = make_fcm_transport(app_name=app_name)

    # The file is not read again: the app already exists, so building a transport per task is cheap.
    second = FCMTransport(tmp_path / "never-read.json", app_name=app_name)

    assert second.app is first.app


def test_same_app_name_for_another_project_is_refused(make_fcm_transport, app_name, service_account_file):
    make_fcm_transport(app_name=app_name)

    with pytest.raises(ValueError, match="already exists for project"):
        FCMTransport(service_account_file, app_name=app_name, project_id="another-project")


def test_project_id_argument_overrides_the_one_in_the_file(make_fcm_transport, fake_google):
    transport = make_fcm_transport(project_id="bureau-prod")

    transport.send(Message(tokens=("token-a",), title="t", body="b"))

    assert (
        fake_google.fcm_requests[0].url == "https://fcm.googleapis.com/v1/projects/bureau-prod/messages:send"
    )


def test_missing_credentials_file_fails_at_construction(tmp_path, app_name):
    with pytest.raises(ValueError, match="cannot use FCM credentials file"):
        FCMTransport(tmp_path / "absent.json", app_name=app_name)

    assert app_name not in [app.name for app in firebase_admin._apps.values()]


def test_credentials_file_that_is_not_a_service_account_is_refused(tmp_path, app_name):
    path = tmp_path / "google-services.json"
    path.write_text('{"project_info": {"project_id": "x"}}', encoding="utf-8")

    with pytest.raises(ValueError, match="cannot use FCM credentials file"):
        FCMTransport(path, app_name=app_name)


def test_empty_credentials_setting_names_the_environment_variable(app_name):
    with pytest.raises(ValueError, match="FCM_CREDENTIALS_FILE"):
        FCMTransport("", app_name=app_name)


def test_close_deletes_the_app(make_fcm_transport, app_name):
    transport = make_fcm_transport(app_name=app_name)

    transport.close()

    with pytest.raises(ValueError):
        firebase_admin.get_app(app_name)
    transport.close()  # a second close is harmless
