from django.urls import path

from wangban.portal import case_files, catalog_files, verification, views
from wangban.portal.account import auth, messages, pages
from wangban.portal.cases import apply, progress
from wangban.portal.cases import views as cases
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
    # A case's materials and written notices (wangban/portal/case_files.py)
    path(
        "cases/<str:case_id>/materials/<int:material_id>/<str:name>",
        case_files.case_material,
        name="case-material",
    ),
    path(
        "cases/<str:case_id>/replaced-materials/<int:replaced_id>/<str:name>",
        case_files.case_replaced_material,
        name="case-replaced-material",
    ),
    path(
        "cases/<str:case_id>/documents/<int:document_id>/<str:name>",
        case_files.case_document,
        name="case-document",
    ),
    # 站内信 (wangban/portal/account/messages.py)
    path("account/messages/", messages.message_list, name="messages"),
    path("account/messages/read/", messages.mark_all_read, name="messages-read"),
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
    # Applying online and 我的办件 (wangban/portal/cases/, docs/portal-cases.md)
    path("items/<str:code>/apply/", apply.apply_start, name="apply-start"),
    path("cases/", cases.my_cases, name="my-cases"),
    path("cases/<str:case_id>/", cases.case_detail, name="case"),
    path("cases/<str:case_id>/apply/form/", apply.apply_form, name="case-apply-form"),
    path(
        "cases/<str:case_id>/apply/materials/",
        apply.apply_materials,
        name="case-apply-materials",
    ),
    path("cases/<str:case_id>/apply/check/", apply.apply_check, name="case-apply-check"),
    path("cases/<str:case_id>/apply/submitted/", apply.apply_submitted, name="case-submitted"),
    path("cases/<str:case_id>/correct/", cases.correct, name="case-correct"),
    path("cases/<str:case_id>/withdraw/", cases.withdraw, name="case-withdraw"),
    path("progress/", progress.progress, name="progress"),
    # The public verification of a sealed decision (wangban/portal/verification.py)
    path("verify/<str:code>/", verification.verify_document, name="verify-document"),
]
