"""Spreadsheet exports: what Excel opens cleanly, and no cell that runs as a formula."""

from __future__ import annotations

import pytest

from web.export import cell, spreadsheet


@pytest.mark.parametrize("value", ['=HYPERLINK("x")', "+31 6", "-2", "@SUM(A1)", "\tX", "\rX"])
def test_a_cell_a_spreadsheet_would_read_as_a_formula_is_neutralised(value: str) -> None:
    """A leading apostrophe makes Excel show the text instead of running it."""
    assert cell(value) == f"'{value}"


@pytest.mark.parametrize(("value", "text"), [("14PS03", "14PS03"), (42, "42"), (-52, "-52"), (None, ""),
                                             ("a=b", "a=b")])
def test_an_ordinary_cell_is_left_as_it_is(value: object, text: str) -> None:
    """Only the first character decides; numbers and empty values are written plainly."""
    assert cell(value) == text


def test_the_file_has_a_bom_semicolons_and_crlf_and_quotes_what_needs_it() -> None:
    """Dutch Excel splits on semicolons and reads UTF-8 only with the byte-order mark."""
    assert spreadsheet(["naam", "notitie"], [["Zoë", "a;b"], ["=1+1", 'zei "ja"']]) == (
        '\ufeffnaam;notitie\r\nZoë;"a;b"\r\n\'=1+1;"zei ""ja"""\r\n')
