"""``python -m local.demo.get_token --cluster-name N --region R``: what ``aws eks get-token`` prints, for the
``exec`` user of the demo's kubeconfig (kubectl runs it, as it runs the AWS CLI with a kubeconfig written by
``aws eks update-kubeconfig``): an ExecCredential whose token is ``k8s-aws-v1.`` + the unpadded base64url of
an STS GetCallerIdentity URL presigned, for 60 seconds, with ``x-k8s-aws-id: <cluster>`` signed.

The credentials are the profile's that kubectl hands over (``AWS_PROFILE``, ``AWS_SHARED_CREDENTIALS_FILE``):
the person's, never the emulator's. The AWS CLI is not needed, nor assumed to be installed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta

import boto3

from local.kubernetes.eks_tokens import sign_token

# What the AWS CLI reports as the token's expiry: EKS accepts a token for 15 minutes; it says 14.
TOKEN_MINUTES = 14


def token(cluster_name: str, region: str) -> str:
    # A profile named to the session outranks credentials in the environment (the demo's own process has
    # the emulator's): the token is the profile's person's.
    session = boto3.session.Session(region_name=region, profile_name=os.environ.get("AWS_PROFILE"))
    credentials = session.get_credentials()
    if credentials is None:
        raise SystemExit("no AWS credentials: set AWS_PROFILE (the kubeconfig's exec env does)")
    endpoint = session.client("sts").meta.endpoint_url
    return sign_token(cluster_name, endpoint, region, credentials.get_frozen_credentials())


def exec_credential(cluster_name: str, region: str) -> dict[str, object]:
    expires = datetime.now(UTC) + timedelta(minutes=TOKEN_MINUTES)
    return {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {},
        "status": {
            "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "token": token(cluster_name, region),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="get_token", description="aws eks get-token, for the demo")
    parser.add_argument("--cluster-name", required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args(argv)
    json.dump(exec_credential(args.cluster_name, args.region), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
