"""Every form of the same requirement (policy_forms.FORMS): violations caught in each form, no
false positive on the compliant twins, and unknown (first-preview) values never turning a
mandatory violation into the "can't run during preview" advisory."""
import pytest

from policies.pack import ALL_POLICIES
from policy_cases import BUCKET, BUCKET_GOOD, KEY_ARN, LOG_GOOD, LOG_GROUP, PAB, PAB_GOOD, ROLE, ROLE_GOOD, SCOPED
from policy_fixtures import changed, doc, res, run
from policy_forms import FORMS, UNKNOWN, UNKNOWN_BOOL

LEVELS = {p.name: p.enforcement_level.value for p in ALL_POLICIES}


def test_the_form_set_is_large_enough():
    violating = [f for f in FORMS if f.message]
    compliant = [f for f in FORMS if not f.message]
    assert len(violating) >= 60 and len(compliant) >= 40, (len(violating), len(compliant))
    assert len({f.id for f in FORMS}) == len(FORMS)
    assert {f.policy for f in FORMS} <= set(LEVELS)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.id)
def test_form(form):
    report = run(*form.resources, config=form.config)
    found = report.for_policy(form.policy)
    assert not [v for v in report.violations if "can't run policy" in v.message], report.format()
    if form.message is None:
        assert found == [], [v.message for v in found]
    else:
        assert any(form.message in v.message for v in found), [v.message for v in found]
        assert {v.level for v in found} == {LEVELS[form.policy]}


# --- unknown values -----------------------------------------------------------------------------

def _no_preview_advisory(report):
    return not [v for v in report.violations if "can't run policy" in v.message]


@pytest.mark.parametrize("policy,resources,message", [
    # the bucket name in the message is unknown: the companion still matches through its dependency
    ("s3-bucket-public-access-block-all-enabled",
     [res(BUCKET, "raw", {"tags": BUCKET_GOOD["tags"]}, outputs={"tags": BUCKET_GOOD["tags"]}),
      res(PAB, "raw-pab", changed(PAB_GOOD, bucket=UNKNOWN, blockPublicPolicy=False),
          property_dependencies={"bucket": ["urn:pulumi:dev::data-delivery-platform::aws:s3/bucket:Bucket::raw"]})],
     "must set blockPublicPolicy to true"),
    ("iam-policy-no-admin-wildcard",
     [res(ROLE, "r", changed(ROLE_GOOD, inlinePolicies=[{"name": UNKNOWN, "policy": doc(
         {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"})}]))], "allows Action '*'"),
    ("apigatewayv2-route-authorized",
     [res("aws:apigatewayv2/route:Route", "r", {"apiId": UNKNOWN, "routeKey": UNKNOWN})], "authorizationType NONE"),
    ("cloudwatch-log-group-encrypted-with-cmk",
     [res(LOG_GROUP, "lg", {"retentionInDays": 365, "name": UNKNOWN})], "kmsKeyId is not set"),
    ("dynamodb-table-pitr-enabled",
     [res("aws:dynamodb/tableReplica:TableReplica", "r", {"globalTableArn": UNKNOWN, "kmsKeyArn": UNKNOWN,
                                                           "deletionProtectionEnabled": True})],
     "must set pointInTimeRecovery"),
    ("ec2-no-public-ingress-except-https",
     [res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
         {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
         {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": [UNKNOWN]}]})], "ports 22-22"),
    ("sqs-queue-policy-not-public",
     [res("aws:sqs/queuePolicy:QueuePolicy", "qp", {"queueUrl": UNKNOWN, "policy": doc(
         {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"})})],
     "'Open' allows Principal '*'"),
])
def test_an_unrelated_unknown_keeps_the_violation_mandatory(policy, resources, message):
    report = run(*resources)
    found = report.for_policy(policy)
    assert any(message in v.message and v.level == "mandatory" for v in found), [v.message for v in found]
    assert _no_preview_advisory(report)


@pytest.mark.parametrize("policy,resource", [
    # a key wired from another resource's output is a key the program creates
    ("sqs-queue-encrypted-with-cmk", res("aws:sqs/queue:Queue", "q", {"kmsMasterKeyId": UNKNOWN})),
    ("sns-topic-encrypted-with-cmk", res("aws:sns/topic:Topic", "t", {"kmsMasterKeyId": UNKNOWN})),
    ("cloudwatch-log-group-encrypted-with-cmk", res(LOG_GROUP, "lg", changed(LOG_GOOD, kmsKeyId=UNKNOWN))),
    ("kinesis-stream-encrypted-with-kms",
     res("aws:kinesis/stream:Stream", "s", {"encryptionType": "KMS", "kmsKeyId": UNKNOWN, "retentionPeriod": 168})),
    ("dynamodb-table-encrypted-with-cmk",
     res("aws:dynamodb/table:Table", "t", {"serverSideEncryption": {"enabled": True, "kmsKeyArn": UNKNOWN}})),
    ("kms-key-rotation-enabled", res("aws:kms/key:Key", "k", {"enableKeyRotation": UNKNOWN_BOOL})),
    ("iam-policy-no-admin-wildcard", res("aws:iam/policy:Policy", "p", {"policy": UNKNOWN})),
    ("s3-bucket-policy-not-public", res("aws:s3/bucketPolicy:BucketPolicy", "p", {"bucket": "b", "policy": UNKNOWN})),
    ("elb-listener-tls-only", res("aws:lb/listener:Listener", "l", {"protocol": "HTTPS", "sslPolicy": UNKNOWN})),
])
def test_an_unknown_needed_value_is_not_a_violation(policy, resource):
    report = run(resource)
    assert report.for_policy(policy) == []
    assert _no_preview_advisory(report)


def test_a_literal_aws_managed_key_next_to_an_unknown_is_still_caught():
    report = run(res("aws:sqs/queue:Queue", "q", {"kmsMasterKeyId": "alias/aws/sqs", "name": UNKNOWN}))
    assert [v.level for v in report.for_policy("sqs-queue-encrypted-with-cmk")] == ["mandatory"]
    assert KEY_ARN and SCOPED  # fixtures shared with the compliant twins
