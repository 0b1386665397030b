"""How the pack is served and driven like the engine.

- ``served`` (with ``shared_stack`` and ``convert``): the analyzer servicer the CLI's ``__main__``
  serves, and how it is served. The CLI imports these as top-level ``engine.*`` (``policies/`` is
  its working directory and only root), so they import nothing but each other and libraries.
- ``config``, ``requests``, ``dispatch``, ``report``: what ``policies.offline`` adds to drive the
  pack without the CLI (config reconciliation, request messages, per-type routing, the report);
  imported by the project only.
"""
