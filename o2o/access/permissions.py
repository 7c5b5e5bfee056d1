"""Who may do what: one table of role x operation, consulted by the services with the actor.

The API and the pages call the same services, so they share these answers. A location-scoped
role (store manager, clerk, warehouse clerk, technician) acts only at its own location; a
chain-wide role anywhere. Members act only on their own orders and data, which the services
check with the scoped accessors (`get_order_for`); the table says which operations a member
may ask for at all.
"""

from enum import StrEnum

from o2o.access.actors import Actor
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.staff.models import Role


class Operation(StrEnum):
    # orders and money
    PLACE_ONLINE_ORDER = "place_online_order"  # a customer orders for themself (app, mini program, web)
    PLACE_COUNTER_ORDER = "place_counter_order"
    APPLY_MANUAL_DISCOUNT = "apply_manual_discount"  # an amount off one counter sale, with a reason
    TAKE_COUNTER_PAYMENT = "take_counter_payment"
    PAY_ONLINE = "pay_online"  # ask the gateway for a pay QR: no money moves until the customer pays
    PAY_FROM_BALANCE = "pay_from_balance"  # a member spends their own stored value or points on their order
    CANCEL_UNPAID_ORDER = "cancel_unpaid_order"
    CANCEL_PAID_ORDER = "cancel_paid_order"  # paid, goods still in the store: a full refund
    RETURN_GOODS = "return_goods"  # after hand-over: goods back, money back
    EXCHANGE_GOODS = "exchange_goods"  # after hand-over: a unit swapped for another variant, same price
    DISPATCH_ORDER = "dispatch_order"
    CONFIRM_DELIVERY = "confirm_delivery"
    # delivery runs and couriers (docs/delivery.md)
    PLAN_DELIVERY_RUNS = "plan_delivery_runs"  # route a depot's packed orders and requested transfers into runs
    DISPATCH_DELIVERY_RUN = "dispatch_delivery_run"  # a run leaves: orders out for delivery, transfers shipped
    COMPLETE_DELIVERY_STOP = "complete_delivery_stop"  # delivered (code or photo) or failed with a reason
    BOOK_COURIER = "book_courier"  # hand a packed delivery order to a third-party courier instead
    VIEW_DELIVERY_RUNS = "view_delivery_runs"  # a read: a depot's runs and stops (drivers: their own)
    PREPARE_ORDER = "prepare_order"  # the store's queue: accept, pick, report missing, ready or packed
    MANAGE_FULFILMENT_SETTINGS = "manage_fulfilment_settings"  # preparation time, auto-accept, pickup slot size
    # pickup
    REDEEM_PICKUP_VOUCHER = "redeem_pickup_voucher"
    UNDO_HAND_OVER = "undo_hand_over"
    # stock
    RECEIVE_STOCK = "receive_stock"
    ADJUST_STOCK = "adjust_stock"  # write-offs and found goods, with a reason
    COUNT_STOCK = "count_stock"
    START_STOCK_COUNT = "start_stock_count"  # a stocktake session: freezes the book, or cancels it
    SCAN_STOCK_COUNT = "scan_stock_count"  # count by scanning, and hand the count in
    APPROVE_STOCK_COUNT = "approve_stock_count"  # post a count's variances to the book, or send it back
    SET_STOCK_AISLE = "set_stock_aisle"  # where a SKU is shelved in the store (a count can cover one aisle)
    VIEW_SHRINKAGE = "view_shrinkage"  # a read: counts, variances and adjustments by reason across stores
    SEND_TRANSFER = "send_transfer"
    RECEIVE_TRANSFER = "receive_transfer"
    VIEW_STOCK = "view_stock"  # a read, kept here so the list and the pages ask the same table
    # replenishment (docs/replenishment.md)
    SET_STOCK_LEVELS = "set_stock_levels"  # a SKU's alert and target levels at a location
    PROPOSE_REPLENISHMENT = "propose_replenishment"  # run the proposal for a store now (nightly: the system)
    APPROVE_REPLENISHMENT = "approve_replenishment"  # approve (editing quantities) or reject a proposal
    REQUEST_STOCK = "request_stock"  # a requested transfer to one's store, by hand or from a proposal
    SHIP_TRANSFER = "ship_transfer"  # a requested transfer leaves its source (a run, or by hand)
    AUDIT = "audit"
    # members
    REGISTER_MEMBER_AT_COUNTER = "register_member_at_counter"
    LOOK_UP_MEMBER = "look_up_member"  # phone and name: personal data
    # loyalty (docs/loyalty.md)
    ADJUST_POINTS = "adjust_points"  # give or take a member's points, with a reason
    MANAGE_LOYALTY_RULES = "manage_loyalty_rules"  # member levels and category points rules
    VIEW_POINTS_LIABILITY = "view_points_liability"  # a read: points outstanding and their value
    # cash book (docs/cashbook.md)
    CLOSE_BUSINESS_DAY = "close_business_day"  # the daily close (日结): counted cash against expected
    VIEW_CASHBOOK = "view_cashbook"  # takings by method, daily closes, franchise shares
    # a member's own data rights (docs/privacy.md)
    EXPORT_MY_DATA = "export_my_data"
    DELETE_MY_ACCOUNT = "delete_my_account"  # confirmed by a fresh code sent to the phone
    MANAGE_MY_CONSENT = "manage_my_consent"  # give or withdraw marketing consent
    # store credit plans (docs/installments.md)
    SET_UP_INSTALLMENT_PLAN = "set_up_installment_plan"  # the member online, or a clerk at the counter
    TAKE_INSTALLMENT_REPAYMENT = "take_installment_repayment"  # a due or early settlement, at the counter
    VIEW_OVERDUE_INSTALLMENTS = "view_overdue_installments"
    # stored value (docs/wallet.md)
    TOP_UP_OWN_WALLET = "top_up_own_wallet"  # online, through the gateway; also the member's pay code
    TOP_UP_AT_COUNTER = "top_up_at_counter"  # cash / card / QR taken at the store's counter
    FREEZE_WALLET = "freeze_wallet"  # and unfreeze, with a reason
    REFUND_WALLET_PRINCIPAL = "refund_wallet_principal"  # principal paid back; the bonus is forfeited
    MANAGE_TOP_UP_TIERS = "manage_top_up_tiers"
    VIEW_WALLET_LIABILITIES = "view_wallet_liabilities"
    # campaigns, segments and broadcasts (docs/marketing.md)
    MANAGE_CAMPAIGNS = "manage_campaigns"  # create, change and end campaigns
    VIEW_CAMPAIGNS = "view_campaigns"  # a read: campaigns, their offers and reports (counts, no phones)
    MANAGE_SEGMENTS = "manage_segments"  # segment rules and their live counts (never member lists)
    SEND_BROADCASTS = "send_broadcasts"  # message templates and broadcasts to a segment
    # coupons (docs/coupons.md)
    CLAIM_COUPON = "claim_coupon"  # a member takes a coupon from the claim centre
    MANAGE_COUPON_TEMPLATES = "manage_coupon_templates"  # create, (de)activate, see issued/used counts
    GRANT_COUPONS = "grant_coupons"  # issue a template's coupons to chosen members (a segment)
    GRANT_REMEDY_COUPON = "grant_remedy_coupon"  # an apology coupon for a failed step, with a reason
    # flash sales (docs/flashsale.md); buying one is PLACE_ONLINE_ORDER
    MANAGE_FLASH_SALES = "manage_flash_sales"  # create a sale, see its sold and held counts
    # automatic promotions (docs/promotions.md)
    MANAGE_PROMOTIONS = "manage_promotions"  # create, preview, switch on/off, list; clearance suggestions
    # referral, red packets, check-ins (docs/rewards.md)
    MANAGE_REWARDS = "manage_rewards"  # referral programmes, red packets, check-in points and their reports
    CLAIM_REWARD = "claim_reward"  # a member's share link, red-packet share, store check-in
    # group buys and chain sign-ups (docs/groupbuy.md)
    MANAGE_GROUP_BUYS = "manage_group_buys"  # create a group-buy offer, see its groups and counts
    JOIN_GROUP_BUY = "join_group_buy"  # open a group or take a seat (places the member's order)
    MANAGE_CHAIN_LISTS = "manage_chain_lists"  # publish a store's sign-up list, see its entries, close it
    SIGN_UP_TO_CHAIN = "sign_up_to_chain"  # add, change or cancel one's entry before the cut-off
    # staff support between stores (docs/staffing.md)
    ASK_FOR_STAFF = "ask_for_staff"  # ask for help, accept a lent employee, confirm their hours
    LEND_STAFF = "lend_staff"  # lend one of the store's employees to a nearby store's request
    VIEW_MY_LOANS = "view_my_loans"  # an employee's own loans to other stores
    # the marketing toolbox (docs/toolbox.md)
    MANAGE_MATERIALS = "manage_materials"  # publish, change, withdraw: HQ the chain's, a store manager their store's
    SHARE_MATERIALS = "share_materials"  # list the materials one may share, share one, see one's own figures
    # employees' virtual stores (docs/outreach.md)
    EDIT_MY_CARD = "edit_my_card"  # an employee edits their own business card on their share-link page
    VIEW_MY_SHARE_LINK = "view_my_share_link"  # a read: one's own link, QR, poster and its figures
    # an employee's leads, notes, tags and follow-ups (docs/leads.md)
    WORK_MY_LEADS = "work_my_leads"  # one's own customers and leads; their full phones
    ASSIGN_FOLLOW_UP = "assign_follow_up"  # a follow-up task for an employee, on their lead (masked)
    # the owner's view of stores, teams and employees (docs/boss.md)
    VIEW_STAFF_PERFORMANCE = "view_staff_performance"  # a read: credited sales, members, tasks per employee
    # commission (docs/commission.md)
    VIEW_MY_COMMISSION = "view_my_commission"  # a read: one's own balance and statements
    VIEW_COMMISSION_STATEMENTS = "view_commission_statements"  # a read: other employees' statements
    MANAGE_COMMISSION_PLANS = "manage_commission_plans"  # create and end plans (rates, tiers, cap)
    # attribution: the touchpoint matrix and the credits of order lines (docs/attribution.md)
    VIEW_TOUCHPOINT_MATRIX = "view_touchpoint_matrix"  # a read: the rules everyone is credited by
    PUBLISH_TOUCHPOINT_MATRIX = "publish_touchpoint_matrix"  # a new version, effective from a date
    VIEW_ORDER_CREDITS = "view_order_credits"  # a read: who was credited for an order's lines
    # follow-up visits after a sale or a service, and their surveys (docs/aftercare.md)
    WORK_FOLLOW_UPS = "work_follow_ups"  # the queue: claim a visit, record the call and its survey
    MANAGE_FOLLOW_UP_POLICIES = "manage_follow_up_policies"  # when and how visits fall due, per category
    # member tags, notes and the customer 360 (docs/customers.md)
    VIEW_CUSTOMER_360 = "view_customer_360"  # a read: one member's orders, tickets, coupons, tags, notes
    VIEW_MEMBER_PHONE = "view_member_phone"  # the full phone on the 360 (others see it masked)
    TAG_MEMBERS = "tag_members"  # put a chain-level tag on a member by hand, take it off
    WRITE_MEMBER_NOTES = "write_member_notes"  # append a staff note to a member
    MANAGE_TAG_RULES = "manage_tag_rules"  # tags kept by a segment's rules
    # the knowledge base (docs/knowledge.md)
    READ_KNOWLEDGE = "read_knowledge"  # a read: search and read the articles written for one's role
    MANAGE_KNOWLEDGE = "manage_knowledge"  # write, edit, unpublish articles; see drafts and versions
    # complaints and feedback (docs/service.md)
    PROMISE_SOLUTION = "promise_solution"  # record (or change) the solution and date promised to a customer
    CARRY_OUT_REMEDY = "carry_out_remedy"  # an apology coupon, a refund of returned goods, a re-delivery
    ATTRIBUTE_FEEDBACK = "attribute_feedback"  # tag praise, a suggestion or a complaint with employee/team
    # tickets (docs/service.md, "Tickets")
    CONTACT_SERVICE = "contact_service"  # a member opens a ticket, writes on it, confirms or reopens it
    OPEN_TICKET = "open_ticket"  # staff open a ticket for a caller (phone, in store, review, after-sale)
    WORK_TICKETS = "work_tickets"  # the inbox: claim, reply, note, wait, escalate, resolve; own availability
    ASSIGN_TICKETS = "assign_tickets"  # assign or reassign a ticket to an agent (HQ, an online team's lead)
    HANDLE_ESCALATIONS = "handle_escalations"  # a store's staff on tickets escalated to their store
    # SLA targets and reports (docs/service.md, "SLA", "Reports")
    MANAGE_SLA = "manage_sla"  # edit an SLA policy's minutes and a team's business hours
    VIEW_SERVICE_REPORTS = "view_service_reports"  # a read: SLA attainment, response times, backlog, satisfaction
    # customer notifications (docs/notifications.md)
    SET_NOTIFICATION_PREFERENCES = "set_notification_preferences"  # a member's channels and language
    MANAGE_NOTIFICATION_TEMPLATES = "manage_notification_templates"  # the texts by kind, language, channel
    # incidents and standard remedies (docs/incidents.md)
    VIEW_INCIDENTS = "view_incidents"  # a read: a store's incidents, HQ's counts by type, store and step
    OPEN_INCIDENT = "open_incident"  # by hand: a wrong or damaged item the customer reports
    WORK_INCIDENTS = "work_incidents"  # apply a remedy (coupon, re-delivery, substitute), close with an outcome
    REFUND_MISSING_UNITS = "refund_missing_units"  # before hand-over: money back for units not on the shelf


MEMBER = "member"  # a customer acting for themself, beside the staff roles

_STORE_COUNTER = frozenset({Role.STORE_MANAGER, Role.CLERK})
_STOCK_KEEPERS = frozenset({Role.STORE_MANAGER, Role.WAREHOUSE_CLERK, Role.HQ})

# Decided deliberately (docs/permissions.md): a clerk sells, takes payment, hands over, receives
# deliveries and incoming transfers, and signs members up; money going back to a customer after
# payment, write-offs, counts and outgoing transfers need a store manager (or HQ; refunds also
# customer service). o2o/access/tests/test_permission_table.py holds the API to this table.
PERMISSIONS: dict[Operation, frozenset[str]] = {
    Operation.PLACE_ONLINE_ORDER: frozenset({MEMBER}),
    Operation.PLACE_COUNTER_ORDER: _STORE_COUNTER,
    Operation.APPLY_MANUAL_DISCOUNT: frozenset({Role.STORE_MANAGER}),
    Operation.TAKE_COUNTER_PAYMENT: _STORE_COUNTER,
    Operation.PAY_ONLINE: _STORE_COUNTER | {Role.HQ, Role.ONLINE_OPERATOR, Role.CS_AGENT, MEMBER},
    # Only the member: staff reach a member's balance at the counter through the member's payment code.
    Operation.PAY_FROM_BALANCE: frozenset({MEMBER}),
    Operation.CANCEL_UNPAID_ORDER: _STORE_COUNTER | {Role.HQ, Role.ONLINE_OPERATOR, Role.CS_AGENT, MEMBER},
    Operation.CANCEL_PAID_ORDER: frozenset({Role.STORE_MANAGER, Role.HQ, Role.CS_AGENT, MEMBER}),
    Operation.RETURN_GOODS: frozenset({Role.STORE_MANAGER, Role.HQ, Role.CS_AGENT}),
    Operation.EXCHANGE_GOODS: frozenset({Role.STORE_MANAGER}),  # at the counter, goods in hand: no clerk, as returns
    Operation.DISPATCH_ORDER: _STORE_COUNTER | {Role.WAREHOUSE_CLERK, Role.HQ},
    Operation.CONFIRM_DELIVERY: _STORE_COUNTER | {Role.WAREHOUSE_CLERK, Role.HQ},
    # the depot's stock keepers plan and hand to couriers; a driver dispatches and completes only
    # their own run (delivery.services checks the run's driver), a manager may for them
    Operation.PLAN_DELIVERY_RUNS: _STOCK_KEEPERS,
    Operation.DISPATCH_DELIVERY_RUN: _STOCK_KEEPERS | {Role.DRIVER},
    Operation.COMPLETE_DELIVERY_STOP: _STOCK_KEEPERS | {Role.DRIVER},
    Operation.BOOK_COURIER: _STOCK_KEEPERS,
    Operation.VIEW_DELIVERY_RUNS: _STOCK_KEEPERS | {Role.DRIVER, Role.CS_AGENT},
    # whoever works the store's (or warehouse's) floor; HQ to help out (docs/preparation.md)
    Operation.PREPARE_ORDER: _STORE_COUNTER | {Role.WAREHOUSE_CLERK, Role.HQ},
    Operation.MANAGE_FULFILMENT_SETTINGS: frozenset({Role.STORE_MANAGER, Role.HQ}),
    Operation.REDEEM_PICKUP_VOUCHER: _STORE_COUNTER,
    Operation.UNDO_HAND_OVER: frozenset({Role.STORE_MANAGER}),
    Operation.RECEIVE_STOCK: _STOCK_KEEPERS | {Role.CLERK},
    Operation.ADJUST_STOCK: _STOCK_KEEPERS,
    Operation.COUNT_STOCK: _STOCK_KEEPERS,
    Operation.START_STOCK_COUNT: _STOCK_KEEPERS,
    Operation.SCAN_STOCK_COUNT: _STOCK_KEEPERS | {Role.CLERK},
    Operation.APPROVE_STOCK_COUNT: frozenset({Role.STORE_MANAGER, Role.HQ}),
    Operation.SET_STOCK_AISLE: frozenset({Role.STORE_MANAGER}),  # the shelf plan is the store's own
    Operation.VIEW_SHRINKAGE: frozenset({Role.HQ, Role.REGIONAL_SUPERVISOR}),  # as HQ's other store reports
    Operation.SEND_TRANSFER: _STOCK_KEEPERS,
    Operation.RECEIVE_TRANSFER: _STOCK_KEEPERS | {Role.CLERK},
    Operation.VIEW_STOCK: frozenset(Role),  # every staff role, within the locations it sees
    Operation.SET_STOCK_LEVELS: frozenset({Role.STORE_MANAGER, Role.WAREHOUSE_CLERK, Role.HQ}),
    Operation.PROPOSE_REPLENISHMENT: frozenset({Role.STORE_MANAGER, Role.HQ}),
    Operation.APPROVE_REPLENISHMENT: frozenset({Role.STORE_MANAGER, Role.HQ}),
    Operation.REQUEST_STOCK: frozenset({Role.STORE_MANAGER, Role.HQ}),
    Operation.SHIP_TRANSFER: _STOCK_KEEPERS,
    Operation.AUDIT: frozenset({Role.HQ}),
    Operation.REGISTER_MEMBER_AT_COUNTER: _STORE_COUNTER,
    Operation.LOOK_UP_MEMBER: _STORE_COUNTER | {Role.HQ, Role.CS_AGENT},
    Operation.ADJUST_POINTS: frozenset({Role.HQ, Role.CS_AGENT}),
    Operation.MANAGE_LOYALTY_RULES: frozenset({Role.HQ}),
    Operation.VIEW_POINTS_LIABILITY: frozenset({Role.HQ}),
    # A store manager closes their own store's day (their visible locations), HQ any store's; a
    # clerk does not (the count is checked by someone other than who took the money).
    Operation.CLOSE_BUSINESS_DAY: frozenset({Role.STORE_MANAGER, Role.HQ}),
    Operation.VIEW_CASHBOOK: frozenset({Role.STORE_MANAGER, Role.REGIONAL_SUPERVISOR, Role.HQ}),
    # Only the member: staff never download or delete someone's data for them (PIPL requests that
    # reach customer service are answered by the member's own account).
    Operation.EXPORT_MY_DATA: frozenset({MEMBER}),
    Operation.DELETE_MY_ACCOUNT: frozenset({MEMBER}),
    Operation.MANAGE_MY_CONSENT: frozenset({MEMBER}),
    Operation.SET_UP_INSTALLMENT_PLAN: _STORE_COUNTER | {MEMBER},
    Operation.TAKE_INSTALLMENT_REPAYMENT: _STORE_COUNTER,
    Operation.VIEW_OVERDUE_INSTALLMENTS: frozenset({Role.HQ, Role.CS_AGENT}),
    Operation.TOP_UP_OWN_WALLET: frozenset({MEMBER}),
    Operation.TOP_UP_AT_COUNTER: _STORE_COUNTER,
    Operation.FREEZE_WALLET: frozenset({Role.HQ}),
    Operation.REFUND_WALLET_PRINCIPAL: frozenset({Role.STORE_MANAGER, Role.HQ, Role.CS_AGENT}),
    Operation.MANAGE_TOP_UP_TIERS: frozenset({Role.HQ}),
    Operation.VIEW_WALLET_LIABILITIES: frozenset({Role.HQ}),
    Operation.MANAGE_CAMPAIGNS: frozenset({Role.MARKETER, Role.HQ}),
    Operation.VIEW_CAMPAIGNS: frozenset({Role.MARKETER, Role.HQ, Role.ONLINE_OPERATOR}),
    Operation.MANAGE_SEGMENTS: frozenset({Role.MARKETER, Role.HQ}),
    Operation.SEND_BROADCASTS: frozenset({Role.MARKETER, Role.HQ}),
    Operation.CLAIM_COUPON: frozenset({MEMBER}),
    Operation.MANAGE_COUPON_TEMPLATES: frozenset({Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ}),
    Operation.GRANT_COUPONS: frozenset({Role.MARKETER, Role.HQ}),
    Operation.GRANT_REMEDY_COUPON: frozenset({Role.CS_AGENT, Role.STORE_MANAGER, Role.HQ}),
    Operation.MANAGE_FLASH_SALES: frozenset({Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ}),
    Operation.MANAGE_PROMOTIONS: frozenset({Role.MARKETER, Role.HQ}),
    Operation.MANAGE_REWARDS: frozenset({Role.MARKETER, Role.HQ}),
    Operation.CLAIM_REWARD: frozenset({MEMBER}),
    Operation.MANAGE_GROUP_BUYS: frozenset({Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ}),
    Operation.JOIN_GROUP_BUY: frozenset({MEMBER}),
    # A store manager for their own store (the locations they see); HQ for any store.
    Operation.MANAGE_CHAIN_LISTS: frozenset({Role.STORE_MANAGER, Role.HQ}),
    Operation.SIGN_UP_TO_CHAIN: frozenset({MEMBER}),
    # A store manager for their own store (asking, or lending its employees), a regional
    # supervisor for the stores of the region, HQ anywhere; every employee sees their own loans.
    Operation.ASK_FOR_STAFF: frozenset({Role.STORE_MANAGER, Role.REGIONAL_SUPERVISOR, Role.HQ}),
    Operation.LEND_STAFF: frozenset({Role.STORE_MANAGER, Role.REGIONAL_SUPERVISOR, Role.HQ}),
    Operation.VIEW_MY_LOANS: frozenset(Role),
    # HQ publishes for the chain (and may for any store); a store manager for their own store only.
    Operation.MANAGE_MATERIALS: frozenset({Role.STORE_MANAGER, Role.HQ}),
    # Every employee shares (each has a share code); the reader's side is public (docs/toolbox.md).
    Operation.SHARE_MATERIALS: frozenset(Role),
    # Every employee has a share code, so a share-link page and a card of their own (never another's).
    Operation.EDIT_MY_CARD: frozenset(Role),
    Operation.VIEW_MY_SHARE_LINK: frozenset(Role),
    # Every employee keeps their own customers; nobody else sees them (a manager masked, to assign).
    Operation.WORK_MY_LEADS: frozenset(Role),
    # A store manager for the employees of their own store (the locations they see); HQ for anyone.
    Operation.ASSIGN_FOLLOW_UP: frozenset({Role.STORE_MANAGER, Role.HQ}),
    # HQ every store, a regional supervisor their region, a store manager their own store.
    Operation.VIEW_STAFF_PERFORMANCE: frozenset({Role.HQ, Role.REGIONAL_SUPERVISOR, Role.STORE_MANAGER}),
    # Every employee their own; a store manager their store's employees, a supervisor their region's, HQ all.
    Operation.VIEW_MY_COMMISSION: frozenset(Role),
    Operation.VIEW_COMMISSION_STATEMENTS: frozenset({Role.HQ, Role.REGIONAL_SUPERVISOR, Role.STORE_MANAGER}),
    Operation.MANAGE_COMMISSION_PLANS: frozenset({Role.HQ}),
    # Every employee may read the matrix (the rules are public to staff); only HQ changes it. An
    # order's credits: HQ, a supervisor or store manager seeing the order's store (credited
    # employees see their own credits through the selector, without this operation).
    Operation.VIEW_TOUCHPOINT_MATRIX: frozenset(Role),
    Operation.PUBLISH_TOUCHPOINT_MATRIX: frozenset({Role.HQ}),
    Operation.VIEW_ORDER_CREDITS: frozenset({Role.HQ, Role.REGIONAL_SUPERVISOR, Role.STORE_MANAGER}),
    # Customer service and HQ work every visit; a store's manager and clerks the visits of their
    # own store (the store that handed the goods over or took the ticket over). HQ sets policies.
    Operation.WORK_FOLLOW_UPS: frozenset({Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER, Role.CLERK}),
    Operation.MANAGE_FOLLOW_UP_POLICIES: frozenset({Role.HQ}),
    # Customer service and HQ chain-wide; a store's staff only for members who bought at or were
    # acquired by their store (o2o.analytics.customer360 scopes it), with the phone masked.
    Operation.VIEW_CUSTOMER_360: frozenset({Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER, Role.CLERK}),
    Operation.VIEW_MEMBER_PHONE: frozenset({Role.CS_AGENT, Role.HQ}),
    Operation.TAG_MEMBERS: frozenset({Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER}),
    Operation.WRITE_MEMBER_NOTES: frozenset({Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER, Role.CLERK}),
    # A tag rule names a segment only (marketers never see member lists).
    Operation.MANAGE_TAG_RULES: frozenset({Role.MARKETER, Role.HQ}),
    # Every employee reads the articles for their role (members do not: no public FAQ yet); HQ
    # writes them, the online team too (customer service's leads sit in HQ or online operations).
    Operation.READ_KNOWLEDGE: frozenset(Role),
    Operation.MANAGE_KNOWLEDGE: frozenset({Role.HQ, Role.ONLINE_OPERATOR}),
    # Customer service chain-wide, HQ; store staff only on a ticket escalated to their own store (a
    # clerk may promise, money and goods need the manager). Attribution is customer service's call.
    Operation.PROMISE_SOLUTION: frozenset({Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER, Role.CLERK}),
    Operation.CARRY_OUT_REMEDY: frozenset({Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER}),
    Operation.ATTRIBUTE_FEEDBACK: frozenset({Role.CS_AGENT, Role.HQ}),
    # Tickets: customer service (chain-wide) and HQ work the inbox; a store's manager and clerks
    # open tickets at their store and work only those escalated to it. Reassigning is HQ's or the
    # lead's of the ticket's online team (a CS agent who leads no team gets a 403 from the service).
    Operation.CONTACT_SERVICE: frozenset({MEMBER}),
    Operation.OPEN_TICKET: frozenset({Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER, Role.CLERK}),
    Operation.WORK_TICKETS: frozenset({Role.CS_AGENT, Role.HQ}),
    Operation.ASSIGN_TICKETS: frozenset({Role.CS_AGENT, Role.HQ}),
    Operation.HANDLE_ESCALATIONS: frozenset({Role.STORE_MANAGER, Role.CLERK}),
    # HQ sets the targets; customer service sees how it meets them (chain-wide, by team and agent).
    Operation.MANAGE_SLA: frozenset({Role.HQ}),
    Operation.VIEW_SERVICE_REPORTS: frozenset({Role.HQ, Role.CS_AGENT}),
    # Notifications: a member chooses their own channels; HQ and the online operator (who runs the
    # online channel's content) word what customers are told.
    Operation.SET_NOTIFICATION_PREFERENCES: frozenset({MEMBER}),
    Operation.MANAGE_NOTIFICATION_TEMPLATES: frozenset({Role.HQ, Role.ONLINE_OPERATOR}),
    # Incidents: the store (a clerk sees and reports them), its manager remedies; customer service
    # and HQ chain-wide. Money back for missing units is the manager's, like any refund.
    Operation.VIEW_INCIDENTS: frozenset(
        {Role.STORE_MANAGER, Role.CLERK, Role.HQ, Role.CS_AGENT, Role.REGIONAL_SUPERVISOR}
    ),
    Operation.OPEN_INCIDENT: frozenset({Role.STORE_MANAGER, Role.CLERK, Role.HQ, Role.CS_AGENT}),
    Operation.WORK_INCIDENTS: frozenset({Role.STORE_MANAGER, Role.HQ, Role.CS_AGENT}),
    Operation.REFUND_MISSING_UNITS: frozenset({Role.STORE_MANAGER, Role.HQ, Role.CS_AGENT}),
}

# Operations a location-scoped role may do only at its own (home) location; for the others the
# actor's visible locations (Actor.location_ids) decide.
AT_OWN_LOCATION = frozenset(
    {
        Operation.PLACE_COUNTER_ORDER,
        Operation.APPLY_MANUAL_DISCOUNT,
        Operation.TAKE_COUNTER_PAYMENT,
        Operation.REDEEM_PICKUP_VOUCHER,
        Operation.UNDO_HAND_OVER,
        Operation.EXCHANGE_GOODS,
        Operation.REGISTER_MEMBER_AT_COUNTER,
        Operation.SET_UP_INSTALLMENT_PLAN,
        Operation.TAKE_INSTALLMENT_REPAYMENT,
        Operation.TOP_UP_AT_COUNTER,
        Operation.SET_STOCK_AISLE,
    }
)


def role_of(actor: Actor) -> str | None:
    if actor.member is not None:
        return MEMBER
    if actor.employee is not None and actor.employee.is_active:
        return actor.employee.role
    if actor.user is not None and actor.user.is_superuser:
        return Role.HQ  # the back-office owner account acts as HQ
    return None


def may(actor: Actor, operation: Operation, *, location_id: int | None = None) -> bool:
    """True when the table lets this actor do the operation (at this location, when given)."""
    if actor.system:
        return True
    role = role_of(actor)
    if role is None or role not in PERMISSIONS[operation]:
        return False
    if location_id is None or role == MEMBER:
        return True
    if operation in AT_OWN_LOCATION:
        return actor.employee is not None and actor.employee.home_location_id == location_id
    return actor.can_see_location(location_id)


def authorize(actor: Actor, operation: Operation, *, location_id: int | None = None) -> None:
    """Raise unless the actor may do it. A location the actor cannot even see answers like a
    missing one (404), so the refusal does not tell outsiders what exists."""
    if may(actor, operation, location_id=location_id):
        return
    if location_id is not None and actor.is_staff and not actor.can_see_location(location_id):
        raise not_found("location")
    raise DomainError(ErrorCode.FORBIDDEN, "your role may not do this here", operation=str(operation))


# How far a member's ✓ reaches, for the docs: their own orders, or their own account (wallet,
# points, data); placing an order needs nothing of theirs yet.
_MEMBER_SCOPE = {
    Operation.PLACE_ONLINE_ORDER: "✓",
    Operation.PAY_ONLINE: "own orders",
    Operation.CANCEL_UNPAID_ORDER: "own orders",
    Operation.CANCEL_PAID_ORDER: "own orders",
    Operation.SET_UP_INSTALLMENT_PLAN: "own orders",
}


def matrix_markdown() -> str:
    """The table as markdown (docs/permissions.md): ✓ wherever the role sees, "own store" only at
    its home location, "own orders" / "own account" for a member acting on their own, — never."""
    roles = [*Role, MEMBER]
    lines = [
        "| operation | " + " | ".join(str(r) for r in roles) + " |",
        "| --- |" + " :-: |" * len(roles),
    ]
    for operation, allowed in PERMISSIONS.items():
        cells = []
        for role in roles:
            if role not in allowed:
                cells.append("—")
            elif role == MEMBER:
                cells.append(_MEMBER_SCOPE.get(operation, "own account"))
            elif operation in AT_OWN_LOCATION:
                cells.append("own store")
            else:
                cells.append("✓")
        lines.append(f"| {operation} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
