"""Jurisdictions (the bureau and its offices) and the staff who work in them."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Office(models.Model):
    """A jurisdiction: the county bureau (司法局) or one of its township justice offices (司法所).

    Subjects belong to exactly one office. The boundary is a GeoJSON Polygon/MultiPolygon in
    WGS-84, kept as JSON so the same schema runs on SQLite and PostgreSQL without PostGIS; the
    geometry work happens in the ``geofence`` package.
    """

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Justice bureau")
        OFFICE = "office", _("Justice office")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OFFICE)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent bureau"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offices",
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a staff member may do. Office roles see their office only; bureau roles see all."""

    OFFICER = "officer", _("Office officer")
    OFFICE_HEAD = "office_head", _("Office head")
    BUREAU_STAFF = "bureau_staff", _("Bureau staff")
    BUREAU_HEAD = "bureau_head", _("Bureau head")
    AUDITOR = "auditor", _("Archive auditor")
    SYSADMIN = "sysadmin", _("System administrator")
    # Staff of a unit (a department, a town, a law firm…) who enter their own unit's returns; they
    # see their unit only (the unit is linked in ``backend.bureau``).
    REPORTER = "reporter", _("Unit reporter")


OFFICE_ROLES = frozenset({Role.OFFICER, Role.OFFICE_HEAD})
BUREAU_WIDE_ROLES = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.AUDITOR, Role.SYSADMIN})
READ_ONLY_ROLES = frozenset({Role.AUDITOR})
# Roles that may see a subject's full identity number; everyone else sees it masked.
ID_NUMBER_ROLES = frozenset({Role.OFFICE_HEAD, Role.BUREAU_HEAD, Role.SYSADMIN})


class StaffManager(UserManager["User"]):
    """Django's user manager, with superusers made system administrators.

    ``createsuperuser`` (interactive or ``--noinput``) calls ``create_superuser`` with the username,
    email and password only. The default role is an office officer, which needs an office, so a
    superuser made that way broke ``office_roles_have_an_office``. A superuser is the system
    administrator: a bureau-wide role with no office, as ``create_staff --role sysadmin`` makes it.
    """

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("role", Role.SYSADMIN)
        if extra_fields["role"] != Role.SYSADMIN:
            raise ValueError("Superuser must have role=sysadmin.")
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A staff member of the bureau or of an office. Subjects are not users: their phones are."""

    objects: ClassVar[StaffManager] = StaffManager()

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OFFICER)
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    phone = models.CharField(_("phone number"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        constraints = [
            models.CheckConstraint(
                name="office_roles_have_an_office",
                condition=~models.Q(role__in=["officer", "office_head"]) | models.Q(office__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def get_full_name(self) -> str:
        """Chinese names read family name first with no space (王伟); others "given family"."""
        family, given = self.last_name.strip(), self.first_name.strip()
        if any("\u4e00" <= ch <= "\u9fff" for ch in family + given):
            return f"{family}{given}"
        return f"{given} {family}".strip()

    @property
    def is_bureau_wide(self) -> bool:
        """True for staff who see every office: bureau roles and Django superusers."""
        return self.is_superuser or self.role in BUREAU_WIDE_ROLES

    @property
    def is_read_only(self) -> bool:
        return (not self.is_superuser) and self.role in READ_ONLY_ROLES

    @property
    def may_see_id_numbers(self) -> bool:
        return self.is_superuser or self.role in ID_NUMBER_ROLES


class StaffToken(models.Model):
    """An API token for a staff member's scripts, stored as a SHA-256 hash with an expiry.

    A token is minted only by a login whose second factor was verified, so holding one stands for
    a verified login; it lapses at ``expires_at`` (the 12-hour sign-in rule) or after the idle
    timeout without use, and at logout or when the account is disabled.
    """

    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    prefix = models.CharField(_("token prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    last_used_at = models.DateTimeField(_("last used at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.prefix}…"
