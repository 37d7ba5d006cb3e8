"""make bench: the event-driven run-job workflow next to a polling baseline (see __main__)."""
