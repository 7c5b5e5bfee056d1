"""The demo chain has replenishment to show: targets, open proposals, a requested transfer."""

import pytest

from o2o.demo.generator import generate_demo
from o2o.inventory.models import StockLevel, Transfer
from o2o.inventory.selectors import audit_stock
from o2o.replenishment.models import Proposal

pytestmark = pytest.mark.django_db


def test_the_demo_has_targets_open_proposals_and_a_requested_transfer():
    generate_demo(seed=12, stores=2, skus=40, members=20, days=14)

    assert not StockLevel.objects.filter(location__kind="store", alert_level__gt=0, target_level=0).exists()
    assert Proposal.objects.filter(state="open").exists()
    requested = Transfer.objects.filter(state="requested")
    assert requested.exists()
    assert set(Proposal.objects.filter(state="approved").values_list("transfer_id", flat=True)) == set(
        requested.values_list("pk", flat=True)
    )
    assert audit_stock() == []
