"""CrossGuard policy pack "ddp-org-blueprint".

Two ways in:
- the Pulumi CLI runs ``policies/__main__.py`` with ``policies/`` as working directory, which
  imports ``pack`` (and through it ``rules``) and ``engine`` (the servicer it serves) as
  top-level modules;
- the project (tests, offline preview) imports ``policies.pack`` / ``policies.offline`` from the
  repository root.
``rules`` and ``engine`` only use relative imports inside themselves, so they work under both names.
"""
