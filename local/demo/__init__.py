"""``make demo`` (``python -m local.demo``): the blueprint's walkthrough on the embedded AWS, and what it
shows along the way: kubectl's views, watches and a kubeconfig, workflow progress, what teardown leaves."""
