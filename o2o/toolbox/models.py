"""The marketing toolbox (营销百宝箱, docs/toolbox.md): materials HQ and store managers publish,
the shares employees make of them, the opens of those shares (and the reader's own forwards),
and the questions, visit bookings and event sign-ups readers send from a shared page.

Credit: every share of a chain carries the employee of its root share (`employee`), so every
open and inquiry down a forwarding chain counts for the employee who shared first.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_OPEN_SECONDS = 3600  # one open counts at most an hour of reading


class MaterialKind(models.TextChoices):
    BUSINESS_CARD = "business_card", _("business card")
    COMPANY_INTRO = "company_intro", _("company introduction")
    NEWS = "news", _("news")
    BROCHURE = "brochure", _("brochure")
    PRODUCT_SHEET = "product_sheet", _("product sheet")
    PRICE_LIST = "price_list", _("price list")
    CASE_STUDY = "case_study", _("case study")
    VIDEO = "video", _("video")
    TESTIMONIAL = "testimonial", _("customer testimonial")
    FILE = "file", _("file")


# Kinds that are nothing without their link (the video or the file lives elsewhere).
LINKED_KINDS = (MaterialKind.VIDEO, MaterialKind.FILE)


class InquiryKind(models.TextChoices):
    ASK = "ask", _("ask a question")
    VISIT = "visit", _("book a visit")
    EVENT = "event", _("sign up for an event")


# Kinds that name a time the reader would like.
TIMED_KINDS = (InquiryKind.VISIT, InquiryKind.EVENT)


class Material(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=MaterialKind.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)
    link_url = models.URLField(_("link"), max_length=500, blank=True)
    sku = models.ForeignKey("catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="materials")
    # None: the chain's (published by HQ); a store: that store's (published by its manager).
    location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="materials"
    )
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"))
    updated_at = models.DateTimeField(auto_now=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        indexes = [models.Index(fields=["location", "is_active", "-published_at"], name="material_list_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MaterialKind.values), name="material_kind_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="material_has_title"),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in LINKED_KINDS]) | ~Q(link_url=""),
                name="material_linked_kind_has_link",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MaterialShare(models.Model):
    """One link to a material: an employee's (root) or a reader's forward (child of their open).

    `employee` is the employee credited: the sharer of a root share, the root's employee for a
    forward. `token` is the secret of the reader's URL /shop/m/<token>/."""

    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="shares")
    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="material_shares")
    token = models.CharField(max_length=32, unique=True)
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="descendants")
    parent_open = models.OneToOneField(
        "toolbox.MaterialOpen", null=True, blank=True, on_delete=models.PROTECT, related_name="forward"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["employee", "created_at"], name="share_employee_idx")]
        constraints = [
            # A root share has no parent and no root; a forward has both and is one level deeper.
            models.CheckConstraint(
                condition=Q(parent_open__isnull=True, root__isnull=True, depth=0)
                | Q(parent_open__isnull=False, root__isnull=False, depth__gt=0),
                name="share_root_or_forward",
            ),
            models.CheckConstraint(condition=Q(token__regex=r"^[A-Za-z0-9_-]{20,32}$"), name="share_token_shape"),
        ]

    def __str__(self) -> str:
        return f"share {self.pk} of {self.material_id}"


class MaterialOpen(models.Model):
    """One reading of a share. `visitor_hash` is the HMAC-SHA-256 of the reader's random cookie key (the
    key itself is never stored); `seconds` only grows (the page's pings), bounded by the time since
    the open and by MAX_OPEN_SECONDS."""

    share = models.ForeignKey(MaterialShare, on_delete=models.PROTECT, related_name="opens")
    visitor_hash = models.CharField(max_length=64)
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    seconds = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["share", "visitor_hash"], name="open_share_visitor_idx"),
            models.Index(fields=["opened_at"], name="open_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(seconds__gte=0, seconds__lte=MAX_OPEN_SECONDS), name="open_seconds_bounded"
            ),
            models.CheckConstraint(condition=Q(visitor_hash__regex=r"^[0-9a-f]{64}$"), name="open_visitor_is_hash"),
        ]

    def __str__(self) -> str:
        return f"open {self.pk} of share {self.share_id}"


class Inquiry(models.Model):
    """A reader asks, books a visit or signs up for an event from a shared page."""

    share = models.ForeignKey(MaterialShare, on_delete=models.PROTECT, related_name="inquiries")
    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="material_inquiries")
    kind = models.CharField(_("kind"), max_length=8, choices=InquiryKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20)  # E.164
    message = models.CharField(_("message"), max_length=1000, blank=True)
    preferred_at = models.DateTimeField(_("preferred time"), null=True, blank=True)
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        indexes = [models.Index(fields=["employee", "created_at"], name="inquiry_employee_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=InquiryKind.values), name="inquiry_kind_valid"),
            models.CheckConstraint(condition=Q(phone__regex=r"^\+[1-9][0-9]{6,14}$"), name="inquiry_phone_e164"),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in TIMED_KINDS]) | Q(preferred_at__isnull=False),
                name="inquiry_visit_or_event_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
