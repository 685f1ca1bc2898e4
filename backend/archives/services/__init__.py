"""Domain actions of the archives (see ``backend.archives.models`` for what the archives are).

One module per concern: ``files`` (checks and storage of uploads), ``documents`` (versions and
the hash chain), ``sources`` (generated documents from other modules' records), ``sanctions``,
``reports`` (the phone's monthly report), ``completeness``, ``verification``, ``export`` (BagIt).
"""

from backend.archives.services.completeness import (
    expected_documents,
    office_completeness,
    subject_completeness,
)
from backend.archives.services.documents import add_document, add_version, archive_for, catalogue_item
from backend.archives.services.export import export_zip
from backend.archives.services.files import CheckedFile, check_file
from backend.archives.services.reports import MAX_PHOTOS, monthly_report_in, submit_monthly_report
from backend.archives.services.sanctions import (
    approve_sanction,
    draft_from_alert,
    propose_sanction,
    withdraw_sanction,
)
from backend.archives.services.sources import register_source, sync_generated_documents
from backend.archives.services.verification import Verification, verify_archives

__all__ = [
    "MAX_PHOTOS",
    "CheckedFile",
    "Verification",
    "add_document",
    "add_version",
    "approve_sanction",
    "archive_for",
    "catalogue_item",
    "check_file",
    "draft_from_alert",
    "expected_documents",
    "export_zip",
    "monthly_report_in",
    "office_completeness",
    "propose_sanction",
    "register_source",
    "subject_completeness",
    "submit_monthly_report",
    "sync_generated_documents",
    "verify_archives",
    "withdraw_sanction",
]
