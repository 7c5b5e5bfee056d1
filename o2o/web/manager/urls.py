from django.urls import path

from o2o.web.manager import cashbook, chains, fulfilment_settings, orders, views

urlpatterns = [
    path("", views.stock_list, name="manager-stock"),
    path("stock/<int:sku_id>/adjust/", views.stock_adjust, name="manager-stock-adjust"),
    path("stock/<int:sku_id>/history/", views.stock_history, name="manager-stock-history"),
    path("transfers/", views.transfer_list, name="manager-transfers"),
    path("transfers/<int:transfer_id>/receive/", views.transfer_receive, name="manager-transfer-receive"),
    path("orders/", views.order_list, name="manager-orders"),
    path("orders/<int:order_id>/", orders.order_detail, name="manager-order"),
    path("staff/", views.staff_list, name="manager-staff"),
    path("fulfilment/", fulfilment_settings.fulfilment_settings, name="manager-fulfilment"),
    path("cashbook/", cashbook.day, name="manager-cashbook"),
    path("cashbook/close/", cashbook.close, name="manager-cashbook-close"),
]
urlpatterns += [
    path("chains/", chains.chain_list, name="manager-chains"),
    path("chains/<int:chain_id>/", chains.chain_detail, name="manager-chain"),
    path("chains/<int:chain_id>/close/", chains.chain_close, name="manager-chain-close"),
]
from o2o.web.manager import follow_ups  # noqa: E402

urlpatterns += [path("follow-ups/", follow_ups.follow_up_board, name="manager-follow-ups")]
from o2o.web.manager import materials  # noqa: E402

urlpatterns += [
    path("materials/", materials.material_list, name="manager-materials"),
    path("materials/<int:material_id>/active/", materials.material_active, name="manager-material-active"),
]
from o2o.web.manager import support  # noqa: E402

urlpatterns += [
    path("support/", support.support, name="manager-support"),
    path("support/requests/<int:request_id>/lend/", support.lend, name="manager-support-lend"),
    path("support/requests/<int:request_id>/cancel/", support.cancel_request, name="manager-support-request-cancel"),
    path("support/loans/<int:loan_id>/accept/", support.accept, name="manager-support-accept"),
    path("support/loans/<int:loan_id>/cancel/", support.cancel, name="manager-support-cancel"),
    path("support/loans/<int:loan_id>/hours/", support.confirm_hours, name="manager-support-hours"),
]
from o2o.web.manager import escalations  # noqa: E402

urlpatterns += [
    path("escalations/", escalations.escalation_list, name="manager-escalations"),
    path("escalations/count/", escalations.open_count, name="manager-escalation-count"),
    path("escalations/<int:ticket_id>/", escalations.escalation, name="manager-escalation"),
    path("escalations/<int:ticket_id>/messages/", escalations.escalation_messages, name="manager-escalation-messages"),
    path("escalations/<int:ticket_id>/reply/", escalations.reply, name="manager-escalation-reply"),
    path("escalations/<int:ticket_id>/resolve/", escalations.resolve, name="manager-escalation-resolve"),
    path("escalations/<int:ticket_id>/return/", escalations.give_back, name="manager-escalation-return"),
]
from o2o.web.manager import counts  # noqa: E402

urlpatterns += [
    path("counts/", counts.count_list, name="manager-counts"),
    path("counts/start/", counts.start, name="manager-counts-start"),
    path("counts/aisles/", counts.shelve, name="manager-counts-aisle"),
    path("counts/<int:count_id>/", counts.count_page, name="manager-count"),
    path("counts/<int:count_id>/scan/", counts.scan, name="manager-count-scan"),
    path("counts/<int:count_id>/<slug:action>/", counts.step, name="manager-count-step"),
]
from o2o.web.manager import replenishment  # noqa: E402

urlpatterns += [
    path("replenishment/", replenishment.replenishment_page, name="manager-replenishment"),
    path("replenishment/propose/", replenishment.propose, name="manager-replenishment-propose"),
    path("replenishment/approve/", replenishment.approve, name="manager-replenishment-approve"),
    path("replenishment/proposals/<int:proposal_id>/reject/", replenishment.reject,
         name="manager-replenishment-reject"),  # fmt: skip
    path("replenishment/request/", replenishment.request_stock, name="manager-replenishment-request"),
    path("replenishment/levels/", replenishment.set_levels, name="manager-replenishment-levels"),
    path("replenishment/transfers/<int:transfer_id>/ship/", replenishment.ship, name="manager-replenishment-ship"),
]
from o2o.web.manager import delivery_runs  # noqa: E402

urlpatterns += [
    path("delivery/", delivery_runs.run_list, name="manager-delivery"),
    path("delivery/plan/", delivery_runs.plan, name="manager-delivery-plan"),
    path("delivery/runs/<int:run_id>/dispatch/", delivery_runs.dispatch, name="manager-delivery-dispatch"),
]
from o2o.web.manager import incidents  # noqa: E402

urlpatterns += [
    path("incidents/", incidents.incident_list, name="manager-incidents"),
    path("incidents/<int:incident_id>/", incidents.incident_detail, name="manager-incident"),
    path("incidents/<int:incident_id>/<slug:action>/", incidents.incident_act, name="manager-incident-act"),
]
