"""How ``policies.offline`` drives the pack like the engine: config reconciliation (``config``),
request messages (``requests``), servicers and per-type routing (``dispatch``), the report
(``report``). Imported by the project only, never by the CLI's ``__main__``."""
