"""Statements compiled once per process and run many times with other values: for hot paths.

Django turns a queryset into SQL at every evaluation, and builds every INSERT anew when an
instance is saved: on the benchmark machine about half a millisecond of Python per statement,
several times what PostgreSQL spends on a lookup by primary key. A service that runs the same
few statements with other ids at every call (a DID purchase: bench/purchase.py) pays that once
per process here, and gets the same SQL, the same rows and the same model instances:

- ``Prepared(build, arity)``: ``build(*values)`` returns the queryset for ``arity`` values (ids);
  it is built and compiled once per database, with marker values in place of the real ones, and
  each call runs that SQL with the real values where the markers were. The queryset's shape must
  not depend on the values (no branching on them, no list of theirs of varying length: one
  Prepared per length). Model querysets give instances (annotations set on them), values_list
  querysets give tuples, both with Django's converters applied.
- ``insert(objs)``: unsaved instances of one model in one INSERT, as ``bulk_create`` writes them
  (each field's pre_save, e.g. auto_now_add, and its database value), the SQL built once per
  model and row count; the instances get their primary keys (RETURNING) and count as saved.
- ``update(objs, fields)``: some fields of saved instances, by primary key, the SQL built once.

Row locks are prepared through core/locking.py (its prepared_* functions), never here.
"""

from django.db import connections, router
from django.db.models import AutoField, BigAutoField, SmallAutoField
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable

from core.bulk_update import update_rows

_AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)
# Markers stand for the values while the queryset is compiled (twice, with two sets). Any integer
# a lookup accepts would do: a constant of the query equal to one is found and refused.
_MARKER_BASE, _OTHER_MARKER_BASE = 1_987_650_000, 1_987_660_000


class Prepared:
    """A queryset of a fixed shape, compiled once per database and run with other values."""

    def __init__(self, build, arity: int = 1):
        self.build, self.arity = build, arity
        self._compiled = {}  # (alias, vendor) -> _Compiled

    def _get(self):
        alias = self._alias()
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.build, self.arity, alias)
        return compiled, connection

    def _alias(self) -> str:
        alias = getattr(self, "_default_alias", None)
        if alias is None:
            markers = [_MARKER_BASE + i for i in range(self.arity)]
            alias = self._default_alias = self.build(*markers).db
        return alias

    def all(self, *values) -> list:
        """Every row: model instances, or tuples for a values_list queryset (single values when flat)."""
        compiled, connection = self._get()
        return compiled.run(connection, values)

    def first(self, *values):
        """The first row, or None (the queryset orders and limits itself: ``[:1]``)."""
        rows = self.all(*values)
        return rows[0] if rows else None


class _Compiled:
    def __init__(self, build, arity: int, alias: str):
        markers = [_MARKER_BASE + i for i in range(arity)]
        queryset = build(*markers)
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable, FlatValuesListIterable):
            raise TypeError("Prepared runs model and values_list querysets only")
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("Prepared does not prefetch nor keep known related objects")
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        self.slots = []  # (position in params, index of the value)
        for index, marker in enumerate(markers):
            found = [i for i, p in enumerate(params) if p == marker and type(p) is int]
            if not found:
                raise ValueError(f"value {index} of the prepared queryset is not a parameter of its SQL")
            self.slots += [(position, index) for position in found]
        # Compiled again with other markers, the SQL must be the same and only the slots may
        # differ: a constant that happened to equal a marker, or a shape that depends on the
        # values, is refused here rather than run with the wrong parameters.
        others = [_OTHER_MARKER_BASE + i for i in range(arity)]
        other_sql, other_params = build(*others).query.get_compiler(using=alias).as_sql()
        expected = list(params)
        for position, index in self.slots:
            expected[position] = others[index]
        if other_sql != sql or list(other_params) != expected:
            raise ValueError("a constant of the prepared queryset equals a marker, or its shape depends on its "
                             "values")
        self.sql, self.params = sql, params
        select = compiler.select
        self.col_count = compiler.col_count
        self.converters = list(compiler.get_converters([s[0] for s in select[: self.col_count]]).items())
        self.model = None
        if queryset._iterable_class is ModelIterable:
            klass_info = compiler.klass_info
            if klass_info.get("related_klass_infos"):
                raise TypeError("Prepared does not follow select_related")
            fields = klass_info["select_fields"]
            self.model = klass_info["model"]
            self.start, self.end = fields[0], fields[-1] + 1
            self.init_list = [s[0].target.attname for s in select[self.start:self.end]]
            self.annotations = list((compiler.annotation_col_map or {}).items())
        self.flat = queryset._iterable_class is FlatValuesListIterable
        self.alias = alias

    def run(self, connection, values) -> list:
        params = list(self.params)
        for position, index in self.slots:
            params[position] = values[index]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        converters, count = self.converters, self.col_count
        result = []
        for row in rows:
            if converters or len(row) != count:
                row = list(row[:count])
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            if self.model is not None:
                obj = self.model.from_db(self.alias, self.init_list, row[self.start:self.end])
                for name, position in self.annotations:
                    setattr(obj, name, row[position])
                result.append(obj)
            else:
                result.append(row[0] if self.flat else tuple(row))
        return result


# --- inserts and updates --------------------------------------------------------------------

_INSERTS = {}  # (model, rows, computed SQL, alias, vendor) -> (sql, fields, computed fields)
_UPDATES = {}  # (model, fields, alias, vendor) -> (sql, fields)


def insert(objs: list, *, computed: dict | None = None) -> list:
    """INSERT unsaved instances of one model (with an automatic primary key) in one statement,
    the values as bulk_create would write them (and as it, no save() or signals); sets their
    primary keys. Returns ``objs``.

    ``computed`` maps a field's name to (an SQL expression with %s placeholders, one list of its
    parameters per instance): the column gets the expression's value instead of the instance's,
    read back into the instance (RETURNING). The ledger's sequence numbers: the account's last
    one + 1, read by the INSERT itself (billing/ledger/posting.py)."""
    if not objs:
        return objs
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert:  # an old SQLite: Django's own way
        if computed:
            raise NotImplementedError("insert(computed=...) needs INSERT ... RETURNING")
        model._base_manager.using(alias).bulk_create(objs)
        return objs
    computed = computed or {}
    key = (model, len(objs), tuple((name, sql) for name, (sql, _) in computed.items()), alias, connection.vendor)
    found = _INSERTS.get(key)
    if found is None:
        expressions = {name: sql for name, (sql, _) in computed.items()}
        found = _INSERTS[key] = _insert_sql(model, len(objs), expressions, connection)
    sql, fields, returned = found
    params = []
    for index, obj in enumerate(objs):
        if type(obj) is not model or not obj._state.adding or obj.pk is not None:
            raise ValueError("insert() takes new instances of one model")
        for field in fields:
            if field.name in computed:
                params.extend(computed[field.name][1][index])
                continue
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):  # an expression, DatabaseDefault included
                raise ValueError(f"insert() takes plain values, not {field.name}={value!r}")
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for obj, row in zip(objs, rows, strict=True):
        for field, value in zip(returned, row):
            setattr(obj, field.attname, value)
        obj._state.adding, obj._state.db = False, alias
    return objs


def _insert_sql(model, rows: int, computed: dict, connection):
    meta = model._meta
    if meta.parents or not isinstance(meta.pk, _AUTO_FIELDS):
        raise TypeError("insert() takes models with an automatic primary key and no parent model")
    fields = [f for f in meta.local_concrete_fields if f is not meta.pk and not f.generated]
    unknown = set(computed) - {f.name for f in fields}
    if unknown:
        raise ValueError(f"insert(computed=...): no field {', '.join(sorted(unknown))}")
    quote = connection.ops.quote_name
    row = "(" + ", ".join(computed.get(f.name, "%s") for f in fields) + ")"
    returned = [meta.pk] + [f for f in fields if f.name in computed]
    returning, returning_params = connection.ops.return_insert_columns(returned)
    assert not returning_params
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES {', '.join([row] * rows)} {returning}")
    return sql, fields, returned


def update(objs: list, fields: list[str]) -> None:
    """Write ``fields`` (names) of saved instances of one model by their primary keys: one
    ``UPDATE ... WHERE pk = %s`` built once per model and fields for one instance, one
    core.bulk_update.update_rows statement for several."""
    if len(objs) > 1:
        update_rows(type(objs[0]), fields, objs)
        return
    if not objs:
        return
    obj = objs[0]
    model = type(obj)
    alias = router.db_for_write(model)
    connection = connections[alias]
    key = (model, tuple(fields), alias, connection.vendor)
    found = _UPDATES.get(key)
    if found is None:
        meta, quote = model._meta, connection.ops.quote_name
        columns = [meta.get_field(name) for name in fields]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in columns)
        where = f"{quote(meta.pk.column)} = %s"
        found = _UPDATES[key] = (f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {where}", columns)
    sql, columns = found
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns]
    params.append(obj.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
