"""Entry point the Pulumi CLI runs: builds the PolicyPack, which serves the analyzer and never returns.

Nothing may import this module. Rules live in ``rules/``, the list of policies in ``pack.py``.
"""
import os
import sys

# The CLI starts us with policies/ as working directory; make the import independent of that.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pulumi_policy import PolicyPack  # noqa: E402

from pack import ALL_POLICIES, DEFAULT_ENFORCEMENT_LEVEL, PACK_DESCRIPTION, PACK_NAME  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=DEFAULT_ENFORCEMENT_LEVEL,
    description=PACK_DESCRIPTION,
    provider="aws",
)
