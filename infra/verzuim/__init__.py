"""Verzuim's adapters: absence and enrolment inputs, school calendars, the detection run and what it writes
(register, alerts, weeks), the meldplicht to DUO and the consultation on a vrijstelling 5 onder a. The rules are in
:mod:`domain.verzuim`.
"""
