from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "backend.supervision"
    label = "supervision"
    verbose_name = _("Supervised people and phones")
