"""Pages show a refused action's message beside the field it concerns (DESIGN.md §4)."""

from __future__ import annotations

from django import forms

from wangban.core.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Copy an action's field errors onto the form; the rest goes to the form as a whole."""
    placed = False
    for field, messages in error.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
