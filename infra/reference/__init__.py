"""Reference data and profiles: gemeenten, SWVs, schools and pupils (CSV import, names beside codes) and the
regional profiles of the SWVs.
"""
