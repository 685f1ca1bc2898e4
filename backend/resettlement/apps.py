from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResettlementConfig(AppConfig):
    name = "backend.resettlement"
    label = "resettlement"
    verbose_name = _("Resettlement of released persons")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from backend.core.demo import register_demo_step
        from backend.resettlement.demo import load_demo_resettlement
        from backend.resettlement.services import handover
        from backend.supervision.models import ReleasedPerson
        from backend.supervision.signals import supervision_ended

        # A subject whose supervision ends becomes a released person in resettlement help.
        supervision_ended.connect(handover.supervision_ended, dispatch_uid="resettlement-supervision-ended")
        # A key person noticed by a prison gets the must-receive-must-deliver steps at once.
        post_save.connect(
            handover.released_person_saved, sender=ReleasedPerson, dispatch_uid="resettlement-person-saved"
        )
        register_demo_step("resettlement", load_demo_resettlement, order=45)
