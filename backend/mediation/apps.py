from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "backend.mediation"
    label = "mediation"
    verbose_name = _("Dispute mediation (人民调解)")

    def ready(self) -> None:
        from backend.bureau.apps import name_enums

        name_enums(
            {
                "DisputeKindEnum": "backend.mediation.models.DisputeKind",
                "DisputeStatusEnum": "backend.mediation.models.Dispute.Status",
                "MediationBodyKindEnum": "backend.mediation.models.MediationBody.Kind",
                "MediationCentreLevelEnum": "backend.mediation.models.MediationCentre.Level",
                "MediatorBackgroundEnum": "backend.mediation.models.Mediator.Background",
                "ExpertOrderStatusEnum": "backend.mediation.models.ExpertRequest.Status",
                "CreditRuleOutcomeEnum": "backend.mediation.models.CreditRule.Outcome",
            }
        )
        from backend.core.demo import register_demo_step
        from backend.mediation import demo, indicators

        indicators.register()
        register_demo_step("dispute mediation", demo.load, order=240)
