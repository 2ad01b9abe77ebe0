"""Moving the catalogue in and out in bulk: `manage.py import_items` and `export_items`.

Two formats carry the same items: JSON, exactly the API's item representation
(`queries.item_to_api`; `jsonio`), and the xlsx workbook departments keep (`xlsxio`, its
layout in `columns`, the template in docs/items-template.xlsx). Reading a file gives
`records.ItemRecord`s, each able to say where in the file a field came from.
`importer.import_items` checks all of them with the actions' own rules (`rules`), finds or
creates the departments they name (`departments`), and writes everything in one
transaction through `bulk`, which produces the rows and audit events the actions would.
See docs/catalog-import.md.
"""
