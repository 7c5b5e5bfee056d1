"""Demo knowledge base: the articles customer service and the stores read while they work (returns,
pickup, delivery, coupons, member points, opening and closing SOPs, an emergency manual), some for
every staff role and some for a few, one draft, one edited twice (three versions), so
/service/knowledge/ and the reply form's article search have something to find."""

from o2o.demo.generator.base import Run
from o2o.knowledge.models import Article, ArticleVersion
from o2o.knowledge.services import ArticleSpec
from o2o.staff.models import Role

_SERVICE = [Role.CS_AGENT, Role.STORE_MANAGER, Role.CLERK]
ARTICLES = [
    (
        "退货流程：七天无理由退货",
        "售后",
        ["退货", "售后"],
        [],
        "# 适用范围\n签收后七天内，商品完好、配件齐全，可以无理由退货。\n\n# 办理步骤\n1. 在订单页点击申请售后\n"
        "2. 选择退货原因并上传照片\n3. 门店或仓库收货后原路退款\n\n**注意**：定制商品和已拆封的耗材不支持无理由退货。",
    ),
    (
        "到店自提：提货码核销",
        "自提",
        ["自提", "核销"],
        [Role.CLERK, Role.STORE_MANAGER, Role.CS_AGENT],
        "顾客出示提货码或二维码，店员在收银台扫码核销。\n\n- 提货码只能使用一次\n- 核销后五分钟内可以撤销"
        "\n- 超过保留期未提货的订单自动取消并退款",
    ),
    (
        "配送延迟的处理与补偿",
        "配送",
        ["配送", "补偿"],
        _SERVICE,
        "配送超过承诺时间两小时以上：先致歉，查询配送进度，告知新的送达时间。\n\n"
        "超过一天：按标准补偿发放一张无门槛优惠券，并在工单中记录承诺的解决方案和日期。",
    ),
    (
        "优惠券不能使用的常见原因",
        "营销",
        ["优惠券"],
        [],
        "- 未达到使用门槛\n- 券已过期或已使用\n- 商品不在适用范围内\n- 与其他活动不能叠加"
        "\n\n请在会员页查看券的详细规则。",
    ),
    (
        "会员积分规则",
        "会员",
        ["积分", "会员"],
        [],
        "每消费一元积一分，退货时按比例扣回积分。积分可以在支付时抵扣现金，一百积分抵一元。",
    ),
    (
        "门店开店检查清单（SOP）",
        "手册",
        ["SOP", "开店"],
        [Role.STORE_MANAGER, Role.CLERK],
        "# 开店前三十分钟\n- 检查收银设备和扫码枪\n- 清点备用金\n- 打开照明和空调\n\n# 开店后\n- 核对当日自提订单",
    ),
    (
        "停电应急预案",
        "应急手册",
        ["应急", "停电"],
        [Role.STORE_MANAGER, Role.CLERK, Role.HQ],
        "停电时：保持冷静，引导顾客有序离店；收银改为手工记录，来电后补录订单；向区域主管报告。",
    ),
    (
        "投诉处理话术",
        "客服",
        ["投诉", "话术"],
        [Role.CS_AGENT],
        "先倾听，再道歉，明确告诉顾客解决方案和完成时间。\n\n**不要**承诺做不到的事情；需要门店处理时升级到门店。",
    ),
    (
        "Opening hours and holidays",
        "门店",
        ["hours"],
        [],
        "Stores open 9:00 to 22:00 every day, holidays included. The online shop takes orders around the clock.",
    ),
]
DRAFT = ArticleSpec(
    title="换货流程（草稿）", body="十五天内可以换同款不同规格的商品。", category="售后", published=False
)


def _write(spec: ArticleSpec, *, versions: list[ArticleSpec] = ()) -> Article:
    """The article and its versions as rows (the generator runs in one transaction, the services
    in durable ones of their own); the newest version is the article's text."""
    history = [spec, *versions]
    last = history[-1]
    article = Article.objects.create(title=last.title, body=last.body, category=last.category, tags=last.tags,
                                     roles=last.roles, published=last.published, version=len(history))  # fmt: skip
    ArticleVersion.objects.bulk_create(
        ArticleVersion(
            article=article,
            version=n,
            title=v.title,
            body=v.body,
            category=v.category,
            tags=v.tags,
            roles=v.roles,
            published=v.published,
        )  # fmt: skip
        for n, v in enumerate(history, start=1)
    )
    return article


def create_knowledge(run: Run) -> int:
    specs = [
        ArticleSpec(title=title, body=body, category=category, tags=tags, roles=[str(r) for r in roles]).cleaned()
        for title, category, tags, roles, body in ARTICLES
    ]
    # the first one edited twice (its versions show the history): ten days, then seven again
    first = specs[0]
    ten = ArticleSpec(title="退货流程：十天无理由退货", body=first.body.replace("七天", "十天"), category="售后",
                      tags=first.tags)  # fmt: skip
    _write(first, versions=[ten, first])
    for spec in specs[1:]:
        _write(spec)
    _write(DRAFT)
    return len(specs) + 1
