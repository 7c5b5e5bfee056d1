"""Back office: the catalog, edited by HQ and the online operators."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from o2o.catalog.images import read_photo, set_product_image
from o2o.catalog.models import SKU, Category, Price, Product
from o2o.core.errors import DomainError


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


class SKUInline(admin.TabularInline):
    model = SKU
    fields = ["code", "name", "barcode", "unit", "sold_online", "sold_offline", "is_active"]
    extra = 0
    show_change_link = True


class ProductForm(forms.ModelForm):
    photo = forms.FileField(
        label=_("New photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 8 MB; it is scaled and cropped for lists."),
    )

    class Meta:
        model = Product
        fields = ["name", "category", "description", "is_active"]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload:
            try:
                read_photo(upload)
            except DomainError as error:
                why = {"why": error.message}
                raise forms.ValidationError(_("This file is not a usable photo: %(why)s.") % why) from error
            upload.seek(0)
        return upload


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    fields = ["name", "category", "description", "is_active", "photo", "current_photo"]
    readonly_fields = ["current_photo"]
    list_display = ["name", "category", "is_active"]
    list_filter = ["is_active", "category"]
    list_select_related = ["category"]
    search_fields = ["name", "skus__code", "skus__barcode"]
    autocomplete_fields = ["category"]
    inlines = [SKUInline]

    @admin.display(description=_("Photo"))
    def current_photo(self, product: Product) -> str:
        if not product.thumbnail:
            return "—"
        return format_html('<img src="{}" width="120" height="120" alt="">', product.thumbnail.url)

    def save_model(self, request, product: Product, form, change: bool) -> None:
        super().save_model(request, product, form, change)
        if upload := form.cleaned_data.get("photo"):
            set_product_image(product=product, upload=upload)


class PriceInline(admin.TabularInline):
    model = Price
    fields = ["channel", "location", "amount"]
    autocomplete_fields = ["location"]
    extra = 0


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "product", "barcode", "unit", "sold_online", "sold_offline", "is_active"]
    list_filter = ["is_active", "sold_online", "sold_offline", "product__category"]
    list_select_related = ["product"]
    search_fields = ["^code", "=barcode", "name", "product__name"]
    autocomplete_fields = ["product"]
    inlines = [PriceInline]
    show_full_result_count = False


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["sku", "channel", "location", "amount"]
    list_filter = ["channel", ("location", admin.EmptyFieldListFilter)]
    list_select_related = ["sku", "location"]
    search_fields = ["=sku__code", "sku__name", "=location__code"]
    autocomplete_fields = ["sku", "location"]
    show_full_result_count = False
