"""KMS: customer managed keys rotate, keep a deletion window and are never open to everyone."""
from __future__ import annotations

from ._base import ADVISORY, CRITICAL, LOW, MANDATORY, MEDIUM, UNKNOWN, as_json, known_copy, number, peek, resource_policy
from ._documents import public_allow_statements, public_reason

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
# AWS applies 30 days when deletionWindowInDays is omitted.
AWS_DEFAULT_WINDOW = 30

MIN_WINDOW_CONFIG = {"minimumDays": {"type": "integer", "minimum": 7, "maximum": 30, "default": 7,
                                     "description": "Smallest deletion window accepted."}}
RECOMMENDED_WINDOW_CONFIG = {"recommendedDays": {"type": "integer", "minimum": 7, "maximum": 30, "default": 30,
                                                 "description": "Deletion window the platform recommends."}}


def _symmetric(props) -> bool:
    spec = peek(props, "customerMasterKeySpec") or peek(props, "keySpec") or "SYMMETRIC_DEFAULT"
    usage = peek(props, "keyUsage", default="ENCRYPT_DECRYPT")
    return spec in ("SYMMETRIC_DEFAULT", UNKNOWN) and usage in ("ENCRYPT_DECRYPT", UNKNOWN)


def _rotation(props, cfg, args):
    if _symmetric(props) and peek(props, "enableKeyRotation") not in (True, UNKNOWN):
        yield "Symmetric KMS key must set enableKeyRotation to true."


def _window(key):
    def check(props, cfg, args):
        window = peek(props, "deletionWindowInDays")
        if window is UNKNOWN:
            return
        window = number(window)
        window = AWS_DEFAULT_WINDOW if window is None else window
        if window < cfg[key]:
            yield f"deletionWindowInDays is {int(window)}; use at least {cfg[key]} days."
    return check


def _public(props, cfg, args):
    document = peek(props, "policy")
    for s in public_allow_statements(None if document is UNKNOWN else as_json(known_copy(document))):
        yield f"Key policy statement '{s.get('Sid', '')}' {public_reason(s)}."


POLICIES = [
    resource_policy(
        name="kms-key-rotation-enabled", service="kms", securityhub="KMS.4",
        description="Symmetric customer managed KMS keys have automatic rotation enabled (omitted = off).",
        types=[KEY], check=_rotation, level=MANDATORY, severity=MEDIUM,
        remediation="Set enable_key_rotation=True on the aws.kms.Key."),
    resource_policy(
        name="kms-key-deletion-window-minimum", service="kms",
        description="KMS keys keep at least the minimum deletion window (default 7 days).",
        types=[KEY], check=_window("minimumDays"), level=MANDATORY, severity=MEDIUM, config=MIN_WINDOW_CONFIG,
        remediation="Set deletion_window_in_days to at least the configured minimum."),
    resource_policy(
        name="kms-key-deletion-window-recommended", service="kms",
        description="KMS keys keep the recommended 30-day deletion window, time to notice a mistaken deletion.",
        types=[KEY], check=_window("recommendedDays"), level=ADVISORY, severity=LOW,
        config=RECOMMENDED_WINDOW_CONFIG,
        remediation="Set deletion_window_in_days=30 (or omit it: AWS defaults to 30)."),
    resource_policy(
        name="kms-key-policy-not-public", service="kms",
        description="KMS key policies (on the key or a KeyPolicy resource) never allow Principal '*' or "
                    "NotPrincipal unless a condition narrows it (kms:CallerAccount, aws:PrincipalOrgID, ...).",
        types=[KEY, KEY_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to the account root or named roles; restrict any '*' principal with conditions "
                    "such as kms:CallerAccount or kms:ViaService."),
]
