"""Back office: the catalog, edited by HQ and the online operators."""

from django.contrib import admin

from o2o.catalog.models import SKU, Category, Price, Product


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


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_active"]
    list_filter = ["is_active", "category"]
    list_select_related = ["category"]
    search_fields = ["name", "skus__code", "skus__barcode"]
    autocomplete_fields = ["category"]
    inlines = [SKUInline]


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
