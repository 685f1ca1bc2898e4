"""依法行政: the records of law-based administration (one module per concern, all re-exported)."""

from backend.lawadmin.models.casefiles import CaseFileAssignment, CaseFileReview, SocialSupervisor
from backend.lawadmin.models.enterprise import FirstOffenceReturn, InspectionPlan, JointInspection
from backend.lawadmin.models.inspections import (
    InspectionRubric,
    InspectionScore,
    RubricItem,
    RuleOfLawInspection,
)
from backend.lawadmin.models.legality import ComplianceNotice, ContractCatalogue, LegalityReview
from backend.lawadmin.models.litigation import LitigationCase
from backend.lawadmin.models.officers import (
    AbilityTest,
    AbilityTestEntry,
    EnforcementField,
    EnforcementOfficer,
    HearingAttendance,
    StudyRecord,
)
from backend.lawadmin.models.risk import ContractSelfCheck, MockTrialScript, RiskConference, RiskyContract

__all__ = [
    "AbilityTest",
    "AbilityTestEntry",
    "CaseFileAssignment",
    "CaseFileReview",
    "ComplianceNotice",
    "ContractCatalogue",
    "ContractSelfCheck",
    "EnforcementField",
    "EnforcementOfficer",
    "FirstOffenceReturn",
    "HearingAttendance",
    "InspectionPlan",
    "InspectionRubric",
    "InspectionScore",
    "JointInspection",
    "LegalityReview",
    "LitigationCase",
    "MockTrialScript",
    "RiskConference",
    "RiskyContract",
    "RubricItem",
    "RuleOfLawInspection",
    "SocialSupervisor",
    "StudyRecord",
]
