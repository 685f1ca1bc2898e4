from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "backend.casework"
    label = "casework"
    verbose_name = _("Casework: leave, positioning orders, curfew")

    def ready(self) -> None:
        from backend.bureau.apps import name_enums
        from backend.casework import receivers

        receivers.connect()
        name_enums(
            {
                "LeaveStatusEnum": "backend.casework.models.LeaveRequest.Status",
                "LeaveApproverEnum": "backend.casework.models.LeaveRequest.Approver",
                "LeavePointSourceEnum": "backend.casework.models.LeaveRequest.PointSource",
                "PositioningGroundEnum": "backend.casework.models.PositioningOrder.Ground",
                "PositioningOrderStatusEnum": "backend.casework.models.PositioningOrder.Status",
                "PositioningOrderChangeKindEnum": "backend.casework.models.PositioningOrderChange.Kind",
                "CurfewCheckStatusEnum": "backend.casework.models.CurfewCheck.Status",
                "SamplingRegimeEnum": "backend.monitoring.models.SamplingRegime",
            }
        )
