"""The people under supervision and the phones they carry.

``Subject`` (社区矫正对象) and ``ReleasedPerson`` (刑满释放人员) both belong to exactly one office.
Later modules (leave, positioning orders, archives, education, resettlement) hang off these two
by foreign key, always carrying the office through the person, so one scoping rule covers them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.supervision.identity import id_number_problem, mask_id_number


def validate_id_number(value: str) -> None:
    problem = id_number_problem(value)
    if problem:
        raise ValidationError(
            _("Identity number %(problem)s."), params={"problem": _(problem)}, code="invalid"
        )


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class PersonBase(models.Model):
    """What both kinds of supervised person share: identity, office, home."""

    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    responsible_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("full name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    id_number = models.CharField(_("identity number"), max_length=18, validators=[validate_id_number])
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    home_address = models.CharField(_("home address"), max_length=200)
    # WGS-84; phones and maps in China often use GCJ-02, which the API converts on the way in.
    home_lat = models.FloatField(_("home latitude"), null=True, blank=True)
    home_lon = models.FloatField(_("home longitude"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)


class Subject(PersonBase):
    """A person under community corrections (社区矫正对象)."""

    class SentenceType(models.TextChoices):
        PUBLIC_SURVEILLANCE = "control", _("public surveillance (管制)")
        PROBATION = "probation", _("probation (缓刑)")
        PAROLE = "parole", _("parole (假释)")
        TEMPORARY_OUTSIDE = "outside", _("temporary service outside prison (暂予监外执行)")

    class Level(models.TextChoices):
        STRICT = "strict", _("strict (严管)")
        NORMAL = "normal", _("normal (普管)")
        LENIENT = "lenient", _("lenient (宽管)")

    class Status(models.TextChoices):
        IN_SUPERVISION = "active", _("in supervision")
        ENDED = "ended", _("supervision ended")

    case_number = models.CharField(_("case number"), max_length=40, unique=True)
    sentence_type = models.CharField(_("sentence type"), max_length=12, choices=SentenceType.choices)
    crime = models.CharField(_("crime"), max_length=100, blank=True)
    supervision_start = models.DateField(_("supervision starts"))
    supervision_end = models.DateField(_("supervision ends"))
    supervision_level = models.CharField(
        _("supervision level"), max_length=10, choices=Level.choices, default=Level.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.IN_SUPERVISION, db_index=True
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("corrections subject")
        verbose_name_plural = _("corrections subjects")
        ordering = ["office_id", "name", "id"]
        indexes = [models.Index(fields=["office", "status"], name="subject_office_status")]
        constraints = [
            models.CheckConstraint(
                name="subject_period_is_ordered",
                condition=models.Q(supervision_end__gte=models.F("supervision_start")),
            ),
        ]

    def clean(self) -> None:
        if self.supervision_start and self.supervision_end and self.supervision_end < self.supervision_start:
            raise ValidationError({"supervision_end": _("The supervision cannot end before it starts.")})


class ReleasedPerson(PersonBase):
    """A person released from prison under resettlement help (刑满释放人员, 安置帮教)."""

    class Status(models.TextChoices):
        AWAITING_HANDOVER = "awaiting", _("awaiting handover")
        RECEIVED = "received", _("received by the office")
        IN_RESETTLEMENT = "resettling", _("in resettlement help")
        ENDED = "ended", _("resettlement ended")

    class Source(models.TextChoices):
        PRISON_NOTICE = "prison", _("release notice from a prison")
        COMMUNITY_CORRECTION = "correction", _("end of community correction")

    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.PRISON_NOTICE
    )
    # The subject whose community correction ended into this record (opened by ``end_supervision``).
    from_subject = models.OneToOneField(
        "Subject",
        verbose_name=_("from community correction of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="released_person",
    )
    expected_release_date = models.DateField(_("expected release date"), null=True, blank=True)
    crime = models.CharField(_("crime"), max_length=100, blank=True)
    prison = models.CharField(_("prison"), max_length=100, blank=True)
    release_date = models.DateField(_("release date"))
    resettlement_end = models.DateField(_("resettlement help ends"), null=True, blank=True)
    handover_deadline = models.DateTimeField(_("handover deadline"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    is_key_person = models.BooleanField(_("key person (重点人员)"), default=False, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.AWAITING_HANDOVER, db_index=True
    )

    class Meta:
        verbose_name = _("released person")
        verbose_name_plural = _("released persons")
        ordering = ["office_id", "-release_date", "id"]


class EnrollmentCode(models.Model):
    """A one-time code staff give a subject to enroll a phone; only its hash is stored."""

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="enrollment_codes"
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment code")
        verbose_name_plural = _("enrollment codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.created_at:%Y-%m-%d %H:%M}"


class Device(models.Model):
    """A phone enrolled for one subject. The device token is stored hashed and shown only once."""

    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"
        HARMONY = "harmony", "HarmonyOS"

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="devices"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    token_prefix = models.CharField(_("token prefix"), max_length=8, help_text=_("to tell tokens apart"))
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    model = models.CharField(_("phone model"), max_length=100, blank=True)
    os_version = models.CharField(_("OS version"), max_length=40, blank=True)
    app_version = models.CharField(_("app version"), max_length=40, blank=True)
    push_token = models.CharField(_("push token"), max_length=400, blank=True)
    # The Ed25519 public key the phone registered at enrollment (base64 of its 32 raw bytes): every
    # request it makes with its token is signed with the private half (``supervision.signing``).
    # Empty only for phones enrolled before requests were signed; they enroll again.
    public_key = models.CharField(
        _("signing public key"), max_length=44, blank=True, default="", help_text=_("Ed25519, base64")
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("revoke reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_phone_per_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} · {self.get_platform_display()} {self.model} ({self.token_prefix}…)"

    # DRF treats the authenticated principal as ``request.user``; a phone is one.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SupervisionPolicy(models.Model):
    """What one supervision level (分类管理, 社区矫正法第24条) demands, as data staff may change.

    One row per level, seeded by a data migration with the defaults of the README. Monitoring
    copies the values that the check-in upload needs into each person's monitoring state (the
    upload stays one statement) and copies them again whenever a row here, a person's level or an
    order changes (``supervision.signals.policy_changed`` / ``level_changed``).
    """

    level = models.CharField(
        _("supervision level"), max_length=10, choices=Subject.Level.choices, unique=True
    )
    checkin_interval_minutes = models.PositiveIntegerField(
        _("check-in interval (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(1440)]
    )
    overdue_grace_minutes = models.PositiveIntegerField(
        _("grace before check-in overdue (minutes)"), validators=[MaxValueValidator(720)]
    )
    lost_contact_after_minutes = models.PositiveIntegerField(
        _("suspected loss of contact after (minutes past the due time)"),
        validators=[MinValueValidator(30), MaxValueValidator(10080)],
    )
    curfew_applies = models.BooleanField(_("curfew applies"), default=False)
    # Local times (Asia/Shanghai); a window may cross midnight (22:00 to 06:00).
    curfew_start = models.TimeField(_("curfew starts (local time)"))
    curfew_end = models.TimeField(_("curfew ends (local time)"))
    approach_buffer_m = models.FloatField(
        _("approach warning distance (m)"), validators=[MinValueValidator(0), MaxValueValidator(5000)]
    )
    low_battery_percent = models.FloatField(
        _("low battery threshold (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    unsupervised_after_days = models.PositiveSmallIntegerField(
        _("days after supervision starts without an active phone before 漏管"),
        validators=[MaxValueValidator(60)],
    )
    auto_end_at_term = models.BooleanField(
        _("end the supervision automatically when its end date has passed"), default=False
    )
    education_hours_per_month = models.DecimalField(
        _("education hours required per month"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("supervision level policy")
        verbose_name_plural = _("supervision level policies")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.get_level_display())

    def clean(self) -> None:
        if (
            self.lost_contact_after_minutes is not None
            and self.overdue_grace_minutes is not None
            and self.lost_contact_after_minutes <= self.overdue_grace_minutes
        ):
            raise ValidationError(
                {
                    "lost_contact_after_minutes": _(
                        "Suspected loss of contact must come after check-in overdue."
                    )
                }
            )


class LevelChange(models.Model):
    """One change of a subject's supervision level, with its reason and author (kept for good)."""

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="level_changes"
    )
    from_level = models.CharField(_("from level"), max_length=10, choices=Subject.Level.choices)
    to_level = models.CharField(_("to level"), max_length=10, choices=Subject.Level.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("supervision level change")
        verbose_name_plural = _("supervision level changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} {self.from_level} → {self.to_level}"


class SeenSignature(models.Model):
    """A signed phone request the server accepted (``supervision.signing``), remembered until it
    leaves the signing window: the same request a second time is a replay (409).

    ``digest``: the first 16 bytes of the SHA-256 of the phone's key and the signed message. The
    check-in upload records its own in its one statement; other requests in one ``INSERT``; the
    ``forget-seen-signatures`` job deletes the expired ones. Not personal data and never shown.
    """

    digest = models.UUIDField(primary_key=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("signed phone request received")
        verbose_name_plural = _("signed phone requests received")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.digest} → {self.expires_at:%Y-%m-%d %H:%M:%S}"
