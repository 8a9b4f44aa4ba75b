"""The service layer: the use cases the API, the pages, the flows and the CLI share, one module per area.

:class:`Service` is the whole of them over one database (:mod:`service.wiring` builds it from the settings):

- :mod:`service.cases`: open a case, take a step, status, history, timeline, transfer, search, advice, notes;
- :mod:`service.monitoring`: worklist, counts, stalled list and passed deadlines, silence, indicators, digests;
- :mod:`service.alerts`: the inbox and its groups, acknowledging, the alert and hand-off feeds;
- :mod:`service.delivery`: timers, the outbox relay, webhooks, the event stream;
- :mod:`service.accounts`: tokens, the audit log, account management;
- :mod:`service.reference`: CSV imports and the pupil register;
- :mod:`service.verzuim`: absence, thuiszitter detection, meldplicht and vrijstelling (a service of its own over
  this one);
- :mod:`service.oefenomgeving`: the simulated clock of a practice environment.

Role checks and audit are in one place, :mod:`service.use_case`: every use case on behalf of a user is declared
there with its action, its resource and who may (``@audited_read("case.history", "case:{case_id}")``), and the
declaration runs the role check inside the audit and commits the audit row with the work. The scope of a case is
one check too, :meth:`service.base.ServiceBase.sees` (the rules in :mod:`domain.access`), the body's first step.
"""

from __future__ import annotations

from service.accounts import AccountUseCases
from service.alerts import AlertUseCases
from service.cases import CaseUseCases
from service.delivery import DeliveryUseCases
from service.monitoring import MonitoringUseCases
from service.reference import ReferenceUseCases


class Service(CaseUseCases, MonitoringUseCases, AlertUseCases, DeliveryUseCases, AccountUseCases, ReferenceUseCases):
    """The engine as the outside world uses it."""


__all__ = ["Service"]
