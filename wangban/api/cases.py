"""Cases (办件) of API.md: applying, materials, submission, the list and one case, the
transitions of acceptance, review and decision, and the public progress query.

Every write is an action of `wangban.cases.actions` or `wangban.cases.review`; who sees
what is `wangban.cases.access` (`access_case`, `cases_visible_to`); the body of a case is
`wangban.cases.representation.case_to_api` and that of the progress query
`wangban.cases.progress.public_progress`. The serializers below check the shape of the
requests and document the bodies for the OpenAPI schema, as in `wangban.api.catalog`.

Refusals come in API.md's order: 401, 404 (a case the caller may not see reads as one that
does not exist), 403, 409, 400, then 413 and 415 for files and 429 for the rate limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.db.models import F
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wangban.accounts.choices import Role
from wangban.api.catalog import DepartmentRefSerializer, page_size, positive_integer
from wangban.api.pagination import PageNumberPagination
from wangban.api.parsers import JSONParser
from wangban.api.throttling import ClientAddressThrottle
from wangban.cases import actions, review
from wangban.cases.access import (
    MAX_CASE_ID_LENGTH,
    NOT_FOUND_MESSAGE,
    access_case,
    cases_visible_to,
)
from wangban.cases.choices import (
    CaseAction,
    CaseState,
    Channel,
    DecisionOutcome,
    Delivery,
    StopKind,
    check_transition,
)
from wangban.cases.clock import BLUE, GREEN, RED
from wangban.cases.documents import open_document
from wangban.cases.models import Case
from wangban.cases.progress import find_case_for_progress, public_progress
from wangban.cases.queries import filter_light
from wangban.cases.representation import (
    case_to_api,
    for_representation,
    material_to_api,
    represent,
)
from wangban.catalog.choices import SpecialProcedure
from wangban.core.errors import DomainError, InvalidInput, NotFound

LIGHTS = (GREEN, BLUE, RED)
#: The channels a system may name (API.md `channel`): the online hall (`online`) and the
#: window (`window`) have their own pages and never come through the API.
API_CHANNELS = [Channel.KIOSK, Channel.MOBILE, Channel.API]
MAX_ITEM_CODE_LENGTH = 64  # catalog: implementation codes reach 55 characters
MAX_STEP_ID_LENGTH = 20  # CaseStep.id, a big integer as a string
EXTENSION_MESSAGE = f"请填写延长的工作日数（1—{review.MAX_EXTENSION_WORKING_DAYS} 的整数）。"

# --- Documentation of the representations ------------------------------------------------


@extend_schema_field(
    {"type": "string", "enum": CaseState.values, "description": "办件状态（API.md States）"},
    component_name="CaseState",
)
class CaseStateField(serializers.ChoiceField):
    """A case state; one schema component for every field that holds one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CaseState.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": CaseAction.values, "description": "办件操作"},
    component_name="CaseAction",
)
class CaseActionField(serializers.ChoiceField):
    """An action of a case's timeline; one schema component for every field that holds one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CaseAction.choices, **kwargs)


class LegalPersonRefSerializer(serializers.Serializer):
    id = serializers.CharField(label="法人 id", help_text="不透明字符串")
    name = serializers.CharField(label="法人名称")


LIGHT_CHOICES = [(GREEN, "绿灯"), (BLUE, "蓝灯预警"), (RED, "红灯超期")]


class CurrentStepSerializer(serializers.Serializer):
    """The approval step the case waits at (`wangban.cases.representation.step_to_api`)."""

    id = serializers.CharField(
        label="环节 id", help_text="不透明字符串；办理时作为 step 回传，用于并发检查"
    )
    order = serializers.IntegerField(label="环节顺序")
    name = serializers.CharField(label="环节名称")
    role = serializers.ChoiceField(label="办理角色", choices=Role.choices)
    department = DepartmentRefSerializer(label="办理部门")
    assignee = serializers.CharField(
        label="指定办理人", allow_null=True, help_text="用户名；null 表示在部门队列中"
    )
    due_on = serializers.DateField(
        label="环节到期日", allow_null=True, help_text="停止计时时为 null"
    )
    light = serializers.ChoiceField(
        label="环节灯色", choices=LIGHT_CHOICES, allow_null=True, help_text="停止计时时保持不变"
    )


class CaseExtensionSerializer(serializers.Serializer):
    on = serializers.DateField(label="延期日期")
    working_days = serializers.IntegerField(label="延长工作日")
    reason = serializers.CharField(label="延期理由")


class ClockStopSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        label="停止计时类型",
        choices=StopKind.choices,
        help_text="correction 审查中补正、special_procedure 特别程序",
    )
    procedure = serializers.ChoiceField(
        label="特别程序",
        choices=SpecialProcedure.choices,
        allow_null=True,
        help_text="补正时为 null",
    )
    reason = serializers.CharField(label="理由")
    started_on = serializers.DateField(label="停止计时日期")
    ended_on = serializers.DateField(
        label="恢复计时日期", allow_null=True, help_text="未恢复为 null"
    )


class DecisionDocumentSerializer(serializers.Serializer):
    title = serializers.CharField(label="文书名称")
    sealed_at = serializers.DateTimeField(label="盖章时间", allow_null=True)
    verification_code = serializers.CharField(label="验证码")
    verification_url = serializers.URLField(
        label="验证地址", help_text="公开的验证页面，与决定书上二维码的地址相同"
    )
    download_url = serializers.CharField(
        label="下载地址",
        help_text="决定书 PDF：GET /api/v1/cases/{id}/documents/{document_id}，凭访问令牌下载",
    )


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(label="审批决定", choices=DecisionOutcome.choices)
    reason = serializers.CharField(label="决定理由", allow_blank=True)
    legal_basis = serializers.CharField(label="法律依据")
    document = DecisionDocumentSerializer(
        label="决定书",
        allow_null=True,
        help_text="加盖电子印章的准予或不予行政许可决定书；决定书生成并盖章前为 null",
    )


class CaseEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(label="时间")
    action = CaseActionField(label="操作")
    from_state = CaseStateField(label="原状态", allow_null=True, help_text="创建时为 null")
    to_state = CaseStateField(label="新状态")
    note = serializers.CharField(label="说明", allow_blank=True, help_text="如不予受理的理由")


class CaseMaterialSerializer(serializers.Serializer):
    """A material of a case (`wangban.cases.representation.material_to_api`)."""

    id = serializers.CharField(label="材料 id", help_text="不透明字符串；复用文件时作为 reuse")
    material_code = serializers.CharField(label="材料编码")
    material_name = serializers.CharField(label="材料名称")
    paper = serializers.BooleanField(label="窗口收取的纸质材料")
    note = serializers.CharField(label="说明", allow_blank=True)
    file_name = serializers.CharField(label="文件名", allow_blank=True, help_text="纸质材料为空")
    content_type = serializers.CharField(label="文件类型（按内容识别）", allow_blank=True)
    size = serializers.IntegerField(label="大小（字节）")
    sha256 = serializers.CharField(label="SHA-256", allow_blank=True)
    submission = serializers.IntegerField(label="所属提交次数", help_text="第几次提交的材料")
    attached_at = serializers.DateTimeField(label="提交时间")


class CorrectionItemSerializer(serializers.Serializer):
    material_code = serializers.CharField(label="材料编码")
    material_name = serializers.CharField(label="材料名称")
    reason = serializers.CharField(label="补正原因")


class CorrectionSerializer(serializers.Serializer):
    issued_on = serializers.DateField(label="告知日期")
    answer_due_on = serializers.DateField(label="补正期限", help_text="此日（含）前补正")
    is_repeat = serializers.BooleanField(label="再次告知")
    items = CorrectionItemSerializer(label="需补正的材料", many=True)


class CaseSerializer(serializers.Serializer):
    """The case representation of API.md (`wangban.cases.representation.case_to_api`)."""

    id = serializers.CharField(label="办件 id", help_text="不透明字符串")
    receipt_no = serializers.CharField(label="受理编号", allow_null=True, help_text="受理后才有")
    item_code = serializers.CharField(label="事项实施编码")
    item_name = serializers.CharField(label="事项名称", help_text="申请时的版本")
    department = DepartmentRefSerializer(label="实施部门")
    accepting_department = DepartmentRefSerializer(
        label="受理部门", help_text="一窗受理时为政务服务中心"
    )
    on_behalf_of = LegalPersonRefSerializer(label="代办的法人", allow_null=True)
    state = CaseStateField(label="状态")
    state_label = serializers.CharField(label="状态名称")
    channel = serializers.ChoiceField(label="申请渠道", choices=Channel.choices)
    created_at = serializers.DateTimeField(label="创建时间")
    submitted_at = serializers.DateTimeField(label="最近一次提交时间", allow_null=True)
    received_on = serializers.DateField(label="收件日期", allow_null=True)
    sign_in_due_at = serializers.DateTimeField(
        label="签收时限", allow_null=True, help_text="受理前；事项不要求签收或已受理时为 null"
    )
    signed_in_at = serializers.DateTimeField(label="签收时间", allow_null=True)
    reply_due_on = serializers.DateField(
        label="预审答复时限", allow_null=True, help_text="受理前；已受理时为 null"
    )
    accepted_on = serializers.DateField(label="受理日期", allow_null=True)
    deemed_accepted = serializers.BooleanField(
        label="视为受理", help_text="逾期未答复，依法视为受理（行政许可法第三十二条）"
    )
    decided_on = serializers.DateField(label="决定日期", allow_null=True)
    clock_running = serializers.BooleanField(label="正在计时")
    due_date = serializers.DateField(
        label="承诺办结日期",
        allow_null=True,
        help_text="受理前、停止计时时，以及受理后撤回或终止的办件为 null；决定后保留",
    )
    legal_due_date = serializers.DateField(
        label="法定办结日期", allow_null=True, help_text="同 due_date"
    )
    light = serializers.ChoiceField(
        label="灯色",
        choices=LIGHT_CHOICES,
        allow_null=True,
        help_text="受理前和作出决定后为 null；停止计时时保持不变",
    )
    remaining_working_days = serializers.IntegerField(
        label="剩余工作日",
        allow_null=True,
        help_text="超期为负数；停止计时时为尚未用去的天数，以承诺时限的单位计（自然日时限为"
        "自然日）；决定后为决定当日的数；受理前为 null",
    )
    current_step = CurrentStepSerializer(
        label="当前审批环节", allow_null=True, help_text="受理前和作出决定后为 null"
    )
    extensions = CaseExtensionSerializer(label="延期记录", many=True)
    stops = ClockStopSerializer(label="停止计时记录", many=True)
    decision = DecisionSerializer(label="审批决定", allow_null=True, help_text="作出决定前为 null")
    correction = CorrectionSerializer(
        label="补正告知", allow_null=True, help_text="待补正时为最近一次补正告知书，否则为 null"
    )
    closing_reason = serializers.CharField(label="不予受理、终止或撤回理由", allow_blank=True)
    closed_at = serializers.DateTimeField(label="结束时间", allow_null=True)
    delivery = serializers.ChoiceField(
        label="送达方式", choices=Delivery.choices, allow_null=True, help_text="办结送达前为 null"
    )
    tracking_no = serializers.CharField(
        label="快递单号", allow_null=True, help_text="邮寄送达时的快递单号，否则为 null"
    )
    form = serializers.DictField(label="申请表", help_text="按事项电子表单（JSON Schema）填写")
    materials = CaseMaterialSerializer(label="申请材料", many=True)
    events = CaseEventSerializer(label="办理记录", many=True)
    revision = serializers.IntegerField(
        label="办件版本",
        help_text="办理记录的条数，办件每有变化即增加；办理时回传，办件已变化则为 409 stale",
    )


# --- Requests ------------------------------------------------------------------------------


class CaseCreateSerializer(serializers.Serializer):
    item_code = serializers.CharField(
        label="事项实施编码", max_length=MAX_ITEM_CODE_LENGTH, help_text="已发布事项的 code"
    )
    form = serializers.DictField(
        label="申请表", required=False, default=dict, help_text="草稿可不完整，提交时须完整"
    )
    on_behalf_of = serializers.CharField(
        label="代办的法人 id",
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=MAX_CASE_ID_LENGTH,
        help_text="以法人名义申请时填写；须为法人账号持有人或在授权范围内的经办人",
    )
    channel = serializers.ChoiceField(
        label="申请渠道",
        choices=[(channel.value, channel.label) for channel in API_CHANNELS],
        default=Channel.API.value,
        help_text="kiosk 自助终端、mobile 移动端、api 其他系统（默认）",
        error_messages={
            "invalid_choice": "“{input}”不是接口可用的申请渠道：请用 kiosk（自助终端）、"
            "mobile（移动端）或 api（接口）；网上办事大厅（online）和窗口（window）的申请"
            "不经接口提交。"
        },
    )

    def validate_form(self, value: dict[str, Any]) -> dict[str, Any]:
        if problem := actions.form_problem(value):
            raise serializers.ValidationError(problem)
        return value


class MaterialUploadSerializer(serializers.Serializer):
    """Documents the multipart body; the action checks it (type by content, size)."""

    material_code = serializers.CharField(label="材料编码", help_text="事项材料的 code")
    file = serializers.FileField(
        label="文件",
        required=False,
        help_text="PDF、Word、Excel、PNG 或 JPEG（按内容识别），不超过 20 MB；与 reuse 二选一",
    )
    reuse = serializers.CharField(
        label="复用的材料 id",
        required=False,
        help_text="同一申请人（法人）此前办件中的材料 id；与 file 二选一",
    )


class ProgressRequestSerializer(serializers.Serializer):
    receipt_no = serializers.CharField(label="受理编号", max_length=64)
    id_number = serializers.CharField(
        label="证件号码",
        max_length=40,
        help_text="申请人的居民身份证号码；法人办件为统一社会信用代码",
    )


class ProgressEventSerializer(serializers.Serializer):
    date = serializers.DateField(label="日期")
    action = CaseActionField(label="操作")
    action_label = serializers.CharField(label="操作名称")
    state = CaseStateField(label="状态")
    state_label = serializers.CharField(label="状态名称")


class ProgressSerializer(serializers.Serializer):
    """The public progress (`wangban.cases.progress.public_progress`): no names, no numbers,
    no form data and no materials."""

    receipt_no = serializers.CharField(label="受理编号")
    item_name = serializers.CharField(label="事项名称")
    department = serializers.CharField(label="办理部门名称")
    state = CaseStateField(label="状态")
    state_label = serializers.CharField(label="状态名称")
    accepted_on = serializers.DateField(label="受理日期", allow_null=True)
    due_date = serializers.DateField(label="承诺办结日期", allow_null=True)
    events = ProgressEventSerializer(label="办理过程", many=True)


# --- Transitions ---------------------------------------------------------------------------


def action_field(action: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(label="操作", choices=[(action, CaseAction(action).label)])


def reason_field(label: str, required: str = "") -> serializers.CharField:
    """A free text. Blank is let through: the action refuses it with the message of its
    rule. A text the action always needs is `required` (so /api/schema/ says), missing or
    null refused with that same message."""
    if required:
        return serializers.CharField(
            label=label,
            allow_blank=True,
            error_messages={"required": required, "null": required},
        )
    return serializers.CharField(label=label, required=False, allow_blank=True, default="")


class AcceptTransition(serializers.Serializer):
    action = action_field(CaseAction.ACCEPT)


class SignInTransition(serializers.Serializer):
    action = action_field(CaseAction.SIGN_IN)


class ResubmitTransition(serializers.Serializer):
    action = action_field(CaseAction.RESUBMIT)


class CorrectionRequestItemSerializer(serializers.Serializer):
    material_code = serializers.CharField(label="材料编码", allow_blank=True)
    reason = serializers.CharField(label="补正原因", allow_blank=True)


class RequestCorrectionTransition(serializers.Serializer):
    action = action_field(CaseAction.REQUEST_CORRECTION)
    items = serializers.ListField(
        label="需补正的材料",
        child=CorrectionRequestItemSerializer(),
        required=False,
        default=list,
        help_text="一次性列出全部需补正的材料及原因",
    )
    reason_for_second = serializers.CharField(
        label="再次告知的理由",
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="本申请已出具过补正告知书时必填（违反一次性告知，记入监察）",
    )


class TerminateTransition(serializers.Serializer):
    action = action_field(CaseAction.TERMINATE)
    reason = reason_field("终止办理的理由", actions.NEEDS_TERMINATE_REASON)


class RejectTransition(serializers.Serializer):
    action = action_field(CaseAction.REJECT)
    reason = reason_field("不予受理的具体理由", actions.NEEDS_REJECT_REASON)


class WithdrawTransition(serializers.Serializer):
    action = action_field(CaseAction.WITHDRAW)
    reason = reason_field("撤回原因（已提交的申请必填）")


# The review and decision actions (issue 8). Each takes an optional `step`: the id of the
# current step the client saw (`current_step.id`); when the case has moved on since, the
# transition is refused with 409 `stale` and changes nothing.


def step_field() -> serializers.CharField:
    return serializers.CharField(
        label="当前环节 id",
        required=False,
        allow_null=True,
        max_length=MAX_STEP_ID_LENGTH,
        help_text="客户端看到的 current_step.id；办件已被他人办理、环节已变化时为 409 stale",
    )


def revision_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        label="办件版本",
        required=False,
        allow_null=True,
        min_value=0,
        help_text="客户端看到的 revision（办理记录的条数）；办件此后有任何变化时为 409 stale",
    )


def choice_field(label: str, choices: Any, message: str, **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        label=label,
        choices=choices,
        error_messages={"invalid_choice": message, "required": message, "null": message},
        **kwargs,
    )


class ApproveStepTransition(serializers.Serializer):
    action = action_field(CaseAction.APPROVE_STEP)
    opinion = reason_field("审查意见", review.NEEDS_OPINION)
    step = step_field()
    revision = revision_field()


class ReturnStepTransition(serializers.Serializer):
    action = action_field(CaseAction.RETURN_STEP)
    reason = reason_field("退回理由", review.NEEDS_RETURN_REASON)
    step = step_field()
    revision = revision_field()


class ReassignTransition(serializers.Serializer):
    action = action_field(CaseAction.REASSIGN)
    assignee = serializers.CharField(
        label="改派给（用户名）",
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=150,
        help_text="承担本环节角色的本部门工作人员；与 queue 二选一",
    )
    queue = serializers.CharField(
        label="退回的部门队列（部门编码）",
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=64,
        help_text="本环节部门的编码，退回部门队列；与 assignee 二选一",
    )
    step = step_field()
    revision = revision_field()


class SuspendTransition(serializers.Serializer):
    action = action_field(CaseAction.SUSPEND)
    procedure = choice_field(
        "特别程序",
        SpecialProcedure.choices,
        "请选择特别程序：site_survey 现场勘查、inspection 检验、testing 检测、quarantine 检疫、"
        "expert_review 专家评审、hearing 听证、public_notice 公示或 other 其他。",
    )
    reason = reason_field("挂起理由", review.NEEDS_SUSPEND_REASON)
    step = step_field()
    revision = revision_field()


class ResumeTransition(serializers.Serializer):
    action = action_field(CaseAction.RESUME)
    note = reason_field("说明")
    step = step_field()
    revision = revision_field()


class ExtendTransition(serializers.Serializer):
    action = action_field(CaseAction.EXTEND)
    working_days = serializers.IntegerField(
        label="延长工作日",
        min_value=1,
        max_value=review.MAX_EXTENSION_WORKING_DAYS,
        error_messages=dict.fromkeys(
            ("required", "null", "invalid", "min_value", "max_value", "max_string_length"),
            EXTENSION_MESSAGE,
        ),
        help_text="超过法定延长期限（一般为 10 个工作日）仍会记录，并记入监察",
    )
    reason = reason_field("延期理由", review.NEEDS_EXTEND_REASON)
    step = step_field()
    revision = revision_field()


class DecideTransition(serializers.Serializer):
    action = action_field(CaseAction.DECIDE)
    outcome = choice_field(
        "审批决定",
        DecisionOutcome.choices,
        "请选择审批决定：approved 准予许可或 denied 不予许可。",
    )
    reason = reason_field("决定理由（不予许可必填）")
    legal_basis = serializers.CharField(
        label="法律依据",
        required=False,
        allow_blank=True,
        default="",
        help_text="不填时为事项的设定依据",
    )
    step = step_field()
    revision = revision_field()


class CompleteTransition(serializers.Serializer):
    action = action_field(CaseAction.COMPLETE)
    delivery = choice_field(
        "送达方式",
        Delivery.choices,
        "请选择送达方式：pickup 窗口领取、mail 邮寄送达或 online 网上送达。",
    )
    tracking_no = serializers.CharField(
        label="快递单号",
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=review.TRACKING_NO_MAX_LENGTH,
        help_text="邮寄送达时必填",
    )
    step = step_field()
    revision = revision_field()


#: What a transition does: the locked case, the user, the checked body, the Django request.
Run = Callable[[Case, Any, dict[str, Any], HttpRequest], object]


@dataclass(frozen=True)
class Transition:
    """One action of `POST /cases/{id}/transitions`: the body it takes (documented in the
    schema) and the domain action it calls."""

    body: type[serializers.Serializer]
    run: Run


def _sign_in(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    actions.do_sign_in(case, actor=user, request=request)


def _accept(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    actions.do_accept(case, actor=user, request=request)


def _request_correction(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    actions.do_request_correction(
        case,
        actor=user,
        items=data["items"],
        reason_for_second=data.get("reason_for_second"),
        request=request,
    )


def _resubmit(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    actions.do_resubmit(case, actor=user, request=request)


def _terminate(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    actions.do_terminate(case, actor=user, reason=data["reason"], request=request)


def _reject(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    actions.do_reject(case, actor=user, reason=data["reason"], request=request)


def _withdraw(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    actions.do_withdraw(case, actor=user, reason=data["reason"], request=request)


def _approve_step(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    review.do_approve_step(
        case,
        actor=user,
        opinion=data["opinion"],
        step=data.get("step"),
        revision=data.get("revision"),
        request=request,
    )


def _return_step(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    review.do_return_step(
        case,
        actor=user,
        reason=data["reason"],
        step=data.get("step"),
        revision=data.get("revision"),
        request=request,
    )


def _reassign(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    review.do_reassign(
        case,
        actor=user,
        assignee=data.get("assignee"),
        queue=data.get("queue"),
        step=data.get("step"),
        revision=data.get("revision"),
        request=request,
    )


def _suspend(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    review.do_suspend(
        case,
        actor=user,
        procedure=data["procedure"],
        reason=data["reason"],
        step=data.get("step"),
        revision=data.get("revision"),
        request=request,
    )


def _resume(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    review.do_resume(
        case,
        actor=user,
        note=data["note"],
        step=data.get("step"),
        revision=data.get("revision"),
        request=request,
    )


def _extend(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    review.do_extend(
        case,
        actor=user,
        working_days=data["working_days"],
        reason=data["reason"],
        step=data.get("step"),
        revision=data.get("revision"),
        request=request,
    )


def _decide(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    review.do_decide(
        case,
        actor=user,
        outcome=data["outcome"],
        reason=data["reason"],
        legal_basis=data["legal_basis"],
        step=data.get("step"),
        revision=data.get("revision"),
        request=request,
    )


def _complete(case: Case, user: Any, data: dict[str, Any], request: HttpRequest) -> None:
    # After the decision there is no current step: a `step` the client saw is checked
    # (stale) by the view before this runs.
    review.do_complete(
        case,
        actor=user,
        delivery=data["delivery"],
        tracking_no=data.get("tracking_no"),
        revision=data.get("revision"),
        request=request,
    )


#: The action → handler table (API.md "Actions for transitions"), in the order of a case's
#: life: a body serializer whose `action` field names the action, and the domain action.
TRANSITIONS: dict[str, Transition] = {
    CaseAction.SIGN_IN.value: Transition(SignInTransition, _sign_in),
    CaseAction.ACCEPT.value: Transition(AcceptTransition, _accept),
    CaseAction.REQUEST_CORRECTION.value: Transition(
        RequestCorrectionTransition, _request_correction
    ),
    CaseAction.RESUBMIT.value: Transition(ResubmitTransition, _resubmit),
    CaseAction.REJECT.value: Transition(RejectTransition, _reject),
    CaseAction.TERMINATE.value: Transition(TerminateTransition, _terminate),
    CaseAction.REASSIGN.value: Transition(ReassignTransition, _reassign),
    CaseAction.APPROVE_STEP.value: Transition(ApproveStepTransition, _approve_step),
    CaseAction.RETURN_STEP.value: Transition(ReturnStepTransition, _return_step),
    CaseAction.SUSPEND.value: Transition(SuspendTransition, _suspend),
    CaseAction.RESUME.value: Transition(ResumeTransition, _resume),
    CaseAction.EXTEND.value: Transition(ExtendTransition, _extend),
    CaseAction.DECIDE.value: Transition(DecideTransition, _decide),
    CaseAction.COMPLETE.value: Transition(CompleteTransition, _complete),
    CaseAction.WITHDRAW.value: Transition(WithdrawTransition, _withdraw),
}


def transition_bodies() -> dict[str, Any]:
    return {name: entry.body for name, entry in TRANSITIONS.items()}


def transition_request() -> PolymorphicProxySerializer:
    """One body per action, told apart by `action` (read when the schema is generated, so
    that entries added to the table are documented with it)."""
    return PolymorphicProxySerializer(
        component_name="CaseTransition",
        serializers=transition_bodies,
        resource_type_field_name="action",
    )


# --- Helpers -------------------------------------------------------------------------------


def case_not_found() -> NotFound:
    return NotFound(NOT_FOUND_MESSAGE, code="case_not_found")


def checked_case_id(raw: str) -> str:
    """A case id from the path. Ids are 20 hex characters; anything no case can have (too
    long, a NUL character the database refuses to compare) is simply not found."""
    if len(raw) > MAX_CASE_ID_LENGTH or "\x00" in raw:
        raise case_not_found()
    return raw


def object_id(raw: Any) -> int | None:
    """An opaque id from JSON or a form field as the row's key; None when absent. An id no
    row can have becomes 0, which matches nothing: the action then refuses it exactly as it
    refuses an id the caller may not use, so ids cannot be probed."""
    if raw is None or raw == "":
        return None
    text = str(raw)
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return 0


def seen_step(seen: Any) -> str | int | None:
    """The current step the client says it saw (optimistic concurrency: two staff acting on
    one case, the second acts on what is gone), for `review.require_may_act_on_step`; a
    `step` of the wrong type is left to the body's check (400)."""
    if seen is None or seen == "" or isinstance(seen, bool) or not isinstance(seen, str | int):
        return None
    return seen


def json_object(request: Request) -> Mapping[str, Any]:
    if not isinstance(request.data, Mapping):
        raise InvalidInput("请求内容应为 JSON 对象。", code="malformed_request")
    return request.data


class CasePagination(PageNumberPagination):
    """API.md's pages, with `page` and `page_size` checked as the catalogue checks them
    (400 for anything but a positive integer; a page past the end is 404)."""

    def get_page_size(self, request: Request) -> int:
        return page_size(request, self.page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return positive_integer(request, self.page_query_param, 1)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": "页码，从 1 开始；超出末页为 404",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"每页条数，默认 {self.page_size}；超过 100 按 100",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


def _choice(request: Request, name: str, allowed: Any, what: str) -> str:
    value = request.query_params.get(name, "")
    if value and value not in allowed:
        message = f"未知的{what}“{value[:50]}”；可用：{'、'.join(allowed)}。"
        raise InvalidInput(message, fields={name: [message]})
    return value


#: `?ordering=` → the list's order; cases without a due date come last either way, and the
#: id breaks ties so that pages never overlap.
ORDERINGS: dict[str, tuple[Any, ...]] = {
    "": ("-created_at", "-pk"),
    "due_date": (F("due_date").asc(nulls_last=True), "pk"),
    "-due_date": (F("due_date").desc(nulls_last=True), "-pk"),
}
ORDERINGS_DOCUMENTED = [name for name in ORDERINGS if name]

CASE_ID = OpenApiParameter(
    "id",
    {"type": "string", "minLength": 1, "maxLength": MAX_CASE_ID_LENGTH},
    OpenApiParameter.PATH,
    description="办件 id（不透明字符串）",
)

LIST_PARAMETERS = [
    OpenApiParameter("state", str, enum=["", *CaseState.values], description="状态；空值表示不限"),
    OpenApiParameter(
        "item_code",
        {"type": "string", "maxLength": MAX_ITEM_CODE_LENGTH},
        description="事项实施编码；空值表示不限",
    ),
    OpenApiParameter(
        "light",
        str,
        enum=["", *LIGHTS],
        description="灯色（green 绿灯、blue 蓝灯、red 红灯）：已受理、未作出决定的办件；"
        "停止计时的办件按停止时的灯色",
    ),
    OpenApiParameter(
        "ordering",
        str,
        enum=["", *ORDERINGS_DOCUMENTED],
        description="排序：due_date 按承诺办结日期从早到晚，-due_date 从晚到早；空值为按创建时间"
        "从新到旧",
    ),
]


# --- Views ---------------------------------------------------------------------------------


class CaseAPIView(APIView):
    """The case endpoints read JSON and, for uploads, multipart bodies."""

    parser_classes = [JSONParser, MultiPartParser]


class CaseListView(CaseAPIView):
    """`GET /cases` lists what the caller may see; `POST /cases` creates a draft."""

    pagination_class = CasePagination

    @extend_schema(
        summary="办件列表",
        description="申请人看到本人（及其法人、授权范围内）的办件；工作人员看到其职责范围内的"
        "办件（受理窗口的待受理办件、本部门已提交的办件；监察人员看到全部已提交的办件）。"
        "默认按创建时间从新到旧；ordering=due_date 按承诺办结日期从早到晚（-due_date 从晚到早），"
        "没有办结日期的办件（未受理、停止计时等）排在最后。state 为未知状态、light 不是 green、"
        "blue、red、ordering 不是 due_date、-due_date 时为 400。",
        parameters=LIST_PARAMETERS,
        responses={200: CaseSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """The cases the caller may see (`cases_visible_to`), newest first or by promised
        due date, filtered by `state`, `item_code` and `light`. The light is filtered in SQL
        (`queries.filter_light`) from the figures stored on the case, as of today's local
        date, and each case's light on the page is computed by the same rule."""
        state = _choice(request, "state", CaseState.values, "状态")
        light = _choice(request, "light", LIGHTS, "灯色")
        ordering = _choice(request, "ordering", ORDERINGS_DOCUMENTED, "排序")
        item_code = request.query_params.get("item_code", "")
        if len(item_code) > MAX_ITEM_CODE_LENGTH or "\x00" in item_code:
            message = f"事项实施编码最长 {MAX_ITEM_CODE_LENGTH} 个字符。"
            raise InvalidInput(message, fields={"item_code": [message]})
        cases = cases_visible_to(request.user)
        if state:
            cases = cases.filter(state=state)
        if item_code:
            cases = cases.filter(item__code=item_code)
        today = timezone.localdate()
        if light:
            cases = filter_light(cases, light, today)
        paginator = CasePagination()
        page = paginator.paginate_queryset(
            for_representation(cases.order_by(*ORDERINGS[ordering]), today), request, view=self
        )
        assert page is not None  # noqa: S101 - the API always paginates
        return paginator.get_paginated_response([case_to_api(case, today=today) for case in page])

    @extend_schema(
        summary="创建办件（草稿）",
        description="以本人或法人（on_behalf_of）名义，按事项已发布版本创建草稿。"
        "事项不存在或未发布为 404 item_not_found；无代办授权为 403 agent_not_authorised；"
        "申请表不符合事项电子表单为 400（字段 form.<字段名>）。",
        request={"application/json": CaseCreateSerializer},
        responses={201: CaseSerializer},
    )
    def post(self, request: Request) -> Response:
        body = CaseCreateSerializer(data=json_object(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        legal_person = object_id(data.get("on_behalf_of"))
        case = actions.do_create_case(
            actor=request.user,
            item_code=data["item_code"],
            form=data["form"],
            on_behalf_of=legal_person,
            channel=data["channel"],
            request=request._request,
        )
        location = reverse("api:case", args=[case.pk])
        return Response(
            represent(case), status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class CaseDetailView(CaseAPIView):
    @extend_schema(
        summary="办件详情",
        description="办件的全部信息：期限、灯色、材料、补正告知与办理记录。"
        "看不到的办件与不存在的一样，都是 404 case_not_found。",
        parameters=[CASE_ID],
        responses={200: CaseSerializer},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(represent(access_case(checked_case_id(id), request.user)))


class CaseMaterialView(CaseAPIView):
    @extend_schema(
        summary="提交材料",
        description="为事项的一项材料上传文件（multipart：material_code、file），或以 reuse "
        "复用本人此前办件中的文件；替换该材料原有的文件。草稿可改任意材料，待补正时只能改补正"
        "告知书所列材料，其他状态为 409 materials_locked。文件超过 20 MB 为 413 "
        "file_too_large，类型（按内容识别）不符为 415 unsupported_file_type。",
        parameters=[CASE_ID],
        request={"multipart/form-data": MaterialUploadSerializer},
        responses={201: CaseMaterialSerializer},
    )
    def post(self, request: Request, id: str) -> Response:
        # The whole upload is read before the case is locked (a slow client must not hold
        # the lock); a malformed body is refused only after the 404, the 403 and the 409.
        body_error: Exception | None = None
        try:
            data = json_object(request)
        except Exception as error:  # raised below, in its turn
            body_error, data = error, {}
        with transaction.atomic():
            case = access_case(checked_case_id(id), request.user, for_write=True)
            if body_error is not None:
                actions.require_materials_editable(case, request.user)
                raise body_error
            code = data.get("material_code")
            # No material code has a NUL character, and the database cannot compare one:
            # shown as U+FFFD, it is refused as any unknown code, after the action's 404,
            # 403 and 409.
            material_code = "" if code is None else str(code).strip().replace("\x00", "\ufffd")
            try:
                row = actions.do_attach_material(
                    case,
                    actor=request.user,
                    material_code=material_code,
                    upload=request.FILES.get("file"),
                    reuse=object_id(data.get("reuse")),
                    request=request._request,
                )
            except InvalidInput as error:
                # Only after the action's 404, 403 and 409: then a missing code reads as such.
                if not material_code and "material_code" in error.fields:
                    raise InvalidInput(fields={"material_code": ["请填写材料编码。"]}) from error
                raise
        return Response(material_to_api(row), status=status.HTTP_201_CREATED)


class CaseSubmitView(CaseAPIView):
    @extend_schema(
        summary="提交申请",
        description="提交草稿：申请表须完整、必要材料须齐全（否则 400，字段 form.<字段名>、"
        "materials.<材料编码>）；开始计算签收、预审答复和视为受理的期限。",
        parameters=[CASE_ID],
        request=None,
        responses={200: CaseSerializer},
    )
    def post(self, request: Request, id: str) -> Response:
        case = actions.do_submit(checked_case_id(id), actor=request.user, request=request._request)
        return Response(represent(case))


def deem_before_an_answer(request: HttpRequest, user: Any, id: str) -> None:
    """Before a clerk's answer to a submission (`actions.ANSWERS_TO_A_SUBMISSION`, named in
    a JSON or multipart body): a deemed acceptance now due (行政许可法第三十二条) is recorded
    first, committed on its own (`actions.deem_if_due`), for a caller who may see the case.
    Run before the request's transaction: by `IdempotencyMiddleware` when the request
    carries a key, else by the view. The body is read as it came, not through the view's
    parsers: a body they refuse must still be refused by the view, in its turn."""
    if _answer_named(request) not in actions.ANSWERS_TO_A_SUBMISSION:
        return
    try:
        case_id = checked_case_id(id)
    except DomainError:
        return  # the view answers it: not found
    actions.deem_if_due(case_id, user)  # nothing for whoever may not see the case


#: What reading a body the view's parsers will refuse anyway can raise here.
UNREADABLE = (
    ValueError,
    RecursionError,
    RequestDataTooBig,
    SuspiciousOperation,
    MultiPartParserError,
)


def _answer_named(request: HttpRequest) -> Any:
    try:
        if request.content_type == "multipart/form-data":
            # The body read whole first: the form is then parsed from it, so a form that
            # fails to parse (too many fields) leaves it for the view's own refusal.
            request.body  # noqa: B018
            return request.POST.get("action")
        if request.content_type == "application/json":
            body = json.loads(request.body)
            return body.get("action") if isinstance(body, dict) else None
    except UNREADABLE:
        return None
    return None


class CaseTransitionView(CaseAPIView):
    #: Run before the request's transaction (wangban/api/idempotency.py).
    before_transaction = staticmethod(deem_before_an_answer)

    @extend_schema(
        summary="办理办件",
        description="按 action 办理：sign_in 签收、accept 受理、request_correction 一次性告知"
        "补正（items；审查中由承办人提出，停止计时）、resubmit 补正后重新提交、reject 不予受理"
        "（reason）、terminate 逾期未补正终止办理（reason）、reassign 转办改派（assignee 或 "
        "queue）、approve_step 审查通过（opinion）、return_step 退回上一环节（reason）、"
        "suspend 挂起进行特别程序（procedure、reason）、resume 恢复办理（note）、extend 延长"
        "办理期限（working_days、reason）、decide 作出审批决定（outcome、reason、legal_basis）、"
        "complete 办结送达（delivery、tracking_no）、withdraw 撤回申请（reason）。谁可以办理、"
        "从哪个状态办理见 API.md。审查阶段的操作可带 step（看到的 current_step.id）：办件已被"
        "他人办理为 409 stale。当前状态不允许为 409 invalid_transition；没有待办环节为 409 "
        "no_current_step；最后一个环节须作出决定为 409 last_step_decides；没有可退回的环节为 "
        "409 no_previous_step；不是最后一个环节不能决定为 409 not_last_step；补正期限未届满"
        "不能终止为 409 correction_not_overdue；决定书尚未盖章生成不能网上送达为 409 "
        "decision_not_ready；未知的 action 为 400。成功时返回办理后的办件。",
        parameters=[CASE_ID],
        request={"application/json": transition_request()},
        responses={200: CaseSerializer},
    )
    def post(self, request: Request, id: str) -> Response:
        """404, 403 and 409 are decided on the locked case before the body is read, by the
        functions the action itself uses (`access_case`, `review.require_may_act_on_step`,
        `check_transition`, `review.require_possible`: a step that is not the last, a
        correction not overdue yet), so that a body the action would refuse (400) never
        hides them; the action then checks again, with its input, and writes.

        A clerk's answer to a submission whose five working days are over meets the deemed
        acceptance the law has already made: that is recorded first, in its own
        transaction (`deem_before_an_answer`), so that the refusal the answer then gets
        does not undo it."""
        case_id = checked_case_id(id)
        if not getattr(request._request, "before_transaction_done", False):
            deem_before_an_answer(request._request, request.user, id)
        with transaction.atomic():
            case = access_case(case_id, request.user, for_write=True)
            data = json_object(request)
            name = data.get("action")
            if not isinstance(name, str) or name not in TRANSITIONS:
                valid = "、".join(TRANSITIONS)
                given = f"未知的操作“{str(name)[:50]}”" if name else "请指明操作（action）"
                raise InvalidInput(fields={"action": [f"{given}；可用的操作：{valid}。"]})
            transition = TRANSITIONS[name]
            fields = transition.body().fields
            seen = seen_step(data.get("step")) if "step" in fields else None
            revision = data.get("revision") if "revision" in fields else None
            if isinstance(revision, bool) or not isinstance(revision, int):
                revision = None  # anything but a whole number is the body's check (400)
            review.require_may_act_on_step(case, request.user, name, seen, revision)
            check_transition(case.state, name)
            review.require_possible(case, name)
            if name == CaseAction.COMPLETE:  # online delivery needs the sealed decision
                review.require_deliverable(case, data.get("delivery"))
            body = transition.body(data=data)
            body.is_valid(raise_exception=True)
            # The action takes over the case locked here (`access.lock_case`) and changes it.
            transition.run(case, request.user, dict(body.validated_data), request._request)
            return Response(represent(case))


class PDFRenderer(BaseRenderer):
    """Lets a client ask for a document with `Accept: application/pdf` (the type
    /api/schema/ gives its answer). The view answers with the file itself; a refusal is
    rendered as JSON instead (`CaseDocumentView.finalize_response`)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data


class CaseDocumentView(CaseAPIView):
    renderer_classes = [JSONRenderer, PDFRenderer]
    # No HEAD (Django would answer it with `get`): every GET is a download, audited; a HEAD
    # is 405, as at the portal's link.
    http_method_names = ["get", "options"]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        """A refusal (404 document_not_ready …) is the JSON envelope whatever was asked; the
        document itself is a FileResponse, which no renderer touches."""
        if isinstance(response, Response) and isinstance(
            getattr(request, "accepted_renderer", None), PDFRenderer
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="下载文书",
        description="办件的书面文书（受理通知书、补正告知书、不予受理决定书、准予或不予许可"
        "决定书）的 PDF，地址见办件的 decision.document.download_url。能查看该办件的人可以下载"
        "（与 GET /cases/{id} 相同），每次下载都记入审计日志。看不到的办件、不属于该办件的文书为 "
        "404 case_not_found、document_not_found；文书尚在生成时为 404 document_not_ready。",
        parameters=[
            CASE_ID,
            OpenApiParameter("document_id", int, OpenApiParameter.PATH, description="文书编号"),
            # The renderers' `?format=json` would still get the PDF: the file is the answer.
            OpenApiParameter("format", exclude=True),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, id: str, document_id: int) -> HttpResponseBase:
        stream, file_name, content_type = open_document(
            checked_case_id(id), document_id, request.user, request._request
        )
        response = FileResponse(
            stream, as_attachment=True, filename=file_name, content_type=content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class ProgressView(APIView):
    """Anyone, without signing in (a stale token must not turn it into a 401), limited to
    the `public` rate per client address. The two numbers travel in the body, never in the
    address. Nothing is done, so nothing is kept for Idempotency-Key replay either."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [ClientAddressThrottle]
    throttle_scope = "public"
    idempotency_exempt = True

    @extend_schema(
        summary="办件进度查询",
        description="凭受理编号和申请人证件号码（居民身份证号码；法人办件为统一社会信用代码）"
        "查询办理进度（大安办法第二十九条）。两项都须与申请时一致，否则为 404 case_not_found，"
        "不提示哪一项不符。只返回公开的进度：不含姓名、证件号码、申请表和材料。每个地址每分钟"
        "最多 30 次，超过为 429。",
        request={"application/json": ProgressRequestSerializer},
        responses={200: ProgressSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = ProgressRequestSerializer(data=json_object(request))
        body.is_valid(raise_exception=True)
        case = find_case_for_progress(
            body.validated_data["receipt_no"], body.validated_data["id_number"]
        )
        if case is None:
            raise NotFound(
                "没有找到该办件。请核对受理编号和证件号码：两项都须与申请时一致。",
                code="case_not_found",
            )
        return Response(ProgressSerializer(public_progress(case)).data)
