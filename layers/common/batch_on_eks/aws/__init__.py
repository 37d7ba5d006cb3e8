"""AWS and Kubernetes, as the domain sees them: the only code that calls boto3 or a cluster's API."""
