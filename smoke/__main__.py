"""python -m smoke <stack>: run the platform's flows against a deployed stack, one line per flow.

    python -m smoke dev                                  # outputs from `pulumi stack output -s dev`
    python -m smoke dev --outputs out/dev-outputs.json   # outputs from a file
    python -m smoke dev --offline                        # the offline graph in moto (what CI runs)

Prints `PASS batch orders 43.1s`, `FAIL ... reason` or `SKIP ... why` per flow; exits 1 when a
flow fails, 2 when the outputs or credentials are unusable. Each flow removes what it wrote, and
says what it had to leave (rows in Iceberg tables, objects shared with other producers' records).

The credentials (default chain or --profile) act in the stack's account. They need, roughly:
s3 Get/Put/DeleteObject(Version) and ListBucket on the zones plus kms:Decrypt/GenerateDataKey on
the product key; glue GetJob(s)/GetJobRun(s)/GetTable; tag:GetResources; firehose
DescribeDeliveryStream; kinesis PutRecords; events PutEvents/PutRule/PutTargets/RemoveTargets/
DeleteRule/ListRules/ListTargetsByRule; sqs Create/Delete queue, Receive/Delete/ChangeVisibility
message (including the ODS writer's dead-letter queue and its key); lambda GetFunctionConfiguration;
dynamodb GetItem/DeleteItem; execute-api:Invoke for IAM-authorised services. The consumer flow
needs a second account's credentials: --account-profile <account>=<profile>.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Optional, Sequence, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from smoke import flows
from smoke.contract import OutputsError, StackContract, pulumi_outputs, read_outputs_file

KINDS = ("batch", "streaming", "events", "service", "consumer")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m smoke", description=__doc__.split("\n\n")[0],
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", help="the stack to test, e.g. dev")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--outputs", metavar="FILE", help="the stack's outputs as JSON instead of asking pulumi "
                                                          "(python -m offline.preview <stack> --outputs FILE writes one)")
    source.add_argument("--offline", action="store_true",
                        help="run against the offline graph materialised in moto instead of AWS")
    parser.add_argument("--other-outputs", metavar="FILE", action="append", default=[],
                        help="outputs of a producer or consumer stack the consumer flow needs (repeatable)")
    parser.add_argument("--flow", action="append", default=[], metavar="KIND_OR_NAME",
                        help=f"run only these flows: a kind ({', '.join(KINDS)}) or a name such as 'service orders-api'")
    parser.add_argument("--profile", help="AWS profile for the stack's account (default: the default chain)")
    parser.add_argument("--account-profile", action="append", default=[], metavar="ACCOUNT=PROFILE",
                        help="a profile for another account (a consumer's or producer's), for the consumer flow")
    parser.add_argument("--endpoint", action="append", default=[], metavar="SERVICE=URL",
                        help="call a service at this URL instead of its output endpoint (e.g. its DNS name)")
    parser.add_argument("--bearer", help="token for services that need one (JWT authorizer)")
    parser.add_argument("--alb-cookie", help="the ALB session cookie for services whose load balancer logs callers in")
    parser.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every flow's timeout")
    parser.add_argument("--poll-interval", type=float, default=10.0, help="seconds between looks (default 10)")
    return parser


def _pairs(values: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise OutputsError(f"{what} {value!r}: expected NAME=VALUE")
        out[key] = rest
    return out


def _selected(plan: list[flows.Flow], wanted: Sequence[str], stack: str) -> list[flows.Flow]:
    if not plan:
        raise OutputsError(f"stack {stack} exports no data product, service or consumed product: no flow to run")
    if not wanted:
        return plan
    unknown = [w for w in wanted if w not in KINDS and w not in {f.name for f in plan}]
    if unknown:
        raise OutputsError(f"--flow {', '.join(unknown)}: this stack's flows are {', '.join(f.name for f in plan)}")
    return [f for f in plan if f.kind in wanted or f.name in wanted]


def run_offline(stack: str, wanted: Sequence[str], out: TextIO) -> int:
    """The flows against the offline graphs of the stack and the shipped stacks it shares with."""
    from offline.runner import shipped_run  # noqa: PLC0415 - runs the Pulumi program under mocks
    from smoke.moto_platform import MotoPlatform  # noqa: PLC0415 - needs moto

    try:
        run = shipped_run(stack)
    except RuntimeError as exc:
        raise OutputsError(str(exc)) from None
    runs = {stack: run}
    for linked in _linked_shipped_stacks(stack, run.outputs):
        runs.setdefault(linked, shipped_run(linked))
    with MotoPlatform.started(list(runs.values()), stack, run_id=uuid.uuid4().hex[:8]) as platform:
        plan = _selected(flows.plan(platform.contract), wanted, stack)
        results = []
        for flow in plan:
            results.append(flows.run(platform, flow))
            print(results[-1].line(), file=out, flush=True)
    return 1 if any(r.status == "FAIL" for r in results) else 0


def _linked_shipped_stacks(stack: str, outputs: dict) -> list[str]:
    """Shipped stacks this one consumes from, and shipped stacks that consume from it."""
    from offline.runner import ROOT, fully_qualified, load_stack_config, stack_name  # noqa: PLC0415
    from stackconfig.loader import PROJECT  # noqa: PLC0415

    linked = [c["producerStack"].rsplit("/", 1)[-1] for c in (outputs.get("consumes") or {}).values()]
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        other = stack_name(path)
        if other == stack or other in linked:
            continue
        consumes = json.loads(load_stack_config(other).get(f"{PROJECT}:consumes") or "[]")
        if any(isinstance(c, dict) and c.get("stack") == fully_qualified(stack) for c in consumes):
            linked.append(other)
    return linked


def run_deployed(args: argparse.Namespace, out: TextIO) -> int:
    import boto3  # noqa: PLC0415

    from smoke.aws_platform import AwsPlatform, session_account  # noqa: PLC0415

    outputs = read_outputs_file(Path(args.outputs), args.stack) if args.outputs else pulumi_outputs(args.stack)
    contract = StackContract.from_outputs(args.stack, outputs)
    session = boto3.Session(profile_name=args.profile, region_name=contract.region)
    account = session_account(session)
    if account != contract.account:
        raise OutputsError(f"the credentials are for account {account}; stack {args.stack} is in {contract.account}")
    sessions = {account: session}
    for other, profile in _pairs(args.account_profile, "--account-profile").items():
        extra = boto3.Session(profile_name=profile, region_name=contract.region)
        if session_account(extra) != other:
            raise OutputsError(f"--account-profile {other}={profile}: that profile is for account {session_account(extra)}")
        sessions[other] = extra
    others = {}
    for path in args.other_outputs:
        data = json.loads(Path(path).read_text())
        for name, value in (data.items() if "account" not in data else [(Path(path).stem, data)]):
            others[name] = StackContract.from_outputs(name.rsplit("/", 1)[-1], value)
            others[name.rsplit("/", 1)[-1]] = others[name]
    platform = AwsPlatform(
        contract, sessions, run_id=uuid.uuid4().hex[:8], others=others,
        other_outputs=None if args.outputs else
        (lambda stack: StackContract.from_outputs(stack.rsplit("/", 1)[-1], pulumi_outputs(stack))),
        endpoints=_pairs(args.endpoint, "--endpoint"), bearer=args.bearer, alb_cookie=args.alb_cookie,
        poll_interval=args.poll_interval, timeout_scale=args.timeout_scale)
    results = []
    for flow in _selected(flows.plan(contract), args.flow, args.stack):
        results.append(flows.run(platform, flow))
        print(results[-1].line(), file=out, flush=True)
    return 1 if any(r.status == "FAIL" for r in results) else 0


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.offline:
            return run_offline(args.stack, args.flow, out)
        return run_deployed(args, out)
    except (OutputsError, BotoCoreError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
