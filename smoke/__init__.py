"""Smoke tests of the platform's flows: the same flow code against a deployed stack and, in CI,
against the offline graph materialised in moto.

- `flows`: the flows and what each checks (`plan`, `run`);
- `platform`: what a flow may do and see (`Platform`), shared capture rules;
- `aws_platform`: a deployed stack through boto3, polling; `moto_platform`, `moto_world`,
  `moto_glue`: the offline graph in moto, routed synchronously;
- `contract`: the stack outputs as typed views; `samples`: the records sent; `aws_shapes`,
  `firehose_prefix`, `bus_policy`: what AWS does that moto does not;
- `__main__`: `python -m smoke <stack>`.
"""
