"""Running a job: validate, submit, wait on Batch's events, reconcile, result, abort, log links."""
