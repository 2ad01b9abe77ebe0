"""The public catalogue pages: browse, search, filters, pagination, themes, the item page
with its flowchart, and 404 for everything that is not published."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wangban.catalog import actions, queries
from wangban.catalog.models import ItemVersion, ServiceItem
from wangban.catalog.tests.helpers import CODE, draft, item_content, publish, published_item
from wangban.conftest import City
from wangban.portal.flowchart import ChartStep, chart_steps, flowchart_svg, wrap

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SVG_NS = "{http://www.w3.org/2000/svg}"


def food_item(city: City, code: str = "FOOD-01", **overrides: object) -> ItemVersion:
    """A second department's item, for filters and search."""
    content = {
        "name": "食品经营许可证核发",
        "type": "01",
        "service_objects": ["1", "2"],
        "guide": {"themes_person": ["餐饮经营"], "themes_legal_person": ["准营准办"]},
        "promised_limit_days": 5,
        "visits_required": 0,
        "online_service_level": "3",
        "steps": [{"name": "审批", "role": "approver", "budget_days": 5}],
        "materials": [{"code": "F01", "name": "食品经营许可申请书", "material_type": "form"}],
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "legal_limit_note": "",
        "acceptance_conditions": "有与经营的食品品种相适应的经营场所。",
        "special_procedures": [],
        "form_schema": {
            "type": "object",
            "title": "食品经营许可申请书",
            "properties": {"shop": {"type": "string", "title": "店名"}},
        },
        **overrides,
    }
    version = actions.do_draft_item(
        actor=city.market_admin, code=code, department=city.market, content=item_content(**content)
    )
    version = actions.do_submit_for_review(version, actor=city.market_admin)
    return actions.do_review(version, actor=city.centre_admin, approve=True)


def text_of(html: str) -> str:
    """The page's text with tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def result_names(html: str) -> list[str]:
    return re.findall(r'<h3 class="result-title"><a href="[^"]+">([^<]+)</a>', html)


# --- Browse and search -------------------------------------------------------------------


def test_the_list_shows_each_result_to_anonymous_visitors(city: City, client: Client) -> None:
    published_item(city)
    response = client.get("/items/")
    html = response.content.decode()
    assert response.status_code == 200
    assert result_names(html) == ["道路运输经营许可证核发"]
    assert f'href="/items/{CODE}/"' in html
    assert "共 1 项事项" in text_of(html)
    assert re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html) == [
        ("实施部门", "市交通运输局"),
        ("事项类型", "行政许可"),
        ("承诺时限", "10 个工作日"),
        ("到现场次数", "1 次"),
        ("网上办理", "四级"),
    ]


def test_search_finds_road_transport_licence_by_its_words(city: City, client: Client) -> None:
    published_item(city)
    food_item(city)
    html = client.get("/items/", {"q": "道路运输许可"}).content.decode()
    assert result_names(html) == ["道路运输经营许可证核发"]
    assert "“道路运输许可”的搜索结果：共 1 项事项" in text_of(html)
    both = client.get("/items/", {"q": "许可证"}).content.decode()
    assert sorted(result_names(both)) == ["道路运输经营许可证核发", "食品经营许可证核发"]
    nothing = client.get("/items/", {"q": "结婚登记"}).content.decode()
    assert result_names(nothing) == []
    assert "没有找到符合条件的事项" in nothing


def test_filters_by_theme_department_type_and_service_object(city: City, client: Client) -> None:
    published_item(city, service_objects=["2"], guide={"themes_legal_person": ["交通运输"]})
    food_item(city)
    published_item(city, code="SVC-01", name="公交线路查询", type="20", service_objects=["1"])

    def names(**params: str) -> list[str]:
        return sorted(result_names(client.get("/items/", params).content.decode()))

    assert names(theme="交通运输") == ["道路运输经营许可证核发"]
    assert names(theme="餐饮经营") == ["食品经营许可证核发"]
    assert names(department="D02") == ["食品经营许可证核发"]
    assert names(type="20") == ["公交线路查询"]
    assert names(object="1") == ["公交线路查询", "食品经营许可证核发"]
    assert names(object="2", department="D01") == ["道路运输经营许可证核发"]
    # The filter controls offer what is in use and keep the choice.
    html = client.get("/items/", {"department": "D02"}).content.decode()
    assert '<option value="D02" selected>市市场监督管理局</option>' in html
    assert '<option value="C00"' not in html  # no published items
    assert '<option value="交通运输">交通运输（1）</option>' in html


def test_bad_filters_are_named_with_a_400_and_no_results(city: City, client: Client) -> None:
    published_item(city)
    response = client.get("/items/", {"type": "99", "department": "X9", "q": "许" * 101})
    html = response.content.decode()
    assert response.status_code == 400
    assert result_names(html) == []
    assert '<div class="error-summary" role="alert"' in html
    assert '<a href="#filter-q">搜索词不能超过 100 个字。</a>' in html
    assert '<a href="#filter-type">事项类型代码“99”无效' in html
    assert '<a href="#filter-department">部门编码“X9”不存在。</a>' in html
    assert 'id="filter-q-error"' in html


def test_pagination_keeps_the_search_and_shows_twenty_a_page(city: City, client: Client) -> None:
    for number in range(23):
        published_item(city, code=f"T-{number:02d}", name=f"道路运输许可第{number:02d}号")
    first = client.get("/items/", {"q": "道路运输"}).content.decode()
    assert len(result_names(first)) == 20
    assert "第 1 / 2 页" in first
    assert 'href="?q=%E9%81%93%E8%B7%AF%E8%BF%90%E8%BE%93&amp;page=2" rel="next"' in first
    second = client.get("/items/", {"q": "道路运输", "page": "2"}).content.decode()
    assert len(result_names(second)) == 3
    assert '<ol class="result-list" aria-labelledby="results-title" start="21">' in second
    # Out-of-range and malformed pages land on a real page instead of failing.
    assert len(result_names(client.get("/items/", {"page": "99"}).content.decode())) == 3
    assert len(result_names(client.get("/items/", {"page": "x"}).content.decode())) == 20


def test_list_query_count_does_not_grow_with_the_page(
    city: City, client: Client, django_assert_num_queries
) -> None:
    published_item(city, guide={"themes_person": ["出行"]})
    # count, page, departments with items, themes in use; the department filter adds its
    # existence check.
    with django_assert_num_queries(4):
        client.get("/items/")
    for number in range(25):
        published_item(city, code=f"T-{number:02d}", name=f"道路运输许可第{number:02d}号")
    with django_assert_num_queries(4):
        html = client.get("/items/").content.decode()
    assert len(result_names(html)) == 20
    with django_assert_num_queries(4):
        client.get("/items/", {"q": "道路运输", "page": "2"})
    with django_assert_num_queries(5):
        client.get("/items/", {"department": "D01"})


def test_theme_pages_list_tiles_by_audience(city: City, client: Client) -> None:
    published_item(city, guide={"themes_legal_person": ["交通运输", "准营准办"]})
    food_item(city)
    person = client.get("/themes/person/").content.decode()
    assert "<h1>个人办事</h1>" in person
    assert re.findall(r'<span class="theme-name">([^<]+)</span>', person) == ["餐饮经营"]
    legal = client.get("/themes/legal-person/").content.decode()
    assert re.findall(r'<span class="theme-name">([^<]+)</span>', legal) == ["准营准办", "交通运输"]
    assert (
        '<a class="theme-tile" href="/items/?theme=%E5%87%86%E8%90%A5%E5%87%86%E5%8A%9E">'
        '<span class="theme-name">准营准办</span> <span class="theme-count">2 项</span></a>'
    ) in legal
    assert client.get("/themes/nobody/").status_code == 404


def test_home_page_searches_the_catalogue(client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<form method="get" action="/items/" class="home-search" role="search"' in html
    assert '<input type="search" id="home-q" name="q"' in html
    assert 'href="/themes/person/"' in html
    assert 'href="/themes/legal-person/"' in html


# --- The item page -----------------------------------------------------------------------


def test_item_page_shows_the_whole_guide(city: City, client: Client) -> None:
    version = draft(
        city,
        guide={
            "place": "市政务服务中心二楼 12 号窗口",
            "office_hours": "工作日 9:00–12:00，13:30–17:30",
            "directions": "乘 1 路公交到市民中心站",
            "consultation_phone": "0813-12345",
            "complaint_phone": "0813-12315",
            "result_name": "道路运输经营许可证",
            "result_type": "证照",
            "faq": [{"question": "可以委托办理吗？", "answer": "可以，需提交授权委托书。"}],
            "themes_legal_person": ["交通运输"],
            "supports_appointment": True,
        },
        promised_limit_note="材料齐全当日受理",
        fees=[],
    )
    blank = actions.do_attach_file(
        version,
        actor=city.transport_admin,
        kind="blank_form",
        material_code="M01",
        upload=SimpleUploadedFile("申请表.pdf", PDF),
    )
    publish(city, version)
    response = client.get(f"/items/{CODE}/")
    html = response.content.decode()
    text = text_of(html)
    assert response.status_code == 200
    assert "<h1>道路运输经营许可证核发</h1>" in html
    for phrase in (
        "法定办结时限：20 个工作日（《道路运输条例》第十一条）",
        "承诺办结时限：10 个工作日（材料齐全当日受理）",
        "到办事现场次数：1 次（领取许可证）",
        "收费：不收费",
        "现场勘查：5 个工作日（核查停车场地）",
        "有与其经营业务相适应并经检测合格的车辆。",
        "《中华人民共和国道路运输条例》第十条",
        "市政务服务中心二楼 12 号窗口",
        "乘 1 路公交到市民中心站",
        "可以委托办理吗？",
        "可以，需提交授权委托书。",
        "道路运输经营许可证",
        "法人 · 交通运输",
    ):
        assert phrase in text, phrase
    facts = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html)
    assert ("服务对象", "企业法人、非法人企业") in facts
    assert ("办理形式", "窗口办理、网上办理") in facts
    assert ("网上办理等级", "四级") in facts
    assert ("网上办理深度", "互联网咨询、收件、预审、受理") in facts
    assert ("办件类型", "承诺件") in facts
    assert ("支持预约办理", "是") in facts
    assert ("实施编码", CODE) in facts
    # Materials: required or the condition, form, counts, source, downloads.
    assert '<td data-label="材料名称"><strong>营业执照</strong></td>' in html
    assert '<td data-label="是否必需">非必需（情形：委托办理时）</td>' in html
    assert '<td data-label="材料形式">原件</td>' in html
    assert '<td data-label="份数">原件 1 份</td>' in html
    assert '<td data-label="来源渠道">政府部门核发</td>' in html
    assert "可用电子证照代替，无需提交纸质材料。" in html
    blank_url = reverse("portal:catalog_file", args=[blank.pk, "申请表.pdf"])
    assert f'<a href="{blank_url}" download>空白表格' in html
    assert '<a href="tel:0813-12345">0813-12345</a>' in html
    # The flowchart and the same steps as a list; links to the PDF and the form.
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="flowchart-svg"' in html
    assert '<ol class="visually-hidden" aria-label="办理流程步骤">' in html
    assert "<li>审核（审核人，5 个工作日）</li>" in html
    assert f'href="/items/{CODE}/guide.pdf"' in html
    assert f'href="/items/{CODE}/form/"' in html


def test_item_page_with_a_fee_and_no_form_fields(city: City, client: Client) -> None:
    published_item(
        city,
        form_schema={"type": "object", "title": "无需填写"},
        fees=[{"name": "工本费", "standard": "10 元/本", "basis": "", "reducible": True}],
    )
    html = client.get(f"/items/{CODE}/").content.decode()
    assert "收费：工本费" in text_of(html)
    assert "<li>工本费：10 元/本，可依法减免</li>" in html
    assert f'href="/items/{CODE}/form/"' not in html
    form = client.get(f"/items/{CODE}/form/").content.decode()
    assert "本事项暂无电子表单" in form


def test_immediate_items_say_so(city: City, client: Client) -> None:
    published_item(
        city,
        case_type="1",
        promised_limit_days=0,
        steps=[{"name": "受理并办结", "role": "clerk", "budget_days": 0}],
    )
    text = text_of(client.get(f"/items/{CODE}/").content.decode())
    assert "承诺办结时限：即办（当场办结）" in text


def test_unpublished_unknown_and_cancelled_items_are_404(city: City, client: Client) -> None:
    draft(city)
    for path in (f"/items/{CODE}/", f"/items/{CODE}/form/", f"/items/{CODE}/guide.pdf"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "页面不存在" in response.content.decode()
    assert client.get("/items/NO-SUCH-ITEM/").status_code == 404
    assert result_names(client.get("/items/").content.decode()) == []
    # Not even the department's own admin sees a draft in the public catalogue.
    client.force_login(city.transport_admin)
    assert client.get(f"/items/{CODE}/").status_code == 404
    client.logout()

    version = queries.item_history(ServiceItem.objects.get(code=CODE)).get()
    actions.do_submit_for_review(version, actor=city.transport_admin)
    assert client.get(f"/items/{CODE}/").status_code == 404  # in review
    actions.do_review(version, actor=city.centre_admin, approve=True)
    assert client.get(f"/items/{CODE}/").status_code == 200

    cancel = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="cancel", change_reason="法律废止"
    )
    publish(city, cancel)
    assert client.get(f"/items/{CODE}/").status_code == 404
    assert client.get(f"/items/{CODE}/guide.pdf").status_code == 404
    assert result_names(client.get("/items/").content.decode()) == []


def test_pending_versions_never_leak(city: City, client: Client) -> None:
    first = published_item(city)
    adjust = actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind="adjust",
        content={**queries.content_of(first), "name": "道路运输经营许可（新）"},
        change_reason="名称规范",
    )
    html = client.get(f"/items/{CODE}/").content.decode()
    assert "<h1>道路运输经营许可证核发</h1>" in html
    assert "（新）" not in html
    actions.do_submit_for_review(adjust, actor=city.transport_admin)
    later = timezone.localdate() + timedelta(days=5)
    actions.do_review(adjust, actor=city.centre_admin, approve=True, effective_on=later)
    html = client.get(f"/items/{CODE}/").content.decode()
    assert "（新）" not in html  # scheduled, not yet in effect
    assert result_names(client.get("/items/", {"q": "道路运输"}).content.decode()) == [
        "道路运输经营许可证核发"
    ]


def test_item_page_query_count_is_fixed(
    city: City, client: Client, django_assert_num_queries
) -> None:
    published_item(city)
    # version with item, departments and level; materials, steps, files (prefetched);
    # steps' assignees and departments are not loaded when no step names them.
    with django_assert_num_queries(4):
        client.get(f"/items/{CODE}/")


# --- The flowchart -----------------------------------------------------------------------


def test_flowchart_svg_has_every_step_and_is_valid_xml(city: City) -> None:
    steps = [
        {"name": "受理", "role": "clerk", "budget_days": 1},
        {"name": "联合审查", "role": "reviewer", "budget_days": 5, "department": "D02"},
        {"name": "审批", "role": "approver", "budget_days": 4, "department": "D01"},
    ]
    version = published_item(city, steps=steps)
    chart = chart_steps(version)
    assert chart == [
        ChartStep(1, "受理", "窗口受理人员", 1),
        ChartStep(2, "联合审查", "审核人", 5, "市市场监督管理局"),
        ChartStep(3, "审批", "审批人", 4),  # its own department is no co-handler
    ]
    svg = flowchart_svg(chart, title="道路运输经营许可证核发")
    root = ET.fromstring(svg)  # noqa: S314 (our own output)  — valid XML
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "flowchart-title flowchart-desc"
    assert root.get("viewBox", "").startswith("0 0 320 ")
    assert root.find(f"{SVG_NS}title").text == "办理流程图：道路运输经营许可证核发"  # type: ignore[union-attr]
    assert root.find(f"{SVG_NS}desc").text == (  # type: ignore[union-attr]
        "共 3 个环节：1. 受理（窗口受理人员，1 个工作日）；"
        "2. 联合审查（审核人，5 个工作日，由联办部门市市场监督管理局办理）；"
        "3. 审批（审批人，4 个工作日）"
    )
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert texts == [
        "提交申请",
        "1. 受理",
        "窗口受理人员 · 1 个工作日",
        "2. 联合审查",
        "审核人 · 5 个工作日",
        "联办：市市场监督管理局",
        "3. 审批",
        "审批人 · 4 个工作日",
        "办结",
    ]
    dashed = [r for r in root.iter(f"{SVG_NS}rect") if r.get("stroke-dasharray")]
    assert len(dashed) == 1  # the co-handled step
    assert len(list(root.iter(f"{SVG_NS}polygon"))) == 4  # arrows between 5 shapes
    assert "style=" not in svg  # the strict CSP forbids style attributes


def test_flowchart_wraps_long_names_and_escapes_text() -> None:
    name = "对从事道路旅客运输经营的企业进行经营资质审查并核发相关许可证件<b>"
    svg = flowchart_svg([ChartStep(1, name, "审核人", 3)], title="A & B")
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    lines = [t.text or "" for t in root.iter(f"{SVG_NS}text")][1:-2]
    assert "".join(lines) == f"1. {name}"
    assert len(lines) == 2
    assert "&lt;b&gt;" in svg
    assert root.find(f"{SVG_NS}title").text == "办理流程图：A & B"  # type: ignore[union-attr]
    assert wrap("道路运输", 15) == ["道路运输"]
    assert flowchart_svg([], title="x") == ""
