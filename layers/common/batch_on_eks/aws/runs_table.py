"""The runs table: one item per run (this module); items about a job, which name its run or keep its early
events (:mod:`.job_records`); an array run's children's records (:mod:`.array_children`).

Every write that can race is conditional: the submission claim, the job id, each event's timeline entry
(its id and its status are recorded, so a duplicate, or a second report of a status, adds nothing), and each
status change (written only over the status it replaces).

A run whose job has been submitted and whose waiting task has not been answered is in the sparse ByCheckDue
index, under ``checkDueAt``: when the scheduled reconciler must next look at it (:meth:`Run.next_check_ms`,
moved at each status change). ``checkShard`` spreads those writes over a few index partitions.
"""

from __future__ import annotations

import json
import time
from typing import Any

from boto3.dynamodb.conditions import Key

from batch_on_eks.aws import page_tokens
from batch_on_eks.aws.clients import table
from batch_on_eks.aws.items import plain, projection
from batch_on_eks.aws.job_records import RUN_KIND, JobRecords, detail_json
from batch_on_eks.errors import AwsRequestFailed
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_status import JobStatus, is_newer
from batch_on_eks.models.page import Page
from batch_on_eks.models.run import DueRun, Run, RunSummary, TimelineEntry

CHECK_SHARDS = 8
# What the ByCheckDue index carries besides its keys: enough for the reconciler to tell a quiet run from one
# it must act on, without reading the run.
CHECK_FIELDS = ("jobId", "jobStatus", "jobAttempts", "deadline", "runnableSince", "runnableLimitSeconds")


def check_shard(run_id: str) -> int:
    return sum(run_id.encode()) % CHECK_SHARDS


def _conditional_failed(error: AwsRequestFailed) -> bool:
    return error.code == "ConditionalCheckFailedException"


def _status_key(status: JobStatus, attempt: int) -> str:
    """What a timeline entry is one of: a status of an attempt, or the job's end. A job ends once, and a
    terminal event may lack the attempts DescribeJobs lists (a different attempt number): one end, whatever
    the number."""
    return "END" if status.is_terminal else f"{status.value}#{attempt}"


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
        array_size=item.get("arraySize"),
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
        cancel_requested=item.get("cancelRequested"),
    )


def _due_run(item: dict[str, Any]) -> DueRun:
    return DueRun(
        run_id=item["runId"],
        job_id=item["jobId"],
        job_status=JobStatus(item["jobStatus"]) if item.get("jobStatus") else None,
        job_attempts=item.get("jobAttempts", 0),
        deadline=item["deadline"],
        runnable_since=item.get("runnableSince"),
        runnable_limit_seconds=item["runnableLimitSeconds"],
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


class RunStore(JobRecords):
    def __init__(self, table_name: str, finished_ttl_seconds: int):
        self.table = table(table_name)
        self.finished_ttl_seconds = finished_ttl_seconds

    # -- the run ------------------------------------------------------------------------------------------
    def create(self, run: Run) -> Run:
        """Record a new run; a run with that id already recorded (a retried step) is returned as it is."""
        item = {
            "runId": run.run_id,
            "kind": RUN_KIND,
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
            "seenEvents": {"-"},  # a string set cannot be empty
        }
        if run.container_name:
            item["containerName"] = run.container_name
        if run.array_size:
            item["arraySize"] = run.array_size
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
        return _run(item) if item and item.get("kind") == RUN_KIND else None

    def find_by_job_id(self, job_id: str) -> Run | None:
        run_id = self.run_of_job(job_id)
        return self.get(run_id) if run_id is not None else None

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

    def record_job(self, run: Run, job_id: str, job_arn: str, now_ms: int) -> None:
        """Record the run's job (once: a second, different job id is a bug worth failing loudly on), name
        the run on the job's item, and put the run in the reconciler's index, due a heartbeat from now."""
        self.name_run_of_job(run, job_id)
        self.table.update_item(
            Key={"runId": run.run_id},
            UpdateExpression=(
                "SET jobId = :id, jobArn = :arn, checkShard = if_not_exists(checkShard, :shard), "
                "checkDueAt = if_not_exists(checkDueAt, :due)"
            ),
            ConditionExpression="attribute_not_exists(jobId) OR jobId = :id",
            ExpressionAttributeValues={
                ":id": job_id,
                ":arn": job_arn,
                ":shard": check_shard(run.run_id),
                ":due": now_ms + run.heartbeat_seconds * 1000,
            },
        )

    def mark_answered(self, run_id: str) -> None:
        """The run's waiting task has been ended (or had already ended): the reconciler leaves the run."""
        self.table.update_item(
            Key={"runId": run_id},
            UpdateExpression="REMOVE checkShard, checkDueAt",
            ConditionExpression="attribute_exists(runId)",
        )

    def due_runs(self, now_ms: int, limit: int) -> list[DueRun]:
        """Up to ``limit`` runs whose ``checkDueAt`` has come, from every shard of the ByCheckDue index."""
        due: list[DueRun] = []
        for shard in range(CHECK_SHARDS):
            request: dict[str, Any] = {
                "IndexName": "ByCheckDue",
                "KeyConditionExpression": Key("checkShard").eq(shard) & Key("checkDueAt").lte(now_ms),
            }
            while len(due) < limit:
                page = self.table.query(**request, Limit=limit - len(due))
                due += [_due_run(plain(item)) for item in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return due

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

        The timeline holds each status once per attempt, and one end, as first reported: a report already
        recorded (same ``event_id``) or of a status already in the timeline (its event after DescribeJobs
        showed it, or the other way round) adds nothing. The run's status moves only forward
        (:func:`is_newer`), so a stale or reordered report never overwrites a newer one; a report already in
        the timeline still moves it (a writer may have stopped between the two writes). Returns the run as it
        is afterwards (None if there is no such run).
        """
        # the attempt a status belongs to: a terminal report counts its own attempt among the finished ones
        finished = detail.finished_attempts
        attempt = max(finished if detail.status.is_terminal else finished + 1, 1)
        entry = _timeline_item(TimelineEntry(detail.status, at_ms, attempt, source))
        try:
            self.table.update_item(
                Key={"runId": run_id},
                UpdateExpression=(
                    "SET timeline = list_append(timeline, :entry) ADD seenEvents :ids, seenStatuses :statuses"
                ),
                ConditionExpression=(
                    "attribute_exists(runId) AND NOT contains(seenEvents, :id) "
                    "AND NOT contains(seenStatuses, :status)"
                ),
                ExpressionAttributeValues={
                    ":entry": [entry],
                    ":ids": {event_id},
                    ":id": event_id,
                    ":statuses": {_status_key(detail.status, attempt)},
                    ":status": _status_key(detail.status, attempt),
                },
            )
        except AwsRequestFailed as error:
            if not _conditional_failed(error):
                raise
        return self._advance(run_id, detail, at_ms)

    def _advance(self, run_id: str, detail: BatchJobDetail, at_ms: int) -> Run | None:
        while True:
            run = self.get(run_id)
            if run is None or not is_newer(
                detail.status, detail.finished_attempts, run.job_status, run.job_attempts
            ):
                return run
            runnable_since = at_ms if detail.status is JobStatus.RUNNABLE else run.runnable_since
            values: dict[str, Any] = {
                ":status": detail.status.value,
                ":attempts": detail.finished_attempts,
                ":detail": detail_json(detail),
                ":sca": f"{detail.status.value}#{run.created_at:013d}",
                ":reason": detail.status_reason or "",
                ":due": run.next_check_ms(at_ms, detail.status, runnable_since),
                ":shard": check_shard(run_id),
            }
            update = (
                "SET jobStatus = :status, jobAttempts = :attempts, lastDetail = :detail, "
                "statusCreatedAt = :sca, statusReason = :reason, checkDueAt = :due, checkShard = :shard"
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
        items = [plain(item) for item in response.get("Items", []) if item.get("kind", RUN_KIND) == RUN_KIND]
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
