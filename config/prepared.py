"""Reads compiled to SQL once per process and run with each request's values.

In a small read the ORM's work, not the database's, is most of the time: building and
compiling a session's catalog query took about 5 of its 6 ms in-process, running the SQL
under 1 ms (cProfile, bench settings on PostgreSQL). Django has no cache of compiled
statements, so a read that is the same statement every time is written as a queryset with
a `Param` wherever a value changes (an id, the time), compiled on first use, and from then
on only bound and run: each value adapted by its field as the ORM would adapt it, each
row converted by the ORM's own converters (`SQLCompiler.results_iter`).

Use it only where the queryset is the same statement for every value: a `Param` cannot
stand where the SQL itself would change with it (an `IN` list, a `None`, a slice).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Aggregate, Expression, F, Field, JSONField, Model, QuerySet
from django.db.models.functions import JSONObject
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Slot:
    """Where a Param's value goes in the compiled statement's parameters."""

    name: str
    field: Field[Any, Any]


class Param(Expression):
    """A value given each time the prepared read runs, of `output_field`'s type."""

    def __init__(self, name: str, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        return "%s", (_Slot(self.name, self.output_field),)


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    params: Sequence[Any]
    names: list[str]


class PreparedRead:
    """The rows of a `values()` queryset, as dicts, compiled once per database alias.

    `build` makes the queryset, with `Param`s for what `rows(**values)` is given."""

    def __init__(self, build: Callable[[], QuerySet[Any, Any]]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, *, using: str = "default", **values: Any) -> list[dict[str, Any]]:
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        bound = [
            param.field.get_db_prep_value(values[param.name], connection, prepared=False)
            if isinstance(param, _Slot)
            else param
            for param in compiled.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, bound)
            fetched = cursor.fetchall()
        if compiled.compiler.has_extra_select:  # columns only the ordering needed
            fetched = [row[: len(compiled.names)] for row in fetched]
        return [
            dict(zip(compiled.names, row, strict=True))
            for row in compiled.compiler.results_iter(results=[fetched])
        ]

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build()
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        names = [alias for _expression, _sql, alias in compiler.select[: compiler.col_count]]
        compiled = _Compiled(compiler=compiler, sql=sql, params=params, names=names)
        self._compiled[using] = compiled
        return compiled


class JSONListField(JSONField):
    """The array a JSONList makes, in its order: sorted as it is read where the database
    could not order it (SQLite before 3.44 orders no aggregate's input; its own BINARY
    collation is code point order, as Python's sort is)."""

    def __init__(self, *, order_by: str) -> None:
        super().__init__()
        self.order_by = order_by

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)
        if connection.vendor == "sqlite" and isinstance(value, list):
            value.sort(key=itemgetter(self.order_by))
        return value


class JSONList(Aggregate):
    """JSON objects of the aggregated rows as one array, ordered by their `order_by` key:
    a row's related rows in the row itself, so that a prepared read is one statement, not
    one per relation. A Subquery of it takes its `output_field`."""

    def __init__(self, value: JSONObject, *, order_by: str) -> None:
        super().__init__(value, F(order_by), output_field=JSONListField(order_by=order_by))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        # JSONB (read as text for JSONField to decode), ordered by the database's collation
        # as an ORDER BY of the same rows would be.
        # The value and the ordering; what follows (an aggregate's FILTER) is not used here.
        (value, value_params), (order, order_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()[:2]
        )
        return f"JSONB_AGG({value} ORDER BY {order})", [*value_params, *order_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        value, value_params = compiler.compile(self.get_source_expressions()[0])
        return f"JSON_GROUP_ARRAY({value})", value_params


def instance_of(model: type[M], row: Mapping[str, Any], prefix: str = "") -> M:
    """The `model` row a prepared read gave, from its `prefix`ed columns, as the ORM loads
    one (`Model.from_db`): what was not read is deferred."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        if (key := prefix + field.attname) in row or (key := prefix + field.name) in row:
            names.append(field.attname)
            values.append(row[key])
    return model.from_db(DEFAULT_DB_ALIAS, names, values)
