"""The only code that calls AWS: one module per service, each speaking the domain's models."""
