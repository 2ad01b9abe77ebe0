"""The department that issues a correction notice: the accepting department before
acceptance; during review (a notice with a correction stop of the clock) the implementing
department, the best the rows written before tell."""

import django.db.models.deletion
from django.db import migrations, models


def fill_departments(apps, schema_editor):
    CorrectionNotice = apps.get_model("cases", "CorrectionNotice")
    Case = apps.get_model("cases", "Case")
    case = Case.objects.filter(pk=models.OuterRef("case_id"))
    notices = CorrectionNotice.objects.filter(department=None)
    during_review = notices.filter(clock_stops__kind="correction")
    during_review.update(department=models.Subquery(case.values("department_id")[:1]))
    notices.filter(department=None).update(
        department=models.Subquery(case.values("accepting_department_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_password_changed_at"),
        ("cases", "0007_ended_cases_have_no_due_dates"),
    ]

    operations = [
        migrations.AddField(
            model_name="correctionnotice",
            name="department",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.department",
                verbose_name="告知部门",
            ),
        ),
        migrations.RunPython(fill_departments, migrations.RunPython.noop),
    ]
