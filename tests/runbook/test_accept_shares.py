"""runbook.accept_shares against botocore's Stubber: requests and responses are validated against
RAM's own service model (moto has no RAM invitations), so a wrong parameter or field fails here."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from runbook import accept_shares

PRODUCER, OTHER = "111111111111", "333333333333"


def invitation(name: str, sender: str, status: str = "PENDING", n: int = 1) -> dict:
    return {"resourceShareInvitationArn": f"arn:aws:ram:us-east-1:{sender}:resource-share-invitation/inv-{n}",
            "resourceShareName": name, "resourceShareArn": f"arn:aws:ram:us-east-1:{sender}:resource-share/s-{n}",
            "senderAccountId": sender, "receiverAccountId": "222222222222", "status": status}


@pytest.fixture
def ram():
    client = boto3.client("ram", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub


def test_accepts_only_pending_lake_formation_shares_from_the_producer(ram):
    client, stub = ram
    stub.add_response("get_resource_share_invitations", {"resourceShareInvitations": [
        invitation("LakeFormation-V4-abc", PRODUCER, n=1),
        invitation("LakeFormation-V4-def", OTHER, n=2),             # another account: not ours to accept
        invitation("shared-subnets", PRODUCER, n=3),                # not a Lake Formation share
        invitation("LakeFormation-V4-old", PRODUCER, "ACCEPTED", n=4),
    ]})
    stub.add_response("accept_resource_share_invitation", {"resourceShareInvitation": invitation(
        "LakeFormation-V4-abc", PRODUCER, "ACCEPTED", n=1)},
        expected_params={"resourceShareInvitationArn": invitation("x", PRODUCER, n=1)["resourceShareInvitationArn"]})
    lines, ok = accept_shares.accept(client, PRODUCER)
    assert ok
    assert lines[0] == f"accepted LakeFormation-V4-abc from {PRODUCER}"
    assert sum(line.startswith("skip") for line in lines) == 3
    stub.assert_no_pending_responses()


def test_dry_run_accepts_nothing(ram):
    client, stub = ram
    stub.add_response("get_resource_share_invitations",
                      {"resourceShareInvitations": [invitation("LakeFormation-V4-abc", PRODUCER)]})
    lines, ok = accept_shares.accept(client, PRODUCER, dry_run=True)
    assert (lines, ok) == ([f"would accept LakeFormation-V4-abc from {PRODUCER}"], True)
    stub.assert_no_pending_responses()  # no accept call was made


def test_a_refused_acceptance_is_reported_and_fails_the_run(ram):
    client, stub = ram
    stub.add_response("get_resource_share_invitations",
                      {"resourceShareInvitations": [invitation("LakeFormation-V4-abc", PRODUCER)]})
    stub.add_client_error("accept_resource_share_invitation", "ResourceShareInvitationExpiredException")
    lines, ok = accept_shares.accept(client, PRODUCER)
    assert not ok and "ResourceShareInvitationExpiredException" in lines[0]


def test_nothing_pending(ram):
    client, stub = ram
    stub.add_response("get_resource_share_invitations", {"resourceShareInvitations": []})
    assert accept_shares.accept(client, PRODUCER) == ([f"no invitations pending from {PRODUCER}"], True)


def test_bad_account_is_a_usage_error(capsys):
    assert accept_shares.main(["--producer-account", "1234", "--region", "us-east-1"]) == 2
    assert "12-digit" in capsys.readouterr().err
