"""prefect.yaml declares every flow with a schedule and the work pool; `serve` serves exactly those."""

from __future__ import annotations

from flows.serve import declared_deployments, flow_at, runner_deployment


def test_every_declared_deployment_names_a_flow_with_a_schedule_in_the_work_pool() -> None:
    """Both flows are declared, each with an interval schedule, in the 'leerlingroute' pool."""
    declared = {d["name"]: d for d in declared_deployments()}
    assert set(declared) == {"fire-due-timers", "relay-events"}
    for deployment in declared.values():
        assert deployment["schedules"][0]["interval"] > 0
        assert deployment["work_pool"]["name"] == "leerlingroute"
        assert flow_at(deployment["entrypoint"]).name in {"fire_due_timers", "relay_events"}


def test_serve_builds_the_same_deployments_with_their_schedules() -> None:
    """The runner deployments carry the declared names and intervals."""
    for declared in declared_deployments():
        built = runner_deployment(declared)
        assert built.name == declared["name"]
        assert [s.schedule.interval.total_seconds() for s in built.schedules] == [  # type: ignore[union-attr]
            declared["schedules"][0]["interval"]]
