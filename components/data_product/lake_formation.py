"""Lake Formation for a data product: the account's settings, the registered zones, and the grants
to crawlers and consumer accounts."""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.data_product.scope import ProductScope, ServiceRole
from components.data_product.zones import ZoneRef
from components.foundation import iam
from components.foundation.context import StackContext

# Lake Formation cross-account grants need catalog settings version 3 or later.
LF_CROSS_ACCOUNT_VERSION = "4"
# What a consumer account receives, each with the grant option (see `consumer_grants`).
CONSUMER_DATABASE_PERMISSIONS = ("DESCRIBE",)
CONSUMER_TABLE_PERMISSIONS = ("SELECT", "DESCRIBE")


def lake_formation_settings(name: str, stack: StackContext,
                            admins: Sequence[pulumi.Input[str]] | pulumi.ResourceOptions | None = None,
                            opts: pulumi.ResourceOptions | None = None) -> aws.lakeformation.DataLakeSettings:
    """The account's Lake Formation settings: create ONCE per stack (they are account-wide).

    - `admins`: the data lake administrators, who then grant everything else: the deploy role
      ARN and the admins the account already has (the stack's `lakeFormationAdmins`), merged
      into the one list Lake Formation keeps per account and region; the preview warns with the
      resulting list. When omitted, the role the provider deploys with is read from the caller
      identity;
    - no IAMAllowedPrincipals defaults for new databases and tables: access to catalog data is
      only ever what Lake Formation grants, never "any IAM principal with glue:Get*";
    - cross-account grant version 4, so consumers in other accounts can be granted.
    """
    if isinstance(admins, pulumi.ResourceOptions):  # called as (name, stack, opts)
        admins, opts = None, admins
    if admins is None:
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(
            provider=(opts.providers[0] if opts and isinstance(opts.providers, list) and opts.providers else None)))
        admins = [caller.arn.apply(_role_of_session)]
    elif not admins:
        raise ValueError("lake_formation_settings needs at least one admin (the deploy role ARN)")
    else:
        admins = list(dict.fromkeys(admins))  # the deploy role first, the account's existing admins kept
        # Lake Formation keeps one admin list per account and region, and this resource sets it
        # whole: say so in the preview, so no existing admin is dropped without anyone noticing.
        pulumi.log.warn(
            f"Lake Formation data lake administrators of account {stack.account_id} in {stack.region} are set to "
            f"exactly: {', '.join(str(a) for a in admins)}. Any other existing admin loses the role; list them "
            "under lakeFormationAdmins in the stack file.")
    return aws.lakeformation.DataLakeSettings(
        name,
        admins=list(admins),
        create_database_default_permissions=[],
        create_table_default_permissions=[],
        parameters={"CROSS_ACCOUNT_VERSION": LF_CROSS_ACCOUNT_VERSION},
        opts=opts,
    )


def _role_of_session(arn: str) -> str:
    """arn:aws:sts::<acct>:assumed-role/<role>/<session> -> arn:aws:iam::<acct>:role/<role>."""
    head, _, resource = arn.partition(":assumed-role/")
    if not resource:
        return arn
    partition, account = head.split(":")[1], head.split(":")[4]
    return f"arn:{partition}:iam::{account}:role/{resource.split('/')[0]}"


def registration_role(scope: ProductScope, zones: Sequence[ZoneRef]) -> ServiceRole:
    """A dedicated role Lake Formation uses for the registered zones (not the service-linked
    role, which cannot use a customer key and is shared by every location in the account)."""
    return scope.role("lakeformation", "lakeformation.amazonaws.com", [
        iam.statement(["s3:ListBucket"], [z.bucket_arn for z in zones], sid="List"),
        iam.statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                      [pulumi.Output.concat(z.bucket_arn, "/*") for z in zones], sid="Objects"),
        scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
    ])


def register(scope: ProductScope, zone: ZoneRef, role: ServiceRole, deps: Sequence[pulumi.Resource]) -> aws.lakeformation.Resource:
    return aws.lakeformation.Resource(
        f"{scope.name}-{zone.zone}-lf",
        arn=zone.bucket_arn,
        role_arn=role.arn,
        use_service_linked_role=False,
        opts=scope.after(role.policy, *deps),
    )


def crawler_grants(scope: ProductScope, part: str, role: ServiceRole, db: aws.glue.CatalogDatabase,
                   locations: Sequence[tuple[ZoneRef, aws.lakeformation.Resource]],
                   deps: Sequence[pulumi.Resource]) -> list[aws.lakeformation.Permissions]:
    """What a crawler needs under Lake Formation: create/alter tables in its database and
    point tables at the registered locations it crawls."""
    grants = [aws.lakeformation.Permissions(
        f"{scope.name}-{part}-lf-db",
        principal=role.arn,
        permissions=["CREATE_TABLE", "ALTER", "DESCRIBE"],
        database=aws.lakeformation.PermissionsDatabaseArgs(name=db.name),
        opts=scope.after(*deps),
    )]
    for zone, registered in locations:
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-{part}-lf-{zone.zone}",
            principal=role.arn,
            permissions=["DATA_LOCATION_ACCESS"],
            data_location=aws.lakeformation.PermissionsDataLocationArgs(arn=zone.bucket_arn),
            opts=scope.after(registered, *deps),
        ))
    return grants


def consumer_grants(scope: ProductScope, db: aws.glue.CatalogDatabase, registered: aws.lakeformation.Resource,
                    deps: Sequence[pulumi.Resource]) -> list[aws.lakeformation.Permissions]:
    """Per consumer account (named by account id, so reordering never replaces a grant): see the
    product database, read every table in it.

    Both grants carry the grant option for exactly what they grant: a cross-account grant is
    received by the consumer account's data lake admin, who must pass it on to the account's own
    principals (the analyst role), and Lake Formation refuses that second grant without the
    option. The option does not let a consumer share outside its own account: Lake Formation
    does not allow re-sharing a cross-account grant to a third account."""
    grants = []
    for account in scope.product.consumers:
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-consumer-{account}-db",
            principal=account,
            permissions=list(CONSUMER_DATABASE_PERMISSIONS),
            permissions_with_grant_options=list(CONSUMER_DATABASE_PERMISSIONS),
            database=aws.lakeformation.PermissionsDatabaseArgs(name=db.name),
            opts=scope.after(registered, *deps),
        ))
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-consumer-{account}-tables",
            principal=account,
            permissions=list(CONSUMER_TABLE_PERMISSIONS),
            permissions_with_grant_options=list(CONSUMER_TABLE_PERMISSIONS),
            table=aws.lakeformation.PermissionsTableArgs(database_name=db.name, wildcard=True),
            opts=scope.after(registered, *deps),
        ))
    return grants


