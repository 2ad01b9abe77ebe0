from django.urls import path

from wangban.portal import catalog_files, views
from wangban.portal.account import auth, pages
from wangban.portal.catalog import views as catalog

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    # The public catalogue (wangban/portal/catalog/, docs/portal-catalogue.md)
    path("items/", catalog.item_list, name="item-list"),
    path("themes/<str:audience>/", catalog.theme_list, name="themes"),
    path(
        "items/files/<int:file_id>/<str:name>",
        catalog_files.catalog_file,
        name="catalog_file",
    ),
    path("items/<str:code>/", catalog.item_detail, name="item"),
    path("items/<str:code>/guide.pdf", catalog.guide_pdf, name="item-guide-pdf"),
    path("items/<str:code>/form/", catalog.item_form, name="item-form"),
    # Sign-in (shared with the workbench: wangban/portal/account/auth.py)
    path("login/", auth.PortalLoginView.as_view(), name="login"),
    path("logout/", auth.PortalLogoutView.as_view(), name="logout"),
    path("register/", auth.register, name="register"),
    path("account/password/", auth.portal_password_change, name="password-change"),
    path("account/password/reset/", auth.portal_password_reset, name="password-reset"),
    path(
        "account/password/reset/code/",
        auth.portal_password_reset_code,
        name="password-reset-code",
    ),
    # 我的账户: real name, legal persons and their agents
    path("account/", pages.account, name="account"),
    path("account/reveal-id/", pages.reveal_id_number, name="reveal-id"),
    path("account/verify/", pages.verify_identity, name="verify-identity"),
    path("account/legal-persons/new/", pages.legal_person_create, name="legal-person-create"),
    path(
        "account/legal-persons/<int:legal_person_id>/",
        pages.legal_person_detail,
        name="legal-person",
    ),
    path(
        "account/legal-persons/<int:legal_person_id>/agents/new/",
        pages.agent_grant_create,
        name="agent-grant-create",
    ),
    path(
        "account/legal-persons/<int:legal_person_id>/agents/<int:grant_id>/revoke/",
        pages.agent_grant_revoke,
        name="agent-grant-revoke",
    ),
]
