"""The audit log in Dutch: what each action code, outcome and resource means, in one place for the admin page and
its export. A code not listed here is still shown as words (``case.note_added`` -> 'Overige handeling: case note
added'), never as a bare code.
"""

from __future__ import annotations

from collections.abc import Mapping

from web.texts import code_label

ACTIONS = {
    "case.read": "Dossier ingezien",
    "case.history": "Geschiedenis van het dossier ingezien",
    "case.open": "Dossier geopend",
    "case.command": "Stap gezet",
    "case.search": "Dossiers gezocht",
    "case.find": "Dossier gezocht in het zoekvak",
    "case.request_advice": "Advies van een deskundige gevraagd",
    "case.note": "Notitie bij het dossier geschreven",
    "case.notes": "Notities bij het dossier ingezien",
    "pupil.read": "Tijdlijn van de leerling ingezien",
    "pupil.record": "Leerlinggegevens ingezien",
    "pupil.transfer": "Leerling overgeplaatst",
    "worklist.read": "Werklijst ingezien",
    "monitor.stalled": "Vastgelopen dossiers ingezien",
    "monitor.silence": "Dossiers zonder beweging ingezien",
    "monitor.verborgen": "Verborgen thuiszitters ingezien",
    "alerts.read": "Meldingen ingezien",
    "alert.read": "Melding ingezien",
    "alert.acknowledge": "Melding afgehandeld",
    "events.stream": "Dossiergebeurtenissen opgehaald",
    "import": "Bestand geïmporteerd",
    "verzuim.inschrijvingen": "Inschrijving vastgelegd",
    "verzuim.verzuim": "Verzuim vastgelegd",
    "verzuim.vrijstellingen": "Vrijstelling vastgelegd",
    "verzuim.holidays": "Eigen vakanties ingesteld",
    "verzuim.detect": "Verzuimdetectie gestart",
    "verzuim.read": "Verzuim bij een melding ingezien",
    "verzuim.melding": "Verzuimmelding aan DUO vastgelegd",
    "verzuim.voornemen": "Voornemen tot vrijstelling vastgelegd",
    "verzuim.raadpleging": "Raadpleging van het samenwerkingsverband vastgelegd",
    "thuiszitters.register": "Thuiszitterregister ingezien",
    "thuiszitters.export": "Thuiszitterregister geëxporteerd",
    "webhook.register": "Ontvanger van dossiergebeurtenissen aangemeld",
    "webhook.deactivate": "Ontvanger van dossiergebeurtenissen afgemeld",
    "webhook.rotate_secret": "Geheim van een ontvanger vervangen",
    "clock.set": "Gesimuleerde klok gezet",
    "clock.advance": "Gesimuleerde klok verzet",
    "web.sign_in": "Inlogpoging",
    "web.sign_out": "Uitgelogd",
    "audit.export": "Auditlog geëxporteerd",
    "account.create": "Account aangemaakt",
    "account.revoke": "Account ingetrokken",
    "account.reset_second_factor": "Tweede factor vervangen",
    "account.mail": "E-mail voor meldingen ingesteld",
}
"""Action code (before any ``:detail``, such as a step's command name) -> what happened, in Dutch."""
OUTCOMES = {
    "ok": "gelukt",
    "forbidden": "geweigerd: geen toegang",
    "denied": "geweigerd",
    "not-found": "niet gevonden",
    "case-not-found": "dossier niet gevonden",
    "pupil-not-found": "leerling niet gevonden",
    "alert-not-found": "melding niet gevonden",
    "role-not-allowed": "geweigerd: rol niet toegestaan",
    "out-of-scope": "geweigerd: buiten de scope",
    "transition-not-allowed": "geweigerd: stap niet toegestaan",
    "guard-failed": "geweigerd: voorwaarde niet vervuld",
    "invalid-command": "geweigerd: ongeldige invoer",
    "conflict": "geweigerd: tegelijk gewijzigd",
    "idempotency-key-reused": "geweigerd: sleutel al gebruikt",
    "replayed": "herhaald verzoek (al vastgelegd)",
    "import-rejected": "geweigerd: bestand afgekeurd",
    "record-rejected": "geweigerd: regel afgekeurd",
    "clock-refused": "geweigerd: klok",
    "wrong": "mislukt: gegevens onjuist",
    "locked": "geweigerd: account geblokkeerd",
    "locked_now": "mislukt: account nu geblokkeerd",
    "unknown": "mislukt: onbekende gebruiker",
    "limited": "geweigerd: te veel pogingen",
}
"""Outcome code (before any ``:detail``, such as a count) -> how it ended, in Dutch."""
RESOURCES = {
    "case": "Dossier",
    "pupil": "Leerling",
    "user": "Account",
    "alert": "Melding",
    "alerts": "Meldingen",
    "webhook": "Ontvanger",
    "import": "Import",
    "signal": "Verzuimsignaal",
    "voornemen": "Voornemen",
    "verzuim": "Verzuimdetectie",
    "register": "Thuiszitterregister",
    "export": "Export",
    "events": "Gebeurtenissen vanaf",
    "zoeken": "Zoekopdracht, gevonden:",
    "adres": "Adres",
    "school": "School",
    "swv": "Samenwerkingsverband",
    "gemeente": "Gemeente",
}
"""Resource kind (before the ``:``) -> what it is, in Dutch; the id follows it."""
WHOLE_RESOURCES = {
    "klok": "Gesimuleerde klok",
    "cases:worklist": "Werklijst",
    "cases:stalled": "Vastgelopen dossiers",
    "cases:silence": "Dossiers zonder beweging",
    "register:verborgen": "Verborgen thuiszitters",
}
"""Resources that are named as a whole."""
SEARCHES = {"cases?": "Zoekopdracht in dossiers", "auditlog?": "Zoekopdracht in het auditlog"}
"""Resources that describe a search (their filters follow the ``?``)."""
FILTERS = {"case": "dossier", "pupil": "leerling", "user": "gebruiker", "van": "van", "tot": "tot",
           "school_brin": "school", "pathway": "route", "stage": "fase", "pupil_id": "leerling"}
"""A search's filter names (``name=value``) in Dutch."""


def action_nl(action: str) -> str:
    """'case.read' -> 'Dossier ingezien'; 'case.command:start_opp' -> 'Stap gezet: start opp'."""
    code, _, detail = action.partition(":")
    words = ACTIONS.get(code)
    if words is None:
        return f"Overige handeling: {_words(action)}"
    return f"{words}: {code_label(detail)}" if detail else words


def outcome_nl(outcome: str) -> str:
    """'ok' -> 'gelukt'; 'limited:12' -> 'geweigerd: te veel pogingen (12)'."""
    code, _, detail = outcome.partition(":")
    words = OUTCOMES.get(code)
    if words is None:
        return f"anders: {_words(outcome)}"
    return f"{words} ({detail})" if detail else words


def resource_nl(resource: str, names: Mapping[str, str] | None = None) -> str:
    """'case:<id>' -> 'Dossier <id>'; 'user:<id>' -> 'Account <name>' when ``names`` knows the id."""
    if resource in WHOLE_RESOURCES:
        return WHOLE_RESOURCES[resource]
    for start, words in SEARCHES.items():
        if resource.startswith(start):
            filters = [_filter(part, names) for part in resource[len(start):].split("&") if part]
            return f"{words} ({', '.join(filters)})" if filters else words
    kind, colon, ident = resource.partition(":")
    if not colon or kind not in RESOURCES:
        return f"Overig: {resource}"
    if kind == "user" and names is not None and ident in names:
        ident = names[ident]
    return f"{RESOURCES[kind]} {ident}"


def _filter(part: str, names: Mapping[str, str] | None) -> str:
    """'case=abc' -> 'dossier: abc'; 'user=<id>' -> 'gebruiker: <name>'."""
    name, _, value = part.partition("=")
    if name == "user" and names is not None:
        value = names.get(value, value)
    return f"{FILTERS.get(name, code_label(name))}: {value}"


def _words(code: str) -> str:
    return " ".join(code_label(code.replace(".", " ").replace(":", " ")).split())
