from django.urls import path

from assistance.views import help as help_views
from assistance.views import matches, needs, offers
from assistance.views import sponsorship as sponsorship_views

app_name = "assistance"
urlpatterns = [
    # --- needs, offers, matches ---
    path("assistance/", needs.board, name="board"),
    path("assistance/needs.csv", needs.board_csv, name="board-csv"),
    path("assistance/needs/new/", needs.need_new, name="need-new"),
    path("assistance/needs/<int:pk>/", needs.need_detail, name="need-detail"),
    path("assistance/needs/<int:pk>/edit/", needs.need_edit, name="need-edit"),
    path("assistance/needs/<int:pk>/withdraw/", needs.need_withdraw, name="need-withdraw"),
    path("assistance/needs/<int:pk>/interest/", needs.need_interest, name="need-interest"),
    path("assistance/offers/", offers.offer_list, name="offer-list"),
    path("assistance/offers/new/", offers.offer_new, name="offer-new"),
    path("assistance/offers/<int:pk>/", offers.offer_detail, name="offer-detail"),
    path("assistance/offers/<int:pk>/edit/", offers.offer_edit, name="offer-edit"),
    path("assistance/offers/<int:pk>/close/", offers.offer_close, name="offer-close"),
    path("assistance/matches/", matches.match_list, name="match-list"),
    path("assistance/matches/<int:pk>/", matches.match_detail, name="match-detail"),
    path("assistance/matches/<int:pk>/<slug:action>/", matches.match_action, name="match-action"),
    # --- sponsorship ---
    path(
        "assistance/sponsorship/",
        sponsorship_views.application_list,
        name="sponsorship-list",
    ),
    path(
        "assistance/sponsorship/apply/",
        sponsorship_views.application_apply,
        name="sponsorship-apply",
    ),
    path(
        "assistance/sponsorship/<int:pk>/",
        sponsorship_views.application_detail,
        name="sponsorship-detail",
    ),
    path(
        "assistance/sponsorship/<int:pk>/decide/",
        sponsorship_views.application_decide,
        name="sponsorship-decide",
    ),
    path(
        "assistance/sponsorship/<int:pk>/withdraw/",
        sponsorship_views.application_withdraw,
        name="sponsorship-withdraw",
    ),
    path("assistance/sponsorship/fund/", sponsorship_views.fund, name="fund"),
    path(
        "assistance/sponsorship/fund/contribute/",
        sponsorship_views.fund_contribute,
        name="fund-contribute",
    ),
    # --- help with reports ---
    path("assistance/help/", help_views.help_list, name="help-list"),
    path("assistance/help/ask/<int:report_pk>/", help_views.help_ask, name="help-ask"),
    path("assistance/help/<int:pk>/", help_views.help_detail, name="help-detail"),
    path("assistance/help/<int:pk>/accept/", help_views.help_accept, name="help-accept"),
    path("assistance/help/<int:pk>/grant/", help_views.help_grant, name="help-grant"),
    path(
        "assistance/help/<int:pk>/grants/<int:membership_pk>/revoke/",
        help_views.help_revoke,
        name="help-revoke",
    ),
    path("assistance/help/<int:pk>/close/", help_views.help_close, name="help-close"),
]
