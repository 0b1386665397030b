"""Entry point the Pulumi CLI runs: serves the pack's analyzer and never returns.

``PolicyPack(...)`` would serve pulumi-policy's stock servicer, which converts a request's
properties again for every policy it holds. We serve ``engine.served.ServedServicer`` instead,
built from the same arguments and served the same way (``engine.served.serve`` mirrors
pulumi_policy/policy.py ``PolicyPack.__init__``: same gRPC server, same port handshake on stdout):
its responses equal the stock servicer's message for message (tests/policies/test_served.py).

Nothing may import this module. Rules live in ``rules/``, the list of policies in ``pack.py``.
"""
import os
import sys

# The CLI starts us with policies/ as working directory; make the import independent of that.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine.served import serve, served_servicer  # noqa: E402

from pack import ALL_POLICIES, DEFAULT_ENFORCEMENT_LEVEL, PACK_DESCRIPTION, PACK_NAME  # noqa: E402

serve(served_servicer(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=DEFAULT_ENFORCEMENT_LEVEL,
    description=PACK_DESCRIPTION,
    provider="aws",
))
