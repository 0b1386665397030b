"""ECS services at zero in DR: scale to the primary's desired count (failover) or back to 0.

The service's Application Auto Scaling target, when present, gets MinCapacity raised to the
primary's minimum (`ddp:primary-min-count`, or the desired count when that tag is absent) and
MaxCapacity lifted if it is lower than the desired count, so the scaler cannot pull the service
back under the primary's size. The capacity change is planned before the desired count in both
directions: on failback a MinCapacity still at 3 would otherwise scale the service back up.

A failover only ever raises the desired count: once the light is on, autoscaling moves the count
within [MinCapacity, MaxCapacity], and a second failover (the drill's step 4, or a re-run after an
interruption) must not scale back down what the scaler raised under load. A service that the
tags still list but ECS reports INACTIVE or not at all is gone: reported, not touched.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from runbook.actions import Action, error, warning
from runbook.context import TAG_PILOT_LIGHT, TAG_PRIMARY_DESIRED_COUNT, TAG_PRIMARY_MIN_COUNT, RunContext
from runbook.discovery import GONE, Tagged, tagged_resources
from runbook.steps import Mode

DIMENSION = "ecs:service:DesiredCount"


def plan(ctx: RunContext, mode: Mode) -> list[Action]:
    try:
        services = tagged_resources(ctx, "dr", ["ecs:service"])
    except (ClientError, BotoCoreError) as exc:
        return [error("scale", f"ecs services in {ctx.dr_region}", exc)]
    actions: list[Action] = []
    for svc in services:
        if svc.tags.get(TAG_PILOT_LIGHT) == "true":
            actions.extend(_plan_service(ctx, svc, mode))
    return actions


def _whole(svc: Tagged, key: str) -> int:
    raw = svc.tags.get(key)
    if raw is None or not raw.isdigit():
        raise ValueError(f"tag {key} must be a whole number, got {raw!r}")
    return int(raw)


def _target_counts(svc: Tagged, mode: Mode) -> tuple[int, int]:
    """(desired count, autoscaling minimum) the service should end up with."""
    if mode == "failback":
        return 0, 0
    desired = _whole(svc, TAG_PRIMARY_DESIRED_COUNT)
    minimum = _whole(svc, TAG_PRIMARY_MIN_COUNT) if TAG_PRIMARY_MIN_COUNT in svc.tags else desired
    return desired, minimum


def _plan_service(ctx: RunContext, svc: Tagged, mode: Mode) -> list[Action]:
    parts = svc.arn.split(":", 5)[-1].split("/")  # service/<cluster>/<name>
    label = f"ecs service {svc.name}"
    if len(parts) != 3:
        return [error("scale", label, f"cannot tell the cluster from ARN {svc.arn} (old ARN format)")]
    _, cluster, name = parts
    try:
        count, minimum = _target_counts(svc, mode)
    except ValueError as exc:
        return [error("scale", label, exc)]

    ecs = ctx.client("ecs", "dr")
    scaling = ctx.client("application-autoscaling", "dr")
    actions: list[Action] = []
    try:
        described = ecs.describe_services(cluster=cluster, services=[name])
        live = [s for s in described.get("services", []) if s.get("status") == "ACTIVE"]
        if not live:
            return [warning("scale", label, GONE)]
        current = live[0]["desiredCount"]

        resource_id = f"service/{cluster}/{name}"
        targets = scaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource_id], ScalableDimension=DIMENSION
        ).get("ScalableTargets", [])
    except (ClientError, BotoCoreError) as exc:
        return [error("scale", label, exc)]

    for target in targets:
        low, high = target["MinCapacity"], target["MaxCapacity"]
        new_high = max(high, count, minimum)
        write = None
        if low != minimum or new_high != high:
            def write(rid=resource_id, lo=minimum, hi=new_high):
                scaling.register_scalable_target(
                    ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=DIMENSION,
                    MinCapacity=lo, MaxCapacity=hi,
                )
        shown = f"min {low}" + (f" max {high}" if new_high != high else "")
        wanted = f"min {minimum}" + (f" max {new_high}" if new_high != high else "")
        actions.append(Action("capacity", f"scalable target {resource_id}", shown, wanted, write))

    if mode == "failover" and current > count:
        actions.append(Action("scale", label, str(current),
                              note=f"above the primary's {count} (autoscaling, or by hand): kept"))
        return actions
    write = None
    if current != count:
        def write():
            ecs.update_service(cluster=cluster, service=name, desiredCount=count)
    actions.append(Action("scale", label, str(current), str(count), write))
    return actions
