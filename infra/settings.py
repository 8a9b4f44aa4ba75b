"""Settings from the environment (prefix ``LEERLINGROUTE_``), with safe embedded defaults."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.durations import Duration


class Settings(BaseSettings):
    """Where data lives and how the engine's regional numbers are set."""

    model_config = SettingsConfigDict(env_prefix="LEERLINGROUTE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite database and Prefect's home")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    clock: Literal["real", "simulated"] = Field(default="real", description=(
        "'real': the wall clock. 'simulated': an oefenomgeving (training instance) whose clock an admin sets and "
        "advances (`leerlingroute clock set|advance`, POST /admin/klok); every page shows the simulated date. A "
        "database that ran simulated refuses to start with the real clock, and one that ran on the real clock "
        "refuses to start simulated"))
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    prefect_port: int = 4200
    sign_in_per_address_per_minute: int = Field(default=10, ge=1, description=(
        "web sign-in attempts per client address (IPv6: per /64) per minute; more get 429 with Retry-After"))
    sign_in_per_name_per_minute: int = Field(default=5, ge=1, description=(
        "web sign-in attempts per typed username per minute (known or not); more get 429"))
    sign_in_per_minute: int = Field(default=120, ge=1, description=(
        "web sign-in attempts let through per minute from all clients together (bounds argon2 work and audit "
        "rows under a flood from many addresses); more get 429"))
    sign_in_hashing_threads: int = Field(default=2, ge=1, description=(
        "argon2 password checks of web sign-ins running at once (the rest wait without holding a thread)"))
    opp_termijn_weken: int = Field(default=6, ge=1, description="OPP in werking within N weeks (law: 6)")
    opp_evaluatie_maanden: int = Field(default=12, ge=1, description="evaluate the OPP every N months (law: 12)")
    profiles_dir: Path | None = Field(default=None, description="Extra folder of SWV profile files (*.yaml)")
    sweep_batch_size: int = Field(default=500, ge=1)
    audit_key: SecretStr | None = Field(default=None, description=(
        "key (any string, 32+ characters) that signs the audit checkpoints; default: audit.key in the "
        "checkpoint folder, made on first use with mode 0600. Keep it outside the database and its backups"))
    audit_checkpoint_dir: Path | None = Field(default=None, description=(
        "folder for audit-checkpoints.jsonl (and audit.key when LEERLINGROUTE_AUDIT_KEY is not set); default "
        "data_dir. Put it on separate, append-only storage or another machine: whoever can write the "
        "database's folder can otherwise rewrite the evidence too"))
    audit_checkpoint_max_age_hours: float = Field(default=2.0, gt=0, description=(
        "'leerlingroute audit verify' fails when the newest checkpoint is older than this (the flow "
        "audit-checkpoint runs hourly): the schedule stopped, or the newest checkpoints were removed"))
    relay_batch_size: int = Field(default=500, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="largest request body (JSON, forms)")
    max_import_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024,
                                       description="largest body of a CSV import (/imports/…, /verzuim/imports/…)")
    max_large_bodies: int = Field(default=4, ge=1, description=(
        "import bodies over max_body_bytes a worker receives and handles at once (each needs a valid token); "
        "one more gets 503 with Retry-After at once: at most this many × max_import_body_bytes held"))
    body_timeout_s: float = Field(default=30.0, gt=0, description="a request body must arrive within this time")
    streams_per_user: int = Field(default=5, ge=1, description="open event streams per user")
    streams_total: int = Field(default=500, ge=1, description="open event streams in all")
    api_limit_concurrency: int = Field(default=1000, ge=1, description="uvicorn: connections before it answers 503")
    api_timeout_keep_alive_s: int = Field(default=5, ge=1, description="uvicorn: idle keep-alive connection closed")
    webhook_allow_hosts: str = Field(default="", description=(
        "test receivers only: comma-separated host or host:port (e.g. 127.0.0.1:8765) a webhook may reach "
        "over plain http and on an internal address; empty: every webhook must be public https"))
    webhook_secret_grace_hours: int = Field(default=24, ge=0, le=24 * 30, description=(
        "after a webhook secret rotation, deliveries are signed with the old secret too for this long"))
    mail_host: str | None = Field(default=None, description=(
        "SMTP server for alert mail; not set: no alert is mailed (accounts' addresses are kept)"))
    mail_port: int = Field(default=25, ge=1, le=65535, description="SMTP port (587 with mail_starttls)")
    mail_from: str = Field(default="leerlingroute@localhost", description="the mails' From address")
    mail_starttls: bool = Field(default=False, description="switch to TLS with STARTTLS before sending")
    mail_username: str | None = Field(default=None, description="SMTP login, when the server asks one")
    mail_password: SecretStr | None = Field(default=None, description="SMTP password of mail_username")
    mail_timeout_s: float = Field(default=20.0, gt=0, description="SMTP connection and reply timeout")
    mail_digest_hour: int = Field(default=7, ge=0, le=23, description=(
        "hour (Dutch time) the daily digest of alerts is sent to accounts that chose it"))
    base_url: str = Field(default="http://127.0.0.1:8000", description=(
        "the pages' address as users reach them; alert mails link to {base_url}/meldingen/{id}"))

    @cached_property
    def url(self) -> str:
        """The database URL in force."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'leerlingroute.db').resolve()}"

    def durations(self) -> dict[str, dict[str, Duration]]:
        """Timer durations per pathway, as the registry takes them."""
        return {"opp": {"opp_termijn": Duration(weeks=self.opp_termijn_weken),
                        "evaluatie": Duration(months=self.opp_evaluatie_maanden)}}
