import pytest

from o2o.testing.api import ApiClient

pytestmark = pytest.mark.django_db


def test_the_openapi_spec_and_docs_page_are_served():
    spec = ApiClient().get("openapi.json")
    docs = ApiClient().get("docs")

    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/api/v1/orders", "/api/v1/pickup/redeem", "/api/v1/stores/nearby"} <= paths.keys()
    assert docs.status_code == 200
    assert b"/api/v1/openapi.json" in docs.content
