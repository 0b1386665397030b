"""Lake Formation for a data product: the account's settings and LF-tags, the registered zones, the
tags on the catalog, and the grants to crawlers, the reportable job and consumer accounts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.data_product.scope import ProductScope, ServiceRole
from components.data_product.zones import ZoneRef
from components.foundation import iam
from components.data_product.spec import CLASSIFICATION_ORDER, DataProductSpec, levels_up_to
from components.foundation.context import StackContext

# Lake Formation cross-account grants need catalog settings version 3 or later.
LF_CROSS_ACCOUNT_VERSION = "4"
# What a consumer account receives, each with the grant option (see `consumer_grants`).
CONSUMER_DATABASE_PERMISSIONS = ("DESCRIBE",)
CONSUMER_TABLE_PERMISSIONS = ("SELECT", "DESCRIBE")
# LF-tag keys (Lake Formation lower-cases keys; these are already lower case).
TAG_DOMAIN, TAG_PRODUCT, TAG_DATASET, TAG_CLASSIFICATION = "ddp:domain", "ddp:product", "ddp:dataset", "ddp:classification"
GRANT_ACCOUNT_TAG, GRANT_EXPIRES_TAG = "ddp:grant-account", "ddp:grant-expires"


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


# --- LF-tags: who may read which datasets and columns ---------------------------------------------

@dataclass(frozen=True)
class LfTags:
    """The stack's LF-tag keys (account-wide, per region), by key."""

    tags: Mapping[str, aws.lakeformation.LfTag]

    def after(self) -> list[pulumi.Resource]:
        return list(self.tags.values())


def lake_formation_tags(name: str, stack: StackContext, products: Sequence[DataProductSpec],
                        settings: pulumi.Resource, opts: pulumi.ResourceOptions) -> LfTags:
    """Create ONCE per stack, after the settings (only a data lake admin creates tags): the business
    domain, the products, their datasets and the four classifications."""
    values = {
        TAG_DOMAIN: [stack.business_unit],
        TAG_PRODUCT: sorted(p.name for p in products),
        TAG_DATASET: sorted({d.name for p in products for d in p.datasets}),
        TAG_CLASSIFICATION: list(CLASSIFICATION_ORDER),
    }
    return LfTags({key: aws.lakeformation.LfTag(
        f"{name}-{key.split(':')[1]}", key=key, values=vals,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[settings])))
        for key, vals in values.items() if vals})


def _tags(pairs: Sequence[tuple[str, str]]) -> list[aws.lakeformation.ResourceLfTagsLfTagArgs]:
    return [aws.lakeformation.ResourceLfTagsLfTagArgs(key=k, value=v) for k, v in pairs]


def tag_catalog(scope: ProductScope, db: aws.glue.CatalogDatabase, tables: Mapping[str, aws.glue.CatalogTable],
                lf_tags: LfTags) -> list[aws.lakeformation.ResourceLfTags]:
    """The product database carries its domain and product; each table its dataset and
    classification; a column classified differently from its table carries its own (LF-tags
    inherit database -> table -> column, and the nearest assignment wins)."""
    product = scope.product
    after = pulumi.ResourceOptions(parent=scope.parent, depends_on=lf_tags.after())
    assigned = [aws.lakeformation.ResourceLfTags(
        f"{scope.name}-catalog-tags",
        database=aws.lakeformation.ResourceLfTagsDatabaseArgs(name=db.name),
        lf_tags=_tags([(TAG_DOMAIN, scope.stack.business_unit), (TAG_PRODUCT, product.name)]), opts=after)]
    for dataset in product.datasets:
        table, part = tables[dataset.name], f"{scope.name}-{dataset.name.replace('_', '-')}"
        table_level = dataset.classification or product.classification
        assigned.append(aws.lakeformation.ResourceLfTags(
            f"{part}-tags",
            table=aws.lakeformation.ResourceLfTagsTableArgs(database_name=db.name, name=table.name),
            lf_tags=_tags([(TAG_DATASET, dataset.name), (TAG_CLASSIFICATION, table_level)]),
            opts=pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(depends_on=[table]))))
        by_level: dict[str, list[str]] = {}
        for column in dataset.columns:
            level = dataset.column_classification(column, product.classification)
            if level != table_level:
                by_level.setdefault(level, []).append(column.name)
        for level, columns in sorted(by_level.items()):
            assigned.append(aws.lakeformation.ResourceLfTags(
                f"{part}-{level}-columns-tags",
                table_with_columns=aws.lakeformation.ResourceLfTagsTableWithColumnsArgs(
                    database_name=db.name, name=table.name, column_names=columns),
                lf_tags=_tags([(TAG_CLASSIFICATION, level)]),
                opts=pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(depends_on=[table]))))
    return assigned


def consumer_grants(scope: ProductScope, assigned: Sequence[pulumi.Resource], registered: aws.lakeformation.Resource,
                    deps: Sequence[pulumi.Resource]) -> list[aws.lakeformation.Permissions]:
    """Per consumer account (named by account id, so reordering never replaces a grant), by LF-tag
    expression: DESCRIBE on the product database; SELECT and DESCRIBE on the granted datasets'
    tables, for the columns classified up to the consumer's clearance (a column tagged more
    sensitively does not match, so the consumer never sees it).

    Both grants carry the grant option for exactly what they grant: a cross-account grant is
    received by the consumer account's data lake admin, who must pass it on to the account's own
    principals (the analyst role), and Lake Formation refuses that second grant without the
    option. The option does not let a consumer share outside its own account: Lake Formation
    does not allow re-sharing a cross-account grant to a third account."""
    product = scope.product
    after = scope.after(registered, *assigned, *deps)
    grants = []
    for grant in product.grants:
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-consumer-{grant.account}-db",
            principal=grant.account,
            permissions=list(CONSUMER_DATABASE_PERMISSIONS),
            permissions_with_grant_options=list(CONSUMER_DATABASE_PERMISSIONS),
            lf_tag_policy=_tag_policy("DATABASE", (TAG_PRODUCT, [product.name])),
            opts=after,
        ))
        grants.append(aws.lakeformation.Permissions(
            f"{scope.name}-consumer-{grant.account}-datasets",
            principal=grant.account,
            permissions=list(CONSUMER_TABLE_PERMISSIONS),
            permissions_with_grant_options=list(CONSUMER_TABLE_PERMISSIONS),
            lf_tag_policy=_tag_policy("TABLE", (TAG_PRODUCT, [product.name]), (TAG_DATASET, grant.datasets),
                                 (TAG_CLASSIFICATION, levels_up_to(grant.clearance))),
            opts=after,
        ))
        if grant.expires:
            grant_register(scope, grant.account, grant.expires, grant.datasets, grant.clearance)
    return grants


def _tag_policy(resource_type: str, *expressions: tuple[str, Sequence[str]]) -> aws.lakeformation.PermissionsLfTagPolicyArgs:
    return aws.lakeformation.PermissionsLfTagPolicyArgs(resource_type=resource_type, expressions=[
        aws.lakeformation.PermissionsLfTagPolicyExpressionArgs(key=k, values=list(v)) for k, v in expressions])


def grant_register(scope: ProductScope, account: str, expires: str, datasets: Sequence[str],
                   clearance: str) -> aws.ssm.Parameter:
    """A grant with an expiry is recorded where people and the policy pack can see it (Lake
    Formation grants carry no tags): `/ddp/<bu>/<env>/<product>/grants/<account>`, tagged with
    its last valid day. The loader stops declaring the grant after that day, which revokes it on
    the next `pulumi up`; the policy rule `lakeformation-grant-not-expired` flags one still declared."""
    return aws.ssm.Parameter(
        f"{scope.name}-consumer-{account}-register",
        name=f"/ddp/{scope.stack.business_unit}/{scope.stack.environment}/{scope.product_name}/grants/{account}",
        description=f"Lake Formation grant of {scope.product_name} to {account}, valid through {expires}",
        type="String",
        value=json.dumps({"account": account, "dataProduct": scope.product_name, "datasets": list(datasets),
                          "clearance": clearance, "expires": expires}, sort_keys=True),
        tags={**scope.tags, GRANT_ACCOUNT_TAG: account, GRANT_EXPIRES_TAG: expires, "ddp:data-product": scope.product_name},
        opts=scope.child,
    )


# The reportable job's rights on the tables it builds: read for the schema check, write snapshots,
# evolve the schema.
TABLE_WRITER_PERMISSIONS = ("SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE")


def table_writer_grants(scope: ProductScope, part: str, role: ServiceRole, db: aws.glue.CatalogDatabase,
                        tables: Mapping[str, aws.glue.CatalogTable], location: tuple[ZoneRef, aws.lakeformation.Resource],
                        deps: Sequence[pulumi.Resource]) -> list[aws.lakeformation.Permissions]:
    """Named tables only (never a wildcard): DESCRIBE on the database, the writer's permissions on
    each dataset table, and data location access to the zone the tables live in."""
    zone, registered = location
    grants = [aws.lakeformation.Permissions(
        f"{scope.name}-{part}-lf-db", principal=role.arn, permissions=["DESCRIBE"],
        database=aws.lakeformation.PermissionsDatabaseArgs(name=db.name), opts=scope.after(*deps))]
    grants += [aws.lakeformation.Permissions(
        f"{scope.name}-{part}-lf-{name.replace('_', '-')}", principal=role.arn, permissions=list(TABLE_WRITER_PERMISSIONS),
        table=aws.lakeformation.PermissionsTableArgs(database_name=db.name, name=table.name),
        opts=scope.after(table, *deps)) for name, table in tables.items()]
    grants.append(aws.lakeformation.Permissions(
        f"{scope.name}-{part}-lf-{zone.zone}", principal=role.arn, permissions=["DATA_LOCATION_ACCESS"],
        data_location=aws.lakeformation.PermissionsDataLocationArgs(arn=zone.bucket_arn),
        opts=scope.after(registered, *deps)))
    return grants
