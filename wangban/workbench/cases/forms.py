"""Forms of the acceptance and review pages. They only parse what the clerk typed; the rules (what a
correction notice must list, that a rejection needs its reason…) are the actions' in
`wangban.cases.actions`, whose messages the views put back beside these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from wangban.cases import clock
from wangban.cases.choices import Channel, DecisionOutcome, Delivery
from wangban.cases.queues import LIGHT_LABELS, REVIEW_SORTS, REVIEW_TABS, SORTS, TABS
from wangban.catalog.choices import SpecialProcedure

ALL = [("", "全部")]
MATERIAL_HINT = "PDF、Word、Excel、PNG 或 JPEG，不超过 20 MB；按文件内容识别类型。"
SORT_LABELS = dict(
    zip(
        SORTS,
        (
            "办理时限，最早到期在前",
            "办理时限，最晚到期在前",
            "收件时间，最早在前",
            "收件时间，最新在前",
        ),
        strict=True,
    )
)
#: The same sort keys in 待送达, where the first column is the decision day.
DELIVERY_SORT_LABELS = dict(
    zip(
        SORTS,
        (
            "决定日期，最早在前",
            "决定日期，最新在前",
            "收件时间，最早在前",
            "收件时间，最新在前",
        ),
        strict=True,
    )
)


class QueueFilterForm(forms.Form):
    """The queue's tab, filters and sort, all in the query string (GET)."""

    tab = forms.ChoiceField(choices=list(TABS.items()), required=False, widget=forms.HiddenInput)
    item = forms.ChoiceField(label="事项", required=False)
    channel = forms.ChoiceField(label="申请渠道", choices=[*ALL, *Channel.choices], required=False)
    light = forms.ChoiceField(
        label="信号灯",
        choices=[
            *ALL,
            *((light, LIGHT_LABELS[light]) for light in (clock.RED, clock.BLUE, clock.GREEN)),
        ],
        required=False,
    )
    # Also in the column headers; a phone shows rows as cards without them.
    sort = forms.ChoiceField(label="排序", choices=list(SORT_LABELS.items()), required=False)

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [*ALL, *items]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    """不予受理 or 终止办理: the reason, written into the decision. Required by the action,
    whose message is shown beside the field."""

    reason = forms.CharField(
        label="理由",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, label: str = "理由", hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = hint


class IntakeForm(forms.Form):
    """窗口收件: the item and the applicant who came to the window."""

    item = forms.ChoiceField(label="申请事项")
    applicant = forms.CharField(
        label="申请人",
        max_length=100,
        help_text="输入申请人的身份证号码、用户名或手机号码；申请人须已在网上办事大厅注册。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    credit_code = forms.CharField(
        label="代办法人统一社会信用代码（选填）",
        required=False,
        max_length=30,
        help_text="为企业办理时填写；申请人须为该法人或其在授权期限内的经办人。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "请选择"), *items]  # type: ignore[attr-defined]
        self.fields["item"].error_messages["required"] = "请选择申请事项。"
        self.fields["item"].error_messages["invalid_choice"] = "请选择本窗口受理的事项。"
        self.fields["applicant"].error_messages["required"] = (
            "请输入申请人的身份证号码、用户名或手机号码。"
        )


# --- Review (issue 8) ------------------------------------------------------------------------

REVIEW_SORT_LABELS = dict(
    zip(
        REVIEW_SORTS,
        (
            "承诺办结日期，最早到期在前",
            "承诺办结日期，最晚到期在前",
            "环节到期日，最早在前",
            "环节到期日，最晚在前",
        ),
        strict=True,
    )
)
POOL = "__pool__"  # the reassign select's value for "back to the department's pool"


class ReviewFilterForm(forms.Form):
    """The review queue's tab, filters and sort, all in the query string (GET)."""

    tab = forms.ChoiceField(
        choices=list(REVIEW_TABS.items()), required=False, widget=forms.HiddenInput
    )
    item = forms.ChoiceField(label="事项", required=False)
    step = forms.ChoiceField(label="当前环节", required=False)
    light = forms.ChoiceField(
        label="信号灯",
        choices=[
            *ALL,
            *((light, LIGHT_LABELS[light]) for light in (clock.RED, clock.BLUE, clock.GREEN)),
        ],
        required=False,
    )
    sort = forms.ChoiceField(label="排序", choices=list(REVIEW_SORT_LABELS.items()), required=False)

    def __init__(
        self, *args: Any, items: list[tuple[str, str]], steps: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [*ALL, *items]  # type: ignore[attr-defined]
        self.fields["step"].choices = [*ALL, *((s, s) for s in steps)]  # type: ignore[attr-defined]


def _text(label: str, *, rows: int = 3, hint: str = "", required: bool = False) -> forms.CharField:
    """A free text the action checks (its message goes beside the field)."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        help_text=hint,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ReviewForm(forms.Form):
    """A review action's form. `step` is the current step the page showed and `revision`
    the case's revision: when another member of staff has moved the case on or changed it
    meanwhile, the action answers 409 `stale`."""

    step = forms.CharField(required=False, widget=forms.HiddenInput)
    revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class ApproveStepForm(ReviewForm):
    opinion = _text("审查意见", hint="写明审查的结论和依据；将记入办理记录。")


class ReturnStepForm(ReviewForm):
    reason = _text("退回理由", hint="退回上一环节重新办理，须说明理由（镇江办法第八条）。")


class ReassignForm(ReviewForm):
    assignee = forms.ChoiceField(
        label="改派给",
        help_text="承担本环节角色的本部门工作人员，或退回部门队列由同事领取（镇江办法第七条）。",
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], pool: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.choices = [("", "请选择"), *people, (POOL, pool)]  # type: ignore[attr-defined]
        field.error_messages["required"] = "请选择改派的工作人员，或退回部门队列。"
        field.error_messages["invalid_choice"] = "请选择承担本环节角色的本部门工作人员。"


class SuspendForm(ReviewForm):
    procedure = forms.ChoiceField(
        label="特别程序",
        choices=[("", "请选择"), *SpecialProcedure.choices],
        required=False,
        help_text="特别程序所需时间不计入办理时限（行政许可法第四十五条）。",
    )
    reason = _text("挂起理由", hint="将告知申请人。")


class ResumeForm(ReviewForm):
    note = _text("说明（选填）", rows=2, hint="例如勘查、检验的结论。")


class ExtendForm(ReviewForm):
    working_days = forms.CharField(
        label="延长工作日数",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = _text("延长理由", hint="经本机关负责人批准；将告知申请人（行政许可法第四十二条）。")


class DecideForm(ReviewForm):
    outcome = forms.ChoiceField(
        label="审批决定",
        choices=DecisionOutcome.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    reason = _text("决定理由", hint="不予许可的，须说明理由（行政许可法第三十八条）。")
    legal_basis = _text("法律依据", rows=2, hint="不填写的，采用事项的设定依据。")
    # A decision cannot be undone: the first submission only asks to confirm it; this holds
    # the outcome confirmed, so that changing the outcome asks again.
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)


class CompleteForm(ReviewForm):
    delivery = forms.ChoiceField(
        label="送达方式",
        choices=Delivery.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    tracking_no = forms.CharField(
        label="快递单号",
        required=False,
        max_length=64,
        help_text="邮寄送达时填写。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
