"""Update many rows with different values in one statement:
``UPDATE t SET a = v.a, … FROM (VALUES (id, a, …), …) AS v WHERE t.id = v.id``.

Django's ``bulk_update`` builds a CASE WHEN per row and field; for the billing
run's few hundred rows per batch that costs more Python time than all the SQL
of the batch (bench/billing.py's profile). This runs on PostgreSQL and on SQLite
(3.33+), which both name the columns of a VALUES list column1, column2, ….
"""

from django.db import connection


def update_rows(model, fields: list[str], objects) -> None:
    """Write ``fields`` of each object in ``objects`` (saved rows of ``model``) in one UPDATE."""
    objects = list(objects)
    if not objects:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    postgresql = connection.vendor == "postgresql"

    def source(position: int, field) -> str:
        value = f"v.column{position}"
        # PostgreSQL types a VALUES column from its literals; a column of NULLs would be text.
        return f"CAST({value} AS {field.db_type(connection)})" if postgresql else value

    assignments = ", ".join(f"{quote(f.column)} = {source(i + 2, f)}" for i, f in enumerate(columns))
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    params = []
    for obj in objects:
        params.append(obj.pk)
        params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns)
    table = quote(meta.db_table)
    sql = (f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(objects))}) AS v "
           f"WHERE {table}.{quote(meta.pk.column)} = v.column1")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT many rows given as plain value tuples in ``fields`` order (column
    names, e.g. ``account_id``, ``amount_currency``), skipping model instances and
    Django's per-field preparation: the billing run's ledger entries."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    by_column = {f.column: f for f in meta.concrete_fields}
    columns = [by_column[name] for name in fields]
    adapters = [_adapter(field) for field in columns]
    params = []
    for values in rows:
        params.extend(adapt(value) if adapt and value is not None else value for adapt, value in zip(adapters, values))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c.column) for c in columns)}) "
           f"VALUES {', '.join([row] * len(rows))}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _adapter(field):
    """The backend's conversion for this column's values (None when psycopg/sqlite3 take them as they are)."""
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if internal == "DecimalField":  # django-money's amounts too
        return lambda value: connection.ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    return None


def generated_insert_sql(model, expressions: dict[str, str], count: int) -> tuple[str, list]:
    """``INSERT INTO <table> ... SELECT ... FROM generate_series(1, count) AS g``: one row
    per ``g``, SQL ``expressions`` (by attname, may use ``g``) for some columns and the
    model's defaults for the others. For loading large realistic tables in one statement
    (benchmarks, PostgreSQL plan tests); PostgreSQL only."""
    from django.db import connection

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.attname in expressions:
            values.append(expressions[field.attname])
        elif field.has_default() or not field.null:  # "" for blank text fields
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            values.append("NULL")
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} "
           f"FROM generate_series(1, {int(count)}) AS g")
    return sql, params
