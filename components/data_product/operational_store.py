"""Operational data store: the DynamoDB table and, unless switched off, a DAX cluster in front."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.foundation import iam, naming
from components.foundation.iam import ServiceRole
from components.data_product.scope import ProductScope

DAX_TLS_PORT = 9111
# DAX caches item and query results for five minutes: fresh enough for services, while
# writes through DAX update the item cache at once.
DAX_QUERY_TTL_MS = 300_000
DAX_RECORD_TTL_MS = 300_000
DAX_MAINTENANCE_WINDOW = "sun:05:00-sun:06:00"

# The items services and DAX may read and write; no table administration.
ITEM_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
)


@dataclass(frozen=True)
class Dax:
    cluster: aws.dax.Cluster
    security_group: aws.ec2.SecurityGroup
    client_security_group: aws.ec2.SecurityGroup

    @property
    def endpoint_url(self) -> pulumi.Output[str]:
        """The URL DAX clients take: `daxs://<cluster address>:<port>`.

        The provider's `configuration_endpoint` is `host:port` (terraform-provider-aws,
        internal/service/dax/cluster.go: fmt.Sprintf("%s:%d", address, port)); a client given a
        bare host:port speaks plaintext, which a TLS cluster never answers. The `daxs` scheme is what
        the DAX SDKs take for a cluster with endpoint encryption (DAX developer guide, "DAX
        encryption in transit")."""
        return pulumi.Output.concat("daxs://", self.cluster.cluster_address, ":",
                                    self.cluster.port.apply(lambda p: str(int(p))))


def table(scope: ProductScope) -> aws.dynamodb.Table:
    ods = scope.product.operational_store
    attributes = [aws.dynamodb.TableAttributeArgs(name=ods.partition_key, type=ods.partition_key_type)]
    if ods.sort_key is not None:
        attributes.append(aws.dynamodb.TableAttributeArgs(name=ods.sort_key, type=ods.sort_key_type))
    return aws.dynamodb.Table(
        f"{scope.name}-ods",
        name=naming.table_name(scope.stack.business_unit, scope.stack.environment, scope.product_name),
        billing_mode="PAY_PER_REQUEST",
        hash_key=ods.partition_key,
        range_key=ods.sort_key,
        attributes=attributes,
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=scope.key.arn),
        # The second of the two deliberate steps before data can be deleted (protect is the first).
        deletion_protection_enabled=not scope.stack.allow_data_destroy,
        # The stream feeds DR replication and downstream consumers with before/after images.
        stream_enabled=True,
        stream_view_type="NEW_AND_OLD_IMAGES",
        tags=scope.tags,
        # DR replicas are separate `aws.dynamodb.TableReplica` resources (owned by DrReplication);
        # without this, the next update of the table would compute `replicas: []` and remove them.
        # The provider documents the pairing (dynamodb_table_replica: "use ignore_changes on the
        # table's replica argument").
        opts=pulumi.ResourceOptions.merge(scope.stateful, pulumi.ResourceOptions(ignore_changes=["replicas"])),
    )


def dax(scope: ProductScope, ods_table: aws.dynamodb.Table) -> Optional[Dax]:
    """DAX over the private subnets of the three AZs, TLS-only, encrypted at rest.

    Returns None when `operationalStore.dax.enabled` is false (no DAX children at all)."""
    settings = scope.product.operational_store.dax
    if not settings.enabled:
        return None
    parameters = _dax_parameter_group(scope)
    subnets = _dax_subnet_group(scope)
    cluster_security_group, client_security_group = _dax_security_groups(scope)
    role = _dax_role(scope, ods_table)
    cluster = aws.dax.Cluster(
        f"{scope.name}-dax",
        cluster_name=naming.dax_cluster_name(scope.stack.business_unit, scope.stack.environment, scope.product_name),
        description=f"DAX for the {scope.product_name} operational data store",
        node_type=settings.node_type,
        replication_factor=settings.nodes,
        iam_role_arn=role.arn,
        parameter_group_name=parameters.name,
        subnet_group_name=subnets.name,
        security_group_ids=[cluster_security_group.id],
        server_side_encryption=aws.dax.ClusterServerSideEncryptionArgs(enabled=True),
        cluster_endpoint_encryption_type="TLS",
        maintenance_window=DAX_MAINTENANCE_WINDOW,
        opts=scope.after(role.policy),
    )
    return Dax(cluster, cluster_security_group, client_security_group)


def _dax_name(scope: ProductScope, part: str) -> str:
    return naming.physical_name("dax", scope.stack.business_unit, scope.stack.environment, scope.product_name, part)


def _dax_parameter_group(scope: ProductScope) -> aws.dax.ParameterGroup:
    return aws.dax.ParameterGroup(
        f"{scope.name}-dax-params",
        name=_dax_name(scope, "params"),
        parameters=[
            aws.dax.ParameterGroupParameterArgs(name="query-ttl-millis", value=str(DAX_QUERY_TTL_MS)),
            aws.dax.ParameterGroupParameterArgs(name="record-ttl-millis", value=str(DAX_RECORD_TTL_MS)),
        ],
        opts=scope.child,
    )


def _dax_subnet_group(scope: ProductScope) -> aws.dax.SubnetGroup:
    # One private subnet per AZ: DAX spreads the nodes over the subnet group's AZs.
    return aws.dax.SubnetGroup(
        f"{scope.name}-dax-subnets",
        name=_dax_name(scope, "subnets"),
        subnet_ids=scope.network.private_subnet_ids,
        opts=scope.child,
    )


def _dax_security_groups(scope: ProductScope) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
    """The cluster's security group and its clients' one, joined by TLS-port rules both ways."""
    cluster_security_group = aws.ec2.SecurityGroup(
        f"{scope.name}-dax-sg",
        description=f"DAX cluster of {scope.product_name}: TLS from its clients only",
        vpc_id=scope.network.vpc_id,
        tags={"Name": f"{scope.stack.prefix}-{scope.product_name}-dax"},
        opts=scope.child,
    )
    client_security_group = aws.ec2.SecurityGroup(
        f"{scope.name}-dax-clients-sg",
        description=f"Clients of the {scope.product_name} DAX cluster",
        vpc_id=scope.network.vpc_id,
        tags={"Name": f"{scope.stack.prefix}-{scope.product_name}-dax-clients"},
        opts=scope.child,
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{scope.name}-dax-from-clients",
        security_group_id=cluster_security_group.id,
        referenced_security_group_id=client_security_group.id,
        ip_protocol="tcp",
        from_port=DAX_TLS_PORT,
        to_port=DAX_TLS_PORT,
        description="DAX over TLS from the clients security group",
        opts=scope.child,
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{scope.name}-dax-clients-to-dax",
        security_group_id=client_security_group.id,
        referenced_security_group_id=cluster_security_group.id,
        ip_protocol="tcp",
        from_port=DAX_TLS_PORT,
        to_port=DAX_TLS_PORT,
        description="Clients reach DAX over TLS",
        opts=scope.child,
    )
    return cluster_security_group, client_security_group


def _dax_role(scope: ProductScope, ods_table: aws.dynamodb.Table) -> ServiceRole:
    """What DAX itself may do: item reads and writes on the table and its indexes, with the product key."""
    table_resources = [ods_table.arn, pulumi.Output.concat(ods_table.arn, "/index/*")]
    return scope.role(
        "dax", "dax.amazonaws.com",
        [iam.statement(ITEM_ACTIONS, table_resources, sid="OdsTable"),
         scope.key_use("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey")],
    )
