"""The public catalogue of API.md: `GET /api/v1/items`, `GET /api/v1/items/{code}` and the
change feed `GET /api/v1/item-changes?since=`.

The bodies are `wangban.catalog.queries.public_item` and `wangban.catalog.feed.change_to_api`
(one representation for every channel, 同源发布); the serializers below only document them
for the OpenAPI schema. No authentication: the catalogue is public, and a stale token sent
by a kiosk must not turn a public read into a 401.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, pagination, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from wangban.accounts.choices import Role
from wangban.api.pagination import PageNumberPagination
from wangban.catalog import feed
from wangban.catalog.choices import (
    Assignment,
    CaseType,
    ChangeEvent,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    ServiceObject,
)
from wangban.catalog.models import ItemChange, ItemVersion
from wangban.catalog.queries import public_item, published_version
from wangban.catalog.search import (
    MAX_FILTER_LENGTH,
    MAX_QUERY_LENGTH,
    catalogue_pages,
    representations,
)
from wangban.core.errors import InvalidInput

# --- Documentation of the representations ------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "enum": LimitUnit.values,
        "description": "working_days 工作日，calendar_days 自然日",
    },
    component_name="LimitUnit",
)
class LimitUnitField(serializers.ChoiceField):
    """A limit's unit; one schema component for the statutory and the promised limit, so that
    the schema names the choice set once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=LimitUnit.choices, **kwargs)


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField(label="部门编码")
    name = serializers.CharField(label="部门名称")


class FileSerializer(serializers.Serializer):
    name = serializers.CharField(label="文件名")
    content_type = serializers.CharField(label="文件类型")
    size = serializers.IntegerField(label="大小（字节）")
    sha256 = serializers.CharField(label="SHA-256")
    url = serializers.CharField(label="下载地址", help_text="门户的公开下载路径")


class StepSerializer(serializers.Serializer):
    order = serializers.IntegerField(label="顺序")
    name = serializers.CharField(label="环节名称")
    role = serializers.ChoiceField(label="办理角色", choices=Role.choices)
    budget_days = serializers.IntegerField(label="环节时限（工作日）")
    assignment = serializers.ChoiceField(label="分派方式", choices=Assignment.choices)
    assignee = serializers.CharField(label="指定人员用户名", allow_null=True)
    department = DepartmentRefSerializer(label="联办部门", allow_null=True)


class MaterialSerializer(serializers.Serializer):
    code = serializers.CharField(label="材料编码")
    name = serializers.CharField(label="材料名称")
    required = serializers.BooleanField(label="必要")  # type: ignore[assignment]
    condition = serializers.CharField(label="容缺或情形说明", allow_blank=True)
    certificate_type = serializers.CharField(label="可替代的电子证照类型代码", allow_null=True)
    material_type = serializers.ChoiceField(label="材料类型", choices=MaterialType.choices)
    form = serializers.ChoiceField(label="材料形式", choices=MaterialForm.choices)
    source_channel = serializers.ChoiceField(label="来源渠道", choices=MaterialSource.choices)
    originals = serializers.IntegerField(label="原件份数")
    copies = serializers.IntegerField(label="复印件份数")
    paper_size = serializers.CharField(label="纸张规格", allow_blank=True)
    filling_notes = serializers.CharField(label="填报须知", allow_blank=True)
    acceptance_standard = serializers.CharField(label="受理标准", allow_blank=True)
    basis = serializers.CharField(label="要求提供材料的依据", allow_blank=True)
    blank_form = FileSerializer(label="空白表格", allow_null=True)
    sample = FileSerializer(label="填写示例", allow_null=True)


class ItemSerializer(serializers.Serializer):
    """The item representation of API.md (`wangban.catalog.queries.item_to_api`)."""

    code = serializers.CharField(label="实施编码", help_text="用于路径和办件的 item_code")
    basic_code = serializers.CharField(label="基本编码", allow_blank=True)
    name = serializers.CharField(label="事项名称")
    type = serializers.ChoiceField(label="事项类型（GB/T 39046 A.1）", choices=ItemType.choices)
    department = DepartmentRefSerializer(label="实施部门")
    version = serializers.IntegerField(label="版本号")
    effective_on = serializers.DateField(label="生效日期", allow_null=True)
    case_type = serializers.ChoiceField(label="办件类型（A.6）", choices=CaseType.choices)
    legal_limit_days = serializers.IntegerField(label="法定办结时限")
    legal_limit_unit = LimitUnitField(label="法定时限单位")
    legal_limit_note = serializers.CharField(label="法定时限说明", allow_blank=True)
    promised_limit_days = serializers.IntegerField(label="承诺办结时限")
    promised_limit_unit = LimitUnitField(label="承诺时限单位")
    promised_limit_note = serializers.CharField(label="承诺时限说明", allow_blank=True)
    warning_threshold_days = serializers.IntegerField(label="预警阈值（工作日）", allow_null=True)
    correction_answer_days = serializers.IntegerField(
        label="补正期限（工作日）",
        allow_null=True,
        help_text="申请人答复补正告知的期限；null 表示按全局设置",
    )
    service_objects = serializers.ListField(
        label="服务对象（A.4 代码）", child=serializers.CharField()
    )
    handling_forms = serializers.ListField(
        label="办理形式（A.5 代码）", child=serializers.CharField()
    )
    online_depth = serializers.ListField(label="网上办理深度", child=serializers.CharField())
    online_service_level = serializers.CharField(
        label="网上办理等级代码", allow_blank=True, help_text="空字符串表示未定级"
    )
    entrusted_department = DepartmentRefSerializer(label="受委托部门", allow_null=True)
    co_handling_departments = DepartmentRefSerializer(label="联办部门", many=True)
    visits_required = serializers.IntegerField(label="到现场次数")
    visits_note = serializers.CharField(label="到现场原因", allow_blank=True)
    special_procedures = serializers.ListField(
        label="特别程序", child=serializers.DictField(), help_text="procedure、days、note"
    )
    fees = serializers.ListField(
        label="收费", child=serializers.DictField(), help_text="name、standard、basis、reducible"
    )
    legal_basis = serializers.CharField(label="法律依据", allow_blank=True)
    acceptance_conditions = serializers.CharField(label="受理条件", allow_blank=True)
    guide = serializers.DictField(label="办事指南其他要素", help_text="键见 docs/catalog.md")
    steps = StepSerializer(label="审批环节", many=True)
    materials = MaterialSerializer(label="申请材料", many=True)
    result_sample = FileSerializer(label="审批结果样本", allow_null=True)
    form_schema = serializers.DictField(label="电子表单（JSON Schema）")


class ItemChangeSerializer(serializers.Serializer):
    """An entry of the change feed (`wangban.catalog.feed.change_to_api`)."""

    id = serializers.CharField(label="变更 id", help_text="不透明字符串；作为下一次的 since")
    event = serializers.ChoiceField(label="变更", choices=ChangeEvent.choices)
    code = serializers.CharField(label="实施编码")
    version = serializers.IntegerField(label="生效的版本号")
    occurred_at = serializers.DateTimeField(label="生效时间")
    department = DepartmentRefSerializer(label="实施部门")
    item = ItemSerializer(label="事项", allow_null=True, help_text="取消时为 null")


# --- Views -------------------------------------------------------------------------------

MAX_PAGE_SIZE = 100
MAX_OFFSET = 10**9


#: What a positive integer parameter of more than 18 digits counts as.
LARGEST = 10**18


def positive_integer(request: Request, name: str, default: int) -> int:
    """A positive integer query parameter. Anything else is refused rather than replaced by
    the default, so that a client's mistake does not pass for an answer."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    digits = raw.lstrip("0") if raw.isascii() and raw.isdigit() else ""
    if not digits:
        message = f"{name} 应为正整数。"
        raise InvalidInput(message, fields={name: [message]})
    # Past 18 digits nothing is that many (and Python reads no more than 4,300 digits).
    return int(digits) if len(digits) <= 18 else LARGEST


def page_size(request: Request, default: int) -> int:
    return min(positive_integer(request, "page_size", default), MAX_PAGE_SIZE)


def page_size_parameter(default: int) -> dict[str, Any]:
    return {
        "name": "page_size",
        "in": "query",
        "required": False,
        "description": f"每页条数，默认 {default}；超过 {MAX_PAGE_SIZE} 按 {MAX_PAGE_SIZE}",
        "schema": {"type": "integer", "minimum": 1},
    }


class ItemPagination(PageNumberPagination):
    """The API's page numbers (API.md), with `page` and `page_size` checked: a page past
    the end is 404, a value that is not a positive integer 400. A page of search results
    is read with `Pages.window`: ids and total in one query, then the page's rows."""

    def get_page_size(self, request: Request) -> int:
        return page_size(request, self.page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return positive_integer(request, self.page_query_param, 1)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self.request = request
        size = self.get_page_size(request)
        number = self.get_page_number(request, None)
        offset = (number - 1) * size
        if offset > MAX_OFFSET:  # past the end of any catalogue, and of the database's integers
            raise NotFound()
        rows, total = queryset.window(offset, size)
        if not rows and number > 1:
            raise NotFound()
        paginator = self.django_paginator_class(rows, size)
        paginator.count = total  # known already: Paginator would count again
        self.page = Page(rows, number, paginator)
        return rows

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        page = {
            "name": self.page_query_param,
            "in": "query",
            "required": False,
            "description": "页码，从 1 开始；超出末页为 404",
            "schema": {"type": "integer", "minimum": 1},
        }
        return [page, page_size_parameter(self.page_size)]


LIST_PARAMETERS = [
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": MAX_QUERY_LENGTH},
        description="中文全文检索词（按词匹配、可前缀、支持名称拼音首字母，如 dlys），"
        f"最多 {MAX_QUERY_LENGTH} 字；给出时按相关度排序，否则按实施编码排序",
    ),
    OpenApiParameter(
        "type",
        str,
        enum=["", *ItemType.values],
        description="事项类型代码（GB/T 39046 A.1）；空值表示不限",
    ),
    OpenApiParameter("department", str, description="实施部门编码"),
    OpenApiParameter(
        "object",
        str,
        enum=["", *ServiceObject.values],
        description="服务对象代码（A.4）；空值表示不限",
    ),
    OpenApiParameter(
        "theme",
        {"type": "string", "maxLength": MAX_FILTER_LENGTH},
        description=f"主题名称（自然人或法人主题），最多 {MAX_FILTER_LENGTH} 字",
    ),
]


class ItemListView(generics.ListAPIView):
    """Published service items, filtered and searched; each result is the whole item
    representation of API.md (a promise: "an item in JSON has at least …")."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = ItemSerializer
    pagination_class = ItemPagination

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return catalogue_pages(
            q=params.get("q", ""),
            item_type=params.get("type", ""),
            department=params.get("department", ""),
            service_object=params.get("object", ""),
            theme=params.get("theme", ""),
            rows=ItemVersion.objects.only("pk"),
        )

    @extend_schema(
        summary="事项目录",
        description="已发布的政务服务事项，可按类型、部门、服务对象、主题筛选，q 为中文全文检索。"
        "每条为完整的事项表示（与 GET /api/v1/items/{code} 相同）。",
        parameters=LIST_PARAMETERS,
        auth=[],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # noqa: S101 - the API always paginates
        return self.get_paginated_response(representations([version.pk for version in page]))


class ItemDetailView(generics.GenericAPIView):
    """The published version of one item."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = ItemSerializer

    @extend_schema(
        summary="事项详情",
        description="事项的已发布版本（办事指南全部要素、材料、环节与电子表单）；"
        "不存在、未发布或已取消的事项为 404 item_not_found。",
        parameters=[
            OpenApiParameter(
                "code",
                {"type": "string", "minLength": 1, "maxLength": 64},
                OpenApiParameter.PATH,
                description="实施编码（不透明字符串，最长 64 个字符）",
            )
        ],
        responses={200: ItemSerializer},
        auth=[],
    )
    def get(self, request: Request, code: str) -> Response:
        if "\x00" in code:  # no item has one, and the database refuses to compare it
            raise Http404
        return Response(public_item(published_version(code)))


class FeedPagination(pagination.BasePagination):
    """`?since=<id>&page_size=`: the entries after `since`, oldest first, at most page_size
    (default and maximum 100). `next` is this URL with `since` set to the last entry's id
    (null when the page is empty: poll the same URL again later); `previous` is always null;
    `count` is how many entries follow `since` now."""

    def read(self, request: Request) -> list[ItemChange]:
        self.request = request
        self.since = feed.parse_cursor(request.query_params.get("since"))
        self.page = feed.changes_after(self.since, page_size(request, feed.MAX_PAGE))
        self.count = feed.count_after(self.since) if self.page else 0
        return self.page

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        return self.read(request)

    def get_paginated_response(self, data: Any) -> Response:
        next_url = None
        if self.page:
            url = self.request.build_absolute_uri()
            next_url = replace_query_param(url, "since", str(self.page[-1].pk))
        return Response({"count": self.count, "next": next_url, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "since 之后现有的变更条数"},
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "下一页（since 为本页最后一条的 id）；本页为空时为 null",
                },
                "previous": {"type": "string", "nullable": True, "description": "总是 null"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "since",
                "in": "query",
                "required": False,
                "description": "上次读到的最后一条变更的 id；留空从头读取",
                "schema": {"type": "string"},
            },
            page_size_parameter(feed.MAX_PAGE),
        ]


class ItemChangeListView(generics.ListAPIView):
    """The change feed for systems that mirror the catalogue."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = ItemChangeSerializer
    pagination_class = FeedPagination

    def get_queryset(self) -> Any:
        return []  # the pagination reads the feed: it alone knows the cursor

    @extend_schema(
        summary="事项变更订阅",
        description="按发生顺序列出事项的发布（published）、调整（adjusted，含下放）与取消"
        "（cancelled）。记下最后一条的 id，下次以 since 读取其后的变更：id 按提交顺序分配，"
        "不会遗漏后提交的变更。",
        auth=[],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        paginator = self.paginator
        assert isinstance(paginator, FeedPagination)  # noqa: S101
        changes = paginator.read(request)
        return self.get_paginated_response([feed.change_to_api(change) for change in changes])
