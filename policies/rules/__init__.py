"""Rules by AWS service; ``ALL_POLICIES`` is every policy of the pack in a stable order.

Only relative imports here: the package is imported as ``rules`` by the CLI and as
``policies.rules`` by the project.
"""
from . import (apigateway, dax, deployability, dynamodb, ec2, ecr, ecs, elb, elb_edge, eventbridge, firehose, glue,
               iam, kinesis, kms, lakeformation, lambda_, logs, s3, sns, sqs, stack, transfer)

MODULES = (s3, kms, dynamodb, dax, kinesis, firehose, sqs, sns, eventbridge, transfer, glue, lakeformation,
           lambda_, ecs, elb, elb_edge, apigateway, ec2, logs, iam, ecr, stack, deployability)

ALL_POLICIES = [policy for module in MODULES for policy in module.POLICIES]

_names = [p.name for p in ALL_POLICIES]
assert len(_names) == len(set(_names)), "duplicate policy names"
