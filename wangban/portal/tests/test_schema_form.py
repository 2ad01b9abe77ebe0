"""The electronic form rendered from JSON Schema: widgets, labels, hints and 必填; parsing
posted strings back to typed JSON; every Chinese error message; the error summary; the
form page; and a round trip of any valid instance through the HTML."""

from __future__ import annotations

import datetime
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from wangban.catalog.formschema import BROKEN_SCHEMA, NON_FIELD, validate, widget_for
from wangban.catalog.tests.helpers import CODE, published_item
from wangban.conftest import City
from wangban.portal.schema_form import build_fields, error_summary, parse_form, render_fields

DISTRICTS = ["东区", "西区", "南区", "北区", "高新区", "开发区"]

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "道路运输经营许可申请表",
    "x-order": [
        "company", "credit_code", "vehicles", "capital", "start_on", "email", "business",
        "district", "kind", "scope", "plan", "remarks", "agree", "hazardous",
    ],
    "properties": {
        "company": {
            "type": "string",
            "title": "企业名称",
            "description": "与营业执照一致",
            "maxLength": 50,
        },
        "credit_code": {
            "type": "string",
            "title": "统一社会信用代码",
            "pattern": "^[0-9A-Z]{18}$",
            "x-messages": {"pattern": "统一社会信用代码应为 18 位数字或大写字母。"},
        },
        "vehicles": {"type": "integer", "title": "车辆数", "minimum": 1, "maximum": 500},
        "capital": {"type": "number", "title": "注册资本（万元）", "exclusiveMinimum": 0},
        "start_on": {"type": "string", "format": "date", "title": "拟开业日期"},
        "email": {"type": "string", "format": "email", "title": "电子邮箱"},
        "business": {"type": "string", "title": "经营类别", "enum": ["客运", "货运", "危货"]},
        "district": {"type": "string", "title": "所在区", "enum": DISTRICTS},
        "kind": {
            "type": "integer",
            "title": "申请类型",
            "oneOf": [{"const": 1, "title": "新办"}, {"const": 2, "title": "变更"}],
        },
        "scope": {
            "type": "array",
            "title": "经营范围",
            "items": {"enum": ["班车客运", "包车客运", "旅游客运"]},
            "uniqueItems": True,
            "minItems": 1,
        },
        "plan": {"type": "string", "title": "经营方案", "maxLength": 2000},
        "remarks": {"type": "string", "title": "备注", "x-widget": "textarea", "minLength": 5},
        "agree": {"type": "boolean", "title": "我承诺所填内容真实", "const": True},
        "hazardous": {"type": "boolean", "title": "涉及危险货物"},
    },
    "required": ["company", "vehicles", "business", "scope", "agree"],
}  # fmt: skip


def good(**changes: Any) -> dict[str, Any]:
    data = {
        "company": "顺达运输有限公司",
        "vehicles": 12,
        "business": "客运",
        "scope": ["班车客运"],
        "agree": True,
        "hazardous": False,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- Rendering ---------------------------------------------------------------------------


def test_each_type_gets_its_widget() -> None:
    props = SCHEMA["properties"]
    assert {name: widget_for(prop) for name, prop in props.items()} == {
        "company": "text",
        "credit_code": "text",
        "vehicles": "number",
        "capital": "number",
        "start_on": "date",
        "email": "email",
        "business": "radios",
        "district": "select",  # more than five options
        "kind": "radios",
        "scope": "checkboxes",
        "plan": "textarea",  # maxLength above 200
        "remarks": "textarea",
        "agree": "checkbox",
        "hazardous": "checkbox",
    }
    assert widget_for({"type": "string", "enum": ["a", "b"], "x-widget": "select"}) == "select"
    assert widget_for({"type": "string", "enum": DISTRICTS, "x-widget": "radios"}) == "radios"
    # Unknown types and widgets fall back to a text input.
    assert widget_for({"type": "object", "properties": {}}) == "text"
    assert widget_for({"type": "array", "items": {"type": "string"}}) == "text"
    assert widget_for({"type": "string", "x-widget": "signature-pad"}) == "text"
    assert widget_for({}) == "text"
    assert widget_for({"type": ["integer", "null"]}) == "number"


def test_text_field_has_label_hint_required_mark_and_describedby() -> None:
    html = render_fields(SCHEMA)
    assert (
        '<label for="field-company">企业名称<span class="required-tag">（必填）</span></label>'
    ) in html
    assert '<p class="hint" id="field-company-hint">与营业执照一致</p>' in html
    assert (
        '<input type="text" id="field-company" name="company" value="" '
        'aria-describedby="field-company-hint">'
    ) in html
    # Optional fields carry no mark.
    assert '<label for="field-credit_code">统一社会信用代码</label>' in html


def test_every_widget_renders_accessibly() -> None:
    html = render_fields(SCHEMA)
    assert (
        '<input type="text" id="field-vehicles" name="vehicles" value="" inputmode="numeric">'
        in html
    )
    assert (
        '<input type="text" id="field-capital" name="capital" value="" inputmode="decimal">' in html
    )
    assert '<input type="date" id="field-start_on" name="start_on" value="">' in html
    assert (
        '<input type="email" id="field-email" name="email" value="" autocomplete="email" '
        'spellcheck="false">'
    ) in html
    assert '<textarea id="field-plan" name="plan" rows="5"></textarea>' in html
    assert '<textarea id="field-remarks" name="remarks" rows="5"></textarea>' in html
    # Radios in a fieldset whose legend is the label; the first option has the field's id.
    assert '<legend>经营类别<span class="required-tag">（必填）</span></legend>' in html
    assert '<input type="radio" id="field-business" name="business" value="客运">' in html
    assert '<label for="field-business-2">货运</label>' in html
    # Labelled options (oneOf const/title) post their JSON value.
    assert '<input type="radio" id="field-kind" name="kind" value="1">' in html
    assert '<label for="field-kind">新办</label>' in html
    assert '<select id="field-district" name="district">' in html
    assert '<option value="">请选择</option>' in html
    assert '<option value="开发区">开发区</option>' in html
    assert '<input type="checkbox" id="field-scope-3" name="scope" value="旅游客运">' in html
    assert '<input type="checkbox" id="field-agree" name="agree" value="true">' in html
    assert (
        '<label for="field-agree">我承诺所填内容真实<span class="required-tag">（必填）</span>'
        "</label>"
    ) in html
    assert "style=" not in html


def test_fields_follow_x_order_and_names_become_safe_ids() -> None:
    schema = {
        "type": "object",
        "title": "表",
        "x-order": ["b", "联系人"],
        "properties": {"a": {"title": "A"}, "联系人": {"title": "联系人"}, "b": {"title": "B"}},
    }
    fields = build_fields(schema)
    assert [(f.name, f.id) for f in fields] == [
        ("b", "field-b"),
        ("联系人", "field-2"),
        ("a", "field-a"),
    ]


def test_values_errors_and_defaults_are_shown() -> None:
    data = good(
        start_on="2026-05-01", district="高新区", scope=["班车客运", "旅游客运"], plan="一\n二"
    )
    html = render_fields(SCHEMA, data, {"vehicles": ["车辆数不能小于 1。"]})
    assert 'value="顺达运输有限公司"' in html
    assert '<input type="date" id="field-start_on" name="start_on" value="2026-05-01">' in html
    assert '<option value="高新区" selected>高新区</option>' in html
    assert 'id="field-scope" name="scope" value="班车客运" checked>' in html
    assert 'id="field-scope-2" name="scope" value="包车客运">' in html
    assert 'id="field-scope-3" name="scope" value="旅游客运" checked>' in html
    assert '<input type="radio" id="field-business" name="business" value="客运" checked>' in html
    assert 'name="agree" value="true" checked>' in html
    assert '<textarea id="field-plan" name="plan" rows="5">一\n二</textarea>' in html
    assert (
        '<p class="error-message" id="field-vehicles-error"><span class="visually-hidden">错误：'
        "</span>车辆数不能小于 1。</p>"
    ) in html
    assert (
        'name="vehicles" value="12" inputmode="numeric" aria-describedby="field-vehicles-error" '
        'aria-invalid="true">'
    ) in html
    blank = render_fields(
        {"type": "object", "properties": {"n": {"type": "integer", "default": 3}}}
    )
    assert 'name="n" value="3"' in blank
    assert 'value="3"' not in render_fields(
        {"type": "object", "properties": {"n": {"type": "integer", "default": 3}}}, {}
    )


def test_markup_in_titles_and_values_is_escaped() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "string", "title": "<b>名</b>"}}}
    html = render_fields(schema, {"x": '"><script>alert(1)</script>'})
    assert "<b>" not in html
    assert "<script>" not in html
    assert "&lt;b&gt;名&lt;/b&gt;" in html


# --- Parsing -----------------------------------------------------------------------------


def test_parse_types_values_and_omits_empty_optional_fields() -> None:
    posted = QueryDict(mutable=True)
    posted.update(
        {
            "csrfmiddlewaretoken": "x",
            "company": "  顺达运输有限公司 ",
            "credit_code": "",
            "vehicles": "12",
            "capital": "50.5",
            "start_on": "2026-05-01",
            "email": "",
            "business": "货运",
            "district": "",
            "kind": "2",
            "plan": "第一行\r\n第二行",
            "remarks": "   ",
            "agree": "true",
            "unknown": "ignored",
        }
    )
    posted.setlist("scope", ["包车客运", "班车客运"])
    assert parse_form(SCHEMA, posted) == {
        "company": "顺达运输有限公司",
        "vehicles": 12,
        "capital": 50.5,
        "start_on": "2026-05-01",
        "business": "货运",
        "kind": 2,
        "scope": ["包车客运", "班车客运"],
        "plan": "第一行\n第二行",
        "agree": True,
        "hazardous": False,  # an unticked checkbox is false
    }


def test_what_is_not_a_number_stays_text_for_validation_to_name() -> None:
    data = parse_form(SCHEMA, QueryDict("vehicles=十二&capital=1e3&kind=9"))
    assert (data["vehicles"], data["capital"], data["kind"]) == ("十二", 1000.0, "9")
    assert parse_form(SCHEMA, QueryDict("vehicles=3.5"))["vehicles"] == "3.5"
    assert parse_form(SCHEMA, QueryDict("capital=nan"))["capital"] == "nan"
    assert parse_form(SCHEMA, QueryDict("capital=1e400"))["capital"] == "1e400"  # not inf
    assert parse_form(SCHEMA, QueryDict("vehicles=-4"))["vehicles"] == -4
    assert parse_form(SCHEMA, {"vehicles": "7", "scope": ["旅游客运"]})["scope"] == ["旅游客运"]


# --- Validation and its Chinese messages -------------------------------------------------


def test_a_complete_form_is_valid() -> None:
    assert (
        validate(SCHEMA, good(start_on="2026-02-28", email="a@example.com", remarks="五个字以上"))
        == {}
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (good(company=None), {"company": ["请填写企业名称。"]}),
        (good(business=None), {"business": ["请选择经营类别。"]}),
        (good(scope=None), {"scope": ["请选择经营范围。"]}),
        (good(vehicles="十二"), {"vehicles": ["车辆数应为整数。"]}),
        (good(capital="很多"), {"capital": ["注册资本（万元）应为数字。"]}),
        (good(vehicles=0), {"vehicles": ["车辆数不能小于 1。"]}),
        (good(vehicles=501), {"vehicles": ["车辆数不能大于 500。"]}),
        (good(capital=0), {"capital": ["注册资本（万元）必须大于 0。"]}),
        (good(company="公" * 51), {"company": ["企业名称不能超过 50 个字。"]}),
        (good(remarks="太短"), {"remarks": ["备注至少需要 5 个字。"]}),
        (good(business="空运"), {"business": ["请从给出的选项中选择经营类别。"]}),
        (good(kind=9), {"kind": ["请从给出的选项中选择申请类型。"]}),
        (good(scope=["水运"]), {"scope": ["请从给出的选项中选择经营范围。"]}),
        (good(scope=[]), {"scope": ["经营范围至少选择 1 项。"]}),
        (
            good(start_on="2026-02-30"),
            {"start_on": ["拟开业日期应为有效的日期，例如 2026-01-31。"]},
        ),
        (
            good(email="不是邮箱"),
            {"email": ["电子邮箱应为有效的电子邮箱地址，例如 name@example.com。"]},
        ),
        (good(agree=False), {"agree": ["请勾选“我承诺所填内容真实”。"]}),
        (good(credit_code="abc"), {"credit_code": ["统一社会信用代码应为 18 位数字或大写字母。"]}),
    ],
)
def test_each_keyword_has_a_chinese_message(data: dict[str, Any], expected: dict[str, Any]) -> None:
    assert validate(SCHEMA, data) == expected


def test_other_keywords_have_chinese_messages_too() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "title": "编码", "pattern": "^A"},
            "step": {"type": "integer", "title": "步长", "multipleOf": 5, "exclusiveMaximum": 100},
            "tags": {
                "type": "array",
                "title": "标签",
                "items": {"enum": ["a", "b", "c"]},
                "maxItems": 1,
                "uniqueItems": True,
            },
            "fixed": {"type": "string", "title": "固定值", "const": "是"},
            "time": {"type": "string", "title": "时间", "format": "time"},
            "any": {"type": "string", "title": "其他", "not": {"const": "x"}},
        },
    }
    data = {
        "code": "B",
        "step": 101,
        "tags": ["a", "a"],
        "fixed": "否",
        "time": "25:00",
        "any": "x",
    }
    assert validate(schema, data) == {
        "code": ["编码的格式不正确。"],
        "step": ["步长应为 5 的整数倍。", "步长必须小于 100。"],
        "tags": ["标签最多选择 1 项。", "标签有重复的选项。"],
        "fixed": ["固定值应为“是”。"],
        "time": ["时间应为有效的时间，例如 09:30:00。"],
        "any": ["其他填写不正确，请检查。"],
    }


def test_messages_are_in_form_order_and_not_repeated() -> None:
    errors = validate(SCHEMA, {"vehicles": "x", "agree": False, "hazardous": False})
    assert list(errors) == ["company", "vehicles", "business", "scope", "agree"]


def test_errors_of_no_field_and_broken_schemas_never_fail() -> None:
    strict = {**SCHEMA, "additionalProperties": False}
    assert validate(strict, {**good(), "extra": 1}) == {
        NON_FIELD: ["表单内容不符合要求，请检查后重新提交。"]
    }
    assert validate({"type": "object", "required": ["ghost"]}, {}) == {NON_FIELD: ["请填写ghost。"]}
    for broken in (
        {"type": "object", "properties": {"a": {"type": "strnig"}}},
        {"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}},
        {"type": "object", "properties": {"a": {"pattern": "("}}},
    ):
        assert validate(broken, {"a": "x"}) == {NON_FIELD: [BROKEN_SCHEMA]}
        assert render_fields(broken)  # still renders a text input


def test_error_summary_links_each_message_to_its_field() -> None:
    errors = validate(SCHEMA, {"vehicles": 0, "agree": False, "hazardous": False})
    assert error_summary(SCHEMA, errors) == [
        ("field-company", "请填写企业名称。"),
        ("field-vehicles", "车辆数不能小于 1。"),
        ("field-business", "请选择经营类别。"),  # the first radio carries the field's id
        ("field-scope", "请选择经营范围。"),
        ("field-agree", "请勾选“我承诺所填内容真实”。"),
    ]
    assert error_summary(SCHEMA, {NON_FIELD: ["整体有误。"]}) == [("field-company", "整体有误。")]


# --- The form page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_form_page_checks_and_reports_errors(city: City, client: Client) -> None:
    published_item(city, form_schema=SCHEMA)
    page = client.get(f"/items/{CODE}/form/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>道路运输经营许可申请表</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'class="schema-form" novalidate>' in html
    assert "<title>道路运输经营许可申请表 - 网办</title>" in html

    response = client.post(f"/items/{CODE}/form/", {"company": "顺达", "vehicles": "0"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>错误：道路运输经营许可申请表 - 网办</title>" in html
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary is not None
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group()) == [
        ("field-vehicles", "车辆数不能小于 1。"),
        ("field-business", "请选择经营类别。"),
        ("field-scope", "请选择经营范围。"),
        ("field-agree", "请勾选“我承诺所填内容真实”。"),
    ]
    assert 'id="field-company" name="company" value="顺达"' in html  # kept
    assert '<p class="error-message" id="field-vehicles-error">' in html
    assert "填写完整，检查通过" not in html

    response = client.post(
        f"/items/{CODE}/form/",
        {
            "company": "顺达",
            "vehicles": "12",
            "business": "客运",
            "scope": "班车客运",
            "agree": "true",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="success-title">填写完整，检查通过</h2>' in html
    assert "error-summary" not in html
    assert re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html) == [
        ("企业名称", "顺达"),
        ("车辆数", "12"),
        ("经营类别", "客运"),
        ("经营范围", "班车客运"),
        ("我承诺所填内容真实", "是"),
        ("涉及危险货物", "否"),
    ]


@pytest.mark.django_db
def test_odd_schemas_never_fail_the_page(city: City, client: Client) -> None:
    odd = {
        "type": "object",
        "title": "特殊表单",
        "properties": {
            "address": {"type": "object", "title": "地址", "properties": {}},
            "sign": {"type": "string", "title": "签名", "x-widget": "signature-pad"},
            "files": {"type": "array", "title": "附件", "items": {"type": "string"}},
        },
        "required": ["address"],
    }
    published_item(city, form_schema=odd)
    assert client.get(f"/items/{CODE}/form/").status_code == 200
    response = client.post(f"/items/{CODE}/form/", {"address": "人民路 1 号", "sign": "张三"})
    assert response.status_code == 200
    assert "地址应为一组内容。" in response.content.decode()


@pytest.mark.django_db
def test_form_page_refuses_other_methods(city: City, client: Client) -> None:
    published_item(city)
    assert client.put(f"/items/{CODE}/form/").status_code == 405


# --- Round trip: any valid instance, rendered and posted back, is itself -----------------


class FormPoster(HTMLParser):
    """What a browser posts for a form: text inputs, ticked boxes, selected options and
    text areas (a browser drops a textarea's first newline; `parse_form` trims anyway)."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "input" and (a["type"] not in {"radio", "checkbox"} or "checked" in a):
            self.pairs.append((a["name"], a["value"]))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.pairs.append((self._select, a["value"]))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.pairs.append((self._textarea, self._text))
            self._textarea = None


def post_back(html: str) -> QueryDict:
    poster = FormPoster()
    poster.feed(html)
    posted = QueryDict(mutable=True)
    for name, value in poster.pairs:
        posted.appendlist(name, value)
    return posted


clean_text = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)
long_text = st.lists(clean_text, min_size=1, max_size=3).map("\n".join)
SCOPES = ["班车客运", "包车客运", "旅游客运"]

instances = st.fixed_dictionaries(
    {
        "company": clean_text.map(lambda s: s[:50]),
        "vehicles": st.integers(1, 500),
        "business": st.sampled_from(["客运", "货运", "危货"]),
        "scope": st.lists(st.sampled_from(SCOPES), min_size=1, unique=True).map(
            lambda picked: sorted(picked, key=SCOPES.index)  # the order of the options
        ),
        "agree": st.just(True),
        "hazardous": st.booleans(),
    },
    optional={
        "credit_code": st.from_regex(r"\A[0-9A-Z]{18}\Z"),
        "capital": st.floats(min_value=0.01, max_value=1e9, allow_nan=False),
        "start_on": st.dates(datetime.date(1950, 1, 1), datetime.date(2100, 12, 31)).map(
            datetime.date.isoformat
        ),
        "email": st.from_regex(r"\A[a-z0-9]{1,10}@[a-z]{1,10}\.cn\Z"),
        "district": st.sampled_from(DISTRICTS),
        "kind": st.sampled_from([1, 2]),
        "plan": long_text.map(lambda s: s[:2000].strip()),
        "remarks": long_text.filter(lambda s: len(s) >= 5),
    },
)


@settings(max_examples=150, deadline=None)
@given(instances)
def test_any_valid_instance_round_trips_through_the_html(instance: dict[str, Any]) -> None:
    assert validate(SCHEMA, instance) == {}, json.dumps(instance, ensure_ascii=False)
    posted = post_back(render_fields(SCHEMA, instance))
    assert parse_form(SCHEMA, posted) == instance


def test_thousands_of_digits_are_a_field_error_not_a_crash(city: City, client: Client) -> None:
    published_item(city)
    response = client.post(f"/items/{CODE}/form/", {"company": "顺达", "vehicles": "1" * 5000})
    assert response.status_code == 200
    assert "车辆数应为整数。" in response.content.decode()
