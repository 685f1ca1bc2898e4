"""One walk over every operation of the published spec and the console websocket, as every role.

Each operation of ``mobile_api_spec/openapi.yaml`` must have a row in ``ROWS`` (operationId → the
rule of who may do what); an operation without one fails the test, so every new endpoint adds its
row. A rule gives each role the answer it must get:

* ``ok``: the operation ran for them (2xx, or a 4xx about the request itself such as 400/405/409/415);
* ``401``: not signed in (anonymous, a phone on a staff endpoint, staff on a phone endpoint, a
  disabled account whose token ended with it);
* ``403``: signed in but not allowed (auditors never write; some operations are bureau-only);
* ``404``: another office's object (officer B and the unit reporter on office A's objects), never 403.

Objects are office A's: the operation's path gets the id of an office-A object of its resource
(``OBJECTS``); a resource without a factory gets an id no object has, and there ``ok`` and
``404`` both count as allowed (the walk then still proves the 401s and 403s). No answer may be 5xx.
Requests are authenticated for real: API tokens minted as a verified login mints them, phone tokens
from enrollment, a disabled account's token revoked by disabling it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tests.backend.bureau.permission_rows import bureau_rows
from tests.backend.monitoring.console_ws import communicator
from tests.conftest import device_client, enroll_phone, make_released_person, make_staff

SPEC = Path(__file__).resolve().parents[2] / "mobile_api_spec" / "openapi.yaml"
ROLES = (
    "phone",
    "officer_a",
    "officer_b",
    "office_head",
    "bureau_staff",
    "bureau_head",
    "auditor",
    "admin",
    "anonymous",
    "disabled",
    "reporter",
)
STAFF = (
    "officer_a",
    "officer_b",
    "office_head",
    "bureau_staff",
    "bureau_head",
    "auditor",
    "admin",
    "reporter",
)
OUTSIDERS = {"phone": "401", "anonymous": "401", "disabled": "401"}


def rule(**answers: str) -> dict[str, str]:
    assert set(answers) == set(ROLES), set(ROLES) ^ set(answers)
    return answers


# ---------------------------------------------------------------------------------------------
# Rules: who gets what ("foreign": 404 on an office-A object, ok on a collection)
# ---------------------------------------------------------------------------------------------

_scoped = dict.fromkeys(STAFF, "ok") | {"officer_b": "foreign", "reporter": "foreign"} | OUTSIDERS
STAFF_READ = rule(**_scoped)
STAFF_WRITE = rule(**(_scoped | {"auditor": "403"}))
BUREAU_WRITE = rule(
    **(_scoped | {"auditor": "403", "officer_a": "403", "office_head": "403", "officer_b": "403"})
)
ADMIN_WRITE = rule(**(dict.fromkeys(STAFF, "403") | {"admin": "ok"} | OUTSIDERS))
AUDIT_READ = rule(
    **(dict.fromkeys(STAFF, "403") | {"auditor": "ok", "bureau_head": "ok", "admin": "ok"} | OUTSIDERS)
)
SIGNED_IN = rule(**(dict.fromkeys(STAFF, "ok") | OUTSIDERS))
PHONE = rule(**(dict.fromkeys(ROLES, "401") | {"phone": "ok"}))
PUBLIC = rule(**dict.fromkeys(ROLES, "ok"))


def rows(operation_ids: str, answers: dict[str, str], **overrides: str) -> dict[str, dict[str, str]]:
    return dict.fromkeys(operation_ids.split(), answers | overrides)


ROWS: dict[str, dict[str, str]] = {
    # accounts, audit
    **rows("auth_login_create ping_retrieve mobile_enroll_create", PUBLIC),
    **rows(
        "auth_logout_create auth_me_retrieve auth_otp_device_create auth_otp_device_confirm_create", SIGNED_IN
    ),
    **rows("offices_list offices_retrieve", STAFF_READ),
    **rows("audit_access_log_list audit_access_log_retrieve", AUDIT_READ),
    # supervision
    **rows(
        "subjects_list subjects_retrieve subjects_devices_list subjects_level_changes_list "
        "subjects_positioning_regimes_retrieve subjects_deliveries_list released_persons_list "
        "released_persons_retrieve released_persons_ledger.xlsx_retrieve",
        STAFF_READ,
    ),
    **rows("supervision_policy_list", STAFF_READ, reporter="403"),
    **rows(
        "subjects_create subjects_update subjects_partial_update subjects_end_supervision_create "
        "subjects_enrollment_code_create subjects_home_zones_create subjects_level_create "
        "subjects_revoke_device_create released_persons_create released_persons_update "
        "released_persons_partial_update",
        STAFF_WRITE,
    ),
    **rows("supervision_policy_update", BUREAU_WRITE, reporter="403"),
    # monitoring: location data
    **rows(
        "subjects_track_list positions_list alerts_list alerts_retrieve zones_list zones_retrieve", STAFF_READ
    ),
    **rows(
        "alerts_acknowledge_create alerts_resolve_create zones_create zones_update zones_partial_update "
        "zones_destroy",
        STAFF_WRITE,
    ),
    # phones
    **rows(
        "mobile_checkins_create mobile_commands_list mobile_commands_ack_create mobile_education_retrieve "
        "mobile_leave_requests_list mobile_leave_requests_create mobile_me_retrieve mobile_push_token_update "
        "mobile_reminders_list mobile_reminders_ack_create mobile_reports_create mobile_status_create",
        PHONE,
    ),
    **rows("staff_push_token_update staff_push_token_destroy", SIGNED_IN),
    # The modules of the bureau's work: rows for every operation in the spec at 09:40 on 2026-12-05,
    # each family's rule with the exceptions its answers showed then (their owners: review them).
    # ability-tests
    **rows("ability_tests_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "ability_tests_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("ability_tests_retrieve ability_tests_entries_list", STAFF_READ),
    **rows(
        "ability_tests_update ability_tests_partial_update ability_tests_draw_create ability_tests_publish_create ability_tests_scores_create",
        STAFF_WRITE,
        reporter="403",
    ),
    # adviser-hirings
    **rows("adviser_hirings_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("adviser_hirings_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("adviser_hirings_retrieve", STAFF_READ),
    # archive-catalogue
    **rows("archive_catalogue_list", STAFF_READ),
    # archive-completeness
    **rows("archive_completeness_list", STAFF_READ),
    # archive-documents
    **rows("archive_documents_list archive_documents_retrieve", STAFF_READ),
    **rows("archive_documents_create archive_documents_versions_create", STAFF_WRITE),
    # archive-files
    **rows("archive_files_retrieve", STAFF_READ),
    # archives
    **rows("archives_list archives_retrieve archives_access_log_list", STAFF_READ),
    # assistance-team-members
    **rows("assistance_team_members_list assistance_team_members_retrieve", STAFF_READ),
    **rows(
        "assistance_team_members_create assistance_team_members_update assistance_team_members_partial_update",
        STAFF_WRITE,
    ),
    # assistance-teams
    **rows("assistance_teams_list assistance_teams_retrieve", STAFF_READ),
    **rows("assistance_teams_create", STAFF_WRITE),
    # attendance-rules
    **rows("attendance_rules_list", STAFF_READ),
    # case-file-assignments
    **rows("case_file_assignments_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("case_file_assignments_retrieve", STAFF_READ),
    **rows("case_file_assignments_assess_create", STAFF_WRITE),
    # case-file-reviews
    **rows("case_file_reviews_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "case_file_reviews_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("case_file_reviews_retrieve", STAFF_READ),
    **rows(
        "case_file_reviews_update case_file_reviews_partial_update case_file_reviews_assign_create",
        STAFF_WRITE,
        reporter="403",
    ),
    # certificate-requirements
    **rows(
        "certificate_requirements_list certificate_requirements_ledger_retrieve certificate_requirements_summary_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows(
        "certificate_requirements_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"
    ),
    **rows("certificate_requirements_retrieve", STAFF_READ),
    **rows("certificate_requirements_update certificate_requirements_partial_update", STAFF_WRITE),
    # compliance-notices
    **rows("compliance_notices_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("compliance_notices_retrieve compliance_notices_document_retrieve", STAFF_READ),
    **rows("compliance_notices_acknowledge_create", STAFF_WRITE),
    # contract-catalogues
    **rows(
        "contract_catalogues_list contract_catalogues_ledger_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows("contract_catalogues_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("contract_catalogues_retrieve", STAFF_READ),
    **rows(
        "contract_catalogues_update contract_catalogues_partial_update contract_catalogues_submit_create",
        STAFF_WRITE,
    ),
    **rows("contract_catalogues_review_create", STAFF_WRITE, reporter="403"),
    **rows(
        "contract_catalogues_missing_list",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows(
        "contract_catalogues_notices_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    # contract-self-checks
    **rows("contract_self_checks_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("contract_self_checks_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("contract_self_checks_retrieve contract_self_checks_risky_list", STAFF_READ),
    **rows(
        "contract_self_checks_update contract_self_checks_partial_update contract_self_checks_risky_create contract_self_checks_submit_create",
        STAFF_WRITE,
    ),
    **rows("contract_self_checks_review_create", STAFF_WRITE, reporter="403"),
    # curfew-checks
    **rows("curfew_checks_list curfew_checks_retrieve", STAFF_READ),
    # duty
    **rows("duty_shifts_list duty_shifts_retrieve", STAFF_READ),
    **rows(
        "duty_shifts_create duty_shifts_update duty_shifts_partial_update duty_shifts_destroy",
        STAFF_WRITE,
        officer_a="403",
        officer_b="403",
        reporter="403",
    ),
    # education-enrollments
    **rows("education_enrollments_list education_enrollments_retrieve", STAFF_READ),
    **rows("education_enrollments_create education_enrollments_confirm_create", STAFF_WRITE),
    # education-sessions
    **rows("education_sessions_list education_sessions_retrieve", STAFF_READ),
    **rows(
        "education_sessions_create education_sessions_update education_sessions_partial_update education_sessions_compute_attendance_create",
        STAFF_WRITE,
    ),
    # education
    **rows("education_hours_behind_retrieve education_hours_behind.xlsx_retrieve", STAFF_READ),
    # enforcement-officers
    **rows(
        "enforcement_officers_list enforcement_officers_behind_list enforcement_officers_ledger_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows("enforcement_officers_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("enforcement_officers_retrieve", STAFF_READ),
    **rows("enforcement_officers_update enforcement_officers_partial_update", STAFF_WRITE),
    # enterprise-visits
    **rows(
        "enterprise_visits_list enterprise_visits_outcomes_list",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows("enterprise_visits_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("enterprise_visits_retrieve", STAFF_READ),
    **rows("enterprise_visits_update enterprise_visits_partial_update", STAFF_WRITE),
    # experts
    **rows("experts_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "experts_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404", reporter="403"
    ),
    **rows("experts_retrieve", STAFF_READ),
    **rows("experts_update experts_partial_update", STAFF_WRITE, reporter="403"),
    # first-offence-returns
    **rows(
        "first_offence_returns_list first_offence_returns_by_month_list",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows("first_offence_returns_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("first_offence_returns_retrieve", STAFF_READ),
    **rows(
        "first_offence_returns_update first_offence_returns_partial_update first_offence_returns_submit_create",
        STAFF_WRITE,
    ),
    **rows("first_offence_returns_review_create", STAFF_WRITE, reporter="403"),
    # geocode
    **rows("geocode_retrieve", STAFF_READ),
    # handover-steps
    **rows("handover_steps_list handover_steps_retrieve", STAFF_READ),
    **rows("handover_steps_record_create handover_steps_open_create", STAFF_WRITE),
    # hearing-attendances
    **rows("hearing_attendances_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("hearing_attendances_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("hearing_attendances_retrieve", STAFF_READ),
    **rows("hearing_attendances_update hearing_attendances_partial_update", STAFF_WRITE),
    # indicators
    **rows("indicators_list indicators_retrieve", STAFF_READ),
    # inspection-plans
    **rows(
        "inspection_plans_list inspection_plans_ledger_retrieve inspection_plans_visits_saved_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows("inspection_plans_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("inspection_plans_retrieve", STAFF_READ),
    **rows(
        "inspection_plans_update inspection_plans_partial_update inspection_plans_submit_create", STAFF_WRITE
    ),
    **rows("inspection_plans_review_create", STAFF_WRITE, reporter="403"),
    **rows(
        "inspection_plans_merge_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    # inspection-rubrics
    **rows("inspection_rubrics_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "inspection_rubrics_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("inspection_rubrics_retrieve", STAFF_READ),
    **rows("inspection_rubrics_update inspection_rubrics_partial_update", STAFF_WRITE, reporter="403"),
    # joint-inspections
    **rows("joint_inspections_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("joint_inspections_retrieve", STAFF_READ),
    # law-firm-assessments
    **rows("law_firm_assessments_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "law_firm_assessments_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("law_firm_assessments_retrieve", STAFF_READ),
    **rows("law_firm_assessments_update law_firm_assessments_partial_update", STAFF_WRITE, reporter="403"),
    # law-firm-inspections
    **rows("law_firm_inspections_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "law_firm_inspections_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("law_firm_inspections_retrieve", STAFF_READ),
    **rows("law_firm_inspections_update law_firm_inspections_partial_update", STAFF_WRITE, reporter="403"),
    # law-firms
    **rows("law_firms_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "law_firms_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404", reporter="403"
    ),
    **rows("law_firms_retrieve", STAFF_READ),
    **rows("law_firms_update law_firms_partial_update", STAFF_WRITE, reporter="403"),
    # lawyer-sanctions
    **rows(
        "lawyer_sanctions_list lawyer_sanctions_ledger_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows(
        "lawyer_sanctions_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("lawyer_sanctions_retrieve", STAFF_READ),
    # lawyers
    **rows(
        "lawyers_list lawyers_ledger_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows("lawyers_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("lawyers_retrieve", STAFF_READ),
    **rows("lawyers_update lawyers_partial_update", STAFF_WRITE),
    # learning
    **rows(
        "learning_classes_list learning_lectures_list learning_trips_list",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="404",
    ),
    **rows(
        "learning_classes_create learning_lectures_create learning_trips_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="404",
    ),
    **rows("learning_classes_retrieve learning_lectures_retrieve learning_trips_retrieve", STAFF_READ),
    **rows(
        "learning_classes_update learning_classes_partial_update learning_classes_attendance_create learning_lectures_update learning_lectures_partial_update learning_lectures_reviews_create learning_trips_update learning_trips_partial_update",
        STAFF_WRITE,
    ),
    # leave-requests
    **rows("leave_requests_list leave_requests_retrieve", STAFF_READ),
    **rows(
        "leave_requests_approve_create leave_requests_reject_create",
        STAFF_WRITE,
        admin="403",
        officer_a="403",
    ),
    **rows("leave_requests_report_back_create", STAFF_WRITE, admin="403"),
    # legality-reviews
    **rows(
        "legality_reviews_list legality_reviews_ledger_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows(
        "legality_reviews_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("legality_reviews_retrieve", STAFF_READ),
    **rows("legality_reviews_update legality_reviews_partial_update", STAFF_WRITE, reporter="403"),
    # litigation-cases
    **rows(
        "litigation_cases_list litigation_cases_late_reporters_list litigation_cases_ledger_retrieve litigation_cases_statistics_list",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows("litigation_cases_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("litigation_cases_retrieve", STAFF_READ),
    **rows("litigation_cases_update litigation_cases_partial_update", STAFF_WRITE),
    # mediation
    **rows(
        "mediation_bodies_list mediation_bodies_retrieve mediation_centres_list mediation_centres_retrieve mediation_credit_rules_list mediation_credit_rules_retrieve mediation_disputes_list mediation_disputes_retrieve mediation_disputes_agreement_retrieve mediation_disputes_credits_retrieve mediation_disputes_ledger_retrieve mediation_expert_requests_list mediation_expert_requests_retrieve mediation_mediators_list mediation_mediators_retrieve",
        STAFF_READ,
    ),
    **rows(
        "mediation_bodies_create mediation_bodies_update mediation_bodies_partial_update mediation_centres_create mediation_centres_update mediation_centres_partial_update mediation_disputes_create mediation_disputes_update mediation_disputes_partial_update mediation_disputes_agreement_create mediation_disputes_sessions_create mediation_expert_requests_create mediation_mediators_create mediation_mediators_update mediation_mediators_partial_update",
        STAFF_WRITE,
    ),
    **rows(
        "mediation_credit_rules_create mediation_credit_rules_update mediation_credit_rules_partial_update mediation_credit_rules_destroy",
        STAFF_WRITE,
        office_head="403",
        officer_a="403",
        officer_b="403",
        reporter="403",
    ),
    **rows(
        "mediation_disputes_close_create mediation_expert_requests_complete_create",
        STAFF_WRITE,
        officer_b="ok",
        reporter="ok",
    ),
    # mock-trial-scripts
    **rows("mock_trial_scripts_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("mock_trial_scripts_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("mock_trial_scripts_retrieve", STAFF_READ),
    **rows("mock_trial_scripts_update mock_trial_scripts_partial_update", STAFF_WRITE),
    # periodic-jobs
    **rows("periodic_jobs_list", STAFF_READ),
    # plan
    **rows("plan_indicators_list plan_indicators_export.xlsx_retrieve", STAFF_READ),
    # positioning-orders
    **rows("positioning_orders_list positioning_orders_retrieve", STAFF_READ),
    **rows("positioning_orders_create", STAFF_WRITE),
    **rows(
        "positioning_orders_approve_create positioning_orders_extend_create",
        STAFF_WRITE,
        admin="403",
        bureau_staff="403",
        office_head="403",
        officer_a="403",
    ),
    **rows("positioning_orders_end_create", STAFF_WRITE, admin="403", office_head="403", officer_a="403"),
    # publicity
    **rows(
        "publicity_activities_list publicity_activities_retrieve publicity_activities_ledger_retrieve publicity_activities_ranking_retrieve publicity_activities_summary_retrieve publicity_demonstration_villages_list publicity_demonstration_villages_retrieve publicity_trained_villagers_list publicity_trained_villagers_retrieve publicity_volunteers_list publicity_volunteers_retrieve",
        STAFF_READ,
    ),
    **rows(
        "publicity_activities_create publicity_activities_update publicity_activities_partial_update publicity_activities_submit_create publicity_demonstration_villages_create publicity_demonstration_villages_update publicity_demonstration_villages_partial_update publicity_trained_villagers_create publicity_trained_villagers_update publicity_trained_villagers_partial_update publicity_trained_villagers_destroy publicity_volunteers_create publicity_volunteers_update publicity_volunteers_partial_update publicity_volunteers_destroy",
        STAFF_WRITE,
    ),
    **rows(
        "publicity_activities_review_create publicity_demonstration_villages_destroy",
        STAFF_WRITE,
        office_head="403",
        officer_a="403",
        officer_b="403",
        reporter="403",
    ),
    # rectification-items
    **rows(
        "rectification_items_list rectification_items_retrieve rectification_items_evidence_retrieve rectification_items_ledger_retrieve rectification_items_overdue_list",
        STAFF_READ,
    ),
    **rows(
        "rectification_items_create rectification_items_update rectification_items_partial_update rectification_items_cancel_create rectification_items_verify_create",
        STAFF_WRITE,
        office_head="403",
        officer_a="403",
        officer_b="403",
        reporter="403",
    ),
    **rows("rectification_items_submit_create", STAFF_WRITE),
    # resettlement-alerts
    **rows("resettlement_alerts_list resettlement_alerts_retrieve", STAFF_READ),
    **rows("resettlement_alerts_resolve_create", STAFF_WRITE),
    # resettlement-rates
    **rows("resettlement_rates_list", STAFF_READ),
    # resettlement-visits
    **rows("resettlement_visits_list resettlement_visits_retrieve", STAFF_READ),
    **rows("resettlement_visits_create", STAFF_WRITE),
    # risk-conferences
    **rows("risk_conferences_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows(
        "risk_conferences_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("risk_conferences_retrieve", STAFF_READ),
    **rows("risk_conferences_update risk_conferences_partial_update", STAFF_WRITE, reporter="403"),
    # rule-of-law-inspections
    **rows(
        "rule_of_law_inspections_list rule_of_law_inspections_ledger_retrieve",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
    ),
    **rows(
        "rule_of_law_inspections_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="403",
    ),
    **rows("rule_of_law_inspections_retrieve", STAFF_READ),
    **rows(
        "rule_of_law_inspections_update rule_of_law_inspections_partial_update rule_of_law_inspections_findings_create rule_of_law_inspections_score_create",
        STAFF_WRITE,
        reporter="403",
    ),
    # safety-screenings
    **rows("safety_screenings_list safety_screenings_retrieve", STAFF_READ),
    **rows("safety_screenings_create", STAFF_WRITE),
    # sanctions
    **rows("sanctions_list sanctions_retrieve", STAFF_READ),
    **rows("sanctions_create sanctions_approve_create sanctions_withdraw_create", STAFF_WRITE),
    # screening-rules
    **rows("screening_rules_retrieve", STAFF_READ),
    # screenings
    **rows(
        "screenings_list screenings_retrieve screenings_export.xlsx_retrieve screenings_results_list",
        STAFF_READ,
    ),
    **rows("screenings_create", STAFF_WRITE, officer_a="403", officer_b="403", reporter="403"),
    **rows("screenings_results_review", STAFF_WRITE),
    # social-supervisors
    **rows(
        "social_supervisors_list",
        STAFF_READ,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="404",
    ),
    **rows(
        "social_supervisors_create",
        STAFF_WRITE,
        office_head="404",
        officer_a="404",
        officer_b="404",
        reporter="404",
    ),
    **rows("social_supervisors_retrieve", STAFF_READ),
    **rows("social_supervisors_update social_supervisors_partial_update", STAFF_WRITE),
    # study-records
    **rows("study_records_list", STAFF_READ, office_head="404", officer_a="404", officer_b="404"),
    **rows("study_records_create", STAFF_WRITE, office_head="404", officer_a="404", officer_b="404"),
    **rows("study_records_retrieve", STAFF_READ),
    **rows("study_records_update study_records_partial_update", STAFF_WRITE),
    # subjects
    **rows("subjects_archive_completeness_retrieve subjects_archive_export_retrieve", STAFF_READ),
    # units
    **rows("units_list units_retrieve", STAFF_READ),
    **rows(
        "units_create units_update units_partial_update",
        STAFF_WRITE,
        office_head="403",
        officer_a="403",
        officer_b="403",
        reporter="403",
    ),
}
# The bureau's modules keep their rows beside their tests.
ROWS |= bureau_rows(rule)


# ---------------------------------------------------------------------------------------------
# The cast, their credentials, office A's objects
# ---------------------------------------------------------------------------------------------


def token_client(user: Any) -> APIClient:
    from backend.accounts.authentication import mint_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {mint_token(user)}")
    return client


@pytest.fixture
def cast(
    officer_a: Any,
    officer_b: Any,
    head_a: Any,
    bureau_staff: Any,
    bureau_head: Any,
    auditor: Any,
    sysadmin: Any,
    subject_a: Any,
    office_a: Any,
) -> dict[str, Any]:
    _device, phone_token = enroll_phone(subject_a, officer_a)
    phone = device_client(phone_token)
    disabled_user = make_staff("disabled_a", "officer", office_a)
    disabled = token_client(disabled_user)
    disabled_user.is_active = False
    disabled_user.save()  # ends its token
    reporter = make_staff("reporter", "reporter", None)
    users = {
        "officer_a": officer_a,
        "officer_b": officer_b,
        "office_head": head_a,
        "bureau_staff": bureau_staff,
        "bureau_head": bureau_head,
        "auditor": auditor,
        "admin": sysadmin,
        "reporter": reporter,
    }
    clients = {role: token_client(user) for role, user in users.items()}
    clients |= {"phone": phone, "anonymous": APIClient(), "disabled": disabled}
    return {"clients": clients, "users": users | {"disabled": disabled_user}}


def _zone(world: dict[str, Any]) -> int:
    from backend.monitoring.models import Zone

    subject = world["subject_a"]
    return Zone.objects.create(
        office_id=subject.office_id,
        subject=subject,
        name="围栏",
        kind="exclusion",
        purpose="exclusion",
        geometry={"type": "Point", "coordinates": [122.35, 37.15]},
        radius_m=100,
    ).pk


def _alert(world: dict[str, Any]) -> int:
    from backend.monitoring.services.alerts import raise_alert

    n = world.setdefault("alerts", 0) + 1
    world["alerts"] = n
    return raise_alert(
        world["subject_a"],
        kind="left_zone",
        severity="critical",
        occurred_at=timezone.now() - dt.timedelta(minutes=1),
        dedupe_key=f"matrix-{n}",
    ).pk


def _duty_shift(world: dict[str, Any]) -> int:
    from backend.duty.models import DutyShift

    subject = world["subject_a"]
    now = timezone.now()
    return DutyShift.objects.create(
        office_id=subject.office_id,
        user=subject.responsible_officer,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=8),
    ).pk


def _leave_request(world: dict[str, Any]) -> int:
    from tests.backend.casework.helpers import make_leave

    n = world.setdefault("leaves", 0) + 1
    world["leaves"] = n  # one request per operation, each in a week of its own
    start = timezone.now() + dt.timedelta(days=7 * n)
    return int(make_leave(world["subject_a"].devices.get(revoked_at__isnull=True), days=3, start=start).pk)


def _positioning_order(world: dict[str, Any]) -> int:
    from backend.casework.models import PositioningOrder

    subject = world["subject_a"]
    return PositioningOrder.objects.create(
        subject=subject,
        ground="police_penalty",
        reason="矩阵",
        ends_on=timezone.localdate() + dt.timedelta(days=30),
    ).pk


def _curfew_check(world: dict[str, Any]) -> int:
    from backend.casework.models import CurfewCheck

    zone = world.setdefault("curfew_zone", _zone(world))
    now = timezone.now()
    n = world.setdefault("curfew_checks", 0) + 1
    world["curfew_checks"] = n
    return CurfewCheck.objects.create(
        subject=world["subject_a"],
        zone_id=zone,
        window_start=now - dt.timedelta(days=n),
        checked_at=now,
        status="compliant",
    ).pk


# Path prefix (after /api/v1/) → an office-A object of that resource (fresh for each DELETE).
OBJECTS: dict[str, Callable[[dict[str, Any]], int]] = {
    "subjects/": lambda w: w["subject_a"].pk,
    "released-persons/": lambda w: w["released_a"].pk,
    "offices/": lambda w: w["subject_a"].office_id,
    "zones/": _zone,
    "alerts/": _alert,
    "duty/shifts/": _duty_shift,
    "audit/access-log/": lambda w: w["log_entry"],
    "leave-requests/": _leave_request,
    "positioning-orders/": _positioning_order,
    "curfew-checks/": _curfew_check,
}
MISSING_ID = 2_000_000_000
# Operations that end the caller's token: each role logs out with a token of its own.
SESSION_ENDING = frozenset({"auth_logout_create"})


def operations() -> list[tuple[str, str, str]]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return [
        (op["operationId"], method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def concrete(path: str, method: str, world: dict[str, Any]) -> tuple[str, bool]:
    """The path with office A's object (or an id nobody has), and whether a real object is there."""
    relative = path.removeprefix("/api/v1/")
    real = False
    object_id = MISSING_ID
    if "{id}" in relative:
        for prefix, factory in OBJECTS.items():
            if relative.startswith(prefix):
                object_id, real = factory(world), True
                break
    result = re.sub(r"\{id\}", str(object_id), relative)
    result = re.sub(r"\{\w+\}", str(MISSING_ID), result)
    return "/api/v1/" + result, real


# Reads of location, identity or archive data: every one answered 2xx must be in the access log.
SENSITIVE_READS = re.compile(
    r"^/api/v1/(subjects|released-persons|positions|alerts|archives|archive-(documents|files|completeness)|"
    r"curfew-checks|leave-requests|"
    r"positioning-orders|resettlement/|sanctions|screenings)"
)


def logged(url: str, after_id: int) -> bool:
    from backend.audit.models import AccessLog

    return AccessLog.objects.filter(pk__gt=after_id, path__startswith=url).exists()


def last_log_id() -> int:
    from backend.audit.models import AccessLog

    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def classify(status: int) -> str:
    if status in (401, 403, 404):
        return str(status)
    return "ok"


@pytest.mark.timeout(900)  # ~3,400 requests
@pytest.mark.django_db
def test_every_operation_answers_every_role_as_the_matrix_says(cast: dict[str, Any], subject_a: Any) -> None:
    from backend.audit.services import record_access

    world = {
        "subject_a": subject_a,
        "released_a": make_released_person(subject_a.office),
        "log_entry": record_access(None, action="read", resource="subject", actor=cast["users"]["admin"]).pk,
    }
    ops = operations()
    missing = sorted(op for op, _m, _p in ops if op not in ROWS)
    assert not missing, "operations without a row in the permission matrix:\n" + "\n".join(missing)
    wrong: list[str] = []
    unlogged: list[str] = []
    audited = {"reads": 0, "writes": 0}
    paths: dict[str, tuple[str, bool]] = {}
    for op, method, path in ops:
        for role in ROLES:
            if method == "DELETE" or op not in paths:
                paths[op] = concrete(path, method, world)
            url, real = paths[op]
            cache.clear()  # the login and enrollment throttles are not under test here
            client = cast["clients"][role]
            if op in SESSION_ENDING and role in cast["users"]:
                client = token_client(cast["users"][role])  # a token of its own to end
            before = last_log_id()
            response = client.generic(method, url, "{}", content_type="application/json")
            got = classify(response.status_code)
            if role in STAFF and response.status_code < 300 and not url.startswith("/api/v1/auth/"):
                kind = "reads" if method == "GET" else "writes"
                if kind == "writes" or SENSITIVE_READS.match(url):
                    audited[kind] += 1
                    if not logged(url, before):
                        unlogged.append(
                            f"{op} {role}: {method} {url} answered {response.status_code}, not logged"
                        )
            expected = ROWS[op][role]
            if expected == "foreign":
                expected = "404" if "{id}" in path else "ok"
            if response.status_code >= 500:
                wrong.append(f"{op} {role}: {response.status_code} (a server error)")
            elif not real and "{id}" in path and expected == "ok":
                if got not in ("ok", "404"):
                    wrong.append(f"{op} {role}: {response.status_code}, expected ok or 404")
            elif got != expected:
                wrong.append(f"{op} {role}: {response.status_code}, expected {expected}")
    print(
        f"\naudited: {audited['reads']} sensitive reads and {audited['writes']} writes answered 2xx, "
        f"{len(unlogged)} of them not in the access log"
    )
    assert not (wrong or unlogged), (
        f"{len(wrong)} answers differ from the matrix:\n"
        + "\n".join(wrong)
        + "\nsensitive reads or writes missing from the access log:\n"
        + "\n".join(unlogged)
    )


@pytest.mark.django_db(transaction=True)
async def test_the_console_websocket_admits_signed_in_staff_only(cast: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    users = cast["users"]
    expected = dict.fromkeys(STAFF, True) | {"anonymous": False, "phone": False, "disabled": False}
    got = {}
    for role in ROLES:
        user = users.get(role, AnonymousUser())
        console = communicator(user)
        connected, code = await console.connect()
        got[role] = connected
        if connected:
            await console.disconnect()
        else:
            assert code == 4401, (role, code)
    assert got == expected
    assert await database_sync_to_async(lambda: users["disabled"].is_active)() is False
