"""Pilot-light failover runbook: turn the light on in the DR region (or off again).

    python -m runbook.failover --business-unit retail --environment dev \
        --primary-region us-east-1 --dr-region us-west-2 [--dry-run] [--failback] \
        [--hosted-zone-id Z123 --record-name api.example.com] [--profile P] [--role-arn ARN]

Plan first (read-only), then apply: every write is preceded by a read of the current state, so a
second run reports "no change" for every item and writes nothing. Exit codes: 0 success, 1 any
step failed (the others still ran), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Optional, Sequence

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, RunResult, apply, describe_error, render
from runbook.context import RunContext
from runbook.steps import Mode, dns, ecs, events, glue, lambda_, replication

__all__ = ["plan_failover", "plan_failback", "plan", "apply", "render", "main"]


def plan(
    session: boto3.Session,
    *,
    business_unit: str,
    environment: str,
    primary_region: str,
    dr_region: str,
    mode: Mode = "failover",
    hosted_zone_id: Optional[str] = None,
    record_name: Optional[str] = None,
    dr_set_identifier: str = "dr",
) -> list[Action]:
    """Read both regions and return the ordered actions. Writes nothing.

    Order: replication report first (what data DR has), then compute (ECS, Lambda), then the
    data-plane schedules (crawlers, rules), DNS last so traffic moves only once DR is scaled.
    """
    ctx = RunContext(session, business_unit, environment, primary_region, dr_region)
    actions: list[Action] = []
    actions += replication.plan(ctx, mode)
    actions += ecs.plan(ctx, mode)
    actions += lambda_.plan(ctx, mode)
    actions += glue.plan(ctx, mode)
    actions += events.plan(ctx, mode)
    if hosted_zone_id and record_name:
        actions += dns.plan(ctx, mode, hosted_zone_id, record_name, dr_set_identifier)
    return actions


def plan_failover(session: boto3.Session, **kwargs) -> list[Action]:
    return plan(session, mode="failover", **kwargs)


def plan_failback(session: boto3.Session, **kwargs) -> list[Action]:
    return plan(session, mode="failback", **kwargs)


def make_session(profile: Optional[str], role_arn: Optional[str], region: str, session_name: str) -> boto3.Session:
    """The caller's credentials (profile or default chain), optionally assuming the BU deploy role.

    STS is called in the DR region (regional endpoint), so assuming the role does not depend on
    the primary region being up.
    """
    base = boto3.Session(profile_name=profile, region_name=region)
    if not role_arn:
        return base
    creds = base.client("sts", region_name=region).assume_role(
        RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=3600
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m runbook.failover",
        description="Turn the pilot light on in the DR region (failover) or off again (--failback).",
    )
    p.add_argument("--business-unit", required=True)
    p.add_argument("--environment", required=True)
    p.add_argument("--primary-region", required=True)
    p.add_argument("--dr-region", required=True)
    p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    p.add_argument("--failback", action="store_true", help="scale DR back to zero, pause schedules, route back")
    p.add_argument("--hosted-zone-id", help="Route 53 zone holding the failover records (with --record-name)")
    p.add_argument("--record-name", help="failover record name, e.g. api.example.com")
    p.add_argument("--dr-set-identifier", default="dr", help="SetIdentifier of the DR failover record (default: dr)")
    p.add_argument("--profile", help="AWS profile of the caller (default: the default credential chain)")
    p.add_argument("--role-arn", help="BU deploy role to assume, e.g. arn:aws:iam::111111111111:role/PlatformDeployer")
    p.add_argument("--role-session-name", default="ddp-failover-runbook")
    return p


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    for key in ("primary_region", "dr_region"):
        if not _REGION.match(getattr(args, key)):
            parser.error(f"--{key.replace('_', '-')}: {getattr(args, key)!r} is not an AWS region name")
    if args.primary_region == args.dr_region:
        parser.error("--primary-region and --dr-region must differ")
    if bool(args.hosted_zone_id) != bool(args.record_name):
        parser.error("--hosted-zone-id and --record-name go together")
    if args.role_arn and not _ROLE_ARN.match(args.role_arn):
        parser.error(f"--role-arn: {args.role_arn!r} is not an IAM role ARN")
    return args


def main(argv: Optional[Sequence[str]] = None, session: Optional[boto3.Session] = None) -> int:
    args = parse_args(argv)  # exits 2 on bad arguments
    mode: Mode = "failback" if args.failback else "failover"
    try:
        session = session or make_session(args.profile, args.role_arn, args.dr_region, args.role_session_name)
    except (ClientError, BotoCoreError) as exc:
        print(f"[auth] ERROR cannot get credentials: {describe_error(exc)}", file=sys.stderr)
        return 1
    if session.get_credentials() is None:
        print("[auth] ERROR no AWS credentials found (use --profile, or the usual AWS_* variables)", file=sys.stderr)
        return 1
    print(f"== {mode} {args.business_unit}/{args.environment}: primary {args.primary_region}, "
          f"DR {args.dr_region}{' (dry-run)' if args.dry_run else ''}")
    actions = plan(
        session,
        business_unit=args.business_unit,
        environment=args.environment,
        primary_region=args.primary_region,
        dr_region=args.dr_region,
        mode=mode,
        hosted_zone_id=args.hosted_zone_id,
        record_name=args.record_name,
        dr_set_identifier=args.dr_set_identifier,
    )
    result: RunResult = render(actions, dry_run=True) if args.dry_run else apply(actions)
    changes = sum(1 for a in actions if a.changes)
    verb = "planned" if args.dry_run else "applied"
    done = changes if args.dry_run else len(result.applied)
    print(f"== {done} change(s) {verb}, {len(result.failed)} failed, "
          f"{sum(1 for a in actions if a.severity == 'warning')} warning(s)")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
