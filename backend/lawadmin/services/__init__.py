"""依法行政's actions, by concern; views, the admin, tasks and the demo call these."""

from backend.lawadmin.services.casefiles import assign_cross_review, cross_review_pairs, record_assessment
from backend.lawadmin.services.enterprise import cluster_plans, merge_joint_inspections, visits_saved
from backend.lawadmin.services.inspections import add_finding, score_inspection, weighted_total
from backend.lawadmin.services.legality import (
    acknowledge_notice,
    catalogue_due,
    issue_compliance_notices,
    issue_due_compliance_notices,
    last_quarters_due,
    missing_catalogues,
)
from backend.lawadmin.services.litigation import late_reporters, litigation_statistics
from backend.lawadmin.services.officers import (
    draw_sample,
    officers_behind,
    publish_results,
    record_scores,
    stratified_sample,
    study_hours,
)
from backend.lawadmin.services.risk import flag_risky_contract

__all__ = [
    "acknowledge_notice",
    "add_finding",
    "assign_cross_review",
    "catalogue_due",
    "cluster_plans",
    "cross_review_pairs",
    "draw_sample",
    "flag_risky_contract",
    "issue_compliance_notices",
    "issue_due_compliance_notices",
    "last_quarters_due",
    "late_reporters",
    "litigation_statistics",
    "merge_joint_inspections",
    "missing_catalogues",
    "officers_behind",
    "publish_results",
    "record_assessment",
    "record_scores",
    "score_inspection",
    "stratified_sample",
    "study_hours",
    "visits_saved",
    "weighted_total",
]
