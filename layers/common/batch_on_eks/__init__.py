"""The control plane's domain package: models, settings, adapters (the only code that calls AWS), logic.

It ships in the common Lambda layer; handlers under functions/ stay thin and call into it.
"""
