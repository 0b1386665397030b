"""The ddp-org-blueprint pack: every policy, in a stable order, and the pack's defaults."""
from pulumi_policy import EnforcementLevel

if __package__:  # imported as ``policies.pack`` (tests, offline runner)
    from .rules import ALL_POLICIES
else:  # imported as ``pack`` by __main__.py under the Pulumi CLI (cwd = policies/)
    from rules import ALL_POLICIES  # type: ignore[no-redef]

PACK_NAME = "ddp-org-blueprint"
PACK_DESCRIPTION = ("Data delivery platform org blueprint: CMK encryption, no public access, TLS, "
                    "PITR, deletion protection, least privilege, mandatory tags, pinned providers.")
# Every policy sets its own level; this only applies to a policy that forgot to.
DEFAULT_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

__all__ = ["ALL_POLICIES", "DEFAULT_ENFORCEMENT_LEVEL", "PACK_DESCRIPTION", "PACK_NAME"]
