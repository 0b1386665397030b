"""Transfer Family (SFTP ingestion): SFTP only, inside the VPC, current crypto, logged."""
from __future__ import annotations

from ._base import HIGH, MANDATORY, ADVISORY, MEDIUM, as_list, get, resource_policy

SERVER = "aws:transfer/server:Server"
CURRENT_SECURITY_POLICIES = [
    "TransferSecurityPolicy-2024-01", "TransferSecurityPolicy-2025-03",
    "TransferSecurityPolicy-FIPS-2024-01", "TransferSecurityPolicy-FIPS-2024-05",
    "TransferSecurityPolicy-FIPS-2025-03", "TransferSecurityPolicy-Restricted-2024-06",
    "TransferSecurityPolicy-SshAuditCompliant-2025-02",
]
POLICY_CONFIG = {"allowedSecurityPolicies": {"type": "array", "items": {"type": "string"},
                                             "default": CURRENT_SECURITY_POLICIES,
                                             "description": "Transfer security policies considered current."}}


def _sftp_only(props, cfg, args):
    protocols = [str(p) for p in as_list(get(props, "protocols"))] or ["SFTP"]  # AWS default: SFTP
    if protocols != ["SFTP"]:
        yield f"Server protocols are {protocols}; allow only SFTP."


def _vpc(props, cfg, args):
    endpoint = get(props, "endpointType", default="PUBLIC")
    if endpoint != "VPC":
        yield f"Server endpointType is '{endpoint}'; use VPC."


def _security_policy(props, cfg, args):
    name = get(props, "securityPolicyName", default="TransferSecurityPolicy-2018-11")
    if name not in cfg["allowedSecurityPolicies"]:
        yield f"securityPolicyName '{name}' is not a current policy; use one of {', '.join(cfg['allowedSecurityPolicies'])}."


def _logging(props, cfg, args):
    if not get(props, "loggingRole") and not as_list(get(props, "structuredLogDestinations")):
        yield "Server should set loggingRole or structuredLogDestinations (CloudWatch log group)."


POLICIES = [
    resource_policy(
        name="transfer-server-sftp-only", service="transfer", securityhub="Transfer.2",
        description="Transfer Family servers accept SFTP only (no FTP/FTPS/AS2).",
        types=[SERVER], check=_sftp_only, level=MANDATORY, severity=HIGH,
        remediation="Set protocols=['SFTP']."),
    resource_policy(
        name="transfer-server-vpc-endpoint", service="transfer",
        description="Transfer Family servers use a VPC endpoint.",
        types=[SERVER], check=_vpc, level=MANDATORY, severity=HIGH,
        remediation="Set endpoint_type='VPC' with endpoint_details (vpc_id, subnet_ids, security_group_ids)."),
    resource_policy(
        name="transfer-server-current-security-policy", service="transfer",
        description="Transfer Family servers use a current security policy (2024-01 or newer).",
        types=[SERVER], check=_security_policy, level=MANDATORY, severity=HIGH, config=POLICY_CONFIG,
        remediation="Set security_policy_name='TransferSecurityPolicy-2024-01' or newer."),
    resource_policy(
        name="transfer-server-logging-enabled", service="transfer",
        description="Transfer Family servers log sessions to CloudWatch.",
        types=[SERVER], check=_logging, level=ADVISORY, severity=MEDIUM,
        remediation="Set structured_log_destinations=[<log group arn>:*] (or logging_role)."),
]
