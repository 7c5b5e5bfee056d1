from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class Channel(models.TextChoices):
    APP = "app", _("app")
    H5 = "h5", _("H5 web")
    POS = "pos", _("store POS")
    SHARE_LINK = "share_link", _("employee share link")

    @classmethod
    def online(cls) -> set[str]:
        return {cls.APP, cls.H5, cls.SHARE_LINK}


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Written by catalog.images.set_product_image only: the photo scaled for the product page and
    # a small square for lists, both WebP, named by their content's hash.
    image = models.ImageField(_("photo"), upload_to="products/", blank=True)
    thumbnail = models.ImageField(_("thumbnail"), upload_to="products/", blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class SKU(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    barcode = models.CharField(_("barcode"), max_length=32, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    unit = models.CharField(_("unit"), max_length=16, default="件")
    sold_online = models.BooleanField(_("sold online"), default=True)
    sold_offline = models.BooleanField(_("sold in store"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        constraints = [
            models.CheckConstraint(condition=Q(sold_online=True) | Q(sold_offline=True), name="sku_sold_somewhere"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def is_sold_on(self, channel: str) -> bool:
        return self.sold_online if channel in Channel.online() else self.sold_offline


class Price(models.Model):
    """A SKU's price on one channel; a row with a location overrides the chain-wide one there."""

    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="prices")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="price_overrides"
    )
    amount = models.DecimalField(_("amount"), **money_field_kwargs())

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_amount_not_negative"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="price_channel_valid"),
            models.UniqueConstraint(
                fields=["sku", "channel"], condition=Q(location__isnull=True), name="price_one_chain_wide"
            ),
            models.UniqueConstraint(
                fields=["sku", "channel", "location"],
                condition=Q(location__isnull=False),
                name="price_one_per_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.channel} {self.amount}"
