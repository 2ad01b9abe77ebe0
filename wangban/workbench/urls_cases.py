"""受理 and 审批: the acceptance queue, the review queues, the case pages with the review
actions, and window intake, under /workbench/cases/
(wangban/workbench/cases/). Materials and documents are served by the views that check
access and audit every download (wangban/portal/case_files.py); previews add `?inline=1`.
Every case page and file here is for those who see the case as staff (404 for a staff member
who sees it only as its applicant: they follow it in the portal)."""

from django.urls import URLPattern, path

from wangban.portal import case_files
from wangban.workbench.cases import views

#: The workbench serves a case's files to those who see it as staff only (a staff member who
#: is only its applicant downloads them from the portal).
STAFF = {"as_staff": True}

urlpatterns: list[URLPattern] = [
    path("", views.queue_page, name="cases-queue"),
    path("deemed/", views.deemed_page, name="cases-deemed"),
    path("repeat-notices/", views.repeat_notices_page, name="cases-repeat-notices"),
    path("intake/", views.intake, name="cases-intake"),
    path("review/", views.review_queue_page, name="cases-review"),
    path("<str:case_id>/", views.case_page, name="case"),
    path("<str:case_id>/sign-in/", views.sign_in, name="case-sign-in"),
    path("<str:case_id>/accept/", views.accept, name="case-accept"),
    path("<str:case_id>/correction/", views.request_correction, name="case-correction"),
    path("<str:case_id>/reject/", views.reject, name="case-reject"),
    path("<str:case_id>/terminate/", views.terminate, name="case-terminate"),
    path("<str:case_id>/id-number/", views.reveal_id_number, name="case-reveal-id"),
    path("<str:case_id>/form/", views.save_form, name="case-form"),
    path("<str:case_id>/attach/", views.attach, name="case-attach"),
    path("<str:case_id>/paper/", views.mark_paper, name="case-paper"),
    path("<str:case_id>/submit/", views.submit, name="case-submit"),
    path("<str:case_id>/review/<str:action>/", views.review_action, name="case-review"),
    path(
        "<str:case_id>/materials/<int:material_id>/<str:name>",
        case_files.case_material,
        STAFF,
        name="case-material",
    ),
    path(
        "<str:case_id>/replaced-materials/<int:replaced_id>/<str:name>",
        case_files.case_replaced_material,
        STAFF,
        name="case-replaced-material",
    ),
    path(
        "<str:case_id>/documents/<int:document_id>/<str:name>",
        case_files.case_document,
        STAFF,
        name="case-document",
    ),
]
