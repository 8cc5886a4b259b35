"""Statements that take a batch of rows as one array parameter per column: one round trip whatever the batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# (column name, PostgreSQL type of one element)
Column = tuple[str, str]


def unnest_insert(
    table: str,
    columns: Sequence[Column],
    *,
    constants: Mapping[str, str] | None = None,
    then: str = "",
) -> str:
    """An INSERT of one row per element of the columns' arrays ($1, $2, ... in column order).

    constants: further columns with the same SQL value in every row; then: what follows the SELECT
    (ON CONFLICT ..., RETURNING ...).
    """
    constants = constants or {}
    names = ", ".join([name for name, _ in columns] + list(constants))
    arrays = ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, 1))
    select = ", ".join(["*", *constants.values()])
    return " ".join(
        part
        for part in (f"INSERT INTO {table} ({names}) SELECT {select} FROM unnest({arrays})", then)
        if part
    )
