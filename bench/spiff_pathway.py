"""The OPP pathway's five steps in SpiffWorkflow, durably: the peer ``bench/compare.py`` measures the engine against.

Runs in the bench's own environment (``bench/.spiff-venv``, SpiffWorkflow installed there by ``compare.py``; it is
no product dependency) and imports nothing of the project::

    bench/.spiff-venv/bin/python bench/spiff_pathway.py --cases N --db FILE [--pragmas "a=b;c=d"] [--reload-cases M]

A BPMN process of five user tasks in sequence (the OPP happy path after the opening: handelingsdeel voorleggen,
instemming registreren, in werking stellen, evaluatie registreren, continueren). Opening a case = a new
``BpmnWorkflow`` run to its first user task, serialised with ``BpmnWorkflowSerializer`` and INSERTed, one commit.
Each step, a step at a time across all cases like ``throughput.drive``: the ready user task gets the command's
fields as data and runs, the engine steps on, the whole workflow is serialised again and written with one UPDATE
(``WHERE id AND step``, the version check) and one commit. The SQLite file gets the pragmas passed in (the
engine's ``SQLITE_PRAGMAS``). The workflows stay in memory between steps (what the step does is complete,
serialise, write); with ``--reload-cases M`` another M cases also read and deserialise their row before each step
(what a process that keeps nothing in memory does), reported apart. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser import BpmnParser  # type: ignore[import-not-found]
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer  # type: ignore[import-not-found]
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # type: ignore[import-not-found]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-not-found]

PROCESS_ID = "opp_pathway"
STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("leg_handelingsdeel_voor", {}),
    ("registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1}),
    ("stel_in_werking", {}),
    ("registreer_evaluatie", {"met_ouders_besproken": True}),
    ("continueer", {}),
)
NOW = "2027-03-01 09:30:00.000000"


def bpmn_xml() -> str:
    """The process: start, the five user tasks in sequence, end."""
    nodes = ["start", *(name for name, _ in STEPS), "end"]
    tasks = "\n".join(f'    <bpmn:userTask id="{name}" name="{name}"><bpmn:incoming>f{i}</bpmn:incoming>'
                      f"<bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:userTask>"
                      for i, (name, _) in enumerate(STEPS))
    flows = "\n".join(f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                      for i, (a, b) in enumerate(itertools.pairwise(nodes)))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="bench">
  <bpmn:process id="{PROCESS_ID}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
{tasks}
    <bpmn:endEvent id="end"><bpmn:incoming>f{len(STEPS)}</bpmn:incoming></bpmn:endEvent>
{flows}
  </bpmn:process>
</bpmn:definitions>
"""


class Store:
    """The workflows table: one row per case, its whole serialised workflow and the step it is at."""

    def __init__(self, path: Path, pragmas: list[str]) -> None:
        self.conn = sqlite3.connect(path, timeout=30)
        for pragma in pragmas:
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("CREATE TABLE workflows (id INTEGER PRIMARY KEY, case_key TEXT NOT NULL UNIQUE, "
                          "step INTEGER NOT NULL, state TEXT NOT NULL, updated_at TEXT NOT NULL)")
        self.conn.commit()

    def insert(self, key: str, state: str) -> int:
        cursor = self.conn.execute("INSERT INTO workflows (case_key, step, state, updated_at) VALUES (?, 0, ?, ?)",
                                   (key, state, NOW))
        self.conn.commit()
        return int(cursor.lastrowid or 0)

    def read(self, row_id: int) -> str:
        return str(self.conn.execute("SELECT state FROM workflows WHERE id = ?", (row_id,)).fetchone()[0])

    def update(self, row_id: int, step: int, state: str) -> None:
        cursor = self.conn.execute("UPDATE workflows SET state = ?, step = ?, updated_at = ? WHERE id = ? AND step = ?",
                                   (state, step, NOW, row_id, step - 1))
        if cursor.rowcount != 1:
            msg = f"workflow {row_id} is not at step {step - 1}"
            raise RuntimeError(msg)
        self.conn.commit()


def step(workflow: Any, number: int) -> None:
    """Complete the ready user task with the step's fields and let the engine go on to the next one."""
    name, data = STEPS[number]
    task = workflow.get_next_task(state=TaskState.READY, manual=True)
    if task is None or task.task_spec.name != name:
        msg = f"expected user task {name}, found {task and task.task_spec.name}"
        raise RuntimeError(msg)
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def run(cases: int, reload_cases: int, store: Store) -> dict[str, Any]:
    parser = BpmnParser()
    parser.add_bpmn_str(bpmn_xml().encode())
    spec = parser.get_spec(PROCESS_ID)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))

    def open_one(key: str) -> tuple[int, Any]:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        return store.insert(key, serializer.serialize_json(workflow)), workflow

    started = time.perf_counter()
    opened = [open_one(f"spiff-{i}") for i in range(cases)]
    open_s = time.perf_counter() - started
    state_bytes = len(serializer.serialize_json(opened[0][1]))

    started = time.perf_counter()
    for number in range(len(STEPS)):
        for row_id, workflow in opened:
            step(workflow, number)
            store.update(row_id, number + 1, serializer.serialize_json(workflow))
    steps_s = time.perf_counter() - started

    reloaded = [open_one(f"reload-{i}")[0] for i in range(reload_cases)]
    started = time.perf_counter()
    for number in range(len(STEPS)):
        for row_id in reloaded:
            workflow = serializer.deserialize_json(store.read(row_id))
            step(workflow, number)
            store.update(row_id, number + 1, serializer.serialize_json(workflow))
    reload_s = time.perf_counter() - started

    done = sum(workflow.is_completed() for _, workflow in opened)
    at_end = store.conn.execute("SELECT count(*) FROM workflows WHERE step = ?", (len(STEPS),)).fetchone()[0]
    transitions = cases * len(STEPS)
    return {
        "cases": cases, "opens": {"transitions": cases, "seconds": round(open_s, 4)},
        "steps": {"transitions": transitions, "seconds": round(steps_s, 4),
                  "transitions_per_s": round(transitions / steps_s, 1) if steps_s else 0.0},
        "reload": {"cases": reload_cases, "transitions": reload_cases * len(STEPS), "seconds": round(reload_s, 4),
                   "transitions_per_s": round(reload_cases * len(STEPS) / reload_s, 1) if reload_s else 0.0},
        "state_bytes_at_open": state_bytes,
        "checks": {"completed": done, "rows_at_last_step": at_end,
                   "ok": done == cases and at_end == cases + reload_cases},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True, help="a new SQLite file")
    parser.add_argument("--pragmas", default="", help="';'-separated PRAGMA settings, in order")
    parser.add_argument("--reload-cases", type=int, default=0)
    args = parser.parse_args()
    from SpiffWorkflow.version import __version__  # type: ignore[import-not-found]  # noqa: PLC0415

    store = Store(args.db, [p for p in args.pragmas.split(";") if p])
    try:
        result = run(args.cases, args.reload_cases, store)
    finally:
        store.conn.close()
    print(json.dumps({"spiffworkflow": __version__, "python": sys.version.split()[0], **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
