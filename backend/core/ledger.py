"""Ledgers (台账) as XLSX, written once for every module: streamed rows, constant memory.

A ledger is a title, a list of ``Column``s (a Chinese header, a kind, a width) and rows in order.
``write_ledger`` streams the rows through XlsxWriter's constant-memory mode (each row goes to a
temporary file as it is written; memory does not grow with the row count) into a file;
``ledger_response`` writes it to a temporary file and answers it as a download, so a 100,000-row
ledger never sits in memory.

Cells are typed by their column: text is always written as text (a value such as ``=HYPERLINK(…)``
sent by a phone or typed by a user is never a formula), datetimes are shown in the county's time
zone (XLSX has no time zones), numbers as numbers, an empty value as an empty cell.

Exports of personal data are audited by the caller (``backend.audit.services.record_access`` with
``Action.EXPORT``); this module knows nothing of requests.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo

import xlsxwriter
from django.conf import settings
from django.http import FileResponse
from django.utils.encoding import force_str

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's own limits: longer text is cut (and marked) rather than refused.
MAX_CELL_TEXT = 32_767
MAX_ROWS = 1_048_575


@dataclass(frozen=True)
class Column:
    """One column of a ledger: its header (lazy translations welcome), how cells are written."""

    header: Any
    kind: str = "text"  # text | int | number | date | datetime | bool
    width: float = 14


def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# Control characters (other than tab and line breaks) cannot be shown in a cell: they are dropped.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13)) | {0x7F: None}


def _text(value: Any) -> str:
    text = force_str(value).translate(_CONTROL)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def write_ledger(
    target: str | IO[bytes],
    *,
    title: Any,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    sheet_name: Any = None,
) -> int:
    """Write a ledger to ``target`` (a path or a binary file object); return the rows written.

    ``title`` is the first line of the sheet (the ledger's name and, by convention, its scope and
    date); the header row follows and is frozen. Rows beyond Excel's limit are refused with
    ``ValueError`` before the file is finished.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "remove_timezone": True,
        },
    )
    zone = _local_zone()
    try:
        sheet = workbook.add_worksheet(
            _text(sheet_name or title)[:31].translate(str.maketrans("[]:*?/\\", "（）：＊？／＼"))
        )
        bold = workbook.add_format({"bold": True})
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF5", "border": 1, "text_wrap": True})
        formats = {
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "number": workbook.add_format({"num_format": "0.00"}),
        }
        sheet.write_string(0, 0, _text(title), bold)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(1, index, _text(column.header), header)
        sheet.freeze_panes(2, 0)
        writers = [_cell_writer(column.kind, formats, zone) for column in columns]
        count = 0
        for row_number, row in enumerate(rows, start=2):
            if row_number > MAX_ROWS:
                raise ValueError(f"a ledger holds at most {MAX_ROWS - 2} rows")
            for index, value in enumerate(row):
                if value is None or value == "":
                    continue
                writers[index](sheet, row_number, index, value)
            count += 1
    finally:
        workbook.close()
    return count


Writer = Callable[[Any, int, int, Any], None]


def _cell_writer(kind: str, formats: dict[str, Any], zone: ZoneInfo) -> Writer:
    if kind in ("int", "number"):
        number_format = formats.get(kind)

        def write_number(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_number(row, col, float(value), number_format)

        return write_number
    if kind == "bool":

        def write_bool(sheet: Any, row: int, col: int, value: Any) -> None:
            sheet.write_string(row, col, "是" if value else "否")

        return write_bool
    if kind == "datetime":
        datetime_format = formats["datetime"]

        def write_datetime(sheet: Any, row: int, col: int, value: Any) -> None:
            if value.tzinfo is not None:
                value = value.astimezone(zone).replace(tzinfo=None)
            sheet.write_datetime(row, col, value, datetime_format)

        return write_datetime
    if kind == "date":
        date_format = formats["date"]

        def write_date(sheet: Any, row: int, col: int, value: Any) -> None:
            if isinstance(value, dt.datetime):
                value = (value.astimezone(zone) if value.tzinfo else value).date()
            sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), date_format)

        return write_date

    def write_text(sheet: Any, row: int, col: int, value: Any) -> None:
        sheet.write_string(row, col, _text(value))

    return write_text


def ledger_response(
    filename: str,
    *,
    title: Any,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    sheet_name: Any = None,
) -> FileResponse:
    """The ledger as a download named ``filename`` (UTF-8 names are fine), from a temporary file."""
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes (and so deletes) it
    write_ledger(spool, title=title, columns=columns, rows=rows, sheet_name=sheet_name)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
