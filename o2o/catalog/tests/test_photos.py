"""Product photos: uploaded in the back office, scaled to WebP once, served with a year's cache."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from o2o.catalog.images import set_product_image
from o2o.catalog.models import Product
from o2o.core.errors import DomainError
from o2o.testing.factories import PASSWORD, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _jpeg(width: int = 1600, height: int = 1200, colour=(200, 30, 30)) -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return SimpleUploadedFile("tea.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def admin_browser() -> Client:
    browser = Client()
    browser.force_login(get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD))
    browser.cookies["django_language"] = "en"
    return browser


def _change(browser: Client, product: Product, **extra):
    data = {
        "name": product.name,
        "category": product.category_id,
        "description": "",
        "is_active": "on",
        "skus-TOTAL_FORMS": "0",
        "skus-INITIAL_FORMS": "0",
        **extra,
    }
    return browser.post(f"/admin/catalog/product/{product.pk}/change/", data)


def test_an_uploaded_photo_is_stored_scaled_with_a_square_thumbnail(admin_browser, media):
    product = SKUFactory().product

    response = _change(admin_browser, product, photo=_jpeg())

    assert response.status_code == 302
    product.refresh_from_db()
    with Image.open(media / product.image.name) as photo, Image.open(media / product.thumbnail.name) as thumb:
        assert (photo.format, photo.size) == ("WEBP", (960, 720))
        assert (thumb.format, thumb.size) == ("WEBP", (240, 240))
    assert product.thumbnail.name.startswith(f"products/{product.pk}-")
    assert product.thumbnail.name.endswith("-thumb.webp")


def test_a_file_that_is_not_a_photo_is_a_form_error_and_nothing_is_stored(admin_browser, media):
    product = SKUFactory().product
    fake = SimpleUploadedFile("tea.jpg", b"not a picture at all", content_type="image/jpeg")

    response = _change(admin_browser, product, photo=fake)

    assert response.status_code == 200
    assert "This file is not a usable photo" in response.content.decode()
    product.refresh_from_db()
    assert (product.image.name, product.thumbnail.name) == ("", "")
    assert not (media / "products").exists()


def test_a_gif_is_refused(media):
    product = SKUFactory().product
    out = BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")

    with pytest.raises(DomainError) as refused:
        set_product_image(product=product, upload=SimpleUploadedFile("a.gif", out.getvalue()))

    assert refused.value.code == "invalid"


def test_a_new_photo_replaces_the_old_files(media, django_capture_on_commit_callbacks):
    product = SKUFactory().product
    with django_capture_on_commit_callbacks(execute=True):
        set_product_image(product=product, upload=_jpeg(colour=(10, 10, 10)))
    first = product.thumbnail.name
    with django_capture_on_commit_callbacks(execute=True):
        set_product_image(product=product, upload=_jpeg(colour=(250, 250, 250)))

    assert product.thumbnail.name != first
    assert not (media / first).exists() and (media / product.thumbnail.name).exists()


def test_the_photo_is_served_for_a_year_and_nothing_else_under_media_is(client, media):
    product = SKUFactory().product
    set_product_image(product=product, upload=_jpeg())
    product.refresh_from_db()
    (media / "delivery").mkdir()
    (media / "delivery" / "proof.webp").write_bytes(b"private")

    served = client.get(product.thumbnail.url)

    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/media/products/..%2Fdelivery%2Fproof.webp").status_code == 404
    assert client.get("/media/delivery/proof.webp").status_code == 404
    assert client.get("/media/products/missing.webp").status_code == 404


def test_the_storefront_list_shows_thumbnails_and_adds_several_units_at_once(client, media):
    sku = SKUFactory(name="茉莉花茶", price=Decimal("4.50"))
    set_product_image(product=sku.product, upload=_jpeg())
    sku.product.refresh_from_db()

    page = client.get("/shop/").content.decode()
    added = client.post("/shop/cart/add/", {"sku_id": sku.pk, "quantity": 3, "quick": "1"}, HTTP_HX_REQUEST="true")
    cart = client.get("/shop/cart/").content.decode()

    assert f'src="{sku.product.thumbnail.url}"' in page and 'loading="lazy"' in page
    assert 'data-step="1"' in page
    note = added.content.decode()
    assert added.status_code == 200 and 'id="cart-count"' in note and ">3</span>" in note
    assert "茉莉花茶" in cart and 'value="3"' in cart


def test_a_quick_add_of_nothing_says_why(client):
    sku = SKUFactory(price=Decimal("4.50"))

    added = client.post("/shop/cart/add/", {"sku_id": sku.pk, "quantity": 0, "quick": "1"}, HTTP_HX_REQUEST="true")

    assert added.status_code == 200 and 'class="errorlist"' in added.content.decode()
    assert "cart-count" not in added.content.decode()
