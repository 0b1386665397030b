"""Offline preview: what `pulumi up` would deploy for a shipped stack, with no CLI and no AWS.

    python -m offline.preview dev                   # tree, counts, outputs
    python -m offline.preview dev --json out/dev.json
    python -m offline.preview dev --policy          # also run the CrossGuard pack offline
    python -m offline.preview dr --stack-outputs outputs.json
    python -m offline.preview dev --diagram docs/diagrams   # data-flow diagram: .dot, .mmd (+ .svg/.png)
    python -m offline.preview dev --cost [usage.yaml]      # monthly cost estimate (also under "estimate" in --json)

Exit codes: 0 ok, 1 mandatory policy violation, 2 invalid stack file (one line on stderr: the
file, the key path and what is allowed; never a traceback), 3 the program itself failed (a bug:
one line on stderr naming the exception; set DDP_TRACEBACK=1 to see the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import Any, Optional

from offline.mocks import Record, decoded_provider_inputs
from offline.runner import StackRun, fully_qualified, run_stack, stack_name

# Per resource type: the inputs worth showing in the tree (the settings a reviewer checks).
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:aws": ("region", "allowedAccountIds"),
    "awsx:ec2:Vpc": ("cidrBlock", "numberOfAvailabilityZones", "natGateways"),
    "aws:kms/key:Key": ("enableKeyRotation", "deletionWindowInDays"),
    "aws:s3/bucket:Bucket": ("bucket", "forceDestroy"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"),
    "aws:s3/bucketVersioning:BucketVersioning": ("versioningConfiguration",),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("rule",),
    "aws:dynamodb/table:Table": ("name", "billingMode", "hashKey", "rangeKey", "pointInTimeRecovery", "deletionProtectionEnabled", "streamViewType"),
    "aws:dax/cluster:Cluster": ("clusterName", "nodeType", "replicationFactor", "clusterEndpointEncryptionType"),
    "aws:kinesis/stream:Stream": ("name", "encryptionType", "retentionPeriod", "shardCount"),
    "aws:transfer/server:Server": ("protocols", "endpointType", "securityPolicyName"),
    "aws:transfer/user:User": ("userName", "homeDirectoryType"),
    "aws:glue/catalogDatabase:CatalogDatabase": ("name",),
    "aws:glue/crawler:Crawler": ("name", "schedule", "securityConfiguration"),
    "aws:glue/job:Job": ("name", "glueVersion", "workerType", "numberOfWorkers", "securityConfiguration"),
    "aws:cloudwatch/eventBus:EventBus": ("name",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:lambda/function:Function": ("name", "runtime", "architectures", "reservedConcurrentExecutions"),
    "aws:ecs/service:Service": ("name", "desiredCount", "launchType"),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", "cpu", "memory"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "internal", "dropInvalidHeaderFields", "enableDeletionProtection"),
    "aws:lb/listener:Listener": ("port", "protocol", "sslPolicy"),
    "aws:lakeformation/permissions:Permissions": ("principal", "permissions"),
    "aws:lakeformation/resource:Resource": ("useServiceLinkedRole",),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ("bucket",),
}


def _short(value: Any, limit: int = 70) -> str:
    text = json.dumps(value, default=str, separators=(",", ":")) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _settings(record: Record) -> str:
    keys = KEY_SETTINGS.get(record.type, ())
    parts = [f"{key}={_short(record.inputs[key])}" for key in keys
             if key in record.inputs and record.inputs[key] is not None]
    if record.protect:
        parts.append("protected")
    return ("  " + " ".join(parts)) if parts else ""


def render_tree(run: StackRun) -> str:
    """The resources as a tree under their parents, with each type's key settings."""
    children: dict[str, list[Record]] = {}
    for record in run.records:
        children.setdefault(record.parent, []).append(record)
    lines: list[str] = []

    def walk(record: Record, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        lines.append(f"{prefix}{branch}{record.type} {record.name}{_settings(record)}")
        kids = children.get(record.urn, [])
        continuation = "" if depth == 0 else ("   " if last else "│  ")
        for index, kid in enumerate(kids):
            walk(kid, prefix + continuation, index == len(kids) - 1, depth + 1)

    for root in children.get("", []):
        walk(root, "", True, 0)
    return "\n".join(lines)


def render_counts(run: StackRun) -> str:
    """Resources per type, and the total of real (non-component) resources."""
    counts = Counter(record.type for record in run.records if record.type != "pulumi:pulumi:Stack")
    width = max((len(type_) for type_ in counts), default=0)
    rows = [f"  {type_:<{width}}  {count:>4}" for type_, count in sorted(counts.items())]
    custom = sum(count for type_, count in counts.items() if not type_.startswith(("ddp:", "awsx:", "pulumi:pulumi")))
    return "\n".join(rows + [f"  {'total resources (excluding components)':<{width}}  {custom:>4}"])


def render(run: StackRun) -> str:
    """The whole preview text: providers, resource tree, counts, stack outputs."""
    head = [f"Offline preview of stack '{run.stack}' (Pulumi.{run.stack}.yaml) under platform mocks"]
    for provider in run.by_type("pulumi:providers:aws"):
        settings = decoded_provider_inputs(provider.inputs)
        roles = [assumed.get("roleArn") for assumed in settings.get("assumeRoles") or []]
        head.append(f"Provider {provider.name}: region {settings.get('region')}, "
                    f"allowedAccountIds {settings.get('allowedAccountIds')}, assumes {roles}")
    return "\n".join(head + ["", "Resources:", render_tree(run), "", "Counts by type:", render_counts(run),
                             "", "Stack outputs:", json.dumps(run.outputs, indent=2, sort_keys=True)])


def graph_json(run: StackRun) -> dict[str, Any]:
    return {"stack": run.stack, "resources": run.resources(), "outputs": run.outputs}


def stack_policy_config(run: StackRun) -> dict[str, Any]:
    """The pack config a stack is checked with: the consumer accounts its products declare (for a
    dr stack: those of the primary's contract), its regions, and its data-destroy switch."""
    from stackconfig import parse_settings
    from stackconfig.args import current_date

    settings = parse_settings(run.config, source=f"Pulumi.{run.stack}.yaml")
    consumers = {grant.account for product in settings.data_products for grant in product.consumers}
    for ref in run.by_type("pulumi:pulumi:StackReference"):
        for contract in ((ref.outputs.get("outputs") or {}).get("dataProducts") or {}).values():
            consumers.update(contract.get("consumers") or [])
    regions = sorted({settings.region} | ({settings.dr_region} if settings.dr_region else set()))
    return {
        "lakeformation-permissions-to-consumers-only": {"consumerAccounts": sorted(consumers)},
        "aws-provider-region-allowed": {"allowedRegions": regions},
        "stateful-resources-protected": {"allowDataDestroy": settings.allow_data_destroy},
        # The same day the program let grants expire against (DDP_TODAY or today, UTC).
        "lakeformation-grant-not-expired": {"today": current_date().isoformat()},
    }


def policy_report(run: StackRun, config_file: Optional[str] = None):
    from policies.offline import analyze  # imported lazily: the pack is optional for a plain preview

    config = json.loads(Path(config_file).read_text()) if config_file else stack_policy_config(run)
    return analyze(run.resources(), config=config)


def _policy_report(run: StackRun, config_file: Optional[str]) -> tuple[str, int]:
    report = policy_report(run, config_file)
    summary = report.compliance_summary()
    counts = Counter(row["status"] for row in summary)
    text = "\n".join([report.format(), "", "Compliance summary (policy, enforcement, control, status):",
                      report.format_summary(), "",
                      "  " + ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))])
    return text, report.mandatory


def _arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m offline.preview", description=__doc__.splitlines()[0])
    parser.add_argument("stack", nargs="?", default="dev",
                        help="shipped stack name (Pulumi.<stack>.yaml), default dev, or the path of a stack file")
    parser.add_argument("--json", metavar="FILE",
                        help="write the whole graph (type, name, parent, provider, inputs, outputs)")
    parser.add_argument("--outputs", metavar="FILE", help="write the stack outputs as JSON (feed to --stack-outputs)")
    parser.add_argument("--stack-outputs", metavar="FILE",
                        help='JSON {"<org>/<project>/<stack>": {outputs}} for StackReferences, instead of running them')
    parser.add_argument("--today", metavar="YYYY-MM-DD",
                        help="the date consumer grants expire against (default: today, UTC); sets DDP_TODAY")
    parser.add_argument("--policy", action="store_true", help="run the CrossGuard pack offline over the graph")
    parser.add_argument("--policy-config", metavar="FILE", help="policy pack config JSON")
    parser.add_argument("--quiet", action="store_true", help="print only counts and outputs")
    parser.add_argument("--diagram", metavar="DIR",
                        help="write <stack>.dot and .mmd (+ .svg/.png with graphviz) to DIR")
    parser.add_argument("--cost", nargs="?", const="", metavar="USAGE_FILE",
                        help="price the graph (offline/cost/); optional usage profile {resource|'*': {price id: qty}}")
    return parser.parse_args(argv)


class PreviewExit(Exception):
    """Stops the preview with an exit code, after its one line on stderr."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _run(args: argparse.Namespace) -> tuple[StackRun, Optional[dict[str, Any]]]:
    """The offline run the arguments ask for, and the referenced stacks' outputs given with it."""
    known = None
    if args.stack_outputs:
        try:
            known = json.loads(Path(args.stack_outputs).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise PreviewExit(2, f"--stack-outputs {args.stack_outputs}: {exc}") from None
    if args.today:
        os.environ["DDP_TODAY"] = args.today
    stack, config_path = args.stack, None
    if args.stack.endswith((".yaml", ".yml")):
        config_path = Path(args.stack)
        stack = stack_name(config_path)
    try:
        run = run_stack(stack, config_path=config_path, stack_outputs=known)
    except Exception as exc:  # noqa: BLE001 - the preview prints one line, never a traceback
        if os.environ.get("DDP_TRACEBACK"):
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0]
        raise PreviewExit(3, f"error: Pulumi.{stack}.yaml: the program failed ({type(exc).__name__}: {first}); "
                             "this is a bug in the platform, not in the stack file: please report it") from None
    if not run.ok:
        raise PreviewExit(2, f"error: {' '.join(str(run.error).split())}")
    return run, known


def _cost_report(run: StackRun, usage_file: str, known: Optional[dict[str, Any]]):
    from offline.cost import build_report, load_usage, render as render_cost

    try:
        usage = load_usage(usage_file) if usage_file else None
    except (OSError, ValueError) as exc:
        raise PreviewExit(2, f"--cost {usage_file}: {exc}") from None
    report = build_report(run, usage=usage, usage_name=usage_file or None, stack_outputs=known)
    print("\n" + render_cost(report))
    return report


def _write_files(run: StackRun, args: argparse.Namespace, cost_report) -> None:
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        doc = graph_json(run)
        if cost_report is not None:
            doc["estimate"] = cost_report.as_json()  # CI can gate on estimate.fixedMonthlyUsd / .complete
        Path(args.json).write_text(json.dumps(doc, indent=2, sort_keys=True))
    if args.outputs:
        Path(args.outputs).parent.mkdir(parents=True, exist_ok=True)
        Path(args.outputs).write_text(json.dumps({fully_qualified(run.stack): run.outputs}, indent=2, sort_keys=True))
    if args.diagram:
        from offline.diagram import write as write_diagram
        print("\nDiagram: " + ", ".join(str(path) for path in write_diagram(run, args.diagram)))


def main(argv: Optional[list[str]] = None) -> int:
    args = _arguments(argv)
    try:
        run, known = _run(args)
        if args.quiet:
            print(render_counts(run))
            print(json.dumps(run.outputs, indent=2, sort_keys=True))
        else:
            print(render(run))
        cost_report = _cost_report(run, args.cost, known) if args.cost is not None else None
    except PreviewExit as stop:
        print(str(stop), file=sys.stderr)
        return stop.code
    _write_files(run, args, cost_report)
    if args.policy:
        text, mandatory = _policy_report(run, args.policy_config)
        print("\nPolicy report (ddp-org-blueprint):")
        print(text)
        if mandatory:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
