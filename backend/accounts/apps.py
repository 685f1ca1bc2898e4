from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"
    verbose_name = _("Offices and staff")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save, pre_save

        from backend.accounts import demo, services, sessions
        from backend.accounts.models import User
        from backend.core.demo import register_demo_step

        def signed_in(sender: object, request: object, user: object, **kwargs: object) -> None:
            session = getattr(request, "session", None)
            if session is not None:
                sessions.mark_signed_in(session, user)

        # weak=False: a function defined in here would be collected once ready() returns.
        user_logged_in.connect(signed_in, dispatch_uid="accounts-signed-in", weak=False)
        pre_save.connect(services._remember_was_active, sender=User, dispatch_uid="accounts-was-active")
        post_save.connect(services._end_access_when_disabled, sender=User, dispatch_uid="accounts-disabled")
        # After the staff exist (the supervision demo makes them), before the modules' steps.
        register_demo_step("staff authenticators", demo.give_demo_authenticators, order=10)
