"""The account and region a stack is deployed into, their API clients (one per service, kept), and the
groups of resource types the deployer creates through them."""

from __future__ import annotations

from typing import Any

import boto3

from local.embedded_aws.deploy.stack import Creator


class AccountApi:
    def __init__(self, account: str, region: str):
        self.account = account
        self.region = region
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


class ResourceTypes:
    """A group of resource types, created through the account's API: :meth:`creators` says which, and how."""

    def __init__(self, api: AccountApi):
        self.api = api

    def creators(self) -> dict[str, Creator]:
        raise NotImplementedError
