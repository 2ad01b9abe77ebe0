"""Chinese full-text search of the catalogue (docs/search.md): the index follows every
publication, queries find items by words, prefixes and pinyin initials, rank name hits
first, filter by type, department, service object and theme, and refuse nothing with an
error the user did not cause."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wangban.accounts.actions import do_save_department
from wangban.accounts.models import Department, User
from wangban.catalog import actions, queries, search
from wangban.catalog.models import ItemVersion
from wangban.catalog.search import (
    ItemFacet,
    ItemSearch,
    Pages,
    catalogue_pages,
    catalogue_query,
    name_initials,
    query_terms,
    rebuild_index,
    themes_in_use,
)
from wangban.catalog.tests.helpers import CODE, item_content, publish, published_item
from wangban.conftest import City, make_staff
from wangban.core.errors import InvalidInput

ROAD = "ROAD-001"
FOOD = "FOOD-001"
BUILD = "BUILD-001"
TAXI = "TAXI-001"


def publish_as(admin: User, department: Department, code: str, **overrides: Any) -> ItemVersion:
    version = actions.do_draft_item(
        actor=admin, code=code, department=department, content=item_content(**overrides)
    )
    version = actions.do_submit_for_review(version, actor=admin)
    centre_admin = User.objects.get(username="centre_admin")
    return actions.do_review(version, actor=centre_admin, approve=True)


@pytest.fixture
def housing(city: City) -> Department:
    return Department.objects.create(code="D03", name="市住房和城乡建设局")


@pytest.fixture
def catalogue(city: City, housing: Department) -> City:
    """Four items of three departments."""
    publish_as(
        city.transport_admin,
        city.transport,
        ROAD,
        guide={"themes_legal_person": ["交通出行", "准营准办"]},
    )
    publish_as(
        city.market_admin,
        city.market,
        FOOD,
        name="食品经营许可",
        service_objects=["2", "5"],
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        guide={"themes_legal_person": "准营准办、餐饮服务"},
        materials=[{"code": "M01", "name": "食品经营许可申请书"}],
    )
    publish_as(
        make_staff("housing_admin", housing, "dept_admin"),
        housing,
        BUILD,
        name="建筑工程施工许可证核发",
        service_objects=["1", "2"],
        legal_basis="《建筑工程施工许可管理办法》第二条",
        guide={"themes_person": ["住房保障"], "themes_legal_person": ["工程建设"]},
        materials=[{"code": "M01", "name": "建设工程规划许可证"}],
    )
    publish_as(
        city.transport_admin,
        city.transport,
        TAXI,
        name="出租汽车驾驶员从业资格证核发",
        type="07",
        service_objects=["1"],
        guide={"themes_person": "交通出行"},
        materials=[{"code": "M01", "name": "道路运输经营许可证复印件"}],
    )
    return city


def codes(versions: Any) -> list[str]:
    return [version.item.code for version in versions]


def found(**filters: str) -> list[str]:
    return codes(catalogue_query(**filters))


def test_required_examples(catalogue: City) -> None:
    assert found(q="道路运输许可")[0] == ROAD
    assert found(q="食品") == [FOOD]
    assert found(q="施工许可") == [BUILD]


def test_name_hits_come_first(catalogue: City) -> None:
    # The taxi licence mentions 道路运输经营许可证 only among its materials.
    assert found(q="道路运输许可") == [ROAD, TAXI]
    # Two items are named 许可证; the taxi licence asks for one among its materials.
    first, second, third = found(q="许可证")
    assert ({first, second}, third) == ({BUILD, ROAD}, TAXI)


def test_words_match_as_prefixes_and_in_every_field(catalogue: City) -> None:
    assert found(q="食") == [FOOD]
    assert found(q="住房和城乡建设局") == [BUILD]  # the department's name
    assert found(q="规划许可") == [BUILD]  # a material's name
    assert found(q="食品安全法") == [FOOD]  # the legal basis
    assert found(q="餐饮服务") == [FOOD]  # a theme
    assert found(q="FOOD-001") == [FOOD]  # the implementation code
    assert found(q="自然人 驾驶员") == [TAXI]  # a service object's label and the name


def test_pinyin_initials_of_the_name(catalogue: City) -> None:
    assert found(q="dlys") == [ROAD]
    assert found(q="DLYS") == [ROAD]
    assert found(q="jzgcsg") == [BUILD]
    assert found(q="cyzg") == [TAXI]  # from a word inside the name (从业资格)
    assert name_initials("道路运输经营许可证核发") == [
        "dlysjyxkzhf",
        "ysjyxkzhf",
        "jyxkzhf",
        "xkzhf",
        "hf",
    ]


def test_words_missing_from_every_item_find_nothing(catalogue: City) -> None:
    assert found(q="户口迁移") == []
    assert found(q="道路 户口") == []  # every word must match
    assert found(q="zzzz") == []


def test_a_query_without_letters_or_digits_filters_nothing(catalogue: City) -> None:
    everything = [BUILD, FOOD, ROAD, TAXI]
    assert found() == everything
    assert found(q="   ") == everything
    assert found(q="，。！？——……“”《》") == everything
    assert query_terms("如何办理营业执照？") == ["营业执照"]
    assert query_terms("办理") == ["办理"]  # only stop words: kept


def test_query_syntax_cannot_be_injected(catalogue: City) -> None:
    for q in [
        '"',
        "'",
        '食品" OR "道路',
        "食品 OR 道路",
        "NOT 食品",
        "NEAR(食品 道路)",
        "name:食品",
        "食品*",
        "^食品",
        "食品:* | 道路:*",
        "!食品 & (道路",
        "\\",
        "\x00食品",
    ]:
        assert found(q=q) in ([], [FOOD], [BUILD, FOOD, ROAD, TAXI]), q
    assert found(q="食品 OR 道路") == []  # OR is a word to find, like any other


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(q=st.text(max_size=100))
def test_any_text_up_to_the_limit_is_a_valid_query(catalogue: City, q: str) -> None:
    catalogue_query(q=q).count()
    list(catalogue_query(q=q)[:5])


def test_an_overlong_query_is_refused_with_the_field_named(catalogue: City) -> None:
    with pytest.raises(InvalidInput) as error:
        catalogue_query(q="道路" * 500)
    assert error.value.fields == {"q": ["搜索词不能超过 100 个字。"]}
    assert found(q="道" * 100) == found(q="道") == [ROAD, TAXI]  # at the limit: accepted


def test_filters(catalogue: City) -> None:
    assert found(item_type="07") == [TAXI]
    assert found(department="D01") == [ROAD, TAXI]
    assert found(service_object="1") == [BUILD, TAXI]
    assert found(service_object="5") == [FOOD, ROAD]
    assert found(theme="准营准办") == [FOOD, ROAD]
    assert found(theme="交通出行") == [ROAD, TAXI]  # a person's and a legal person's theme
    assert found(theme="没有这个主题") == []
    assert found(q="许可", department="D01", service_object="2") == [ROAD]


def test_bad_filters_are_refused_all_at_once(catalogue: City) -> None:
    with pytest.raises(InvalidInput) as error:
        catalogue_query(item_type="99", department="D99", service_object="8", theme="主" * 101)
    assert error.value.fields == {
        "type": ["事项类型代码“99”无效，可选：01、02、03、04、05、06、07、08、09、10、20。"],
        "department": ["部门编码“D99”不存在。"],
        "object": ["服务对象代码“8”无效，可选：1、2、3、4、5、6、9。"],
        "theme": ["主题不能超过 100 个字，且不能含控制字符。"],
    }
    with pytest.raises(InvalidInput):
        catalogue_query(department="D\x0001")


def test_pages_read_a_page_by_ids_then_rows(catalogue: City) -> None:
    everything = found(q="许可")
    assert len(everything) == 4
    pages = Pages(catalogue_query(q="许可"))
    paginator: Paginator[ItemVersion] = Paginator(pages, 3)
    assert (paginator.count, paginator.num_pages) == (4, 2)
    assert codes(paginator.page(1)) + codes(paginator.page(2)) == everything
    rows, total = pages.window(2, 3)
    assert (codes(rows), total) == (everything[2:], 4)
    assert pages.window(8, 3) == ([], 4)
    assert Pages(catalogue_query(q="户口")).window(0, 3) == ([], 0)
    assert (pages[3].item.code, codes(pages)) == (everything[3], everything)
    # A page costs its count, its ids and its rows, whatever the number of matches.
    light = catalogue_pages(q="许可", rows=ItemVersion.objects.select_related("item"))
    with CaptureQueriesContext(connection) as queries_made:
        assert codes(Paginator(light, 3).page(2)) == everything[3:]
    assert len(queries_made) == 3


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"q": "许可"},
        {"q": "许可证"},
        {"q": "dlys"},
        {"q": "许可", "department": "D01"},
        {"q": "许可", "item_type": "07"},
        {"q": "许可", "service_object": "2", "theme": "准营准办"},
        {"department": "D01", "theme": "交通出行"},
        {"q": "户口迁移"},
    ],
)
def test_catalogue_pages_ranks_as_catalogue_query(catalogue: City, filters: dict[str, str]) -> None:
    expected = found(**filters)
    pages = catalogue_pages(**filters)  # type: ignore[arg-type]
    assert (codes(pages), pages.count()) == (expected, len(expected))
    assert codes(pages.window(1, 2)[0]) == expected[1:3]


def test_catalogue_pages_refuses_what_catalogue_query_refuses(catalogue: City) -> None:
    with pytest.raises(InvalidInput) as error:
        catalogue_pages(q="道" * 101, item_type="99")
    assert sorted(error.value.fields) == ["q", "type"]


def test_warm_up_loads_the_dictionaries() -> None:
    search.warm_up().join()
    assert search._jieba is not None


def test_themes_in_use(catalogue: City) -> None:
    assert themes_in_use() == {
        "person": [("交通出行", 1), ("住房保障", 1)],
        "legal_person": [("准营准办", 2), ("交通出行", 1), ("工程建设", 1), ("餐饮服务", 1)],
    }


def test_the_index_follows_adjustment_and_cancellation(catalogue: City) -> None:
    city = catalogue
    adjust = actions.do_draft_item(
        actor=city.market_admin,
        code=FOOD,
        kind="adjust",
        content={**queries.content_of(queries.published_version(FOOD)), "name": "食品生产许可"},
        change_reason="更名",
    )
    publish_by(city, adjust, city.market_admin)
    assert found(q="食品生产") == [FOOD]
    entry = ItemSearch.objects.get(item__code=FOOD)
    assert (entry.version_id, entry.name, entry.initials) == (
        adjust.pk,
        "食品 生产 许可",
        "spscxk scxk xk",
    )

    cancel = actions.do_draft_item(
        actor=city.market_admin, code=FOOD, kind="cancel", change_reason="法律废止"
    )
    publish_by(city, cancel, city.market_admin)
    assert found(q="食品") == []
    assert not ItemSearch.objects.filter(item__code=FOOD).exists()
    assert not ItemFacet.objects.filter(entry__item__code=FOOD).exists()
    assert found(theme="餐饮服务") == []
    assert_index_consistent()


def publish_by(city: City, version: ItemVersion, admin: User, **review: Any) -> ItemVersion:
    version = actions.do_submit_for_review(version, actor=admin)
    return actions.do_review(version, actor=city.centre_admin, approve=True, **review)


def test_a_scheduled_version_is_found_only_from_its_date(city: City) -> None:
    version = actions.do_draft_item(
        actor=city.transport_admin,
        code=ROAD,
        department=city.transport,
        content=item_content(),
    )
    day = timezone.localdate() + timedelta(days=2)
    publish_by(city, version, city.transport_admin, effective_on=day)
    assert found(q="道路运输") == []
    with time_machine.travel(day, tick=False):
        actions.do_activate_due()
    assert found(q="道路运输") == [ROAD]


def test_drafts_are_not_indexed(city: City) -> None:
    actions.do_draft_item(
        actor=city.transport_admin, code=ROAD, department=city.transport, content=item_content()
    )
    assert found(q="道路运输") == []
    assert ItemSearch.objects.count() == 0


def test_rebuild_index(catalogue: City) -> None:
    ItemSearch.objects.all().delete()
    assert found(q="食品") == []
    assert rebuild_index() == 4
    assert found(q="食品") == [FOOD]
    assert ItemFacet.objects.count() == 14
    assert_index_consistent()


def test_the_published_helper_still_works(city: City) -> None:
    publish(
        city,
        actions.do_draft_item(
            actor=city.transport_admin, code=ROAD, department=city.transport, content=item_content()
        ),
    )
    assert found(q="道路运输许可") == [ROAD]


def assert_index_consistent() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # raises if the FTS table disagrees with its rows
            cursor.execute(
                "INSERT INTO catalog_itemsearch_fts (catalog_itemsearch_fts) "
                "VALUES ('integrity-check')"
            )
    published = ItemVersion.objects.filter(state="published").values_list("pk", flat=True)
    assert sorted(ItemSearch.objects.values_list("version_id", flat=True)) == sorted(published)


def test_renaming_a_department_reindexes_its_items(city: City) -> None:
    published_item(city)
    do_save_department(actor=city.centre_admin, code="D01", name="市港航管理局")
    assert [v.item.code for v in catalogue_query(q="港航")] == [CODE]
    assert list(catalogue_query(q="交通")) == []
    version = queries.published_version(CODE)
    assert search.representations([version.pk])[0]["department"]["name"] == "市港航管理局"
