"""The catalogue's staff pages, under /workbench/catalog/ (wangban/workbench/catalog/)."""

from django.urls import URLPattern, path

from wangban.workbench.catalog import figures, views

urlpatterns: list[URLPattern] = [
    path("", views.item_list, name="catalog-items"),
    path("new/", views.new_item, name="catalog-new"),
    path("review/", views.review_queue, name="catalog-review-queue"),
    path("figures/", figures.figures, name="catalog-figures"),
    path("items/<str:code>/", views.item_page, name="catalog-item"),
    path("items/<str:code>/draft/<str:kind>/", views.start_draft, name="catalog-start-draft"),
    path("items/<str:code>/v<int:number>/edit/", views.edit_draft, name="catalog-edit"),
    path("items/<str:code>/v<int:number>/submit/", views.submit_draft, name="catalog-submit"),
    path("items/<str:code>/v<int:number>/discard/", views.discard_draft, name="catalog-discard"),
    path("items/<str:code>/v<int:number>/review/", views.review, name="catalog-review"),
]
