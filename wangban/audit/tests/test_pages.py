"""The workbench audit pages: who may see them, the filters, the export and object history."""

from __future__ import annotations

import re
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from wangban.accounts.models import User
from wangban.audit.actions import record
from wangban.audit.chain import chain_events
from wangban.audit.models import AuditEvent
from wangban.audit.tests.helpers import People, sign_in
from wangban.workbench.audit_views import EXPORT_HEADERS, object_url

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
LIST = "/workbench/audit/"
EXPORT = "/workbench/audit/export/"
OBJECT = "/workbench/audit/object/accounts.user/{pk}/"


def beijing(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BEIJING)


def record_at(moment: datetime, action: str, **kwargs) -> AuditEvent:
    with time_machine.travel(moment, tick=False):
        return record(action, **kwargs)


@pytest.fixture
def trail(people: People) -> People:
    """A small trail over three days (Beijing time)."""
    record_at(beijing(1, 9), "auth.login", actor=people.clerk, obj=people.clerk)
    record_at(
        beijing(1, 10),
        "role.grant",
        actor=people.centre_admin,
        obj=people.clerk,
        role="centre_admin",
        before={"roles": []},
        after={"roles": ["clerk"]},
    )
    record_at(
        beijing(2, 0, 30),
        "auth.login_failed",
        username="jiancha",
        object_type="accounts.user",
        object_id=str(people.supervisor.pk),
        outcome="failure",
    )
    record_at(
        beijing(2, 11),
        "pii.view",
        actor=people.clerk,
        obj=people.applicant,
        role="clerk",
        channel="window",
        after={"field": "id_number"},
    )
    record_at(
        beijing(3, 15),
        "role.revoke",
        actor=people.centre_admin,
        obj=people.clerk,
        role="centre_admin",
        before={"roles": ["clerk"]},
        after={"roles": []},
    )
    chain_events()
    return people


def client_for(people: People, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        sign_in(client, getattr(people, who))
    return client


@pytest.mark.parametrize("page", ["list", "export", "object"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("applicant", 403),
        ("clerk", 403),
        ("supervisor", 200),
        ("centre_admin", 200),
    ],
)
def test_permission_matrix(trail: People, page: str, who: str, status: int) -> None:
    url = {"list": LIST, "export": EXPORT, "object": OBJECT.format(pk=trail.clerk.pk)}[page]

    response = client_for(trail, who).get(url)

    assert response.status_code == status
    if status == 302:
        assert response["Location"] == f"/workbench/login/?next={url}"


def listed(response) -> list[str]:
    return [row.event.action for row in response.context["rows"]]


def test_the_list_shows_the_newest_first_with_every_column(trail: People) -> None:
    response = client_for(trail, "supervisor").get(LIST)

    assert listed(response) == [
        "role.revoke",
        "pii.view",
        "auth.login_failed",
        "role.grant",
        "auth.login",
    ]
    html = response.content.decode()
    assert "<caption>审计事件：共 5 条，最新的在前</caption>" in html
    for header in ["时间", "人员", "角色", "部门", "IP 地址", "渠道", "操作", "对象", "结果"]:
        assert f'<th scope="col">{header}</th>' in html
    row = response.context["rows"][1]
    assert (row.role, row.department, row.channel, row.action, row.outcome) == (
        "窗口受理人员",
        "市交通运输局",
        "窗口",
        "查看个人信息",
        "成功",
    )
    assert '<time datetime="2026-11-02T11:00:00+08:00">2026-11-02 11:00:00</time>' in html
    assert f'href="/workbench/audit/object/accounts.user/{trail.applicant.pk}/"' in html


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ({"username": "zhongxin"}, ["role.revoke", "role.grant"]),
        ({"action": "auth.login"}, ["auth.login"]),
        ({"action": "auth."}, ["auth.login_failed", "auth.login"]),
        ({"action": "role.grant"}, ["role.grant"]),
        (
            {"object_type": "accounts.user"},
            ["role.revoke", "pii.view", "auth.login_failed", "role.grant", "auth.login"],
        ),
        ({"start": "2026-11-02", "end": "2026-11-02"}, ["pii.view", "auth.login_failed"]),
        ({"start": "2026-11-03"}, ["role.revoke"]),
        ({"end": "2026-11-01"}, ["role.grant", "auth.login"]),
        ({"username": "chuangkou", "start": "2026-11-02"}, ["pii.view"]),
        ({"username": "nobody"}, []),
    ],
)
def test_filters(trail: People, query: dict[str, str], actions: list[str]) -> None:
    response = client_for(trail, "supervisor").get(LIST, query)

    assert response.status_code == 200
    assert listed(response) == actions


def test_filter_by_object(trail: People) -> None:
    response = client_for(trail, "supervisor").get(
        LIST, {"object_type": "accounts.user", "object_id": str(trail.clerk.pk)}
    )
    assert listed(response) == ["role.revoke", "role.grant", "auth.login"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13-01"}, "起始日期：请按“年-月-日”填写日期，如 2026-11-25。"),
        ({"end": "yesterday"}, "截止日期：请按“年-月-日”填写日期，如 2026-11-25。"),
        ({"start": "2026-11-03", "end": "2026-11-01"}, "截止日期：截止日期不能早于起始日期。"),
    ],
)
def test_a_bad_filter_shows_the_error_and_no_results(
    trail: People, query: dict[str, str], message: str
) -> None:
    response = client_for(trail, "supervisor").get(LIST, query)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary" role="alert"' in html
    assert message in html
    assert response.context["rows"] == []
    assert "<table" not in html


def test_pagination_50_a_page_keeps_the_filter(people: People) -> None:
    for n in range(120):
        record_at(
            beijing(5, 8 + n // 60, n % 60),
            "pii.view",
            actor=people.clerk,
            object_type="accounts.person",
            object_id=str(n),
        )
    record("auth.login", actor=people.clerk)
    client = client_for(people, "supervisor")

    first = client.get(LIST, {"action": "pii.view"})
    third = client.get(LIST, {"action": "pii.view", "page": "3"})

    assert [r.event.object_id for r in first.context["rows"]] == [
        str(n) for n in range(119, 69, -1)
    ]
    assert [r.event.object_id for r in third.context["rows"]] == [str(n) for n in range(19, -1, -1)]
    html = first.content.decode()
    assert "共 120 条，第 1 / 3 页" in html
    assert 'href="?action=pii.view&amp;page=2">下一页</a>' in html


def test_the_list_costs_the_same_queries_for_many_rows(people: People) -> None:
    client = client_for(people, "supervisor")
    record("pii.view", actor=people.clerk, object_type="accounts.person", object_id="1")
    client.get(LIST)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(60):
        actor = people.clerk if n % 2 else people.centre_admin
        record("pii.view", actor=actor, object_type="accounts.person", object_id=str(n))
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)

    assert len(many.captured_queries) == len(few.captured_queries)


def test_export_contains_the_filtered_rows_with_chinese_headers(trail: People) -> None:
    response = client_for(trail, "supervisor").get(EXPORT, {"username": "zhongxin"})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert re.fullmatch(
        r'attachment; filename="audit-\d{8}-\d{6}\.xlsx"', response["Content-Disposition"]
    )
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["审计事件"]
    rows = list(workbook["审计事件"].iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_HEADERS
    assert rows[0][:3] == ("时间", "用户名", "用户编号")
    assert [(r[1], r[7], r[8], r[11]) for r in rows[1:]] == [
        ("zhongxin", "撤销角色", "role.revoke", "成功"),
        ("zhongxin", "授予角色", "role.grant", "成功"),
    ]
    # Beijing time without a zone: Excel has none.
    assert rows[1][0] == beijing(3, 15).replace(tzinfo=None)
    assert (rows[1][3], rows[1][4]) == ("中心管理员", "C00")
    assert (rows[1][12], rows[1][13]) == ('{"roles": ["clerk"]}', '{"roles": []}')
    assert rows[1][14] is not None
    assert len(rows[1][16]) == 64


def test_export_is_itself_audited(trail: People) -> None:
    client_for(trail, "supervisor").get(EXPORT, {"action": "role."})

    event = AuditEvent.objects.filter(action="audit.export").get()
    assert (event.actor_username, event.role, event.department) == ("jiancha", "supervisor", "C00")
    assert event.after == {
        "filter": {
            "username": "",
            "object_type": "",
            "object_id": "",
            "action": "role.",
            "start": "",
            "end": "",
        },
        "rows": 2,
    }


def test_export_beyond_the_cap_asks_to_narrow_the_filter(trail: People, settings) -> None:
    settings.WANGBAN_AUDIT_EXPORT_CAP = 4

    response = client_for(trail, "centre_admin").get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "符合条件的事件有 5 条，超过单次导出上限 4 条。" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_export_with_a_bad_filter_shows_the_error(trail: People) -> None:
    response = client_for(trail, "supervisor").get(EXPORT, {"start": "2026-02-30"})

    assert response.status_code == 200
    assert "起始日期：请按“年-月-日”填写日期" in response.content.decode()


def test_object_history_shows_each_change(trail: People) -> None:
    response = client_for(trail, "supervisor").get(OBJECT.format(pk=trail.clerk.pk))

    assert response.status_code == 200
    assert [row.event.action for row in response.context["rows"]] == [
        "role.revoke",
        "role.grant",
        "auth.login",
    ]
    html = response.content.decode()
    assert f"<h1>对象历史：用户 #{trail.clerk.pk}</h1>" in html
    assert (
        '<li><span class="audit-field">roles</span>：'
        '<del><span class="visually-hidden">原值</span>[&quot;clerk&quot;]</del> → '
        '<ins><span class="visually-hidden">新值</span>[]</ins></li>'
    ) in html
    assert "链 " in html
    assert "待上链" not in html


def test_object_history_of_an_unknown_type(people: People) -> None:
    record(
        "legacy.update", object_type="legacy.record", object_id="2026/0001", after={"state": "受理"}
    )

    response = client_for(people, "supervisor").get(
        "/workbench/audit/object/legacy.record/2026/0001/"
    )

    assert response.status_code == 200
    assert "<h1>对象历史：legacy.record #2026/0001</h1>" in response.content.decode()
    assert [row.event.object_id for row in response.context["rows"]] == ["2026/0001"]
    assert "待上链" in response.content.decode()


@pytest.mark.parametrize(
    "url", [LIST, EXPORT + "?start=bad", "/workbench/audit/object/accounts.user/1/"]
)
def test_pages_have_nothing_inline(trail: People, url: str) -> None:
    html = client_for(trail, "supervisor").get(url).content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html
    assert re.findall(r"\son[a-z]+=", html) == []


def test_an_applicant_cannot_export_by_guessing_the_url(people: People) -> None:
    response = client_for(people, "applicant").get(EXPORT, {"username": "jiancha"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()
    assert User.objects.filter(username="shenqingren").exists()


def test_an_event_without_an_object_type_is_listed_without_a_link(people: People) -> None:
    record("case.update", object_id="only-an-id")

    response = client_for(people, "supervisor").get(LIST)

    [row] = response.context["rows"]
    assert (row.object_text, row.object_url) == ("only-an-id", "")
    assert "<td>only-an-id</td>" in response.content.decode()


def test_object_urls() -> None:
    assert object_url("accounts.user", "5") == "/workbench/audit/object/accounts.user/5/"
    assert object_url("cases.case", "2026/7") == "/workbench/audit/object/cases.case/2026/7/"
    assert object_url("odd/type", "1") == ""  # would resolve to another object
    assert object_url("cases.case", "") == ""


def test_every_description_a_field_points_to_exists(trail: People) -> None:
    html = client_for(trail, "supervisor").get(LIST, {"start": "bad"}).content.decode()

    described = re.findall(r'aria-describedby="([^"]+)"', html)
    assert sorted(described) == ["id_action_helptext", "id_object_type_helptext", "id_start_error"]
    for target in described:
        assert f'id="{target}"' in html
