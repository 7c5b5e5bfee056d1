"""Demo marketing toolbox: chain materials from HQ (company introduction, news, brochure, price
list, case study, video, testimonial), one material for each of the first stores, and over the
last 30 days the store staff's shares, their opens (reading time, some forwarded on) and a few
inquiries that became leads, so /me/materials/, /manager/materials/ and the owner's "materials
shared / opened / leads" have something to show. Shared pages open at /shop/m/<token>/."""

import hashlib
import string
from datetime import timedelta

from o2o.demo.generator.base import Run, explicit_timestamps
from o2o.leads.models import Lead, Source
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location
from o2o.toolbox.models import Inquiry, InquiryKind, Material, MaterialKind, MaterialOpen, MaterialShare

MAX_EMPLOYEES = 60
STORE_MATERIALS = 3
DAYS = 30

CHAIN = [
    (MaterialKind.COMPANY_INTRO, "关于我们：二十年连锁服务", "全国门店，线上线下一体化服务。"),
    (MaterialKind.NEWS, "新店开业：第 9 家门店本周六开张", "开业三天全场九折，到店有礼。"),
    (MaterialKind.BROCHURE, "春季新品手册", "十款当季新品，图文详解。"),
    (MaterialKind.PRICE_LIST, "保养服务价目表", "常用服务明码标价，会员更优惠。"),
    (MaterialKind.CASE_STUDY, "客户案例：车队年度保养", "一家物流公司如何省下两成保养费用。"),
    (MaterialKind.VIDEO, "三分钟了解我们的门店", "门店环境与服务流程。"),
    (MaterialKind.TESTIMONIAL, "顾客说：服务快、价格透明", "来自会员的真实评价。"),
]
VIDEO_URL = "https://media.example.com/o2o/intro.mp4"


def _materials(run: Run) -> list[Material]:
    start = run.at(run.today - timedelta(days=DAYS + 5), 9)
    rows = [
        Material(kind=kind, title=title, summary=summary, body=summary * 3, published_at=start,
                 link_url=VIDEO_URL if kind == MaterialKind.VIDEO else "")
        for kind, title, summary in CHAIN
    ]  # fmt: skip
    for store in Location.objects.filter(kind="store", is_active=True).order_by("code")[:STORE_MATERIALS]:
        rows.append(Material(kind=MaterialKind.NEWS, title=f"{store.name}：本周到店活动", location=store,
                             summary="到店扫码领券，预约更优先。", published_at=start))  # fmt: skip
    return Material.objects.bulk_create(rows)


TOKEN_ALPHABET = string.ascii_letters + string.digits


def _token(rng) -> str:
    """24 characters from the seeded stream: the same seed, the same links."""
    return "".join(rng.choice(TOKEN_ALPHABET) for _ in range(24))


def _visitor(n: int) -> str:
    return hashlib.sha256(f"demo-reader-{n}".encode()).hexdigest()


def create_toolbox(run: Run) -> int:
    rng = run.rng("toolbox")
    materials = _materials(run)
    staff = list(
        Employee.objects.filter(role__in=[Role.CLERK, Role.STORE_MANAGER], is_active=True)
        .order_by("pk")[:MAX_EMPLOYEES]
    )  # fmt: skip
    shares, opens, forwards, inquiries, leads = [], [], [], [], []
    with explicit_timestamps(MaterialShare, MaterialOpen, Inquiry, Lead):
        for e in staff:
            mine = [m for m in materials if m.location_id in (None, e.home_location_id)]
            for material in rng.sample(mine, min(len(mine), rng.randint(1, 4))):
                at = run.at(run.today - timedelta(days=rng.randint(1, DAYS)), rng.uniform(9, 20))
                shares.append(MaterialShare(material=material, employee=e, token=_token(rng), created_at=at))
        MaterialShare.objects.bulk_create(shares, batch_size=run.batch_size)
        reader = 0
        for share in shares:
            for _ in range(rng.randint(0, 6)):
                reader += 1
                at = share.created_at + timedelta(minutes=rng.randint(1, 3 * 24 * 60))
                opens.append(MaterialOpen(share=share, visitor_hash=_visitor(reader), opened_at=at,
                                          seconds=rng.choice([5, 12, 30, 45, 80, 150, 300])))  # fmt: skip
        MaterialOpen.objects.bulk_create(opens, batch_size=run.batch_size)
        for opened in rng.sample(opens, len(opens) // 8):
            share = opened.share
            forwards.append(MaterialShare(material=share.material, employee=share.employee, root=share,
                                          parent_open=opened, depth=1, token=_token(rng),
                                          created_at=opened.opened_at + timedelta(minutes=2)))  # fmt: skip
        MaterialShare.objects.bulk_create(forwards, batch_size=run.batch_size)
        for n, opened in enumerate(rng.sample(opens, len(opens) // 15)):
            share, at = opened.share, opened.opened_at + timedelta(minutes=5)
            phone = f"+86139{88000000 + n:08d}"
            kind = rng.choice(InquiryKind.values)
            lead = Lead(employee=share.employee, phone=phone, name=rng.choice(["陈先生", "李女士", "王先生"]),
                        source=Source.INQUIRY, created_at=at)  # fmt: skip
            leads.append(lead)
            when = at + timedelta(days=3) if kind != InquiryKind.ASK else None
            inquiries.append(Inquiry(share=share, employee=share.employee, kind=kind, name=lead.name, phone=phone,
                                     message="想了解一下价格和到店时间", lead=lead, created_at=at,
                                     preferred_at=when))  # fmt: skip
        Lead.objects.bulk_create(leads, batch_size=run.batch_size)
        Inquiry.objects.bulk_create(inquiries, batch_size=run.batch_size)
    run.say(f"toolbox: {len(materials)} materials, {len(shares)} shares, {len(opens)} opens, "
            f"{len(forwards)} forwards, {len(inquiries)} inquiries (/me/materials/, /manager/materials/)")  # fmt: skip
    return len(shares)
