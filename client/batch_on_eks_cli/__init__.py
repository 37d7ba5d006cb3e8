"""``batch-on-eks``: the command-line client of a deployed control plane, for the people who use it.

It talks to the stack's REST API (SigV4, service ``execute-api``) and reads Step Functions' execution history
to follow provisioning and teardown; it finds both from the stack's outputs, with the standard AWS credential
chain and profiles. Not part of the Lambda layer: installed by the project's packaging (``pyproject.toml``'s
``[project.scripts]``), editable in ``make venv``. docs/operations.md, "The command-line client".
"""
