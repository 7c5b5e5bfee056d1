"""The REST API at /api/v1/: one router per domain, bearer or session auth, problem+json errors."""

from ninja import NinjaAPI

from o2o.api import accounts, analytics, catalog, inventory, members, orders, payments, pickup, problems, staff, stores
from o2o.api.auth import AUTH
from o2o.api.boss import router as boss_router
from o2o.api.cashbook import router as cashbook_router
from o2o.api.commission import router as commission_router
from o2o.api.coupons import my_coupons_router, templates_router
from o2o.api.coupons import router as coupons_router
from o2o.api.flashsale import router as flashsale_router
from o2o.api.groupbuy import chain_router, group_buys, groups
from o2o.api.installments import router as installments_router
from o2o.api.leads import router as leads_router
from o2o.api.loyalty import router as loyalty_router
from o2o.api.marketing import router as marketing_router
from o2o.api.parsers import install as accept_json_bodies_only
from o2o.api.privacy import router as privacy_router
from o2o.api.promotions import router as promotions_router
from o2o.api.rewards import router as rewards_router
from o2o.api.toolbox import router as toolbox_router
from o2o.api.wallet import router as wallet_router

api = NinjaAPI(
    title="O2O API",
    version="1",
    description="Orders, stock, pickup vouchers and members of a chain of stores, online and offline as one.",
    auth=AUTH,
    urls_namespace="api-v1",
)
problems.install(api)
accept_json_bodies_only(api)  # 415 for other bodies: no cross-site form posts
api.add_router("/auth", accounts.router)
api.add_router("/catalog", catalog.router)
api.add_router("/stores", stores.router)
api.add_router("/inventory", inventory.router)
api.add_router("/stock-counts", "o2o.api.stocktakes.router")
api.add_router("/preparations", "o2o.api.preparation.router")
api.add_router("/orders", orders.router)
api.add_router("/orders", "o2o.api.exchanges.router")  # exchanges of handed-over goods (换货)
api.add_router("/payments", payments.router)
api.add_router("/wallet", wallet_router)
api.add_router("/loyalty", loyalty_router)
api.add_router("/coupons", coupons_router)
api.add_router("/coupon-templates", templates_router)
api.add_router("/me/coupons", my_coupons_router)
api.add_router("/flash-sales", flashsale_router)
api.add_router("/group-buys", group_buys)
api.add_router("/groups", groups)
api.add_router("/chains", chain_router)
api.add_router("/marketing", marketing_router)
api.add_router("/installments", installments_router)
api.add_router("/cashbook", cashbook_router)
api.add_router("/pickup", pickup.router)
api.add_router("/members", members.router)
api.add_router("/privacy", privacy_router)
api.add_router("/promotions", promotions_router)
api.add_router("/rewards", rewards_router)
api.add_router("/toolbox", toolbox_router)
api.add_router("/staff", staff.router)
api.add_router("/analytics", analytics.router)
api.add_router("/outreach", "o2o.api.outreach.router")
api.add_router("/boss", boss_router)
api.add_router("/commission", commission_router)
api.add_router("/leads", leads_router)
api.add_router("/attribution", "o2o.api.attribution.router")
api.add_router("/staffing", "o2o.api.staffing.router")
api.add_router("/customers", "o2o.api.customers.router")
api.add_router("/service", "o2o.api.complaints.router")  # complaints and feedback on tickets
api.add_router("/follow-ups", "o2o.api.followups.router")  # follow-up visits and surveys (docs/aftercare.md)
api.add_router("/service", "o2o.api.tickets.router")  # tickets: members, agents, stores (docs/service.md)
api.add_router("/service", "o2o.api.service_sla.router")  # SLA targets, business hours, reports
api.add_router("/knowledge", "o2o.api.knowledge.router")  # the knowledge base (docs/knowledge.md)
api.add_router("/me", "o2o.api.notifications.me_router")  # notification preferences and messages
api.add_router("/notification-templates", "o2o.api.notifications.templates_router")  # docs/notifications.md
api.add_router("/incidents", "o2o.api.incidents.router")  # incidents and standard remedies (docs/incidents.md)
api.add_router("/delivery", "o2o.api.delivery.router")  # delivery runs, stops and couriers (docs/delivery.md)
api.add_router("/replenishment", "o2o.api.replenishment.router")  # levels, proposals, requests (docs/replenishment.md)
