"""The control plane's REST API (API Gateway, IAM-authenticated): Powertools' REST resolver with request and
response validation, the routes (``environment_routes``, ``job_routes``), the one mapping of errors to HTTP
statuses (``problems``), and the OpenAPI document generated from it all (``openapi``).

Routes parse and shape; what a request does is its capability's (:mod:`batch_on_eks.runs`,
:mod:`batch_on_eks.environments`), which never sees an HTTP request.
"""
