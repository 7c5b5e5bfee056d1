"""Customer service's desk (/service/, docs/service.md): the agents' inbox and tickets, the
knowledge base, follow-up visits and the service reports. Each part has its own module here."""

from django.urls import path  # noqa: F401  (each module adds its paths below)

urlpatterns: list = []
from o2o.web.service import desk  # noqa: E402

urlpatterns += [
    path("", desk.inbox, name="service-desk"),
    path("presence/", desk.presence, name="service-desk-presence"),
    path("tickets/new/", desk.new_ticket, name="service-ticket-new"),
    path("tickets/<int:ticket_id>/", desk.ticket_page, name="service-ticket"),
    path("tickets/<int:ticket_id>/messages/", desk.ticket_messages, name="service-ticket-messages"),
    path("tickets/<int:ticket_id>/articles/", desk.articles, name="service-ticket-articles"),
    path("tickets/<int:ticket_id>/reply/", desk.reply, name="service-ticket-reply"),
    path("tickets/<int:ticket_id>/assign/", desk.assign, name="service-ticket-assign"),
    path("tickets/<int:ticket_id>/wait/", desk.wait, name="service-ticket-wait"),
    path("tickets/<int:ticket_id>/resume/", desk.resume, name="service-ticket-resume"),
    path("tickets/<int:ticket_id>/escalate/", desk.escalate, name="service-ticket-escalate"),
    path("tickets/<int:ticket_id>/resolve/", desk.resolve, name="service-ticket-resolve"),
    path("tickets/<int:ticket_id>/close/", desk.close, name="service-ticket-close"),
    path("tickets/<int:ticket_id>/promise/", desk.promise, name="service-ticket-promise"),
    path("tickets/<int:ticket_id>/remedy/", desk.remedy, name="service-ticket-remedy"),
    path("tickets/<int:ticket_id>/attribute/", desk.attribute, name="service-ticket-attribute"),
]
from o2o.web.service import knowledge  # noqa: E402

urlpatterns += [
    path("knowledge/", knowledge.home, name="knowledge"),
    path("knowledge/new/", knowledge.edit, name="knowledge-new"),
    path("knowledge/<int:article_id>/", knowledge.article, name="knowledge-article"),
    path("knowledge/<int:article_id>/edit/", knowledge.edit, name="knowledge-edit"),
]
from o2o.web.service import reports as report_pages  # noqa: E402

urlpatterns += [path("reports/", report_pages.page, name="service-reports")]
from o2o.web.service import follow_ups  # noqa: E402

urlpatterns += [
    path("follow-ups/", follow_ups.queue, name="service-follow-ups"),
    path("follow-ups/<int:visit_id>/", follow_ups.visit_page, name="service-follow-up"),
    path("follow-ups/<int:visit_id>/claim/", follow_ups.claim, name="service-follow-up-claim"),
    path("follow-ups/<int:visit_id>/release/", follow_ups.release, name="service-follow-up-release"),
    path("follow-ups/<int:visit_id>/call/", follow_ups.call, name="service-follow-up-call"),
]
from o2o.web.service import customers  # noqa: E402

urlpatterns += [
    path("customers/", customers.search, name="service-customers"),
    path("customers/<int:member_id>/", customers.member_page, name="service-customer"),
    path("customers/<int:member_id>/phone/", customers.reveal_phone, name="service-customer-phone"),
    path("customers/<int:member_id>/tags/", customers.add_tag, name="service-customer-tag"),
    path("customers/<int:member_id>/tags/remove/", customers.remove_tag, name="service-customer-untag"),
    path("customers/<int:member_id>/notes/", customers.add_note, name="service-customer-note"),
]
