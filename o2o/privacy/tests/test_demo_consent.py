"""The demo chain's members who consented at joining have that decision in their history."""

import pytest

from o2o.demo.generator import generate_demo
from o2o.members.models import Member
from o2o.privacy.models import MarketingConsentRecord

pytestmark = pytest.mark.django_db


def test_every_consenting_demo_member_has_its_first_record():
    generate_demo(stores=1, skus=3, members=40, days=0)

    consenting = Member.objects.filter(marketing_consent=True)
    records = MarketingConsentRecord.objects.all()
    assert consenting.exists()
    assert sorted(records.values_list("member_id", flat=True)) == sorted(consenting.values_list("pk", flat=True))
    assert not records.filter(given=False).exists()
    assert {(r.member.marketing_consent_at, r.member.marketing_consent_source) for r in records} == {
        (r.at, r.source) for r in records
    }
