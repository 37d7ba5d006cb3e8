"""The embedded AWS's own tests still import the Batch-on-EKS environment helper from here; it lives in
``tests/runs/batch_env.py``. Once those tests import it from there, this module goes."""

from tests.runs.batch_env import BatchOnEks, add_queue, create_batch_on_eks, register_environment

__all__ = ["BatchOnEks", "add_queue", "create_batch_on_eks", "register_environment"]
