from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessConfig(AppConfig):
    name = "backend.business"
    label = "business"
    verbose_name = _("Legal services for business")

    def ready(self) -> None:
        from backend.bureau.apps import name_enums
        from backend.business import demo, indicators
        from backend.core.demo import register_demo_step

        indicators.register()
        register_demo_step("legal services for business", demo.load, order=220)
        name_enums(
            {
                "SanctionMeasureEnum": "backend.business.models.Sanction.Kind",
                "AdviserKindEnum": "backend.business.models.AdviserHiring.Kind",
                "FirmInspectionResultEnum": "backend.business.models.FirmInspection.Result",
                "AssessmentResultEnum": "backend.business.models.AnnualAssessment.Result",
                "VisitOutcomeEnum": "backend.business.models.EnterpriseVisit.Outcome",
                "CertificateProgressEnum": "backend.business.models.CertificateRequirement.Progress",
            }
        )
