"""Writing Excel files from stored data: every value shows as it was typed, and no stored value
can make a download fail.

- openpyxl stores a string that starts with "=" as a formula: a position typed as
  ``=HYPERLINK("http://…","点击查看")`` would export as a live link. Strings are written as text,
  and those Excel would read as a formula (= + - @) get the quote prefix, so they stay text even
  when a user edits the cell.
- openpyxl refuses control characters (IllegalCharacterError): one such character in one stored
  position used to break every later export. They are dropped from the copy written out.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.domain.text import printable

FORMULA_STARTS = ("=", "+", "-", "@")


def cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    """A write-only cell holding ``value`` as data, never as a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", printable(value))
    result = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        result.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            result.quotePrefix = True
    if bold:
        result.font = Font(bold=True)
    return result


def row(sheet: Any, values: Iterable[Any], *, bold: bool = False) -> list[WriteOnlyCell]:
    return [cell(sheet, value, bold=bold) for value in values]
