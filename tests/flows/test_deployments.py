"""prefect.yaml declares every flow with a schedule and the work pool; `serve` serves exactly those."""

from __future__ import annotations

from flows.serve import declared_deployments, flow_at, runner_deployment

FLOWS = {"fire-due-timers": "fire_due_timers", "relay-events": "relay_events",
         "report-stalled-pathways": "report_stalled_pathways", "detect-thuiszitters": "detect_thuiszitters",
         "audit-checkpoint": "audit_checkpoint", "check-silence": "check_silence",
         "send-mail": "send_mail"}


def test_every_declared_deployment_names_a_flow_with_a_schedule_in_the_work_pool() -> None:
    """The flows are declared, each with an interval or cron schedule, in the 'leerlingroute' pool."""
    declared = {d["name"]: d for d in declared_deployments()}
    assert set(declared) == set(FLOWS)
    for name, deployment in declared.items():
        schedule = deployment["schedules"][0]
        assert schedule.get("interval", 0) > 0 or schedule.get("cron")
        assert deployment["work_pool"]["name"] == "leerlingroute"
        assert flow_at(deployment["entrypoint"]).name == FLOWS[name]


def test_serve_builds_the_same_deployments_with_their_intervals() -> None:
    """The runner deployments of the sweeps carry the declared names and intervals."""
    for declared in declared_deployments():
        if "interval" not in declared["schedules"][0]:
            continue
        built = runner_deployment(declared)
        assert built.name == declared["name"]
        assert [s.schedule.interval.total_seconds() for s in built.schedules] == [  # type: ignore[union-attr]
            declared["schedules"][0]["interval"]]


def test_the_weekly_report_runs_on_monday_morning_dutch_time() -> None:
    """report-stalled-pathways is served on cron '0 6 * * 1' in Europe/Amsterdam, not in UTC."""
    declared = next(d for d in declared_deployments() if d["name"] == "report-stalled-pathways")
    built = runner_deployment(declared)
    assert built.schedules is not None
    schedule = built.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("0 6 * * 1", "Europe/Amsterdam")  # type: ignore[union-attr]


def test_the_silence_check_runs_daily_in_the_morning_dutch_time() -> None:
    """check-silence is served on cron '30 6 * * *' in Europe/Amsterdam, after the verzuim detection."""
    declared = next(d for d in declared_deployments() if d["name"] == "check-silence")
    built = runner_deployment(declared)
    assert built.schedules is not None
    schedule = built.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("30 6 * * *", "Europe/Amsterdam")  # type: ignore[union-attr]
