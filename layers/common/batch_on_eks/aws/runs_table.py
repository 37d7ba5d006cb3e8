"""The runs table: one item per run, plus short-lived items for events that came before their run knew
its job id (kept by job id, with a TTL, for the submit step to find).

Every write that can race is conditional: the submission claim, the job id, each event (its id is
recorded, so a duplicate is a no-op), and each status change (written only over the status it replaces).
"""

from __future__ import annotations

import json
import time
from typing import Any

from boto3.dynamodb.conditions import Key

from batch_on_eks.aws import page_tokens
from batch_on_eks.aws.clients import table
from batch_on_eks.aws.items import plain, projection
from batch_on_eks.errors import AwsRequestFailed
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_status import JobStatus, is_newer
from batch_on_eks.models.page import Page
from batch_on_eks.models.run import Run, RunSummary, TimelineEntry

EARLY_EVENT_TTL_SECONDS = 86400
_RUN = "run"
_EARLY_EVENT = "event"


def _detail_json(detail: BatchJobDetail) -> str:
    """The detail as the table keeps it: compact camelCase JSON, without the fields that are None."""
    return json.dumps(detail.to_dict(), separators=(",", ":"), ensure_ascii=False)


def _conditional_failed(error: AwsRequestFailed) -> bool:
    return error.code == "ConditionalCheckFailedException"


def _timeline_item(entry: TimelineEntry) -> dict[str, Any]:
    return {"status": entry.status.value, "at": entry.at, "attempt": entry.attempt, "source": entry.source}


def _run(raw: dict[str, Any]) -> Run:
    """A run from its item (camelCase attributes)."""
    item = plain(raw)
    return Run(
        run_id=item["runId"],
        environment=item["environment"],
        cluster_name=item["clusterName"],
        namespace=item["namespace"],
        queue_arn=item["queueArn"],
        job_definition=item["jobDefinition"],
        job_name=item["jobName"],
        submit_request=item["submitRequest"],
        created_at=item["createdAt"],
        deadline=item["deadline"],
        runnable_limit_seconds=item["runnableLimitSeconds"],
        heartbeat_seconds=item["heartbeatSeconds"],
        container_name=item.get("containerName"),
        task_token=item.get("taskToken"),
        submit_claimed_at=item.get("submitClaimedAt"),
        job_id=item.get("jobId"),
        job_status=JobStatus(item["jobStatus"]) if item.get("jobStatus") else None,
        job_attempts=item.get("jobAttempts", 0),
        status_reason=item.get("statusReason") or None,
        runnable_since=item.get("runnableSince"),
        last_detail=json.loads(item["lastDetail"]) if item.get("lastDetail") else None,
        timeline=[
            TimelineEntry(JobStatus(e["status"]), int(e["at"]), int(e["attempt"]), str(e["source"]))
            for e in item.get("timeline", [])
        ],
        child_events=item.get("childEvents", {}),
        cancel_requested=item.get("cancelRequested"),
    )


# The attributes a listing reads: enough to pick one, not the whole record.
_SUMMARY_FIELDS = (
    "runId",
    "environment",
    "jobName",
    "jobId",
    "jobStatus",
    "createdAt",
    "statusCreatedAt",
    "kind",
)


class RunStore:
    def __init__(self, table_name: str, finished_ttl_seconds: int):
        self.table = table(table_name)
        self.finished_ttl_seconds = finished_ttl_seconds

    # -- the run ------------------------------------------------------------------------------------------
    def create(self, run: Run) -> Run:
        """Record a new run; a run with that id already recorded (a retried step) is returned as it is."""
        item = {
            "runId": run.run_id,
            "kind": _RUN,
            "environment": run.environment,
            "statusCreatedAt": f"PENDING#{run.created_at:013d}",
            "clusterName": run.cluster_name,
            "namespace": run.namespace,
            "queueArn": run.queue_arn,
            "jobDefinition": run.job_definition,
            "jobName": run.job_name,
            "submitRequest": run.submit_request,
            "createdAt": run.created_at,
            "deadline": run.deadline,
            "runnableLimitSeconds": run.runnable_limit_seconds,
            "heartbeatSeconds": run.heartbeat_seconds,
            "timeline": [],
            "childEvents": {},
            "seenEvents": {"-"},  # a string set cannot be empty
        }
        if run.container_name:
            item["containerName"] = run.container_name
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(runId)")
        except AwsRequestFailed as error:
            if not _conditional_failed(error):
                raise
        existing = self.get(run.run_id)
        assert existing is not None
        return existing

    def get(self, run_id: str) -> Run | None:
        item = self.table.get_item(Key={"runId": run_id}, ConsistentRead=True).get("Item")
        return _run(item) if item and item.get("kind") == _RUN else None

    def find_by_job_id(self, job_id: str) -> Run | None:
        items = self.table.query(IndexName="ByJobId", KeyConditionExpression=Key("jobId").eq(job_id))["Items"]
        run_ids = [i["runId"] for i in items if i.get("kind") == _RUN]
        return self.get(run_ids[0]) if run_ids else None

    def set_token(self, run_id: str, token: str) -> None:
        self.table.update_item(
            Key={"runId": run_id},
            UpdateExpression="SET taskToken = :token",
            ConditionExpression="attribute_exists(runId)",
            ExpressionAttributeValues={":token": token},
        )

    def claim_submission(self, run_id: str) -> bool:
        """True for the one caller that may submit first; False when a submission was claimed before."""
        try:
            self.table.update_item(
                Key={"runId": run_id},
                UpdateExpression="SET submitClaimedAt = :now",
                ConditionExpression="attribute_not_exists(submitClaimedAt)",
                ExpressionAttributeValues={":now": int(time.time() * 1000)},
            )
            return True
        except AwsRequestFailed as error:
            if _conditional_failed(error):
                return False
            raise

    def record_job(self, run_id: str, job_id: str, job_arn: str) -> None:
        """Record the run's job (once: a second, different job id is a bug worth failing loudly on)."""
        self.table.update_item(
            Key={"runId": run_id},
            UpdateExpression="SET jobId = :id, jobArn = :arn",
            ConditionExpression="attribute_not_exists(jobId) OR jobId = :id",
            ExpressionAttributeValues={":id": job_id, ":arn": job_arn},
        )

    def request_cancel(self, run_id: str, reason: str) -> None:
        self.table.update_item(
            Key={"runId": run_id},
            UpdateExpression="SET cancelRequested = if_not_exists(cancelRequested, :reason)",
            ExpressionAttributeValues={":reason": reason},
        )

    # -- what is known of the job --------------------------------------------------------------------------
    def apply(
        self, run_id: str, detail: BatchJobDetail, event_id: str, at_ms: int, source: str
    ) -> Run | None:
        """Record one status report (an event, or what DescribeJobs said) in the run.

        A report already recorded (same ``event_id``) changes nothing. Every new one joins the timeline; the
        run's status moves only forward (:func:`is_newer`), so a stale or reordered report never overwrites a
        newer one. Returns the run as it is afterwards (None if there is no such run).
        """
        # the attempt a status belongs to: a terminal report counts its own attempt among the finished ones
        attempt = detail.finished_attempts if detail.status.is_terminal else detail.finished_attempts + 1
        entry = _timeline_item(TimelineEntry(detail.status, at_ms, max(attempt, 1), source))
        try:
            self.table.update_item(
                Key={"runId": run_id},
                UpdateExpression="SET timeline = list_append(timeline, :entry) ADD seenEvents :ids",
                ConditionExpression="attribute_exists(runId) AND NOT contains(seenEvents, :id)",
                ExpressionAttributeValues={":entry": [entry], ":ids": {event_id}, ":id": event_id},
            )
        except AwsRequestFailed as error:
            if not _conditional_failed(error):
                raise
            return self.get(run_id)  # a duplicate (or no such run)
        return self._advance(run_id, detail, at_ms)

    def _advance(self, run_id: str, detail: BatchJobDetail, at_ms: int) -> Run | None:
        while True:
            run = self.get(run_id)
            if run is None or not is_newer(
                detail.status, detail.finished_attempts, run.job_status, run.job_attempts
            ):
                return run
            values: dict[str, Any] = {
                ":status": detail.status.value,
                ":attempts": detail.finished_attempts,
                ":detail": _detail_json(detail),
                ":sca": f"{detail.status.value}#{run.created_at:013d}",
                ":reason": detail.status_reason or "",
            }
            update = (
                "SET jobStatus = :status, jobAttempts = :attempts, lastDetail = :detail, "
                "statusCreatedAt = :sca, statusReason = :reason"
            )
            if detail.status is JobStatus.RUNNABLE:
                update += ", runnableSince = :at"
                values[":at"] = at_ms
            if detail.status.is_terminal:
                update += ", expiresAt = :expires"
                values[":expires"] = int(time.time()) + self.finished_ttl_seconds
            if run.job_status is None:
                condition = "attribute_not_exists(jobStatus)"
            else:
                condition = "jobStatus = :old AND jobAttempts = :oldAttempts"
                values[":old"] = run.job_status.value
                values[":oldAttempts"] = run.job_attempts
            try:
                self.table.update_item(
                    Key={"runId": run_id},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
                return self.get(run_id)
            except AwsRequestFailed as error:
                if not _conditional_failed(error):
                    raise  # a concurrent writer moved the status: read again and compare again

    def count_child_event(self, run_id: str, status: JobStatus, event_id: str) -> None:
        """An array child's event: counted per status in the parent's run, once per event id."""
        try:
            self.table.update_item(
                Key={"runId": run_id},
                UpdateExpression="ADD childEvents.#status :one, seenEvents :ids",
                ConditionExpression="attribute_exists(runId) AND NOT contains(seenEvents, :id)",
                ExpressionAttributeNames={"#status": status.value},
                ExpressionAttributeValues={":one": 1, ":ids": {event_id}, ":id": event_id},
            )
        except AwsRequestFailed as error:
            if not _conditional_failed(error):
                raise

    def page_of_environment(
        self, environment: str, status: JobStatus | None, limit: int, next_token: str | None
    ) -> Page[RunSummary]:
        """Runs of ``environment`` (those whose job is in ``status`` only, if given) from the ByEnvironment
        index: grouped by the job's status, newest first within each."""
        start_key = page_tokens.decode(
            next_token,
            {
                "runId": lambda _value: True,
                "environment": lambda value: value == environment,
                "statusCreatedAt": lambda value: status is None or value.startswith(f"{status.value}#"),
            },
        )
        condition = Key("environment").eq(environment)
        if status is not None:
            condition = condition & Key("statusCreatedAt").begins_with(f"{status.value}#")
        request: dict[str, Any] = {
            "IndexName": "ByEnvironment",
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": limit,
            **projection(_SUMMARY_FIELDS),
        }
        if start_key is not None:
            request["ExclusiveStartKey"] = start_key
        response = self.table.query(**request)
        items = [plain(item) for item in response.get("Items", []) if item.get("kind", _RUN) == _RUN]
        summaries = [
            RunSummary(
                run_id=item["runId"],
                environment=item["environment"],
                job_name=item.get("jobName"),
                job_id=item.get("jobId"),
                job_status=JobStatus(item["jobStatus"]) if item.get("jobStatus") else None,
                created_at=item.get("createdAt"),
            )
            for item in items
        ]
        return Page(summaries, page_tokens.encode(response.get("LastEvaluatedKey")))

    # -- events that came before the run knew its job --------------------------------------------------------
    def keep_early_event(self, detail: BatchJobDetail, event_id: str, at_ms: int) -> None:
        self.table.put_item(
            Item={
                "runId": f"{_EARLY_EVENT}#{detail.job_id}#{event_id}",
                "kind": _EARLY_EVENT,
                "jobId": detail.job_id,
                "eventId": event_id,
                "at": at_ms,
                "detail": _detail_json(detail),
                "expiresAt": int(time.time()) + EARLY_EVENT_TTL_SECONDS,
            }
        )

    def early_events(self, job_id: str) -> list[tuple[BatchJobDetail, str, int]]:
        """Events kept for ``job_id``, oldest first: (detail, event id, time in ms)."""
        items = self.table.query(IndexName="ByJobId", KeyConditionExpression=Key("jobId").eq(job_id))["Items"]
        kept = [i for i in items if i.get("kind") == _EARLY_EVENT]
        kept.sort(key=lambda i: int(i["at"]))
        return [
            (BatchJobDetail.from_dict(json.loads(i["detail"])), str(i["eventId"]), int(i["at"])) for i in kept
        ]
