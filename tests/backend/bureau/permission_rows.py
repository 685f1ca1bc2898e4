"""The permission matrix's rows for the bureau's modules (bureau, lawadmin, business).

``tests/backend/test_permission_matrix.py`` merges these over its own rows. Office roles get 404
from the bureau's own modules, whatever the operation; a reporter (the matrix's reporter has no
unit) may run only the operations a module lets reporters run, and gets 403 on the others; the
bureau's writes are refused to auditors. Units, rectification items and indicators let office
roles in (their town's units).
"""

from __future__ import annotations

from collections.abc import Callable

OFFICES = ("officer_a", "officer_b", "office_head")
BUREAU = ("bureau_staff", "bureau_head", "admin")
OUTSIDERS = {"phone": "401", "anonymous": "401", "disabled": "401"}


def _answers(*, offices: str, reporter: str, auditor: str) -> dict[str, str]:
    return (
        dict.fromkeys(OFFICES, offices)
        | dict.fromkeys(BUREAU, "ok")
        | {"auditor": auditor, "reporter": reporter}
        | OUTSIDERS
    )


# Bureau-only modules: offices 404 everywhere.
READ = _answers(offices="404", reporter="foreign", auditor="ok")
REPORTER_WRITE = _answers(offices="404", reporter="foreign", auditor="403")
BUREAU_WRITE = _answers(offices="404", reporter="403", auditor="403")
HIDDEN_READ = _answers(offices="404", reporter="404", auditor="ok")
HIDDEN_WRITE = _answers(offices="404", reporter="404", auditor="403")
# Modules office roles share (their town's units): 403 where only the bureau may act.
SHARED_READ = _answers(offices="foreign", reporter="foreign", auditor="ok")
SHARED_ANSWER = _answers(offices="foreign", reporter="foreign", auditor="403")
SHARED_BUREAU_WRITE = _answers(offices="403", reporter="403", auditor="403")

_TABLE: list[tuple[str, dict[str, str]]] = [
    ("units_list units_retrieve indicators_list indicators_retrieve", SHARED_READ),
    ("units_create units_update units_partial_update", SHARED_BUREAU_WRITE),
    (
        "rectification_items_list rectification_items_retrieve rectification_items_evidence_retrieve "
        "rectification_items_ledger_retrieve rectification_items_overdue_list",
        SHARED_READ,
    ),
    ("rectification_items_submit_create", SHARED_ANSWER),
    (
        "rectification_items_create rectification_items_update rectification_items_partial_update "
        "rectification_items_cancel_create rectification_items_verify_create",
        SHARED_BUREAU_WRITE,
    ),
    # lawadmin
    (
        "enforcement_officers_list enforcement_officers_retrieve enforcement_officers_behind_list "
        "enforcement_officers_ledger_retrieve study_records_list study_records_retrieve ability_tests_list "
        "ability_tests_retrieve ability_tests_entries_list hearing_attendances_list hearing_attendances_retrieve "
        "litigation_cases_list litigation_cases_retrieve litigation_cases_late_reporters_list "
        "litigation_cases_ledger_retrieve litigation_cases_statistics_list legality_reviews_list "
        "legality_reviews_retrieve legality_reviews_ledger_retrieve contract_catalogues_list "
        "contract_catalogues_retrieve contract_catalogues_ledger_retrieve compliance_notices_list "
        "compliance_notices_retrieve compliance_notices_document_retrieve inspection_rubrics_list "
        "inspection_rubrics_retrieve rule_of_law_inspections_list rule_of_law_inspections_retrieve "
        "rule_of_law_inspections_ledger_retrieve inspection_plans_list inspection_plans_retrieve "
        "inspection_plans_ledger_retrieve inspection_plans_visits_saved_retrieve joint_inspections_list "
        "joint_inspections_retrieve first_offence_returns_list first_offence_returns_retrieve "
        "first_offence_returns_by_month_list case_file_reviews_list case_file_reviews_retrieve "
        "case_file_assignments_list case_file_assignments_retrieve risk_conferences_list "
        "risk_conferences_retrieve contract_self_checks_list contract_self_checks_retrieve "
        "contract_self_checks_risky_list mock_trial_scripts_list mock_trial_scripts_retrieve",
        READ,
    ),
    (
        "enforcement_officers_create enforcement_officers_update enforcement_officers_partial_update "
        "study_records_create study_records_update study_records_partial_update hearing_attendances_create "
        "hearing_attendances_update hearing_attendances_partial_update litigation_cases_create "
        "litigation_cases_update litigation_cases_partial_update contract_catalogues_create "
        "contract_catalogues_update contract_catalogues_partial_update contract_catalogues_submit_create "
        "compliance_notices_acknowledge_create inspection_plans_create inspection_plans_update "
        "inspection_plans_partial_update inspection_plans_submit_create first_offence_returns_create "
        "first_offence_returns_update first_offence_returns_partial_update first_offence_returns_submit_create "
        "case_file_assignments_assess_create contract_self_checks_create contract_self_checks_update "
        "contract_self_checks_partial_update contract_self_checks_submit_create contract_self_checks_risky_create "
        "mock_trial_scripts_create mock_trial_scripts_update mock_trial_scripts_partial_update",
        REPORTER_WRITE,
    ),
    (
        "ability_tests_create ability_tests_update ability_tests_partial_update ability_tests_draw_create "
        "ability_tests_publish_create ability_tests_scores_create legality_reviews_create legality_reviews_update "
        "legality_reviews_partial_update contract_catalogues_review_create contract_catalogues_notices_create "
        "inspection_rubrics_create inspection_rubrics_update inspection_rubrics_partial_update "
        "rule_of_law_inspections_create rule_of_law_inspections_update rule_of_law_inspections_partial_update "
        "rule_of_law_inspections_findings_create rule_of_law_inspections_score_create inspection_plans_review_create "
        "inspection_plans_merge_create first_offence_returns_review_create case_file_reviews_create "
        "case_file_reviews_update case_file_reviews_partial_update case_file_reviews_assign_create "
        "risk_conferences_create risk_conferences_update risk_conferences_partial_update "
        "contract_self_checks_review_create",
        BUREAU_WRITE,
    ),
    ("contract_catalogues_missing_list", BUREAU_WRITE | {"auditor": "ok"}),
    ("social_supervisors_list social_supervisors_retrieve", HIDDEN_READ),
    ("social_supervisors_create social_supervisors_update social_supervisors_partial_update", HIDDEN_WRITE),
    # business
    (
        "law_firms_list law_firms_retrieve lawyers_list lawyers_retrieve lawyers_ledger_retrieve "
        "lawyer_sanctions_list lawyer_sanctions_retrieve lawyer_sanctions_ledger_retrieve adviser_hirings_list "
        "adviser_hirings_retrieve law_firm_inspections_list law_firm_inspections_retrieve "
        "law_firm_assessments_list law_firm_assessments_retrieve experts_list experts_retrieve "
        "enterprise_visits_list enterprise_visits_retrieve enterprise_visits_outcomes_list "
        "certificate_requirements_list certificate_requirements_retrieve certificate_requirements_ledger_retrieve "
        "certificate_requirements_summary_retrieve",
        READ,
    ),
    (
        "lawyers_create lawyers_update lawyers_partial_update adviser_hirings_create enterprise_visits_create "
        "enterprise_visits_update enterprise_visits_partial_update certificate_requirements_create "
        "certificate_requirements_update certificate_requirements_partial_update",
        REPORTER_WRITE,
    ),
    (
        "law_firms_create law_firms_update law_firms_partial_update lawyer_sanctions_create "
        "law_firm_inspections_create law_firm_inspections_update law_firm_inspections_partial_update "
        "law_firm_assessments_create law_firm_assessments_update law_firm_assessments_partial_update "
        "experts_create experts_update experts_partial_update",
        BUREAU_WRITE,
    ),
]


def bureau_rows(rule: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    """``{operationId: answers}`` for every operation of the bureau's modules, through the matrix's ``rule``."""
    rows: dict[str, dict[str, str]] = {}
    for operation_ids, answers in _TABLE:
        for operation_id in operation_ids.split():
            rows[operation_id] = rule(**answers)
    return rows
