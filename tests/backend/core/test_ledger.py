"""The shared XLSX ledger writer: typed cells, never a formula from text, local times, a download."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.ledger import XLSX_CONTENT_TYPE, Column, ledger_response, write_ledger

COLUMNS = [
    Column("姓名"),
    Column("次数", "int"),
    Column("时间", "datetime"),
    Column("日期", "date"),
    Column("重点", "bool"),
    Column("得分", "number"),
]


def read_back(data: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_cells_are_typed_and_times_are_shown_in_the_county_zone() -> None:
    out = io.BytesIO()
    count = write_ledger(
        out,
        title="重点人员台账",
        columns=COLUMNS,
        rows=[["张三", 3, dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC), dt.date(2026, 2, 3), True, 7.5]],
    )
    assert count == 1
    rows = read_back(out.getvalue())
    assert rows[0][0] == "重点人员台账"
    assert rows[1] == ["姓名", "次数", "时间", "日期", "重点", "得分"]
    assert rows[2] == ["张三", 3, dt.datetime(2026, 1, 1, 8, 30), dt.datetime(2026, 2, 3), "是", 7.5]


def test_text_that_looks_like_a_formula_stays_text() -> None:
    out = io.BytesIO()
    write_ledger(
        out, title="t", columns=[Column("x")], rows=[['=HYPERLINK("http://evil","x")'], ["+1"], ["@SUM(A1)"]]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    for row in range(3, 6):
        assert sheet.cell(row, 1).data_type == "s"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), min_size=1, max_size=40), max_size=5
    )
)
def test_any_text_is_written_and_read_back(texts: list[str]) -> None:
    out = io.BytesIO()
    write_ledger(
        out, title="t", columns=[Column("x"), Column("n", "int")], rows=[[text, 1] for text in texts]
    )
    assert read_back(out.getvalue())[2:] == [[text, 1] for text in texts]


@pytest.mark.django_db
def test_a_ledger_downloads_as_an_xlsx_attachment() -> None:
    response = ledger_response("台账.xlsx", title="t", columns=COLUMNS[:2], rows=iter([["a", 1], ["b", 2]]))
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert read_back(data)[2:] == [["a", 1], ["b", 2]]


def test_control_characters_are_dropped_not_escaped() -> None:
    out = io.BytesIO()
    write_ledger(out, title="t", columns=[Column("x")], rows=[["a\x00b\x1fc\td"]])
    assert read_back(out.getvalue())[2] == ["abc\td"]
