"""Accept the AWS RAM invitations a producer's Lake Formation grants sent to this (consumer) account.

    python -m runbook.accept_shares --producer-account 111111111111 --region us-east-1 [--dry-run] \
        [--profile P]

Lake Formation shares catalog resources across accounts through AWS RAM (cross-account version 3
and later; the platform uses 4). When producer and consumer are in one AWS Organization with RAM
sharing enabled for it, the share is accepted automatically. Otherwise RAM sends the consumer
account an invitation that an administrator must accept before any of the consumer stack's
grants (resource link, analyst role) can see the producer's database. Run this in the consumer
account after the producer's `pulumi up` and before the consumer's.

Only invitations that are PENDING, come from the named producer account and share Lake Formation
resources (RAM names those shares `LakeFormation-...`) are accepted; anything else is listed and
left alone. A second run accepts nothing. Exit codes: 0 done, 1 an acceptance failed, 2 bad
arguments.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import boto3
from botocore.exceptions import BotoCoreError, ClientError

LAKE_FORMATION_SHARE_PREFIX = "LakeFormation"
ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Invitation:
    arn: str
    share_name: str
    sender: str
    status: str

    def is_lake_formation_from(self, producer: str) -> bool:
        return (self.status == "PENDING" and self.sender == producer
                and self.share_name.startswith(LAKE_FORMATION_SHARE_PREFIX))


def invitations(ram: Any) -> list[Invitation]:
    found: list[Invitation] = []
    for page in ram.get_paginator("get_resource_share_invitations").paginate():
        for inv in page.get("resourceShareInvitations", []):
            found.append(Invitation(arn=inv["resourceShareInvitationArn"], share_name=inv.get("resourceShareName", ""),
                                    sender=inv.get("senderAccountId", ""), status=inv.get("status", "")))
    return found


def accept(ram: Any, producer: str, *, dry_run: bool = False) -> tuple[list[str], bool]:
    """One line per invitation seen; True when every acceptance that was due succeeded."""
    lines, ok = [], True
    for inv in invitations(ram):
        if not inv.is_lake_formation_from(producer):
            lines.append(f"skip    {inv.share_name} from {inv.sender} ({inv.status})")
            continue
        if dry_run:
            lines.append(f"would accept {inv.share_name} from {inv.sender}")
            continue
        try:
            ram.accept_resource_share_invitation(resourceShareInvitationArn=inv.arn)
            lines.append(f"accepted {inv.share_name} from {inv.sender}")
        except ClientError as exc:
            ok = False
            lines.append(f"FAILED  {inv.share_name} from {inv.sender}: {exc.response['Error'].get('Code')}")
    if not lines:
        lines.append(f"no invitations pending from {producer}")
    return lines, ok


def main(argv: Optional[Sequence[str]] = None, *, session: Optional[boto3.Session] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m runbook.accept_shares", description=__doc__.splitlines()[0])
    ap.add_argument("--producer-account", required=True, help="the producer BU's 12-digit account id")
    ap.add_argument("--region", required=True, help="the producer's region (RAM invitations are regional)")
    ap.add_argument("--profile", help="AWS profile of the consumer account")
    ap.add_argument("--dry-run", action="store_true", help="list what would be accepted, change nothing")
    args = ap.parse_args(argv)
    if not ACCOUNT_ID.match(args.producer_account):
        print(f"--producer-account: a 12-digit account id is required (got {args.producer_account!r})",
              file=sys.stderr)
        return 2
    session = session or boto3.Session(profile_name=args.profile, region_name=args.region)
    try:
        lines, ok = accept(session.client("ram", region_name=args.region), args.producer_account,
                           dry_run=args.dry_run)
    except (BotoCoreError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
