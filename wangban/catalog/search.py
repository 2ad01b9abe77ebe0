"""Chinese full-text search over the published catalogue (docs/search.md).

Chinese has no spaces between words, and neither SQLite's FTS5 nor PostgreSQL's parser can
find them: jieba cuts the text into words here, in Python, and the database indexes the
space-joined words (SQLite: the FTS5 table `catalog_itemsearch_fts`, kept in step by
triggers; PostgreSQL: the generated tsvector column `catalog_itemsearch.document` under a
GIN index; both made by migration 0003). A query is cut the same way; its words are ANDed,
each may match the start of an indexed word, and the results rank by bm25 (FTS5) or
ts_rank (PostgreSQL), items whose name holds every word first. Pinyin initials of the name
(`dlys` for 道路运输…) are indexed as words of their own.

Every word reaching the database consists of letters and digits only and is quoted, so no
query syntax of FTS5 or tsquery can be injected.

One `ItemSearch` row per item describes its published version; `refresh_index` rewrites the
rows of some items and is called in the transaction that makes a version take effect (and
by bulk imports), so the index never disagrees with the catalogue.
"""

from __future__ import annotations

import gc
import itertools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, TypeVar, overload

from django.db import connections, models
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window

from wangban.accounts.models import Department
from wangban.audit.actions import json_safe
from wangban.catalog.choices import ItemType, ServiceObject, VersionState
from wangban.catalog.content import Problems
from wangban.catalog.models import ItemVersion, ServiceItem
from wangban.catalog.queries import public_item, published_items, with_parts

FTS_TABLE = "catalog_itemsearch_fts"  # SQLite only (migration 0003)
MAX_QUERY_LENGTH = 100  # characters of `q`
MAX_FILTER_LENGTH = 100
MAX_TERMS = 16
MAX_TOKEN_LENGTH = 40
INDEX_BATCH = 500
# Column weights: name, pinyin initials, the rest of the guide, legal basis. The order of
# FTS5's columns; PostgreSQL's weights A, B, C, D (its array is given D first).
FTS5_WEIGHTS = "10.0, 4.0, 2.0, 0.5"
TS_RANK_WEIGHTS = "{0.05, 0.2, 0.4, 1.0}"

# Words that say nothing about the item in a query such as 如何办理营业执照; dropped unless the
# query has nothing else.
STOP_WORDS = frozenset(
    {"的", "了", "和", "与", "及", "或", "在", "是", "我", "要", "想", "我要", "我想", "如何"}
    | {"怎么", "怎样", "怎么办", "哪里", "什么", "需要", "办理", "申请"}
)
_WORD = re.compile(r"[^\W_]+")  # letters and digits, any script
_THEME_SEPARATORS = re.compile(r"[、，,;；/|\s]+")


class Facet(models.TextChoices):
    """Multi-valued properties an item can be filtered by, copied from its published version."""

    SERVICE_OBJECT = "object", "服务对象"
    THEME_PERSON = "theme_person", "自然人主题"
    THEME_LEGAL_PERSON = "theme_legal_person", "法人主题"


THEME_FACETS = (Facet.THEME_PERSON, Facet.THEME_LEGAL_PERSON)


class ItemSearch(models.Model):
    """The search entry of an item: the words of its published version, cut by jieba and
    joined by spaces, in four columns of falling weight. The full-text index over them is
    vendor-specific (module docstring). Written only by `refresh_index`.

    Altering this table on SQLite rebuilds it, which drops the triggers that keep
    `catalog_itemsearch_fts` in step: a migration that does so must recreate them (0003)."""

    item = models.OneToOneField(
        ServiceItem,
        verbose_name="事项",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_entry",
    )
    version = models.OneToOneField(
        ItemVersion, verbose_name="已发布版本", on_delete=models.CASCADE, related_name="+"
    )
    name = models.TextField("名称分词")
    initials = models.TextField("名称拼音首字母", blank=True)
    body = models.TextField("其他要素分词", blank=True)
    basis = models.TextField("法律依据分词", blank=True)
    # The version's public representation (`queries.public_item`), stored with its entry so
    # a page of results is one read, not the materials, steps and files of twenty versions.
    # Null only for entries written before it existed (`rebuild_index` fills them).
    representation = models.JSONField("事项表示", null=True, blank=True)

    # Declared because type checkers only see models imported with `models.py`.
    objects: ClassVar[models.Manager[ItemSearch]] = models.Manager()
    item_id: int
    version_id: int

    class Meta:
        app_label = "catalog"
        verbose_name = "事项检索索引"
        verbose_name_plural = "事项检索索引"

    def __str__(self) -> str:
        return str(self.item_id)


class ItemFacet(models.Model):
    """One value of a facet of an indexed item (a service object code, a theme name), so
    that the catalogue filters on them with an index on SQLite and PostgreSQL alike."""

    entry = models.ForeignKey(
        ItemSearch, verbose_name="检索条目", on_delete=models.CASCADE, related_name="facets"
    )
    facet = models.CharField("分类", max_length=20, choices=Facet.choices)
    value = models.CharField("值", max_length=MAX_FILTER_LENGTH)

    objects: ClassVar[models.Manager[ItemFacet]] = models.Manager()

    class Meta:
        app_label = "catalog"
        verbose_name = "事项分类值"
        verbose_name_plural = "事项分类值"
        indexes = [models.Index(fields=["facet", "value"], name="catalog_facet_value")]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"


# --- Words -------------------------------------------------------------------------------

_load_lock = threading.Lock()
_jieba: Any = None


def _tokenizer() -> Any:
    """jieba's tokenizer, its dictionary loaded, and pypinyin's dictionaries with it (about
    0.7 s, once per process, under a lock so that concurrent first requests load it once).

    Then every object alive is frozen out of the garbage collector's reach (`gc.freeze`):
    the two dictionaries and the loaded application are some 300,000 objects that live as
    long as the process, and every full collection would walk them all again, a pause of
    40–90 ms in some unlucky request (seen with bench/catalog.py)."""
    global _jieba
    if _jieba is None:
        with _load_lock:
            if _jieba is None:
                import jieba
                import pypinyin  # noqa: F401 - its dictionaries load on import

                jieba.setLogLevel(logging.WARNING)  # it announces every load on stderr
                jieba.dt.initialize()
                gc.collect()
                gc.freeze()
                _jieba = jieba.dt
    return _jieba


def warm_up() -> threading.Thread:
    """Load the dictionaries in a background thread, so that the first search of a serving
    process does not wait for them. Meant for the WSGI entry point (config/wsgi.py)."""
    thread = threading.Thread(target=_tokenizer, name="search-warm-up", daemon=True)
    thread.start()
    return thread


def _normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case (NFKC)."""
    return unicodedata.normalize("NFKC", text).lower()


def _words(pieces: Iterable[str]) -> list[str]:
    """jieba's pieces reduced to runs of letters and digits (punctuation dropped)."""
    return [word[:MAX_TOKEN_LENGTH] for piece in pieces for word in _WORD.findall(piece)]


def index_words(text: str) -> list[str]:
    """The words of `text` as indexed: jieba's search mode, which adds the shorter
    dictionary words inside longer ones (许可证 → 许可, 许可证), so that a query for any of
    them finds it. No HMM guessing of unknown words: it depends on the context, and the
    query must cut the same way."""
    return _words(_tokenizer().cut_for_search(_normalise(text), HMM=False))


def query_terms(query: str) -> list[str]:
    """The words of a query, each to be found (ANDed): jieba's precise mode, duplicates and
    stop words dropped, at most MAX_TERMS."""
    words = _words(_tokenizer().cut(_normalise(query), HMM=False))
    unique = list(dict.fromkeys(words))
    meaningful = [word for word in unique if word not in STOP_WORDS]
    return (meaningful or unique)[:MAX_TERMS]


def name_initials(name: str) -> list[str]:
    """Pinyin initials of the name from each word on: 道路运输经营许可证核发 →
    dlysjyxkzhf, ysjyxkzhf, jyxkzhf, xkzhf, hf; so `dlys` and `xkz` both find it."""
    tokenizer = _tokenizer()
    from pypinyin import Style, lazy_pinyin

    letters = []
    for word in tokenizer.cut(_normalise(name), HMM=False):
        initials = "".join(lazy_pinyin(word, style=Style.FIRST_LETTER)).lower()
        joined = "".join(_WORD.findall(initials))
        if joined:
            letters.append(joined)
    return ["".join(letters[start:])[:MAX_TOKEN_LENGTH] for start in range(len(letters))]


def theme_names(value: Any) -> list[str]:
    """The themes in a guide's `themes_person` / `themes_legal_person`: a list of names, or
    one string of names separated by 、，, ; / or spaces."""
    if isinstance(value, str):
        names: Iterable[Any] = _THEME_SEPARATORS.split(value)
    elif isinstance(value, list):
        names = value
    else:
        return []
    cleaned = (str(name).strip()[:MAX_FILTER_LENGTH] for name in names if name is not None)
    return list(dict.fromkeys(name for name in cleaned if name))


# --- The index ---------------------------------------------------------------------------


def _entry(version: ItemVersion) -> tuple[ItemSearch, list[ItemFacet]]:
    item = version.item
    guide = version.guide if isinstance(version.guide, dict) else {}
    themes = {
        facet: theme_names(guide.get(f"themes_{facet.removeprefix('theme_')}"))
        for facet in THEME_FACETS
    }
    objects = [code for code in version.service_objects if code in ServiceObject.values]
    labels = dict(ServiceObject.choices)
    rest = [
        item.code,
        item.basic_code,
        version.department.name,
        version.entrusted_department.name if version.entrusted_department else "",
        *(labels[code] for code in objects),
        *itertools.chain.from_iterable(themes.values()),
        *(material.name for material in version.materials.all()),
    ]
    entry = ItemSearch(
        item=item,
        version=version,
        name=" ".join(index_words(version.name)),
        initials=" ".join(name_initials(version.name)),
        body=" ".join(word for text in rest for word in index_words(text)),
        basis=" ".join(index_words(version.legal_basis)),
        representation=json_safe(public_item(version)),
    )
    facets = [ItemFacet(entry=entry, facet=Facet.SERVICE_OBJECT, value=code) for code in objects]
    for facet, names in themes.items():
        facets.extend(ItemFacet(entry=entry, facet=facet, value=name) for name in names)
    return entry, facets


def refresh_index(item_ids: Iterable[int]) -> None:
    """Make the index of these items describe their published versions: a published or
    adjusted item gets the entry of its new version, a cancelled one loses its entry. Called
    in the transaction that publishes, adjusts, cancels or imports them."""
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), INDEX_BATCH):
        batch = ids[start : start + INDEX_BATCH]
        versions = with_parts(
            ItemVersion.objects.filter(item_id__in=batch, state=VersionState.PUBLISHED)
        )
        built = [_entry(version) for version in versions]
        ItemSearch.objects.filter(item_id__in=batch).delete()  # and their facets
        ItemSearch.objects.bulk_create(entry for entry, _ in built)
        ItemFacet.objects.bulk_create(facet for _, facets in built for facet in facets)


def refresh_department(department: Department) -> None:
    """A renamed department: the entries that copy its name (items it implements, is
    entrusted with or co-handles) are rebuilt, in the transaction of the rename."""
    published = ItemVersion.objects.filter(state=VersionState.PUBLISHED)
    refresh_index(
        published.filter(Q(department=department) | Q(entrusted_department=department)).values_list(
            "item_id", flat=True
        )
    )


def rebuild_index() -> int:
    """Index every published item afresh (after a restore, or a change to how words are
    cut); returns how many items are indexed."""
    ItemSearch.objects.all().delete()
    ids = list(
        ItemVersion.objects.filter(state=VersionState.PUBLISHED).values_list("item_id", flat=True)
    )
    refresh_index(ids)
    return len(ids)


# --- Queries -----------------------------------------------------------------------------


_Searched = TypeVar("_Searched", ItemVersion, ItemSearch)


def _match(queryset: QuerySet[_Searched], terms: list[str]) -> QuerySet[_Searched]:
    """`queryset` (of entries, or of versions joined to their entries) narrowed to the
    entries whose words match every term (each as a prefix), best first: name (or its
    pinyin initials) holding every term, then rank, then code.

    `extra()` adds what the ORM cannot say, the vendor's full-text match and rank; the terms
    travel as query parameters and the SQL around them is constant. It names the tables, so
    the result must not be nested in another query."""
    search = ItemSearch._meta.db_table
    if connections[queryset.db].vendor == "sqlite":
        match = " AND ".join('"{}"*'.format(term.replace('"', '""')) for term in terms)
        fts = FTS_TABLE
        queryset = queryset.extra(  # noqa: S610
            tables=[fts],
            where=[f"{fts}.rowid = {search}.item_id", f"{fts} MATCH %s"],
            params=[match],
            select={
                # Matching the name columns again is cheaper than reading every candidate's
                # row to look at its name.
                "search_name_hit": f"CASE WHEN {fts}.rowid IN "  # noqa: S608 - constants
                f"(SELECT rowid FROM {fts} WHERE {fts} MATCH %s) THEN 0 ELSE 1 END",
                "search_rank": f"bm25({fts}, {FTS5_WEIGHTS})",
            },
            select_params=[f"{{name initials}} : ({match})"],
        )
    else:  # PostgreSQL
        escaped = [term.replace("\\", "\\\\").replace("'", "''") for term in terms]
        tsquery = " & ".join(f"'{term}':*" for term in escaped)
        in_name = " & ".join(f"'{term}':*AB" for term in escaped)  # weights A, B: the name
        queryset = queryset.extra(  # noqa: S610
            where=[f"{search}.document @@ to_tsquery('simple', %s)"],
            params=[tsquery],
            select={
                "search_name_hit": f"CASE WHEN {search}.document @@ to_tsquery('simple', %s) "
                "THEN 0 ELSE 1 END",
                "search_rank": f"-ts_rank('{TS_RANK_WEIGHTS}', {search}.document, "
                "to_tsquery('simple', %s))",
            },
            select_params=[in_name, tsquery],
        )
    return queryset.order_by("search_name_hit", "search_rank", "item__code")  # type: ignore[misc]


def search_items(versions: QuerySet[ItemVersion], query: str) -> QuerySet[ItemVersion]:
    """`versions` narrowed to the published ones matching `query`, best first (`_match`). A
    query without letters or digits narrows nothing."""
    terms = query_terms(query)
    if not terms:
        return versions
    return _match(versions.filter(item__search_entry__version=F("pk")), terms)


def _filter_problems(
    q: str, item_type: str, department: str, service_object: str, theme: str
) -> Problems:
    p = Problems()
    if len(q) > MAX_QUERY_LENGTH:
        p.add("q", f"搜索词不能超过 {MAX_QUERY_LENGTH} 个字。")
    if item_type and item_type not in ItemType.values:
        p.add("type", f"事项类型代码“{item_type[:20]}”无效，可选：{'、'.join(ItemType.values)}。")
    if department and (
        len(department) > MAX_FILTER_LENGTH
        or "\x00" in department
        or not Department.objects.filter(code=department).exists()
    ):
        p.add("department", f"部门编码“{department[:20]}”不存在。")
    if service_object and service_object not in ServiceObject.values:
        p.add(
            "object",
            f"服务对象代码“{service_object[:20]}”无效，可选：{'、'.join(ServiceObject.values)}。",
        )
    if len(theme) > MAX_FILTER_LENGTH or "\x00" in theme:
        p.add("theme", f"主题不能超过 {MAX_FILTER_LENGTH} 个字，且不能含控制字符。")
    return p


def _conditions(
    version: str, item_type: str, department: str, service_object: str, theme: str
) -> list[Q | Exists]:
    """The filters, for versions (`version=""`) or for entries (`version="version__"`): both
    have `item_id`, which the facets hang on."""
    conditions: list[Q | Exists] = []
    if item_type:
        conditions.append(Q(**{f"{version}item_type": item_type}))
    if department:
        conditions.append(Q(**{f"{version}department__code": department}))
    if service_object:
        conditions.append(_has_facet([Facet.SERVICE_OBJECT], service_object))
    if theme:
        conditions.append(_has_facet(THEME_FACETS, theme))
    return conditions


def catalogue_query(
    *,
    q: str = "",
    item_type: str = "",
    department: str = "",
    service_object: str = "",
    theme: str = "",
) -> QuerySet[ItemVersion]:
    """The published versions that the portal and `GET /api/v1/items` list: filtered by item
    type (A.1 code), implementing department (code), service object (A.4 code) and theme
    (a name in the guide's themes for persons or legal persons), matching the Chinese
    full-text query `q` (ranked), or in code order without one. Materials, steps and files
    are prefetched for `item_to_api`. To show a page of it, `catalogue_pages` is cheaper.

    Bad values raise InvalidInput, every problem at once, under the names of the API's query
    parameters: `q`, `type`, `department`, `object`, `theme`."""
    _filter_problems(q, item_type, department, service_object, theme).raise_if_any()
    conditions = _conditions("", item_type, department, service_object, theme.strip())
    versions = published_items().filter(*conditions)
    return search_items(versions, q.strip())


def catalogue_pages(
    *,
    q: str = "",
    item_type: str = "",
    department: str = "",
    service_object: str = "",
    theme: str = "",
    rows: QuerySet[ItemVersion] | None = None,
) -> Pages:
    """`catalogue_query(...)` ready for `Paginator` (or `Pages.window`), the cheap way: with
    a query, the page is ranked on the search entries alone (joined to the versions only to
    filter by type or department) and only its versions are read, from `rows` (default:
    with everything `item_to_api` reads). Same filters, order and refusals."""
    _filter_problems(q, item_type, department, service_object, theme).raise_if_any()
    terms = query_terms(q.strip())
    if not terms:
        versions = published_items().filter(
            *_conditions("", item_type, department, service_object, theme.strip())
        )
        return Pages(versions, rows=rows)
    conditions = _conditions("version__", item_type, department, service_object, theme.strip())
    entries = _match(ItemSearch.objects.filter(*conditions), terms)
    return Pages(entries, rows=rows, key="version_id", ranked=True)


class Pages:
    """An ordered query that Django's `Paginator` (and DRF's pagination) can page cheaply.
    A page is read in two steps: the version ids of its items (`key`) from the ordered query,
    which the database answers from its indexes, then the rows of those versions alone, from
    `rows` (default: with everything `item_to_api` reads). Sorting the full rows of every
    match instead costs several times more on a broad query such as 许可. `ranked`: the
    ordered query reads every match anyway (to rank it), so the total can come with the ids.

        Paginator(catalogue_pages(q=q, rows=ItemVersion.objects.select_related("item")), 20)
    """

    def __init__(
        self,
        source: QuerySet[Any],
        rows: QuerySet[ItemVersion] | None = None,
        key: str = "pk",
        ranked: bool = False,
    ) -> None:
        self.source = source
        self.rows = rows if rows is not None else with_parts(ItemVersion.objects.all())
        self.key = key
        self.ranked = ranked

    def count(self) -> int:
        return self.source.count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> ItemVersion: ...

    @overload
    def __getitem__(self, index: slice) -> list[ItemVersion]: ...

    def __getitem__(self, index: int | slice) -> ItemVersion | list[ItemVersion]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        return self._rows(list(self.source.values_list(self.key, flat=True)[index]))

    def __iter__(self) -> Iterator[ItemVersion]:
        return iter(self[:])

    def window(self, offset: int, limit: int) -> tuple[list[ItemVersion], int]:
        """The `limit` items from `offset` on, and how many match in all. For a ranked query
        on PostgreSQL the ids and the total come from one query (`COUNT(*) OVER ()`), so a
        broad query is matched and ranked once, not once more to be counted. SQLite counts
        apart: FTS5 counts from its index without ranking, and cannot rank under a window
        function; and an unranked query (code order) is cheaper to count apart, since its
        page is read from an index without visiting every row."""
        if not self.ranked or connections[self.source.db].vendor == "sqlite":
            return self[offset : offset + limit], self.count()
        ranked = list(
            self.source.annotate(search_total=Window(Count("*"))).values_list(
                self.key, "search_total"
            )[offset : offset + limit]
        )
        if not ranked:  # nothing matches, or the page is past the end
            return [], self.count() if offset else 0
        return self._rows([pk for pk, _ in ranked]), ranked[0][1]

    def _rows(self, ids: list[int]) -> list[ItemVersion]:
        found = self.rows.in_bulk(ids)
        return [found[pk] for pk in ids]


def _has_facet(facets: Iterable[str], value: str) -> Exists:
    return Exists(
        ItemFacet.objects.filter(entry_id=OuterRef("item_id"), facet__in=list(facets), value=value)
    )


def themes_in_use() -> dict[str, list[tuple[str, int]]]:
    """The themes of the published items with how many items each has, by audience
    (`person`, `legal_person`), most items first: the portal's browse-by-theme lists."""
    rows = (
        ItemFacet.objects.filter(facet__in=THEME_FACETS)
        .values_list("facet", "value")
        .annotate(items=models.Count("entry"))
        .order_by("facet", "-items", "value")
    )
    result: dict[str, list[tuple[str, int]]] = {"person": [], "legal_person": []}
    for facet, value, items in rows:
        result[facet.removeprefix("theme_")].append((value, items))
    return result


def representations(version_ids: list[int]) -> list[dict[str, Any]]:
    """The public representations of these published versions, in this order: one read of
    the search entries (a version whose entry lacks it is built the long way)."""
    stored: dict[int, Any] = dict(
        ItemSearch.objects.filter(version_id__in=version_ids).values_list(
            "version_id", "representation"
        )
    )
    missing = [pk for pk in version_ids if not stored.get(pk)]
    if missing:
        for version in with_parts(ItemVersion.objects.filter(pk__in=missing)):
            stored[version.pk] = public_item(version)
    return [stored[pk] for pk in version_ids]
