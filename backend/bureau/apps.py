from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BureauConfig(AppConfig):
    name = "backend.bureau"
    label = "bureau"
    verbose_name = _("Bureau: units, rectification, indicators")

    def ready(self) -> None:
        from backend.bureau import demo
        from backend.core.demo import register_demo_step

        register_demo_step("bureau units", demo.load_units, order=200)
        name_enums(
            {
                "UnitKindEnum": "backend.bureau.models.Unit.Kind",
                "RectificationStatusEnum": "backend.bureau.models.RectificationItem.Status",
                "ReturnStatusEnum": "backend.bureau.models.UnitReturn.Status",
            }
        )


def name_enums(names: dict[str, str]) -> None:
    """Name a module's choice sets in the published spec (drf-spectacular's ENUM_NAME_OVERRIDES),
    from the module's AppConfig.ready, so each module keeps its names out of the shared settings.
    Without a name, two modules' ``status`` fields with different choices collide."""
    from django.conf import settings

    overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
    assert isinstance(overrides, dict)
    overrides.update(names)
