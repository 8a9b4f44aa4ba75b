"""The wiring: settings -> engine -> registry, the parts a :class:`service.Service` is built from."""

from __future__ import annotations

from sqlalchemy import Engine

from domain.registry import PathwayRegistry
from infra.reference.profiles import load_profiles, registry_of
from infra.settings import Settings
from infra.store.db import make_engine


def parts(settings: Settings | None = None) -> tuple[Engine, PathwayRegistry, Settings]:
    """The engine of the configured database, the registry of pathways with the profiles (the built-in ones and
    those in ``settings.profiles_dir``) and the settings themselves (default: read from the environment).
    """
    settings = settings or Settings()
    profiles = load_profiles(*([settings.profiles_dir] if settings.profiles_dir else []))
    return make_engine(settings.url), registry_of(settings.durations(), profiles), settings
