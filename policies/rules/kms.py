"""KMS: customer managed keys rotate, keep a deletion window and are never open to everyone."""
from __future__ import annotations

from ._base import ADVISORY, CRITICAL, LOW, MANDATORY, MEDIUM, get, number, public_allow_statements, resource_policy

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
# AWS applies 30 days when deletionWindowInDays is omitted.
AWS_DEFAULT_WINDOW = 30

MIN_WINDOW_CONFIG = {"minimumDays": {"type": "integer", "minimum": 7, "maximum": 30, "default": 7,
                                     "description": "Smallest deletion window accepted."}}
RECOMMENDED_WINDOW_CONFIG = {"recommendedDays": {"type": "integer", "minimum": 7, "maximum": 30, "default": 30,
                                                 "description": "Deletion window the platform recommends."}}


def _symmetric(props) -> bool:
    spec = get(props, "customerMasterKeySpec") or get(props, "keySpec") or "SYMMETRIC_DEFAULT"
    return spec == "SYMMETRIC_DEFAULT" and get(props, "keyUsage", default="ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"


def _rotation(props, cfg, args):
    if _symmetric(props) and get(props, "enableKeyRotation") is not True:
        yield "Symmetric KMS key must set enableKeyRotation to true."


def _window(key):
    def check(props, cfg, args):
        window = number(get(props, "deletionWindowInDays"))
        window = AWS_DEFAULT_WINDOW if window is None else window
        if window < cfg[key]:
            yield f"deletionWindowInDays is {int(window)}; use at least {cfg[key]} days."
    return check


def _public(props, cfg, args):
    for s in public_allow_statements(get(props, "policy")):
        yield f"Key policy statement '{s.get('Sid', '')}' allows Principal '*' without a Condition."


POLICIES = [
    resource_policy(
        name="kms-key-rotation-enabled", service="kms", control="KMS.4",
        description="Symmetric customer managed KMS keys have automatic rotation enabled.",
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
        description="KMS key policies do not allow Principal '*' without a condition.",
        types=[KEY, KEY_POLICY], check=_public, level=MANDATORY, severity=CRITICAL,
        remediation="Grant to the account root or named roles; restrict any '*' principal with conditions "
                    "such as kms:CallerAccount or kms:ViaService."),
]
