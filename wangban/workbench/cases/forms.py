"""Forms of the acceptance pages. They only parse what the clerk typed; the rules (what a
correction notice must list, that a rejection needs its reason…) are the actions' in
`wangban.cases.actions`, whose messages the views put back beside these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from wangban.cases import clock
from wangban.cases.choices import Channel
from wangban.cases.queues import LIGHT_LABELS, SORTS, TABS

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
