"""The package installs as one console script and no dependency shadows our top-level packages."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

OURS = {"domain", "infra", "service", "run", "api", "flows", "web"}


def _top_level_names(dist: metadata.Distribution) -> set[str]:
    names = set()
    for file in dist.files or []:
        first = Path(str(file)).parts[0]
        if first.endswith(".dist-info") or first in {"..", "__pycache__"}:
            continue
        names.add(first.removesuffix(".py"))
    return names


def test_no_installed_dependency_brings_a_top_level_module_named_like_ours() -> None:
    """domain, infra, service, run, api, flows and web are ours alone."""
    clashes = {dist.metadata["Name"]: sorted(_top_level_names(dist) & OURS) for dist in metadata.distributions()
               if dist.metadata["Name"] != "leerlingroute" and _top_level_names(dist) & OURS}
    assert clashes == {}


def test_the_one_console_script_is_leerlingroute() -> None:
    """The project declares exactly one console script."""
    scripts = [e for e in metadata.distribution("leerlingroute").entry_points if e.group == "console_scripts"]
    assert [(e.name, e.value) for e in scripts] == [("leerlingroute", "run.cli:app")]


def test_the_console_script_answers_in_dutch() -> None:
    """`leerlingroute --help` lists the commands with Dutch help texts."""
    script = Path(sys.executable).parent / "leerlingroute"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)  # noqa: S603
    for command in ("serve", "demo", "db", "fire-timers", "relay"):
        assert command in result.stdout
    assert "Start alles" in result.stdout
