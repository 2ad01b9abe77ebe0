"""On PostgreSQL, a trigger refuses UPDATE and DELETE of audit events (大安第三十四条).

The only UPDATE let through is the chainer's: it sets the chain fields (seq, prev_hash, hash)
of an event that is not chained yet (OLD.hash IS NULL) and changes nothing else. On SQLite the
model and its queryset refuse at the Python level (see models.py); docs/audit.md explains why
SQLite gets no trigger.
"""

from django.db import migrations

CONTENT = (
    "id, at, actor_id, actor_username, role, department, ip, channel, action, "
    "object_type, object_id, before, after, outcome, chain"
)
NEW = ", ".join(f"NEW.{c.strip()}" for c in CONTENT.split(","))
OLD = ", ".join(f"OLD.{c.strip()}" for c in CONTENT.split(","))

CREATE = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only: DELETE of audit event % refused', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.hash IS NOT NULL THEN
        RAISE EXCEPTION 'audit events are append-only: UPDATE of chained audit event % refused',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF ({NEW}) IS DISTINCT FROM ({OLD}) THEN
        RAISE EXCEPTION 'audit events are append-only: only the chain fields of unchained event % may be set',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
