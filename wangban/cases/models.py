"""Cases (办件): applications, their materials, timeline and correction notices.

Written only through `wangban.cases.actions` (DESIGN.md §4: actions own every write).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from wangban.accounts.models import Department, LegalPerson
from wangban.cases.choices import (
    CLOCK_STATES,
    CaseAction,
    CaseState,
    Channel,
    Delivery,
    DocumentKind,
    DocumentState,
    Light,
    StepOutcome,
    StopKind,
)
from wangban.catalog.choices import SpecialProcedure
from wangban.catalog.models import ItemVersion, ServiceItem, WorkflowStep

SYSTEM_ACTOR = "系统"
#: The length of the columns that keep who acted, as they were named then.
ACTOR_NAME_LENGTH = 150


def actor_name(actor: Any) -> str:
    """Who acted, as the records keep it: the system, or the person's full name (at most
    the column's length: Django's first and last names may make 301 characters)."""
    if actor is None:
        return SYSTEM_ACTOR
    return str(actor.get_full_name() or actor.get_username())[:ACTOR_NAME_LENGTH]


def new_case_id() -> str:
    """An opaque id (API.md: ids are opaque strings): 20 random hexadecimal characters."""
    return secrets.token_hex(10)


#: Accepted, not decided, in a state whose clock counts: the cases that have a light, and the
#: condition of the partial indexes on open cases below. Queries state it as
#: `queries.OPEN_CLOCK`, with the states written into the SQL, so that PostgreSQL can prove
#: the indexes apply even to a prepared statement's generic plan.
OPEN = Q(accepted_on__isnull=False, decided_on__isnull=True, state__in=CLOCK_STATES)


class Case(models.Model):
    """One application (办件) for a service item, filed under the version published when it
    was created: a case keeps its version, whatever the item becomes later."""

    id = models.CharField(primary_key=True, max_length=32, default=new_case_id, editable=False)
    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="cases"
    )
    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.PROTECT, related_name="cases"
    )
    department = models.ForeignKey(
        Department, verbose_name="实施部门", on_delete=models.PROTECT, related_name="cases"
    )
    # 一窗受理: the service centre when the department entrusts acceptance, else itself.
    accepting_department = models.ForeignKey(
        Department,
        verbose_name="受理部门",
        on_delete=models.PROTECT,
        related_name="accepting_cases",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        on_delete=models.PROTECT,
        related_name="cases",
    )
    on_behalf_of = models.ForeignKey(
        LegalPerson,
        verbose_name="代办法人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    channel = models.CharField("申请渠道", max_length=10, choices=Channel.choices)
    state = models.CharField(
        "状态", max_length=24, choices=CaseState.choices, default=CaseState.DRAFT
    )
    form = models.JSONField("申请表", default=dict, blank=True)
    # How many times it has been submitted (1 after the first submission); materials and
    # correction notices remember the submission they belong to.
    submission = models.PositiveSmallIntegerField("提交次数", default=0)

    # Before acceptance (DESIGN.md §5 "Before acceptance").
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    received_on = models.DateField("收件日期", null=True, blank=True)
    sign_in_due_at = models.DateTimeField("签收时限", null=True, blank=True)
    signed_in_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply_due_on = models.DateField("预审答复时限", null=True, blank=True)
    deemed_due_on = models.DateField("视为受理前最后答复日", null=True, blank=True)
    correction_due_on = models.DateField("补正期限", null=True, blank=True)

    # Acceptance.
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deemed_accepted = models.BooleanField("视为受理", default=False)
    receipt_no = models.CharField("受理编号", max_length=64, unique=True, null=True, blank=True)

    # Rejection (不予受理), termination (终止) or withdrawal (撤回); completion (办结).
    closing_reason = models.TextField("不予受理、终止或撤回理由", blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    # Before acceptance, a dept admin or approver may hand the pre-review to one clerk of the
    # accepting department (`reassign` from `submitted`); empty: the clerks' pool.
    intake_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="指定受理人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # The approval clock (DESIGN.md §5 "The case clock"), stored so that lists filter and
    # sort by light in SQL; written only by `wangban.cases.schedule.store_clock`, on every
    # clock event and when the holiday rows the dates cross change.
    clock_running = models.BooleanField("正在计时", default=False)
    due_date = models.DateField("承诺办结日期", null=True, blank=True)
    legal_due_date = models.DateField("法定办结日期", null=True, blank=True)
    blue_on = models.DateField("亮蓝灯日期", null=True, blank=True)
    # While stopped: the light of the stop day (frozen). Empty while running and once decided.
    frozen_light = models.CharField("停表时的灯色", max_length=5, choices=Light.choices, blank=True)
    days_used = models.PositiveIntegerField("已用天数（截至最近一次计时事件）", default=0)
    # While stopped, the unused part of the limit; after the decision, the margin on its day.
    frozen_remaining = models.IntegerField("停表或决定时的剩余天数", null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField("延长工作日合计", default=0)
    current_step = models.ForeignKey(
        "CaseStep",
        verbose_name="当前环节",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # The decision (审批决定, 行政许可法第三十八条; 大安办法第二十六条: stops the clock).
    decided_on = models.DateField("决定日期", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="决定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.TextField("决定理由", blank=True)
    decision_legal_basis = models.TextField("决定依据", blank=True)

    # Delivery of the result (大安办法第二十七条, 乌海规范第十六条).
    delivery = models.CharField("送达方式", max_length=10, choices=Delivery.choices, blank=True)
    tracking_no = models.CharField("快递单号", max_length=64, blank=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "deemed_due_on"], name="case_state_deemed"),
            models.Index(fields=["accepting_department", "state"], name="case_queue"),
            models.Index(fields=["department", "state"], name="case_department"),
            models.Index(fields=["department", "due_date"], name="case_department_due"),
            # Lists are newest first by default (`Meta.ordering`, the API's default order).
            models.Index(fields=["created_at", "id"], name="case_created"),
            # The open cases (those with a light) by due date, for each scope a list combines
            # (`access.cases_visible_to`): the review queues and the API's `?light=` read a
            # department's open cases, or the city's, without touching the decided ones.
            models.Index(
                fields=["department", "due_date"], name="case_open_department", condition=OPEN
            ),
            models.Index(
                fields=["accepting_department", "due_date"],
                name="case_open_accepting",
                condition=OPEN,
            ),
            models.Index(
                fields=["due_date", "id"],
                name="case_open_due",
                include=["clock_running", "frozen_light"],
                condition=OPEN,
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_no or self.id


class MaterialRecord(models.Model):
    """What a case holds for one material: a file (stored by content, `wangban.core.files`)
    or, at a window, a mark that it was handed over on paper (大安办法第十七—十八条)."""

    material_code = models.CharField("材料编码", max_length=64)
    material_name = models.CharField("材料名称", max_length=200)
    # The submission this material belongs to: attached before submission n is n.
    submission = models.PositiveSmallIntegerField("所属提交次数")
    paper = models.BooleanField("纸质材料", default=False)
    note = models.TextField("说明", blank=True)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    blob = models.CharField("存储名", max_length=200, blank=True)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField("提交时间")

    class Meta:
        abstract = True


class CaseMaterial(MaterialRecord):
    """One material of a case, as it stands."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = "办件材料"
        ordering = ["case", "material_code"]
        constraints = [
            models.UniqueConstraint(fields=["case", "material_code"], name="case_material_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.material_code} {self.file_name or '纸质'}"


class ReplacedMaterial(MaterialRecord):
    """A submitted material as it was before a correction replaced it (补正前的材料): the
    row `CaseMaterial` held, with its stored file, kept when a new file or paper mark takes
    its place, so that what a correction notice found deficient stays on record."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="replaced_materials")
    replaced_at = models.DateTimeField("更换时间")
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="更换人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "补正前的材料"
        verbose_name_plural = "补正前的材料"
        ordering = ["case", "material_code", "submission", "id"]

    def __str__(self) -> str:
        return f"{self.material_code} 第 {self.submission} 次提交 {self.file_name or '纸质'}"


class CaseEvent(models.Model):
    """The case's timeline (API.md `events[]`): append-only, one row per action."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField("操作人姓名", max_length=ACTOR_NAME_LENGTH)
    action = models.CharField("操作", max_length=24, choices=CaseAction.choices)
    from_state = models.CharField("原状态", max_length=24, choices=CaseState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=24, choices=CaseState.choices)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = "办件记录"
        verbose_name_plural = "办件记录"
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class CorrectionNotice(models.Model):
    """一次性补正告知书: every deficient material at once, with the reason, the day and the
    handler's name (淮安办法第十二条, 大安办法第十九条). A further notice on the same
    application needs a stated reason and is flagged for supervision (`is_repeat`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="correction_notices")
    submission = models.PositiveSmallIntegerField("对应提交次数")
    issued_at = models.DateTimeField("告知时间")
    issued_on = models.DateField("告知日期")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    handler_name = models.CharField("经办人姓名", max_length=ACTOR_NAME_LENGTH)
    # Who issues it (大安办法第十九条: 由提出该补齐补正要求的部门审查): the accepting
    # department before acceptance; during review the department whose staff asked (the
    # co-handling department of the step its holder works, else the implementing one).
    department = models.ForeignKey(
        Department,
        verbose_name="告知部门",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # [{"material_code", "material_name", "reason"}], in the item's material order.
    items = models.JSONField("补正内容")
    answer_due_on = models.DateField("补正期限")
    is_repeat = models.BooleanField("再次告知（违反一次性告知）", default=False)
    repeat_reason = models.TextField("再次告知理由", blank=True)
    answered_at = models.DateTimeField("补正提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "补正告知书"
        verbose_name_plural = "补正告知书"
        ordering = ["case", "issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.issued_on}"


class ReceiptCounter(models.Model):
    """The last receipt sequence number of a department on a day, locked while a number is
    taken so that two acceptances never get the same one."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "受理编号计数"
        verbose_name_plural = "受理编号计数"
        constraints = [
            models.UniqueConstraint(fields=["department", "day"], name="receipt_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.day} {self.last}"


class CaseDocument(models.Model):
    """A written notice or decision of a case (文书) as PDF: 受理通知书 (大安办法第二十条),
    补正告知书 (第十九条), 不予受理决定书 (第二十一条), and the decisions of issue 8.

    The issuing action writes the row `pending` in its own transaction; the task worker
    renders it right after the commit and stores the PDF by content (`core.files`), then
    marks it `ready`. A failed rendering is `failed` and is tried again by the periodic
    `render_documents` command (`wangban.cases.documents`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("文书类型", max_length=32, choices=DocumentKind.choices)
    title = models.CharField("标题", max_length=100)
    state = models.CharField(
        "状态", max_length=10, choices=DocumentState.choices, default=DocumentState.PENDING
    )
    # The timeline event that issued it, and for a correction notice the notice itself.
    event = models.ForeignKey(
        CaseEvent,
        verbose_name="办件记录",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="documents",
    )
    notice = models.ForeignKey(
        CorrectionNotice,
        verbose_name="补正告知书",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="documents",
    )
    # What the document states as it stood when issued (dates, receipt number, reasons), so
    # that a later rendering (a retry) shows the same as the first.
    facts = models.JSONField("文书要素", default=dict, blank=True)
    blob = models.CharField("存储名", max_length=200, blank=True)
    content_type = models.CharField("文件类型", max_length=100, default="application/pdf")
    size = models.PositiveIntegerField("大小（字节）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    rendered_at = models.DateTimeField("生成时间", null=True, blank=True)
    # A worker rendering it holds it until `attempted_at` + the lease (a crashed worker's
    # document is taken again afterwards).
    attempted_at = models.DateTimeField("最近一次生成开始时间", null=True, blank=True)
    attempts = models.PositiveIntegerField("生成次数", default=0)
    error = models.TextField("最近一次错误", blank=True)
    # A decision document (准予/不予许可决定书) carries the department's electronic seal
    # (docs/seals.md): the opaque code of its public verification page, printed on it as a
    # QR code, and the stamp over the stored file (SM3 digest, SM2 signature, the seal's
    # key id). Empty for the notices, which are not sealed.
    verification_code = models.CharField("验证码", max_length=32, blank=True)
    seal_key_id = models.CharField("印章编号", max_length=40, blank=True)
    seal_name = models.CharField("印章名称", max_length=100, blank=True)
    seal_digest = models.CharField("SM3 摘要", max_length=64, blank=True)
    seal_signature = models.CharField("SM2 签名", max_length=200, blank=True)
    sealed_at = models.DateTimeField("盖章时间", null=True, blank=True)

    class Meta:
        verbose_name = "办件文书"
        verbose_name_plural = "办件文书"
        ordering = ["case", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], name="case_document_per_event"),
            models.UniqueConstraint(
                fields=["verification_code"],
                condition=~Q(verification_code=""),
                name="case_document_verification_code",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(state__in=[DocumentState.PENDING, DocumentState.FAILED]),
                name="case_document_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.title}"

    @property
    def file_name(self) -> str:
        """The name the browser saves it under, e.g. "受理通知书.pdf"."""
        return f"{self.title}.pdf"


class CaseStep(models.Model):
    """One visit of an approval step (承办、审核、复核、审批……) of the case's version: who
    works it (the step's department pool, or a named person), its own budget in working days
    from its start with its own due date and light, and how it ended. A step returned to is
    visited again: a new row."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    visit = models.PositiveSmallIntegerField("序号")
    workflow_step = models.ForeignKey(
        WorkflowStep, verbose_name="事项环节", on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField("环节顺序")
    name = models.CharField("环节名称", max_length=50)
    role = models.CharField("办理角色", max_length=20)
    # The implementing department, or the co-handling department (联办部门) of the step.
    department = models.ForeignKey(
        Department, verbose_name="办理部门", on_delete=models.PROTECT, related_name="+"
    )
    # A named person; empty: the department's pool of holders of `role`.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="指定人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    budget_days = models.PositiveSmallIntegerField("环节时限（工作日）")
    started_at = models.DateTimeField("开始时间")
    started_on = models.DateField("开始日期")
    # The step's own clock (`schedule.step_clock`): stops with the case's clock.
    due_on = models.DateField("环节到期日", null=True, blank=True)
    blue_on = models.DateField("环节亮蓝灯日期", null=True, blank=True)
    frozen_light = models.CharField("停表时的灯色", max_length=5, choices=Light.choices, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=StepOutcome.choices, blank=True)
    opinion = models.TextField("意见", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField("办理人姓名", max_length=ACTOR_NAME_LENGTH, blank=True)

    class Meta:
        verbose_name = "办件环节"
        verbose_name_plural = "办件环节"
        ordering = ["case", "visit"]
        constraints = [
            models.UniqueConstraint(fields=["case", "visit"], name="case_step_visit_unique"),
        ]
        indexes = [
            models.Index(fields=["department", "role", "finished_at"], name="case_step_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.visit}. {self.name}"


class ClockStop(models.Model):
    """A stop of the approval clock (DESIGN.md §5): a correction during review (审查中补正,
    淮安办法第十二条) or a special procedure (特别程序, 大安办法第二十四条 挂起暂停), from the
    day it starts (not counted) to the day the clock restarts (counted again)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clock_stops")
    kind = models.CharField("停表类型", max_length=20, choices=StopKind.choices)
    procedure = models.CharField(
        "特别程序", max_length=20, choices=SpecialProcedure.choices, blank=True
    )
    reason = models.TextField("理由")
    notice = models.ForeignKey(
        "CorrectionNotice",
        verbose_name="补正告知书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clock_stops",
    )
    started_at = models.DateTimeField("停表时间")
    started_on = models.DateField("停表日期")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="停表人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="结束人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # `resume` or `resubmit` restart the clock; `withdraw` or `terminate` end the case.
    ended_by_action = models.CharField(
        "结束方式", max_length=24, choices=CaseAction.choices, blank=True
    )
    end_note = models.TextField("结束说明", blank=True)

    class Meta:
        verbose_name = "停表记录"
        verbose_name_plural = "停表记录"
        ordering = ["case", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(ended_at__isnull=True),
                name="clock_stop_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.started_on}–{self.ended_on or ''}"


class CaseExtension(models.Model):
    """延期: working days added to the promised and the statutory limit, with the reason and
    the approver (行政许可法第四十二条, 淮安办法第十三条, 大安办法第三十条). Beyond the statutory
    extension (10 working days, or the item's legal basis) it is flagged as a violation."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    at = models.DateTimeField("时间")
    on = models.DateField("日期")
    working_days = models.PositiveSmallIntegerField("延长工作日")
    reason = models.TextField("理由")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="批准人", on_delete=models.PROTECT, related_name="+"
    )
    approver_name = models.CharField("批准人姓名", max_length=ACTOR_NAME_LENGTH)
    statutory_limit = models.PositiveSmallIntegerField("法定可延长工作日")
    exceeds_statutory = models.BooleanField("超出法定延长期限（违规）", default=False)

    class Meta:
        verbose_name = "延期记录"
        verbose_name_plural = "延期记录"
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.working_days}"
