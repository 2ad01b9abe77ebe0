"""The search index of the catalogue (wangban/catalog/search.py, docs/search.md).

`ItemSearch` holds the jieba-cut words of each item's published version; the full-text index
over them is the database's own: on SQLite an external-content FTS5 table kept in step by
triggers, on PostgreSQL a generated tsvector column ('simple' configuration: the words are
already cut) under a GIN index.

On PostgreSQL the change feed also gets its ordering guarantee here: a trigger takes a
transaction-scoped advisory lock before giving an `ItemChange` row its id, so ids are handed
out in commit order and a reader paging with `since=<id>` never skips a row that commits
later with a lower id. (SQLite runs one writer at a time: its ids are in commit order.)
"""

import django.db.models.deletion
from django.db import migrations, models


SQLITE_INSTALL = [
    """
    CREATE VIRTUAL TABLE catalog_itemsearch_fts USING fts5(
        name, initials, body, basis,
        content='catalog_itemsearch', content_rowid='item_id',
        tokenize='unicode61', prefix='1 2'
    )
    """,
    """
    CREATE TRIGGER catalog_itemsearch_fts_insert AFTER INSERT ON catalog_itemsearch BEGIN
        INSERT INTO catalog_itemsearch_fts (rowid, name, initials, body, basis)
        VALUES (new.item_id, new.name, new.initials, new.body, new.basis);
    END
    """,
    """
    CREATE TRIGGER catalog_itemsearch_fts_delete AFTER DELETE ON catalog_itemsearch BEGIN
        INSERT INTO catalog_itemsearch_fts (catalog_itemsearch_fts, rowid, name, initials, body, basis)
        VALUES ('delete', old.item_id, old.name, old.initials, old.body, old.basis);
    END
    """,
    """
    CREATE TRIGGER catalog_itemsearch_fts_update AFTER UPDATE ON catalog_itemsearch BEGIN
        INSERT INTO catalog_itemsearch_fts (catalog_itemsearch_fts, rowid, name, initials, body, basis)
        VALUES ('delete', old.item_id, old.name, old.initials, old.body, old.basis);
        INSERT INTO catalog_itemsearch_fts (rowid, name, initials, body, basis)
        VALUES (new.item_id, new.name, new.initials, new.body, new.basis);
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS catalog_itemsearch_fts_update",
    "DROP TRIGGER IF EXISTS catalog_itemsearch_fts_delete",
    "DROP TRIGGER IF EXISTS catalog_itemsearch_fts_insert",
    "DROP TABLE IF EXISTS catalog_itemsearch_fts",
]

# The advisory lock key of the change feed: any constant no other code uses.
FEED_LOCK_KEY = 6_101_000_001
POSTGRESQL_INSTALL = [
    """
    ALTER TABLE catalog_itemsearch ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', name), 'A')
        || setweight(to_tsvector('simple', initials), 'B')
        || setweight(to_tsvector('simple', body), 'C')
        || setweight(to_tsvector('simple', basis), 'D')
    ) STORED
    """,
    "CREATE INDEX catalog_itemsearch_document ON catalog_itemsearch USING gin (document)",
    f"""
    CREATE FUNCTION catalog_itemchange_in_commit_order() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        -- Held until this transaction ends: the next writer waits, then draws a higher id.
        PERFORM pg_advisory_xact_lock({FEED_LOCK_KEY});
        NEW.id := nextval(pg_get_serial_sequence('catalog_itemchange', 'id'));
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER catalog_itemchange_in_commit_order BEFORE INSERT ON catalog_itemchange
    FOR EACH ROW EXECUTE FUNCTION catalog_itemchange_in_commit_order()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS catalog_itemchange_in_commit_order ON catalog_itemchange",
    "DROP FUNCTION IF EXISTS catalog_itemchange_in_commit_order()",
    "DROP INDEX IF EXISTS catalog_itemsearch_document",
    "ALTER TABLE catalog_itemsearch DROP COLUMN IF EXISTS document",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def install_vendor_sql(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_INSTALL)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_INSTALL)


def remove_vendor_sql(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_REMOVE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_REMOVE)


def index_existing_items(apps, schema_editor):
    """Items published before the index existed. Uses the live code (jieba lives there) only
    when there is something to index, which on a fresh database there never is."""
    version_model = apps.get_model("catalog", "ItemVersion")
    if version_model.objects.using(schema_editor.connection.alias).filter(
        state="published"
    ).exists():
        from wangban.catalog.search import rebuild_index

        rebuild_index()


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_default_online_levels'),
    ]

    operations = [
        migrations.CreateModel(
            name='ItemSearch',
            fields=[
                ('item', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_entry', serialize=False, to='catalog.serviceitem', verbose_name='事项')),
                ('name', models.TextField(verbose_name='名称分词')),
                ('initials', models.TextField(blank=True, verbose_name='名称拼音首字母')),
                ('body', models.TextField(blank=True, verbose_name='其他要素分词')),
                ('basis', models.TextField(blank=True, verbose_name='法律依据分词')),
                ('version', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.itemversion', verbose_name='已发布版本')),
            ],
            options={
                'verbose_name': '事项检索索引',
                'verbose_name_plural': '事项检索索引',
            },
        ),
        migrations.CreateModel(
            name='ItemFacet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('facet', models.CharField(choices=[('object', '服务对象'), ('theme_person', '自然人主题'), ('theme_legal_person', '法人主题')], max_length=20, verbose_name='分类')),
                ('value', models.CharField(max_length=100, verbose_name='值')),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='facets', to='catalog.itemsearch', verbose_name='检索条目')),
            ],
            options={
                'verbose_name': '事项分类值',
                'verbose_name_plural': '事项分类值',
                'indexes': [models.Index(fields=['facet', 'value'], name='catalog_facet_value')],
            },
        ),
        migrations.RunPython(install_vendor_sql, remove_vendor_sql),
        migrations.RunPython(index_existing_items, migrations.RunPython.noop),
    ]
