"""Lambda event source mappings on SQS queues that AWS accepts: CreateEventSourceMapping refuses
a queue whose visibility timeout is shorter than the function's timeout, and a function whose
execution role may not receive, delete and read the attributes of the queue's messages.

Both are checked by Lambda when the mapping is created (Lambda Developer Guide, "Using Lambda with
Amazon SQS": "Configuring a queue to use with Lambda" and "Execution role permissions";
InvalidParameterValueException "Queue visibility timeout: ... is less than Function timeout" and
"The provided execution role does not have permissions to call ReceiveMessage on SQS").
"""
from __future__ import annotations

import fnmatch
from typing import Any, Optional

from .._base import HIGH, MANDATORY, as_list, is_map, number, of_type, resource_keys, safe_get, stack_policy
from ._graph import FUNCTION, QUEUE, SERVICE, _by_keys, _refs, _statements

EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MANAGED_POLICY = "aws:iam/policy:Policy"
# CreateQueue's VisibilityTimeout default; CreateFunction's Timeout default.
DEFAULT_VISIBILITY_SECONDS = 30
DEFAULT_FUNCTION_TIMEOUT_SECONDS = 3
POLLER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# The AWS managed policy Lambda's SQS guide names for these permissions (Resource "*").
AWS_SQS_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"


def _first(index: dict[str, Any], refs: set[str]) -> Optional[Any]:
    return next((index[r] for r in sorted(refs) if r in index), None)


def _allows(statement: Any, action: str, resource_arn: str) -> bool:
    if not is_map(statement) or statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    if "NotAction" in statement:
        actions_ok = not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement["NotAction"]))
    else:
        actions_ok = any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement.get("Action")))
    return actions_ok and any(fnmatch.fnmatchcase(resource_arn, str(r)) for r in as_list(statement.get("Resource")))


def _role_documents(role: Any, resources: list, policies: dict[str, Any]) -> Optional[list]:
    """Every identity policy document of `role` in the stack; None when one cannot be read yet."""
    keys = resource_keys(role, "name", "id", "arn")
    documents = [safe_get(p, "policy") for p in as_list(safe_get(role.props, "inlinePolicies"))]
    documents += [safe_get(p.props, "policy") for p in of_type(resources, ROLE_POLICY) if _refs(p, "role") & keys]
    for attachment in of_type(resources, ROLE_POLICY_ATTACHMENT):
        if not _refs(attachment, "role") & keys:
            continue
        arns = _refs(attachment, "policyArn")
        if AWS_SQS_EXECUTION_POLICY in arns:
            documents.append({"Statement": [{"Effect": "Allow", "Action": list(POLLER_ACTIONS), "Resource": "*"}]})
        elif _first(policies, arns) is not None:
            documents.append(safe_get(_first(policies, arns).props, "policy"))
        else:
            return None  # a managed policy from outside the stack: not decidable here
    if AWS_SQS_EXECUTION_POLICY in as_list(safe_get(role.props, "managedPolicyArns")):
        documents.append({"Statement": [{"Effect": "Allow", "Action": list(POLLER_ACTIONS), "Resource": "*"}]})
    if any(d is None or not isinstance(d, (str, dict)) for d in documents):
        return None
    return documents


def _sqs_event_sources(resources, cfg):
    queues = _by_keys(of_type(resources, QUEUE), "arn", "url", "name")
    functions = _by_keys(of_type(resources, FUNCTION), "arn", "name")
    roles = _by_keys(of_type(resources, ROLE), "arn", "name", "id")
    policies = _by_keys(of_type(resources, MANAGED_POLICY), "arn")
    for mapping in of_type(resources, EVENT_SOURCE_MAPPING):
        queue = _first(queues, _refs(mapping, "eventSourceArn"))
        function = _first(functions, _refs(mapping, "functionName"))
        if queue is None or function is None:
            continue
        visibility = number(safe_get(queue.props, "visibilityTimeoutSeconds", default=DEFAULT_VISIBILITY_SECONDS))
        timeout = number(safe_get(function.props, "timeout", default=DEFAULT_FUNCTION_TIMEOUT_SECONDS))
        if visibility is not None and timeout is not None and visibility < timeout:
            yield (f"Event source mapping '{mapping.name}': queue '{queue.name}' has a visibility timeout of "
                   f"{visibility:g} s, below function '{function.name}''s timeout of {timeout:g} s; Lambda refuses "
                   f"the mapping."), mapping.urn
        role = _first(roles, _refs(function, "role"))
        queue_arn = safe_get(queue.props, "arn")
        documents = _role_documents(role, resources, policies) if role is not None else None
        if documents is None or not isinstance(queue_arn, str):
            continue
        statements = [s for d in documents for s in _statements(d)]
        missing = [a for a in POLLER_ACTIONS if not any(_allows(s, a, queue_arn) for s in statements)]
        if missing:
            yield (f"Event source mapping '{mapping.name}': the role '{role.name}' of function '{function.name}' "
                   f"may not call {', '.join(missing)} on queue '{queue.name}'; Lambda refuses the mapping."), mapping.urn


POLICIES = [
    stack_policy(
        name="lambda-sqs-event-source-accepted", service=SERVICE,
        description="A Lambda event source mapping on an SQS queue of the stack: the queue's visibility timeout is "
                    "at least the function's timeout, and the function's role (inline policies, role policies, "
                    "attached policies of the stack or AWSLambdaSQSQueueExecutionRole) allows sqs:ReceiveMessage, "
                    "sqs:DeleteMessage and sqs:GetQueueAttributes on the queue without conditions. Roles with a "
                    "managed policy from outside the stack, or policies still unknown, are not judged.",
        applies_to=[EVENT_SOURCE_MAPPING], check=_sqs_event_sources, level=MANDATORY, severity=HIGH,
        reads=(QUEUE, FUNCTION, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, MANAGED_POLICY),
        remediation="Raise the queue's visibility_timeout_seconds (Lambda recommends six times the function's "
                    "timeout) and grant the function's role the three SQS actions on the queue's ARN."),
]
