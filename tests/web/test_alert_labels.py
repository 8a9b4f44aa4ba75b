"""What the inbox calls an alert: by its kind, and an 'escalatie' from verzuim detection (its facts name
the signal) as a thuiszitter at home for 3 months rather than a passed deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.delivery import mail_send
from infra.delivery.alerts import KIND_LABELS, Alert
from web.inbox import kind_label


def _alert(kind: str, **facts: object) -> Alert:
    return Alert("a-1", kind, "leerplicht", "0957", None, "lln-1", "titel", dict(facts),
                 datetime(2026, 11, 2, tzinfo=UTC), None, None, None)


@pytest.mark.parametrize(("alert", "label"), [
    (_alert("thuiszitter"), "Thuiszitter"),
    (_alert("thuiszitter_terug"), "Thuiszitter weer op school"),
    (_alert("escalatie", timer="opp_termijn"), "Termijn verstreken"),
    (_alert("escalatie", signal="lln-1:thuiszitter:2026-09-07:escalatie"), "Thuiszitter langer dan 3 maanden"),
    (_alert("nieuw_soort"), "Nieuw soort"),
])
def test_an_alert_is_named_by_its_kind_and_a_verzuim_escalation_as_such(alert: Alert, label: str) -> None:
    assert kind_label(alert) == label


@pytest.mark.parametrize("kind", sorted(KIND_LABELS))
def test_the_alert_mail_names_a_kind_as_the_inbox_does(kind: str) -> None:
    """'Vraag van het SWV', not 'Vraag school': one list of words for the inbox and the mail."""
    body = mail_send.alert_body(kind, "https://leerlingroute.example/meldingen/a-1")
    assert f"Soort: {KIND_LABELS[kind]}\n" in body
