from django.urls import path

from wangban.api import catalog, views

app_name = "api"

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("items", catalog.ItemListView.as_view(), name="items"),
    path("items/<str:code>", catalog.ItemDetailView.as_view(), name="item"),
    path("item-changes", catalog.ItemChangeListView.as_view(), name="item-changes"),
]
