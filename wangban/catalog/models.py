"""Service items (事项), their versions, materials and approval workflow.

Written only through `wangban.catalog.actions`. A version that has been published (or
superseded, or cancelled) is part of the record: `ItemVersion`, `Material` and
`WorkflowStep` refuse to change it in `save()` and `delete()` (queryset `update()` and
`delete()` bypass model methods and must not be used on them).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from wangban.accounts.choices import Role
from wangban.accounts.models import Department
from wangban.catalog.choices import (
    FROZEN_STATES,
    Assignment,
    CaseType,
    ChangeEvent,
    ChangeKind,
    FileKind,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    VersionState,
)
from wangban.core.errors import Conflict

IMMUTABLE_MESSAGE = "已发布的事项版本不可修改，请起草新版本进行调整。"


def immutable() -> Conflict:
    return Conflict(IMMUTABLE_MESSAGE, code="version_immutable")


class OnlineServiceLevel(models.Model):
    """The province's online service levels (网上办理等级, e.g. 一级–四级), master data of the
    centre. A level sets the acceptance clock of the items at that level (issue 7): whether a
    submission must be signed for (签收) and within how many working hours, and within how
    many working days pre-review must answer."""

    code = models.CharField("代码", max_length=10, primary_key=True)
    label = models.CharField("名称", max_length=20, unique=True)
    description = models.TextField("说明", blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    sign_in_hours = models.PositiveSmallIntegerField(
        "签收时限（工作小时）", null=True, blank=True, help_text="留空表示无需签收"
    )
    reply_working_days = models.PositiveSmallIntegerField(
        "预审答复时限（工作日）", null=True, blank=True, help_text="留空表示不设预审答复时限"
    )

    class Meta:
        verbose_name = "网上办理等级"
        verbose_name_plural = "网上办理等级"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class ServiceItem(models.Model):
    """The identity of an item: its implementation code (实施编码) and the department that
    implements it now (a delegation moves it). What it says lives in its versions; the
    published one is `ItemVersion` in state `published`."""

    code = models.CharField("实施编码", max_length=64, unique=True)
    basic_code = models.CharField("基本编码", max_length=64, blank=True)
    department = models.ForeignKey(
        Department, verbose_name="实施部门", on_delete=models.PROTECT, related_name="items"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ItemVersion(models.Model):
    """One version of an item's implementation list and guide (实施清单 / 办事指南)."""

    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField("版本号")
    change_kind = models.CharField("变更类型", max_length=10, choices=ChangeKind.choices)
    state = models.CharField(
        "状态", max_length=12, choices=VersionState.choices, default=VersionState.DRAFT
    )
    change_reason = models.TextField("变更原因", blank=True)
    # The implementing department of this version: the item's, or for a delegation (下放)
    # the lower-level department that takes the item over when the version takes effect.
    department = models.ForeignKey(
        Department,
        verbose_name="实施部门",
        on_delete=models.PROTECT,
        related_name="item_versions",
    )
    effective_on = models.DateField("生效日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="起草人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("起草时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True)

    # What the API, the cases and supervision read: real columns.
    name = models.CharField("事项名称", max_length=200)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    case_type = models.CharField("办件类型", max_length=1, choices=CaseType.choices)
    legal_limit_days = models.PositiveSmallIntegerField("法定办结时限")
    legal_limit_unit = models.CharField("法定时限单位", max_length=13, choices=LimitUnit.choices)
    legal_limit_note = models.TextField("法定时限说明", blank=True)
    promised_limit_days = models.PositiveSmallIntegerField("承诺办结时限")
    promised_limit_unit = models.CharField("承诺时限单位", max_length=13, choices=LimitUnit.choices)
    promised_limit_note = models.TextField("承诺时限说明", blank=True)
    warning_threshold_days = models.PositiveSmallIntegerField(
        "预警阈值（工作日）",
        null=True,
        blank=True,
        help_text="留空则提交时取 max(1, ⌈0.2×承诺时限⌉)",
    )
    correction_answer_days = models.PositiveSmallIntegerField(
        "补正期限（工作日）",
        null=True,
        blank=True,
        help_text="申请人答复补正告知的期限（1–60 个工作日）；留空则取全局设置",
    )
    service_objects = models.JSONField("服务对象", default=list, blank=True)
    handling_forms = models.JSONField("办理形式", default=list, blank=True)
    online_depth = models.JSONField("网上办理深度", default=list, blank=True)
    online_service_level = models.ForeignKey(
        OnlineServiceLevel,
        verbose_name="网上办理等级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entrusted_department = models.ForeignKey(
        Department,
        verbose_name="受委托部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visits_required = models.PositiveSmallIntegerField("到现场次数", default=0)
    visits_note = models.TextField("到现场原因", blank=True)
    special_procedures = models.JSONField("特别程序", default=list, blank=True)
    fees = models.JSONField("收费", default=list, blank=True)
    legal_basis = models.TextField("法律依据", blank=True)
    acceptance_conditions = models.TextField("受理条件", blank=True)
    form_schema = models.JSONField("电子表单（JSON Schema）", default=dict, blank=True)
    # The long tail of the guide (keys in choices.GUIDE_FIELDS).
    guide = models.JSONField("办事指南其他要素", default=dict, blank=True)

    class Meta:
        verbose_name = "事项版本"
        verbose_name_plural = "事项版本"
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_number_unique"),
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(state="published"),
                name="item_one_published_version",
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(state__in=["draft", "in_review", "scheduled"]),
                name="item_one_pending_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A frozen version may only change its state (published → superseded)."""
        if self.pk is not None:
            stored = ItemVersion.objects.filter(pk=self.pk).values_list("state", flat=True).first()
            update_fields = kwargs.get("update_fields")
            if stored in FROZEN_STATES and not (
                update_fields is not None and set(update_fields) <= {"state"}
            ):
                raise immutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_frozen:
            raise immutable()
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.state in FROZEN_STATES


class _VersionPart(models.Model):
    """Materials and steps change only while their version is a draft."""

    version: models.ForeignKey[ItemVersion, ItemVersion]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._check_editable()
        return super().delete(*args, **kwargs)

    def _check_editable(self) -> None:
        state = ItemVersion.objects.filter(pk=self.version.pk).values_list("state", flat=True)
        if state.first() != VersionState.DRAFT:
            raise immutable()


class Material(_VersionPart):
    """申请材料. Its blank form and filled-in sample are `CatalogFile` rows."""

    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="materials"
    )
    order = models.PositiveSmallIntegerField("序号")
    code = models.CharField("材料编码", max_length=64)
    name = models.CharField("材料名称", max_length=200)
    material_type = models.CharField(
        "材料类型", max_length=12, choices=MaterialType.choices, default=MaterialType.OTHER
    )
    form = models.CharField(
        "材料形式", max_length=20, choices=MaterialForm.choices, default=MaterialForm.ELECTRONIC
    )
    required = models.BooleanField("必要", default=True)
    condition = models.TextField(
        "容缺或情形说明", blank=True, help_text="非必要材料须写明需要提交的情形"
    )
    source_channel = models.CharField(
        "来源渠道", max_length=12, choices=MaterialSource.choices, default=MaterialSource.APPLICANT
    )
    originals = models.PositiveSmallIntegerField("原件份数", default=0)
    copies = models.PositiveSmallIntegerField("复印件份数", default=0)
    paper_size = models.CharField("纸张规格", max_length=20, blank=True)
    filling_notes = models.TextField("填报须知", blank=True)
    acceptance_standard = models.TextField("受理标准", blank=True)
    basis = models.TextField("要求提供材料的依据", blank=True)
    certificate_type = models.CharField(
        "可替代的电子证照类型", max_length=64, blank=True, help_text="证照类型代码；留空表示无"
    )

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="material_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WorkflowStep(_VersionPart):
    """One step of the item's approval workflow (受理、承办、审核、复核、审批……)."""

    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("环节名称", max_length=50)
    role = models.CharField("办理角色", max_length=20, choices=Role.choices)
    budget_days = models.PositiveSmallIntegerField("环节时限（工作日）")
    assignment = models.CharField(
        "分派方式", max_length=10, choices=Assignment.choices, default=Assignment.POOL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="指定人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A co-handling department (联办部门) works this step of a joint approval; empty means
    # the implementing department.
    department = models.ForeignKey(
        Department,
        verbose_name="联办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "审批环节"
        verbose_name_plural = "审批环节"
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="workflow_step_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class CatalogFile(_VersionPart):
    """A file of the guide: a material's blank form or filled-in sample, or the sample of the
    approval result. The bytes are stored once per content (named by SHA-256), so versions
    drafted from one another share them; a published version's files are public."""

    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="files"
    )
    material = models.ForeignKey(
        Material,
        verbose_name="申请材料",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
    )
    kind = models.CharField("文件类别", max_length=14, choices=FileKind.choices)
    name = models.CharField("文件名", max_length=200)
    blob = models.CharField("存储名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        verbose_name = "指南文件"
        verbose_name_plural = "指南文件"
        ordering = ["version", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "material", "kind"],
                condition=models.Q(material__isnull=False),
                name="catalog_file_one_per_material_kind",
            ),
            models.UniqueConstraint(
                fields=["version", "kind"],
                condition=models.Q(material__isnull=True),
                name="catalog_file_one_per_version_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemChange(models.Model):
    """The change feed (一调五调): one row each time a version takes effect, in order. Systems
    that mirror the catalogue read it from `GET /api/v1/item-changes?since=<id>`."""

    id = models.BigAutoField(primary_key=True)
    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="changes"
    )
    version = models.ForeignKey(
        ItemVersion, verbose_name="版本", on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField("变更", max_length=10, choices=ChangeEvent.choices)
    occurred_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "事项变更"
        verbose_name_plural = "事项变更"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.event}"


# The search index's models live beside the code that fills and reads them; importing them
# here registers them with the app whatever imports first (flush, checks, migrations).
from wangban.catalog.search import ItemFacet, ItemSearch  # noqa: E402, F401
