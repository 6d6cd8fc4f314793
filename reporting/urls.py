from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
]
