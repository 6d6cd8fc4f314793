from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("states/", views.states_list, name="state-list"),
    path("invitations/new/", views.invitation_create, name="invitation-create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/revoke/", views.membership_revoke, name="membership-revoke"),
    path("account/profile/", views.profile, name="profile"),
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    path("account/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/new/", views.organisation_edit, name="organisation-create"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation-edit"),
    path("audit/", views.audit_log, name="audit-log"),
    path("notifications/", views.notifications, name="notifications"),
]
