"""The embedded AWS: moto as a server on 127.0.0.1 with the template deployed into it, the functions'
handlers run in-process, and what moto lacks filled in (:class:`~local.embedded_aws.server.EmbeddedAws`)."""
