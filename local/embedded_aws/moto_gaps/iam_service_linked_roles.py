"""IAM CreateServiceLinkedRole names a role after its service (``AWSServiceRoleFor<Service>``); moto spells
Batch's and EKS's as AWS does not (AWS: ``AWSServiceRoleForBatch``, ``AWSServiceRoleForAmazonEKS``)."""

from __future__ import annotations

from moto.iam import models as iam_models


def install() -> None:
    iam_models.SERVICE_NAME_CONVERSION.setdefault("batch", "Batch")
    iam_models.SERVICE_NAME_CONVERSION.setdefault("eks", "AmazonEKS")
