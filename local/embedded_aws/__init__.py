"""The embedded AWS: moto as a server on 127.0.0.1 with the template deployed into it, the functions'
handlers run in-process, and what moto lacks filled in.

- :mod:`.server`: :class:`~local.embedded_aws.server.EmbeddedAws`, which starts it all and points the
  process's boto3 at it;
- :mod:`.deploy`: the template deployed as CloudFormation would, one module per group of resource types;
- :mod:`.lambda_runtime`, :mod:`.event_bus`: Lambda and EventBridge, running the real handlers;
- :mod:`.moto_hooks`: where moto hands Lambda, EventBridge, Step Functions and Batch calls to them and to
  the data plane (``local/dataplane/``);
- :mod:`.moto_gaps`: moto's missing pieces, one module per gap;
- :mod:`.api_routes`, :mod:`.api_bridge`: the deployed REST API, served on 127.0.0.1;
- :mod:`.call_recorder`: every AWS call a handler makes, for checking against its IAM policy;
- :mod:`.signals`: named events tests wait on instead of sleeping.
"""
