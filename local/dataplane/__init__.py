"""The emulated data plane: where emulated Batch jobs run."""
