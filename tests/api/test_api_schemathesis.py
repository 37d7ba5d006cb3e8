"""schemathesis against the committed OpenAPI document (openapi.json), through the local bridge and the real
handler in the embedded AWS: for every operation, generated requests (valid and invalid) never get a 5xx,
every answer matches the document (status code, content type, headers, schema), invalid requests and
requests without credentials are refused, and a method an operation lacks is 405 with ``Allow``.

The document's security scheme is AWS SigV4 in ``Authorization``; through the bridge the credential is its
bearer token (schemathesis sends it as the scheme's value, and leaves it out to check the refusal).

Bounded: a fixed number of examples per operation, derandomized, no deadline per example (the embedded
AWS is shared with the rest of the suite). The document's own examples run first, so the happy paths are
covered too: the hello-world examples run real jobs on the READY ``doeks-aws-batch`` environment, which the
emulator runs confined like every emulated job (the last test checks each job the requests caused).
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from local.embedded_aws.api_bridge import ApiBridge
from local.embedded_aws.server import EmbeddedAws
from tests.api.support import BOUND, ApiWorld, api_world
from tests.conftest import REPO_ROOT

EXAMPLES_PER_OPERATION = 25
TOKEN = "schemathesis-local-token"
schema = schemathesis.openapi.from_path(
    REPO_ROOT / "openapi.json",
    config=schemathesis.Config.from_dict({"auth": {"openapi": {"sigv4": {"api_key": f"Bearer {TOKEN}"}}}}),
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
    checks.negative_data_rejection,
    checks.missing_required_header,
]


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> Iterator[ApiWorld]:
    # The environment the document's examples name: READY, with a fast hello-world job definition.
    world = api_world(aws, environment="doeks-aws-batch")
    yield world
    world.quiesce()


@pytest.fixture(scope="module")
def api(world: ApiWorld) -> Iterator[str]:
    with ApiBridge(world.aws, world.stack, token=TOKEN) as bridge:
        yield bridge.url


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_document(case: schemathesis.Case, api: str) -> None:
    # Given a request schemathesis generated for the operation (or one of the document's examples)
    # When it is sent through the bridge to the deployed handler
    # Then the answer is no 5xx and conforms to the document
    case.call_and_validate(base_url=api, checks=CHECKS, timeout=BOUND)


def test_every_job_the_requests_caused_ran_in_the_emulator_and_ended(world: ApiWorld) -> None:
    # Given the runs the requests started (the document's examples start real jobs)
    for execution in world.executions(world.run_job_arn):
        world.aws.wait_for_execution(execution["executionArn"], BOUND)
    assert world.aws.wait_idle(BOUND)
    # When the environment's queues are listed
    batch = boto3.client("batch")
    jobs = [
        job
        for queue in world.batch.queue_arns
        for status in ("SUCCEEDED", "FAILED", "RUNNING", "RUNNABLE", "STARTING", "SUBMITTED", "PENDING")
        for job in batch.list_jobs(jobQueue=queue, jobStatus=status)["jobSummaryList"]
    ]
    # Then there were jobs, and each was run by the data plane emulator, whose every command runs in a
    # bubblewrap sandbox (local/dataplane/sandbox.py: it refuses to run rather than run unconfined), and
    # each has ended
    assert jobs, "the document's examples started no job"
    for job in jobs:
        emulated = world.aws.batch.jobs.get(job["jobId"])
        assert emulated is not None, f"{job['jobId']} was not run by the emulator"
        assert emulated.done.is_set()
        assert job["status"] in ("SUCCEEDED", "FAILED")
