"""Provisioning and tearing down an environment: the EKS, Batch and Kubernetes steps, and its record."""
