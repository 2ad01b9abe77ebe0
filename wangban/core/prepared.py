"""Querysets compiled once: the hot path's reads without the ORM's cost of compiling them.

Django turns a queryset into SQL anew each time it is evaluated. For the reads every case
request makes (the API token by its hash, the case by its id with its item, departments,
applicant and current step, the case's timeline and materials), compiling costs more than
the database's own work: about 2 ms for the case and its 150 columns on a small server,
against under 1 ms to run it (bench/cases.py).

`Prepared(build)` builds `build(*markers)` once per database connection, compiles it, and
keeps the SQL, the position of each marker among the parameters, the column converters and
the recipe for building model instances (`select_related` included). `.all(*values)` then
runs that SQL with the values in the markers' places and builds the instances as the
queryset would have: same fields, same related objects, same converted values. Querysets
with prefetches or `values()` are refused; a marker must reach the SQL as it is (a string
or an integer compared with a column), which `build` is checked for. The values given later
take the markers' places as they are, without the field's conversion: pass what the column
holds (a case id, a token hash, a primary key known to fit).

Each connection keeps its own compiled forms, as an attribute of Django's connection object
(they go with it): a connection belongs to one thread, and the converters are its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, Prefetch, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)

#: Marker values: what `build` receives in place of the values given later. Strings and
#: integers that no real lookup uses, each found exactly once among the parameters.
STRING_MARKERS = tuple(f"\x1fprepared-{n}\x1f" for n in range(4))
INTEGER_MARKERS = tuple(-7_340_001 - n for n in range(4))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]
    for_update: bool
    compiler: Any
    converters: Any
    model: type[Model]
    db: str
    start: int
    end: int
    init_list: list[str]
    populators: list[Any]
    annotations: dict[str, int]


class Prepared(Generic[M]):
    """`build(*values)`, a queryset of model instances, compiled once per connection.

    `kinds` says which markers `build` takes: "str" or "int", one per value."""

    def __init__(self, build: Callable[..., QuerySet[M]], *kinds: str) -> None:
        self._build = build
        strings, integers = iter(STRING_MARKERS), iter(INTEGER_MARKERS)
        self._markers = tuple(next(strings) if kind == "str" else next(integers) for kind in kinds)
        self._db: str | None = None  # the alias `build` reads from, known once built

    def all(self, *values: Any) -> list[M]:
        """The instances `build(*values)` would give, in its order."""
        compiled = self._compile()
        connection = connections[compiled.db]
        if compiled.for_update and not connection.in_atomic_block:
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for slot, value in zip(compiled.slots, values, strict=True):
            params[slot] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        found = []
        for row in rows:
            fields = row[compiled.start : compiled.end]
            obj = compiled.model.from_db(compiled.db, compiled.init_list, fields)
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found  # type: ignore[return-value]

    def first(self, *values: Any) -> M | None:
        """The first of `all(*values)`, or None: for a lookup by a unique key."""
        found = self.all(*values)
        return found[0] if found else None

    def _compile(self) -> _Compiled:
        if self._db is not None:
            compiled = _compiled_on(connections[self._db]).get(self)
            if compiled is not None:
                return compiled
        queryset = self._build(*self._markers)
        self._db = queryset.db
        compiled = _compile(queryset, self._markers)
        _compiled_on(connections[self._db])[self] = compiled
        return compiled


def _compiled_on(connection: Any) -> dict[Prepared[Any], _Compiled]:
    compiled: dict[Prepared[Any], _Compiled] = connection.__dict__.setdefault(
        "_wangban_prepared", {}
    )
    return compiled


def _same(value: Any, marker: Any) -> bool:
    return type(value) is type(marker) and bool(value == marker)


def _compile(queryset: QuerySet[Any], markers: tuple[Any, ...]) -> _Compiled:
    prefetches = queryset._prefetch_related_lookups  # type: ignore[attr-defined]
    if queryset._iterable_class is not ModelIterable or prefetches:
        raise ValueError("Prepared takes querysets of model instances without prefetches.")
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slots = []
    for marker in markers:
        found = [n for n, value in enumerate(params) if _same(value, marker)]
        if len(found) != 1:
            raise ValueError(f"the marker {marker!r} must reach the SQL once, as it is")
        slots.append(found[0])
    fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        raise ValueError("Prepared does not take composite primary keys.")
    klass_info = compiler.klass_info
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _Compiled(
        sql=sql,
        params=tuple(params),
        slots=tuple(slots),
        for_update=queryset.query.select_for_update,
        compiler=compiler,
        converters=compiler.get_converters(fields),
        model=klass_info["model"],
        db=queryset.db,
        start=start,
        end=end,
        init_list=[column[0].target.attname for column in compiler.select[start:end]],
        # (the stubs describe a later Django, whose populators also take a fetch mode)
        populators=get_related_populators(  # type: ignore[call-arg]
            klass_info, compiler.select, queryset.db
        ),
        annotations=dict(compiler.annotation_col_map),
    )


_KEY_KINDS = {"CharField": "str", "AutoField": "int", "BigAutoField": "int"}


class Related(Generic[M]):
    """`Prefetch(name, queryset=…)` for one instance at a time, compiled once.

    `fetch(instance)` reads the rows of `instance.<name>` that `queryset()` selects, in its
    order, and keeps them where `prefetch_related` would: `instance.<name>.all()` gives them
    without a query (a further `.filter()` still reads the database, scoped to the
    instance). `keep(instance, rows)` keeps rows known without reading them."""

    def __init__(self, model: type[Model], name: str, queryset: Callable[[], QuerySet[M]]):
        self.name = name
        self._queryset = queryset
        self._foreign_key = getattr(model, name).rel.field
        attname = self._foreign_key.attname
        kind = _KEY_KINDS[model._meta.pk.get_internal_type()]
        self._rows = Prepared(lambda key: queryset().filter(**{attname: key}), kind)

    def prefetch(self) -> Prefetch:
        """The same as a `Prefetch`, for `prefetch_related` over many instances."""
        return Prefetch(self.name, queryset=self._queryset())

    def fetch(self, instance: Model) -> list[M]:
        rows = self._rows.all(instance.pk)
        self.keep(instance, rows)
        return rows

    def keep(self, instance: Model, rows: list[M]) -> None:
        for row in rows:
            self._foreign_key.set_cached_value(row, instance)
        cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
        cache.pop(self.name, None)
        queryset = getattr(instance, self.name).all()  # scoped to the instance, not run
        queryset._result_cache = rows
        queryset._prefetch_done = True
        cache[self.name] = queryset

    def is_kept(self, instance: Model) -> bool:
        return self.name in getattr(instance, "_prefetched_objects_cache", {})

    def forget(self, instance: Model) -> None:
        """Drop the kept rows, after writing one: the next `fetch` reads them all again."""
        getattr(instance, "_prefetched_objects_cache", {}).pop(self.name, None)
