"""Reading another stack's outputs while the program starts, before any resource is declared.

Resource names and counts must be plain values when resources are declared, so the contracts of
other stacks are read once, up front. The SDK offers no public blocking read of a StackReference's
outputs; this module is the only place that uses the SDK's internal `_sync_await` for it, and
tests/test_stack_outputs.py fails if the pinned SDK changes what it relies on.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await


def read_stack_outputs(ref: pulumi.StackReference, *names: str) -> dict[str, Any]:
    """Plain values of the named outputs of `ref` (secret ones included, as plain values); an
    output the stack does not have reads as None. The engine has the referenced stack's outputs
    when the program starts, in preview and up alike."""
    out: dict[str, Any] = {}
    for name in names:
        details = _sync_await(ref.get_output_details(name))
        out[name] = details.value if details.value is not None else details.secret_value
    return out
