"""The functions' settings: read from the environment variables the template sets, each rule enforced."""

from __future__ import annotations

import pytest

from batch_on_eks.settings import Settings, load_settings

ENVIRONMENT = {
    "RESOURCE_PREFIX": "doeks",
    "RUNS_TABLE": "doeks-runs",
    "ENVIRONMENTS_TABLE": "doeks-environments",
    "FINISHED_RUN_RETENTION_DAYS": "90",
    "RECONCILE_PERIOD_MINUTES": "5",
    "AWS_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "ignored",
}


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the environment the template gives a function
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    # When the settings are loaded
    settings = load_settings()
    # Then every variable is read, the retention as days and as a TTL, the reconciler's period in seconds too
    assert settings == Settings(
        resource_prefix="doeks",
        runs_table="doeks-runs",
        environments_table="doeks-environments",
        finished_run_retention_days=90,
        aws_region="us-east-1",
        reconcile_period_minutes=5,
    )
    assert settings.finished_run_ttl_seconds == 90 * 86400
    assert settings.reconcile_period_seconds == 300


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("RESOURCE_PREFIX", "Doeks", id="prefix-uppercase"),
        pytest.param("RESOURCE_PREFIX", "d", id="prefix-too-short"),
        pytest.param("RESOURCE_PREFIX", "d" * 17, id="prefix-too-long"),
        pytest.param("RESOURCE_PREFIX", "1doeks", id="prefix-starts-with-digit"),
        pytest.param("RUNS_TABLE", "ab", id="runs-table-too-short"),
        pytest.param("ENVIRONMENTS_TABLE", "", id="environments-table-empty"),
        pytest.param("FINISHED_RUN_RETENTION_DAYS", "0", id="retention-zero"),
        pytest.param("FINISHED_RUN_RETENTION_DAYS", "3651", id="retention-too-long"),
        pytest.param("FINISHED_RUN_RETENTION_DAYS", "ninety", id="retention-not-a-number"),
        pytest.param("FINISHED_RUN_RETENTION_DAYS", "1.5", id="retention-not-an-integer"),
        pytest.param("RECONCILE_PERIOD_MINUTES", "0", id="reconcile-period-zero"),
        pytest.param("RECONCILE_PERIOD_MINUTES", "61", id="reconcile-period-over-an-hour"),
        pytest.param("RECONCILE_PERIOD_MINUTES", "five", id="reconcile-period-not-a-number"),
        pytest.param("RECONCILE_PERIOD_MINUTES", None, id="reconcile-period-missing"),
        pytest.param("AWS_REGION", "", id="region-empty"),
        pytest.param("AWS_REGION", None, id="region-missing"),
    ],
)
def test_a_broken_rule_names_the_variable(variable: str, value: str | None) -> None:
    # Given an environment where one variable breaks its rule (or is missing)
    environment = {k: v for k, v in (ENVIRONMENT | {variable: value}).items() if v is not None}
    # When the settings are read
    # Then the error names that variable
    with pytest.raises(ValueError, match=f"environment variable {variable} "):
        Settings.from_environment(environment)


@pytest.mark.parametrize("days", ["1", "3650"])
def test_retention_bounds_are_inclusive(days: str) -> None:
    settings = Settings.from_environment(ENVIRONMENT | {"FINISHED_RUN_RETENTION_DAYS": days})
    assert settings.finished_run_retention_days == int(days)
