"""Code sets of the catalogue: GB/T 39046-2020 Appendix A and the publication workflow.

Values are stable codes (stored, and sent by the API); labels are the Chinese terms.
The numeric codes of A.1 "01" 行政许可 and "20" 公共服务 are the ones API.md promises; the
others are listed in docs/catalog.md with how sure we are of them.
"""

from __future__ import annotations

from django.db import models


class ItemType(models.TextChoices):
    """事项类型, GB/T 39046-2020 A.1."""

    LICENSING = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    PAYMENT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    RULING = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class ServiceObject(models.TextChoices):
    """服务对象, GB/T 39046-2020 A.4 (multi-valued)."""

    NATURAL_PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    PUBLIC_INSTITUTION = "3", "事业法人"
    SOCIAL_ORGANISATION = "4", "社会组织法人"
    UNINCORPORATED_ENTERPRISE = "5", "非法人企业"
    GOVERNMENT_AGENCY = "6", "行政机关"
    OTHER_ORGANISATION = "9", "其他组织"


class HandlingForm(models.TextChoices):
    """办理形式, GB/T 39046-2020 A.5 (multi-valued)."""

    WINDOW = "1", "窗口办理"
    ONLINE = "2", "网上办理"
    POST = "3", "快递申请"


class CaseType(models.TextChoices):
    """办件类型, GB/T 39046-2020 A.6. 即办件 have a promised limit of 0."""

    IMMEDIATE = "1", "即办件"
    PROMISED = "2", "承诺件"


class SpecialProcedure(models.TextChoices):
    """特别程序, GB/T 39046-2020 A.7; the codes are those of the case action `suspend`
    (API.md), so a case's suspension names the procedure the item declares."""

    SITE_SURVEY = "site_survey", "现场勘查"
    INSPECTION = "inspection", "检验"
    TESTING = "testing", "检测"
    QUARANTINE = "quarantine", "检疫"
    EXPERT_REVIEW = "expert_review", "专家评审"
    HEARING = "hearing", "听证"
    PUBLIC_NOTICE = "public_notice", "公示"
    OTHER = "other", "其他"


class OnlineDepth(models.TextChoices):
    """网上办理深度 (multi-valued)."""

    CONSULTATION = "1", "互联网咨询"
    RECEIPT = "2", "收件"
    PRE_REVIEW = "3", "预审"
    ACCEPTANCE = "4", "受理"
    HANDLING = "5", "办理"
    RESULT_FEEDBACK = "6", "结果反馈"
    CERTIFICATE_FEEDBACK = "7", "电子证照反馈"


class LimitUnit(models.TextChoices):
    """The unit of a time limit (DESIGN.md § The case clock)."""

    WORKING_DAYS = "working_days", "工作日"
    CALENDAR_DAYS = "calendar_days", "自然日"


class VersionState(models.TextChoices):
    """States of an item version; transitions in `actions.TRANSITIONS`."""

    DRAFT = "draft", "草稿"
    IN_REVIEW = "in_review", "待审核"
    SCHEDULED = "scheduled", "待生效"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被替代"
    CANCELLED = "cancelled", "已取消"


# A version in one of these states is part of the record: its content never changes. A
# scheduled version has passed legality review and waits for its effective date.
FROZEN_STATES = frozenset(
    {
        VersionState.SCHEDULED,
        VersionState.PUBLISHED,
        VersionState.SUPERSEDED,
        VersionState.CANCELLED,
    }
)

# An item has at most one version on its way to publication.
PENDING_STATES = (VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.SCHEDULED)


class ChangeKind(models.TextChoices):
    """What a version does to the catalogue (新增 / 调整 / 取消)."""

    NEW = "new", "新增"
    ADJUST = "adjust", "调整"
    CANCEL = "cancel", "取消"
    DELEGATE = "delegate", "下放"


class ChangeEvent(models.TextChoices):
    """What the change feed (`GET /api/v1/item-changes`, API.md) says happened to an item
    when a version took effect. A delegation is an adjustment whose department changed."""

    PUBLISHED = "published", "发布"
    ADJUSTED = "adjusted", "调整"
    CANCELLED = "cancelled", "取消"


class FileKind(models.TextChoices):
    """Files that belong to a version of the guide; all of them are public once published."""

    BLANK_FORM = "blank_form", "空白表格"
    SAMPLE = "sample", "填写示例"
    RESULT_SAMPLE = "result_sample", "审批结果样本"


class Assignment(models.TextChoices):
    """How the work of a step reaches a person."""

    POOL = "pool", "部门队列"
    PERSON = "person", "指定人员"


class MaterialType(models.TextChoices):
    CERTIFICATE = "certificate", "证件证照"
    FORM = "form", "申请表格文书"
    OTHER = "other", "其他"


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", "原件"
    COPY = "copy", "复印件"
    ELECTRONIC = "electronic", "电子件"
    ORIGINAL_AND_COPY = "original_and_copy", "原件和复印件"


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", "申请人自备"
    GOVERNMENT = "government", "政府部门核发"
    OTHER = "other", "其他"


# Keys allowed in `ItemVersion.guide`, the long tail of the guide (办事指南) that no query
# filters on. Each with its Chinese name, for messages and docs/catalog.md.
GUIDE_FIELDS: dict[str, str] = {
    "exercise_level": "行使层级（A.2 代码）",
    "department_nature": "实施主体性质（A.3）",
    "setting_basis": "设定依据",
    "result_type": "审批结果类型",
    "result_name": "审批结果名称",
    "supports_appointment": "支持预约办理",
    "supports_online_payment": "支持网上支付",
    "supports_post_delivery": "支持物流快递",
    "supports_kiosk": "支持自助终端",
    "place": "办理地点",
    "office_hours": "办理时间",
    "directions": "交通指引",
    "consultation_phone": "咨询电话",
    "complaint_phone": "监督投诉电话",
    "themes_person": "自然人主题",
    "themes_legal_person": "法人主题",
    "faq": "常见问题",
}
