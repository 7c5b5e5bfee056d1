"""Who is credited for each order line: the touchpoint matrix (versioned) and the credits it wrote.

docs/attribution.md explains the rules; services.py writes, selectors.py reads.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class Touchpoint(models.TextChoices):
    PRE_SALE_CONTENT = "pre_sale_content", _("pre-sale content")
    ONLINE_INQUIRY = "online_inquiry", _("online inquiry")
    SHARE_LINK_SALE = "share_link_sale", _("share-link sale")
    STORE_SALE = "store_sale", _("store sale (POS)")
    ENDLESS_AISLE = "endless_aisle", _("endless aisle (POS, fulfilled elsewhere)")
    ONLINE_ORDER = "online_order", _("online order (delivery)")
    STORE_PICKUP = "store_pickup", _("online order picked up in store")
    AFTER_SALE_SERVICE = "after_sale_service", _("after-sale service")
    FOLLOW_UP_VISIT = "follow_up_visit", _("follow-up visit")
    SUPPORT_SALE = "support_sale", _("sale by a lent employee")


class Lead(models.TextChoices):
    ONLINE = "online", _("online-led")
    OFFLINE = "offline", _("offline-led")


class Party(models.TextChoices):
    SHARE_LINK_EMPLOYEE = "share_link_employee", _("share-link employee")
    CASHIER = "cashier", _("cashier")
    ACQUIRING_EMPLOYEE = "acquiring_employee", _("employee who acquired the member")
    SELLING_STORE = "selling_store", _("selling store")
    FULFILLING_STORE = "fulfilling_store", _("fulfilling store")
    ONLINE_OPERATIONS = "online_operations", _("online operations")
    LENDING_STORE = "lending_store", _("lending store")
    # Not a matrix party: the franchise store's revenue share, outside the 100% split.
    FRANCHISE_STORE = "franchise_store", _("franchise store (revenue share)")


# Parties that are employees (credited to LineCredit.employee) and stores (LineCredit.location).
EMPLOYEE_PARTIES = {Party.SHARE_LINK_EMPLOYEE, Party.CASHIER, Party.ACQUIRING_EMPLOYEE}
STORE_PARTIES = {Party.SELLING_STORE, Party.FULFILLING_STORE, Party.LENDING_STORE, Party.FRANCHISE_STORE}
MATRIX_PARTIES = [p for p in Party.values if p != Party.FRANCHISE_STORE]


class MatrixVersion(models.Model):
    """One version of the touchpoint matrix; in force for orders paid on or after its date until
    the next version's date. Versions are never edited: a change is a new version."""

    effective_from = models.DateField(_("effective from"), unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("touchpoint matrix version")
        verbose_name_plural = _("touchpoint matrix versions")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"matrix from {self.effective_from}"


class TouchpointRule(models.Model):
    version = models.ForeignKey(MatrixVersion, on_delete=models.PROTECT, related_name="rules")
    touchpoint = models.CharField(_("touchpoint"), max_length=24, choices=Touchpoint.choices)
    lead = models.CharField(_("lead"), max_length=8, choices=Lead.choices)

    class Meta:
        verbose_name = _("touchpoint rule")
        verbose_name_plural = _("touchpoint rules")
        constraints = [
            models.UniqueConstraint(fields=["version", "touchpoint"], name="touchpointrule_one_per_version"),
            models.CheckConstraint(
                condition=Q(touchpoint__in=Touchpoint.values), name="touchpointrule_touchpoint_valid"
            ),
            models.CheckConstraint(condition=Q(lead__in=Lead.values), name="touchpointrule_lead_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.touchpoint} ({self.lead})"


class TouchpointShare(models.Model):
    """A party's percentage of a touchpoint's credit. A rule's shares add up to 100 (the service
    refuses anything else; the audit checks it) and exactly one of them is the owner."""

    rule = models.ForeignKey(TouchpointRule, on_delete=models.PROTECT, related_name="shares")
    party = models.CharField(_("party"), max_length=24, choices=Party.choices)
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2)
    is_owner = models.BooleanField(_("owner"), default=False)

    class Meta:
        verbose_name = _("touchpoint share")
        verbose_name_plural = _("touchpoint shares")
        constraints = [
            models.UniqueConstraint(fields=["rule", "party"], name="touchpointshare_one_per_party"),
            models.UniqueConstraint(fields=["rule"], condition=Q(is_owner=True), name="touchpointshare_one_owner"),
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="touchpointshare_percent_range"),
            models.CheckConstraint(condition=Q(party__in=MATRIX_PARTIES), name="touchpointshare_party_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.percent}%"


class CreditKind(models.TextChoices):
    CREDIT = "credit", _("credit")
    REVERSAL = "reversal", _("reversal")


class LineCredit(models.Model):
    """Append-only: one party's part of one order line. Credits are written when the order is
    paid (the shares of a line add up to its net exactly); reversals (negative amounts) when
    units come back, rounded cumulatively so that all returns of a line reverse its credits exactly.

    `redirected_from` names the matrix party whose share this is when that party was missing
    (no acquiring employee, no cashier...): its share went to the rule's owner, or to the selling
    store when the owner was missing too. `quantity` is the units covered: the line's quantity
    for a credit, the returned units for a reversal (which names the credit it `reverses`).
    """

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    touchpoint = models.CharField(_("touchpoint"), max_length=24, choices=Touchpoint.choices)
    version = models.ForeignKey(MatrixVersion, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("party"), max_length=24, choices=Party.choices)
    redirected_from = models.CharField(_("share of"), max_length=24, choices=Party.choices, blank=True)
    # Indexed first in (employee, occurred_at) and (location, occurred_at) below: no index of their own.
    employee = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="line_credits", db_index=False
    )
    location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="line_credits", db_index=False
    )
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    quantity = models.PositiveIntegerField(_("units"))
    kind = models.CharField(_("kind"), max_length=10, choices=CreditKind.choices)
    # A reversal points at the credit it takes back (a part of: the returned units).
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        verbose_name = _("line credit")
        verbose_name_plural = _("line credits")
        constraints = [
            # A retry (a second ORDER_PAID for the same order) writes nothing twice.
            models.UniqueConstraint(
                fields=["line", "party", "redirected_from"],
                condition=Q(kind="credit"),
                name="linecredit_one_credit_per_line_party",
            ),
            models.CheckConstraint(condition=Q(kind__in=CreditKind.values), name="linecredit_kind_valid"),
            models.CheckConstraint(condition=Q(party__in=Party.values), name="linecredit_party_valid"),
            models.CheckConstraint(condition=Q(touchpoint__in=Touchpoint.values), name="linecredit_touchpoint_valid"),
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="linecredit_percent_range"),
            models.CheckConstraint(
                condition=Q(kind="credit", amount__gte=0) | Q(kind="reversal", amount__lte=0),
                name="linecredit_sign_follows_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="credit", reverses__isnull=True) | Q(kind="reversal", reverses__isnull=False),
                name="linecredit_reversal_names_its_credit",
            ),
            # The recipient follows the party: an employee party names an employee, a store party a
            # store, the online-operations pool neither (credited_sales counts a row once by it).
            models.CheckConstraint(
                condition=Q(party__in=sorted(EMPLOYEE_PARTIES), employee__isnull=False, location__isnull=True)
                | Q(party__in=sorted(STORE_PARTIES), employee__isnull=True, location__isnull=False)
                | Q(party=Party.ONLINE_OPERATIONS, employee__isnull=True, location__isnull=True),
                name="linecredit_recipient_follows_party",
            ),
        ]
        indexes = [
            models.Index(fields=["employee", "occurred_at"], name="linecredit_employee_at"),
            models.Index(fields=["location", "occurred_at"], name="linecredit_location_at"),
            models.Index(fields=["occurred_at"], name="linecredit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.party} {self.amount}"
