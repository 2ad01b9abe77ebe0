"""The catalogue's staff pages (事项管理): the list of a department's items, an item's page
with its history, the editor of drafts, the centre's review queue and the supervision
figures. Pages only: every write goes through `wangban.catalog.actions`, access is decided
by `wangban.catalog.access`."""
