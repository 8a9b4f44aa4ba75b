"""Dutch texts people read: a count agrees with its noun, and brackets never nest."""

from __future__ import annotations

from datetime import date

from domain.verzuim.texts import meldplicht, schoolweken


def test_one_school_week_is_singular_and_more_are_plural() -> None:
    """'binnen 1 schoolweek', 'binnen 4 schoolweken'."""
    assert (schoolweken(1), schoolweken(4)) == ("1 schoolweek", "4 schoolweken")
    text = meldplicht("lln-1", "14PS03", 16, "uur", 1, date(2026, 9, 7), date(2026, 9, 11))
    assert "binnen 1 schoolweek (" in text
    assert "schoolweken" not in text
