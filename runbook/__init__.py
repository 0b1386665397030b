"""Operational runbooks that run against AWS with boto3 (not part of the Pulumi program).

`runbook.failover`: turn the pilot light on in the DR region, or off again (docs/dr.md).
"""
