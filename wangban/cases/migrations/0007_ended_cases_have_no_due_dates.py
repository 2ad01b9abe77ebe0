"""Cases withdrawn or terminated during review before `schedule.end_clock` cleared their
due dates: nothing is due on them any more (their lists sort them with the undated)."""

from django.db import migrations


def clear_due_dates(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(state__in=["withdrawn", "terminated"], decided_on__isnull=True).exclude(
        due_date=None, legal_due_date=None, blue_on=None
    ).update(due_date=None, legal_due_date=None, blue_on=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_replaced_materials")]

    operations = [migrations.RunPython(clear_due_dates, migrations.RunPython.noop)]
