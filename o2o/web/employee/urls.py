"""Employees' own pages on the phone ("my store"): share link and poster, my customers and
follow-ups, materials to share, my commission, staff support. Each app has its module here."""

from django.urls import path  # noqa: F401  (each module adds its paths below)

urlpatterns: list = []
from o2o.web.employee import my_store  # noqa: E402

urlpatterns += [
    path("", my_store.home, name="employee-home"),  # /me/ itself: my link, QR, posters, card, figures
    path("card/", my_store.save_card, name="employee-my-card"),
]
from o2o.web.employee import customers  # noqa: E402

urlpatterns += [
    path("customers/", customers.customer_list, name="employee-customers"),
    path("customers/<int:lead_id>/", customers.customer_card, name="employee-customer"),
    path("customers/member/<int:member_id>/", customers.member_card, name="employee-member-card"),
    path("follow-ups/", customers.follow_ups_due, name="employee-follow-ups"),
    path("follow-ups/<int:follow_up_id>/done/", customers.follow_up_done, name="employee-follow-up-done"),
    path("follow-ups/<int:follow_up_id>/cancel/", customers.follow_up_cancel, name="employee-follow-up-cancel"),
]
from o2o.web.employee import materials  # noqa: E402

urlpatterns += [
    path("materials/", materials.material_list, name="employee-materials"),
    path("materials/<int:material_id>/share/", materials.share, name="employee-material-share"),
]
from o2o.web.employee import commission  # noqa: E402

urlpatterns += [
    path("commission/", commission.my_commission, name="employee-commission"),
]
from o2o.web.employee import support  # noqa: E402

urlpatterns += [path("support/", support.my_loans, name="employee-support")]
