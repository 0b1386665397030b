"""The one SDK internal the running program relies on, pinned: reading a StackReference's outputs
before any resource is declared (components/sharing/stack_outputs.py). If the pinned Pulumi SDK
renames or changes what it uses, these tests fail here rather than in a user's `pulumi up`."""

from __future__ import annotations

import inspect

import pulumi
import pulumi.runtime.sync_await as sync_await
from pulumi.stack_reference import StackReferenceOutputDetails

from components.sharing.stack_outputs import read_stack_outputs
from offline.engine import run_program
from offline.mocks import PlatformMocks, RecordingMonitor

PRODUCER = "organization/data-delivery-platform/dev"


def test_the_sdk_still_has_what_the_read_uses():
    assert callable(sync_await._sync_await)
    assert list(inspect.signature(pulumi.StackReference.get_output_details).parameters) == ["self", "name"]
    details = StackReferenceOutputDetails(value=None, secret_value="s")
    assert (details.value, details.secret_value) == (None, "s")


def test_outputs_are_read_as_plain_values_secrets_included_and_missing_ones_as_none():
    outputs = {"account": {"id": "111111111111"}, "dataProducts": {"orders": {"name": "orders"}}}
    mocks = PlatformMocks(account_id="222222222222", region="us-east-1", stack_outputs={PRODUCER: outputs})
    seen: dict = {}

    def program() -> None:
        ref = pulumi.StackReference("producer", stack_name=PRODUCER)
        seen.update(read_stack_outputs(ref, "account", "dataProducts", "services"))

    run_program(program, mocks=mocks, monitor=RecordingMonitor(mocks), project="ddp-test", stack="marketing")
    assert seen == {"account": {"id": "111111111111"}, "dataProducts": {"orders": {"name": "orders"}},
                    "services": None}
