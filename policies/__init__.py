"""CrossGuard policy pack "ddp-org-blueprint".

Two ways in:
- the Pulumi CLI runs ``policies/__main__.py`` with ``policies/`` as working directory, which
  imports ``pack`` (and through it ``rules``) as top-level modules;
- the project (tests, offline preview) imports ``policies.pack`` / ``policies.offline`` from the
  repository root.
``rules`` only uses relative imports inside itself, so it works under both names.
"""
