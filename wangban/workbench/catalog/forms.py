"""Forms of the catalogue pages. The editor's forms only parse what people type (numbers,
codes, JSON); the rules of the catalogue are checked by `wangban.catalog.content` and the
actions, whose messages the editor puts back beside these fields."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.utils import timezone

from wangban.accounts.choices import Level, Role
from wangban.accounts.models import Department
from wangban.catalog.choices import (
    GUIDE_FIELDS,
    Assignment,
    CaseType,
    HandlingForm,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    OnlineDepth,
    ServiceObject,
    SpecialProcedure,
    VersionState,
)
from wangban.catalog.models import OnlineServiceLevel

MAX_DAYS = 32767
UPLOAD_TYPES = ".pdf,.doc,.docx,.xls,.xlsx,.png,.jpg,.jpeg"
UPLOAD_HINT = "PDF、Word、Excel、PNG 或 JPEG，不超过 10 MB；按文件内容识别类型。"
SEPARATORS = re.compile(r"[、，,;；/|\n]+")
BLANK = [("", "请选择")]


def _days(label: str, *, required: bool = True, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
        **kwargs,
    )


def _text(
    label: str,
    *,
    rows: int = 0,
    required: bool = False,
    widget: forms.Widget | None = None,
    **kwargs: Any,
) -> forms.CharField:
    if widget is None:
        widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, required=required, widget=widget, **kwargs)


def _codes(label: str, choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def department_choices() -> list[tuple[str, str]]:
    """Active departments as (code, label) choices; read once per page and shared by the
    item form and every step row."""
    rows = Department.objects.filter(is_active=True).order_by("code").values_list("code", "name")
    return [(code, f"{name}（{code}）") for code, name in rows]


def name_the_fields(form: forms.Form) -> None:
    """Messages that name their field (请填写法定办结时限。), instead of Django's generic ones,
    so that the error summary and the message beside the field say what is wrong where."""
    for field in form.fields.values():
        label = str(field.label)
        messages = field.error_messages
        if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            messages["required"] = f"请选择{label}。"
            messages["invalid_choice"] = f"{label}的选项无效，请从列表中选择。"
        elif isinstance(field, forms.FileField):
            messages["empty"] = "文件是空的。"
        else:
            messages["required"] = f"请填写{label}。"
        if isinstance(field, forms.IntegerField):
            messages["invalid"] = f"{label}应为整数。"
            messages["min_value"] = f"{label}不能小于 %(limit_value)s。"
            messages["max_value"] = f"{label}不能大于 %(limit_value)s。"
        if isinstance(field, forms.CharField):
            messages["max_length"] = f"{label}不能超过 %(limit_value)d 个字符。"


class NamedForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_the_fields(self)


# --- The item --------------------------------------------------------------------------

# Guide keys that are yes/no, lists of themes, and codes; the rest are text.
GUIDE_CHOICES = {"yes": True, "no": False}
GUIDE_LABELS = {**GUIDE_FIELDS, "exercise_level": "行使层级", "department_nature": "实施主体性质"}
LONG_GUIDE_TEXT = {"setting_basis", "directions", "faq"}


def guide_field(key: str) -> forms.Field:
    label = GUIDE_LABELS[key]
    if key.startswith("supports_"):
        return forms.ChoiceField(
            label=label, required=False, choices=[("", "未说明"), ("yes", "是"), ("no", "否")]
        )
    if key == "exercise_level":
        return forms.ChoiceField(label=label, required=False, choices=BLANK + Level.choices)
    if key.startswith("themes_"):
        return _text(label, help_text="多个主题用“、”分隔，如：设立变更、准营准办。")
    if key == "faq":
        return _text(
            label,
            rows=4,
            help_text='填写文字；或 JSON 列表，如 [{"question": "问题", "answer": "回答"}]。',
        )
    return _text(label, rows=3 if key in LONG_GUIDE_TEXT else 0)


def guide_initial(guide: dict[str, Any]) -> dict[str, Any]:
    """The guide of a version as the editor's initial values (`guide_<key>`)."""
    initial: dict[str, Any] = {}
    for key in GUIDE_FIELDS:
        value = guide.get(key)
        if value is None:
            continue
        if key.startswith("supports_") and isinstance(value, bool):
            value = "yes" if value else "no"
        elif key.startswith("themes_") and isinstance(value, list):
            value = "、".join(str(v) for v in value)
        elif not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, indent=2)
        initial[f"guide_{key}"] = value
    return initial


def guide_content(data: dict[str, Any]) -> dict[str, Any]:
    """The `guide` object of the content from the editor's cleaned values; empty values are
    left out, so an element nobody filled in stays absent."""
    guide: dict[str, Any] = {}
    for key in GUIDE_FIELDS:
        value = data.get(f"guide_{key}")
        if value in (None, ""):
            continue
        value = value.strip() if isinstance(value, str) else value
        if key.startswith("supports_"):
            guide[key] = GUIDE_CHOICES[value]
        elif key.startswith("themes_"):
            guide[key] = [part.strip() for part in SEPARATORS.split(value) if part.strip()]
        elif key == "faq" and value.startswith("["):
            try:
                guide[key] = json.loads(value)
            except json.JSONDecodeError:
                guide[key] = value
        elif value:
            guide[key] = value
    return guide


class ItemForm(NamedForm):
    """The columns and the guide of a version. `code`, `basic_code` and `department` are for
    a new item only; `change_reason` for the versions after the first."""

    code = _text(
        "实施编码",
        required=True,
        max_length=64,
        help_text="1 至 64 个字符，不含空格、“/”、“?”、“#”；发布后不能修改。",
    )
    basic_code = _text("基本编码", max_length=64)
    department = forms.ModelChoiceField(
        label="实施部门", queryset=Department.objects.none(), empty_label="请选择"
    )
    change_reason = _text("变更原因", rows=2)
    name = _text("事项名称", required=True, max_length=200)
    type = forms.ChoiceField(label="事项类型", choices=BLANK + ItemType.choices)
    case_type = forms.ChoiceField(label="办件类型", choices=BLANK + CaseType.choices)
    legal_limit_days = _days("法定办结时限")
    legal_limit_unit = forms.ChoiceField(
        label="法定时限单位", choices=LimitUnit.choices, initial=LimitUnit.WORKING_DAYS
    )
    legal_limit_note = _text("法定时限说明", rows=2)
    promised_limit_days = _days("承诺办结时限", help_text="即办件填 0。")
    promised_limit_unit = forms.ChoiceField(
        label="承诺时限单位", choices=LimitUnit.choices, initial=LimitUnit.WORKING_DAYS
    )
    promised_limit_note = _text("承诺时限说明", rows=2)
    warning_threshold_days = _days(
        "预警阈值（工作日）",
        required=False,
        help_text="剩余工作日不多于此数时亮蓝灯；留空则提交审核时取 max(1, ⌈0.2×承诺时限⌉)。",
    )
    correction_answer_days = _days(
        "补正期限（工作日）",
        required=False,
        help_text="申请人答复补正告知的期限，1–60 个工作日；留空则按全局设置。",
    )
    service_objects = _codes("服务对象", ServiceObject.choices)
    handling_forms = _codes("办理形式", HandlingForm.choices)
    online_depth = _codes("网上办理深度", OnlineDepth.choices)
    online_service_level = forms.ChoiceField(label="网上办理等级", required=False)
    entrusted_department = forms.ChoiceField(label="受委托部门", required=False)
    visits_required = _days("到现场次数", initial=0)
    visits_note = _text("到现场原因", rows=2)
    legal_basis = _text("法律依据", rows=4)
    acceptance_conditions = _text("受理条件", rows=4)
    form_schema = forms.CharField(
        label="电子表单（JSON Schema）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "code", "spellcheck": "false"}),
        help_text="根类型为 object，须有 title，每个字段都要有中文 title；提交审核时检查。",
    )
    result_sample = forms.FileField(
        label="上传审批结果样本",
        required=False,
        help_text=UPLOAD_HINT,
        widget=forms.FileInput(attrs={"accept": UPLOAD_TYPES}),
    )
    remove_result_sample = forms.BooleanField(label="删除审批结果样本", required=False)

    IDENTITY = ("code", "basic_code", "department")

    def __init__(
        self,
        *args: Any,
        new: bool,
        first_version: bool,
        departments: Any = None,
        department_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for key in GUIDE_FIELDS:
            self.fields[f"guide_{key}"] = guide_field(key)
        if new:
            self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        else:
            for name in self.IDENTITY:
                del self.fields[name]
        if first_version:
            del self.fields["change_reason"]
        levels = OnlineServiceLevel.objects.values_list("code", "label")
        self.fields["online_service_level"].choices = [("", "不适用"), *levels]  # type: ignore[attr-defined]
        self.fields["entrusted_department"].choices = [("", "无"), *department_choices]  # type: ignore[attr-defined]
        name_the_fields(self)  # the guide's fields too

    def clean_form_schema(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("form_schema") or "").strip()
        if not text:
            return {}
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"电子表单不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列附近有语法错误。"
            ) from None
        if not isinstance(schema, dict):
            raise forms.ValidationError("电子表单应为 JSON 对象（以 { 开头）。")
        return schema

    # The editor's sections before the lists (materials, steps…) and after them.
    HEAD = (
        ("identity", "事项身份", ("code", "basic_code", "department")),
        ("change", "变更原因", ("change_reason",)),
        ("basic", "基本信息", ("name", "type", "case_type", "service_objects")),
        (
            "limits",
            "办理时限",
            (
                "legal_limit_days", "legal_limit_unit", "legal_limit_note",
                "promised_limit_days", "promised_limit_unit", "promised_limit_note",
                "warning_threshold_days", "correction_answer_days",
            ),
        ),
        (
            "channels",
            "办理方式",
            (
                "handling_forms", "online_depth", "online_service_level",
                "entrusted_department", "visits_required", "visits_note",
            ),
        ),
        ("texts", "依据和条件", ("legal_basis", "acceptance_conditions")),
    )  # fmt: skip
    TAIL = (("guide", "办事指南其他要素", tuple(f"guide_{key}" for key in GUIDE_FIELDS)),)

    def _sections(self, spec: Any) -> list[tuple[str, str, list[forms.BoundField]]]:
        sections = []
        for ident, title, names in spec:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                sections.append((ident, title, fields))
        return sections

    def head_sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return self._sections(self.HEAD)

    def tail_sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return self._sections(self.TAIL)


# --- Rows of the editor: materials, steps, fees, special procedures ---------------------

# Fields of a row that arrange the list rather than say something.
ROW_CONTROLS = frozenset({"position", "remove"})


class RowForm(NamedForm):
    """One row of a list. An untouched blank row is ignored; `position` reorders the list
    and `remove` drops the row (neither counts as a change)."""

    position = forms.IntegerField(
        label="序号",
        required=False,
        min_value=1,
        max_value=999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    remove = forms.BooleanField(label="删除此行", required=False)

    CONTENT: tuple[str, ...] = ()
    MORE: tuple[str, ...] = ()  # folded under 更多要素
    FILES: tuple[str, ...] = ()  # shown as file slots

    def has_changed(self) -> bool:
        return any(name not in ROW_CONTROLS for name in self.changed_data)

    def main_fields(self) -> list[forms.BoundField]:
        hidden = ROW_CONTROLS | set(self.MORE) | set(self.FILES)
        return [self[name] for name in self.fields if name not in hidden]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MORE]

    def more_has_errors(self) -> bool:
        return any(self[name].errors for name in self.MORE)

    def file_slots(self) -> list[dict[str, Any]]:
        return []

    def content(self) -> dict[str, Any]:
        """The row's valid values under their content keys (invalid ones left out)."""
        data = getattr(self, "cleaned_data", {})
        return {key: data[key] for key in self.CONTENT if key in data}


class MaterialRowForm(RowForm):
    code = _text("材料编码", required=True, max_length=64)
    name = _text("材料名称", required=True, max_length=200)
    required = forms.BooleanField(label="必要材料", required=False, initial=True)
    condition = _text("提交情形", help_text="非必要材料须写明在什么情形下提交。")
    material_type = forms.ChoiceField(
        label="材料类型", choices=MaterialType.choices, initial=MaterialType.OTHER
    )
    form = forms.ChoiceField(
        label="材料形式", choices=MaterialForm.choices, initial=MaterialForm.ELECTRONIC
    )
    source_channel = forms.ChoiceField(
        label="来源渠道", choices=MaterialSource.choices, initial=MaterialSource.APPLICANT
    )
    originals = _days("原件份数", initial=0)
    copies = _days("复印件份数", initial=0)
    paper_size = _text("纸张规格", max_length=20)
    certificate_type = _text(
        "可替代的电子证照类型", max_length=64, help_text="证照类型代码；留空表示无。"
    )
    filling_notes = _text("填报须知", rows=2)
    acceptance_standard = _text("受理标准", rows=2)
    basis = _text("要求提供材料的依据", rows=2)
    blank_form = forms.FileField(
        label="上传空白表格",
        required=False,
        help_text=UPLOAD_HINT,
        widget=forms.FileInput(attrs={"accept": UPLOAD_TYPES}),
    )
    sample = forms.FileField(
        label="上传填写示例",
        required=False,
        help_text=UPLOAD_HINT,
        widget=forms.FileInput(attrs={"accept": UPLOAD_TYPES}),
    )
    remove_blank_form = forms.BooleanField(label="删除空白表格", required=False)
    remove_sample = forms.BooleanField(label="删除填写示例", required=False)

    CONTENT = (
        "code", "name", "required", "condition", "material_type", "form", "source_channel",
        "originals", "copies", "paper_size", "certificate_type", "filling_notes",
        "acceptance_standard", "basis",
    )  # fmt: skip
    MORE = ("paper_size", "certificate_type", "filling_notes", "acceptance_standard", "basis")
    FILES = ("blank_form", "sample", "remove_blank_form", "remove_sample")

    def file_slots(self) -> list[dict[str, Any]]:
        """The blank form and the sample: the file the draft has (set by the editor as
        `current_files`), the upload and the removal fields."""
        current = getattr(self, "current_files", {})
        return [
            {
                "label": label,
                "upload": self[kind],
                "remove": self[f"remove_{kind}"],
                "current": current.get(kind),
            }
            for kind, label in (("blank_form", "空白表格"), ("sample", "填写示例"))
        ]


# The roles that work the steps of a case (API.md); a step naming another role keeps it.
STEP_ROLES = [Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.SECOND_REVIEWER, Role.APPROVER]


class StepRowForm(RowForm):
    name = _text("环节名称", required=True, max_length=50)
    role = forms.ChoiceField(
        label="办理角色", choices=BLANK + [(role.value, role.label) for role in STEP_ROLES]
    )
    budget_days = _days("环节时限（工作日）")
    assignment = forms.ChoiceField(
        label="分派方式", choices=Assignment.choices, initial=Assignment.POOL
    )
    assignee = _text(
        "指定人员（用户名）",
        max_length=150,
        help_text="分派方式为“指定人员”时填写。",
        widget=forms.TextInput(attrs={"list": "staff-usernames", "autocapitalize": "none"}),
    )
    department = forms.ChoiceField(label="联办部门", required=False)

    CONTENT = ("name", "role", "budget_days", "assignment", "assignee", "department")

    def __init__(
        self, *args: Any, department_choices: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "本部门办理"), *department_choices]  # type: ignore[attr-defined]
        role = self["role"].value()
        if role and role in Role.values and role not in STEP_ROLES:
            self.fields["role"].choices = [*self.fields["role"].choices, (role, Role(role).label)]  # type: ignore[attr-defined]


class FeeRowForm(RowForm):
    name = _text("收费项目", required=True, help_text="不收费时填写“不收费”。")
    standard = _text("收费标准")
    basis = _text("收费依据", rows=2)
    reducible = forms.BooleanField(label="允许减免", required=False)

    CONTENT = ("name", "standard", "basis", "reducible")


class ProcedureRowForm(RowForm):
    procedure = forms.ChoiceField(label="特别程序", choices=BLANK + SpecialProcedure.choices)
    days = _days("时限（工作日）", required=False)
    note = _text("说明")

    CONTENT = ("procedure", "days", "note")


# The editor's lists: content key → (row form, Chinese name of one row, of the list).
ROWS: dict[str, tuple[type[RowForm], str, str]] = {
    "materials": (MaterialRowForm, "材料", "申请材料"),
    "steps": (StepRowForm, "环节", "审批流程"),
    "fees": (FeeRowForm, "收费", "收费"),
    "special_procedures": (ProcedureRowForm, "特别程序", "特别程序"),
}


def row_formset(key: str) -> type[forms.BaseFormSet]:
    form, _, _ = ROWS[key]
    return forms.formset_factory(form, extra=1, max_num=200, absolute_max=200)


# --- The item page and the review ------------------------------------------------------


class DraftChangeForm(NamedForm):
    """Start a new version of a published item: adjust (调整), cancel (取消) or delegate (下放)."""

    change_reason = _text(
        "变更原因", rows=3, required=True, help_text="写明依据的文件或情况变化，中心审核时查看。"
    )
    department = forms.ModelChoiceField(
        label="承接事项的下级部门",
        queryset=Department.objects.none(),
        required=False,
        empty_label="请选择",
    )

    def __init__(self, *args: Any, lower: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lower is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = lower  # type: ignore[attr-defined]
            self.fields["department"].required = True


DATE_ERRORS = {"invalid": "请按“年-月-日”填写日期，如 2026-11-25。", "required": "请填写生效日期。"}


class ApproveForm(NamedForm):
    effective_on = forms.DateField(
        label="生效日期",
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="今天生效则立即发布；以后的日期则为“待生效”，到期自动发布。",
    )
    note = _text("审核意见", rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()


class ReturnForm(NamedForm):
    note = _text(
        "退回原因",
        rows=3,
        required=True,
        help_text="写明需要修改的内容和依据，部门管理员据此修改后重新提交。",
    )


# --- The list --------------------------------------------------------------------------

STATE_FILTERS = [
    ("", "全部"),
    ("published", "已发布"),
    (VersionState.DRAFT, "有草稿"),
    (VersionState.IN_REVIEW, "待审核"),
    (VersionState.SCHEDULED, "待生效"),
    ("cancelled", "已取消"),
]


class ItemFilterForm(forms.Form):
    q = _text("名称或编码", max_length=100)
    state = forms.ChoiceField(label="状态", choices=STATE_FILTERS, required=False)
    type = forms.ChoiceField(
        label="事项类型", choices=[("", "全部"), *ItemType.choices], required=False
    )
    department = forms.ChoiceField(label="实施部门", required=False)

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(departments) > 1:
            self.fields["department"].choices = [  # type: ignore[attr-defined]
                ("", "全部"),
                *((d.code, d.name) for d in departments),
            ]
        else:
            del self.fields["department"]
