"""Forms of the case pages. They check the shape of the input; the actions check the rules,
and their `InvalidInput.fields` go back beside the fields (`add_domain_error`)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from wangban.accounts.forms import BaseForm

SELF = "self"


def legal_person_choice(legal_person_id: int) -> str:
    return f"lp-{legal_person_id}"


class ApplicantForm(BaseForm):
    """Who applies: oneself, or a legal person the user holds or is an agent of for this
    item (the view offers only those; `do_create_case` checks the grant again)."""

    applicant = forms.ChoiceField(label="申请人", widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["applicant"])
        field.choices = choices
        field.error_messages["required"] = "请选择由谁申请。"
        field.error_messages["invalid_choice"] = "请从列出的申请人中选择。"
        if len(choices) == 1:
            self.initial.setdefault("applicant", choices[0][0])


class WithdrawForm(BaseForm):
    """The reason is required once the application is filed; `do_withdraw` says so."""

    reason = forms.CharField(
        label="撤回原因",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "撤回原因不能超过 500 个字。"},
    )


class ProgressForm(BaseForm):
    """The public progress query: the receipt number and the applicant's identity number
    (居民身份证号码, or 统一社会信用代码 for a legal person). A POST, so the identity number
    never travels in an address (API.md: personal identifiers never travel in URLs)."""

    receipt_no = forms.CharField(
        label="受理编号",
        max_length=64,
        help_text="受理通知书或短信上的编号，如 D01-20260601-00001",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    id_number = forms.CharField(
        label="证件号码",
        max_length=32,
        help_text="申请人的居民身份证号码；法人申请的，填写统一社会信用代码",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
