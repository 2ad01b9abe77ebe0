from django.urls import path

from wangban.api import cases, catalog, views

app_name = "api"

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("items", catalog.ItemListView.as_view(), name="items"),
    path("items/<str:code>", catalog.ItemDetailView.as_view(), name="item"),
    path("item-changes", catalog.ItemChangeListView.as_view(), name="item-changes"),
    path("cases", cases.CaseListView.as_view(), name="cases"),
    path("cases/<str:id>", cases.CaseDetailView.as_view(), name="case"),
    path("cases/<str:id>/materials", cases.CaseMaterialView.as_view(), name="case-materials"),
    path("cases/<str:id>/submit", cases.CaseSubmitView.as_view(), name="case-submit"),
    path("cases/<str:id>/transitions", cases.CaseTransitionView.as_view(), name="case-transitions"),
    path(
        "cases/<str:id>/documents/<int:document_id>",
        cases.CaseDocumentView.as_view(),
        name="case-document",
    ),
    path("progress", cases.ProgressView.as_view(), name="progress"),
]
