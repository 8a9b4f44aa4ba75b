"""After the oefenomgeving's clock moved (``leerlingroute clock set|advance``): the work that fell due, through the
same flows the schedules run, at the instance's (new) now. Run as ``python -m flows.clock_moved``.

With a Prefect server (``PREFECT_API_URL``) each is a flow run you see in the Prefect UI; without one the flows'
own functions run in this process (``Flow.fn``: no server is started for them), and what only Prefect can take
(the events of the relay and the digest announcements) is left for ``leerlingroute serve`` to relay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import Flow
from prefect.settings import PREFECT_API_URL

from flows.check_silence import check_silence
from flows.detect_thuiszitters import detect_thuiszitters
from flows.fire_due_timers import fire_due_timers
from flows.relay_events import relay_events
from flows.report_stalled_pathways import report_stalled_pathways
from infra.delivery.prefect_events import PrefectUnavailable

FLOWS: tuple[Flow[..., Any], ...] = (fire_due_timers, detect_thuiszitters, report_stalled_pathways, relay_events,
                                     check_silence)
"""In this order: timers change cases, detection may open cases, the digests and alerts see both, the relay's
hand-offs open what follows; then the silence check counts what still falls silent."""


def run_due_work(*, with_prefect: bool | None = None) -> dict[str, str]:
    """Run every flow of FLOWS once, with its defaults (the instance's now); what each did, in Dutch."""
    with_prefect = bool(PREFECT_API_URL.value()) if with_prefect is None else with_prefect
    done = {}
    for flow in FLOWS:
        run: Callable[[], Any] = flow if with_prefect else flow.fn
        try:
            done[flow.name] = _said(run())
        except PrefectUnavailable:
            done[flow.name] = "gedaan, behalve het doorsturen naar Prefect (er draait geen Prefect-server)"
    return done


def _said(result: object) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{key} {value}" for key, value in result.items())
    return str(result)


def main() -> None:
    """Run the due work and say what it did."""
    for name, outcome in run_due_work().items():
        print(f"  {name}: {outcome}")  # noqa: T201 - a CLI's answer


if __name__ == "__main__":
    main()
