from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from o2o.api.pagination import CursorPagination
from o2o.api.types import Id
from o2o.catalog import selectors
from o2o.catalog.models import Channel

router = Router(tags=["catalog"])


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    parent_id: int | None


class SkuOut(Schema):
    id: int
    code: str
    barcode: str | None
    name: str
    product_id: int
    product_name: str
    category_id: int
    attributes: dict
    unit: str
    sold_online: bool
    sold_offline: bool

    @staticmethod
    def resolve_product_name(sku) -> str:
        return sku.product.name

    @staticmethod
    def resolve_category_id(sku) -> int:
        return sku.product.category_id


class PriceOut(Schema):
    sku_id: int
    channel: Channel
    location_id: int | None
    amount: Decimal


class SkuFilter(Schema):
    category_id: Id | None = None
    q: str | None = None
    channel: Channel | None = None


@router.get("/categories", response=list[CategoryOut], auth=None)
def list_categories(request: HttpRequest):
    return selectors.categories()


@router.get("/skus", response=list[SkuOut], auth=None)
@paginate(CursorPagination, ordering=("id",))
def list_skus(request: HttpRequest, filters: Query[SkuFilter]):
    return selectors.search_skus(category_id=filters.category_id, text=filters.q, channel=filters.channel)


@router.get("/skus/{sku_id}", response=SkuOut, auth=None)
def get_sku(request: HttpRequest, sku_id: Id):
    return selectors.skus_by_id({sku_id})[sku_id]


@router.get("/skus/{sku_id}/price", response=PriceOut, auth=None)
def get_price(request: HttpRequest, sku_id: Id, channel: Channel, location_id: Id | None = None):
    amount = selectors.unit_prices(sku_ids={sku_id}, channel=channel, location_id=location_id)[sku_id]
    return {"sku_id": sku_id, "channel": channel, "location_id": location_id, "amount": amount}
