"""Where AWS itself forbids the blueprint's setting, the rule makes a narrow, tested exemption."""
import pytest

from policy_cases import BUCKET, INGRESS, HTTPS_IN, LOGGING, LOGGING_GOOD, SSE, SSE_GOOD, TASK, task
from policy_fixtures import changed, messages, res, run

AES256 = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
CMK_RULES = ("s3-bucket-encrypted-with-cmk",)


def _log_bucket(name="logs-bucket", **tags):
    return res(BUCKET, name, {"bucket": name, "tags": tags}, outputs={"bucket": name, "id": name, "tags": tags})


@pytest.mark.parametrize("policy", CMK_RULES)
def test_s3_access_log_target_may_use_sse_s3(policy):
    report = run(_log_bucket(), res(SSE, "logs-sse", {"bucket": "logs-bucket", "rules": AES256}),
                 res(LOGGING, "raw-logging", LOGGING_GOOD))
    assert messages(report, policy) == []


@pytest.mark.parametrize("policy", CMK_RULES)
def test_alb_log_bucket_tagged_as_log_target_may_use_sse_s3(policy):
    report = run(_log_bucket("alb-logs", **{"ddp:log-target": "alb-access-logs"}),
                 res(SSE, "alb-logs-sse", {"bucket": "alb-logs", "rules": AES256}))
    assert messages(report, policy) == []


@pytest.mark.parametrize("policy", CMK_RULES)
def test_a_data_bucket_with_sse_s3_still_violates(policy):
    report = run(_log_bucket("raw-bucket"), res(SSE, "raw-sse", changed(SSE_GOOD, rules=AES256)),
                 res(LOGGING, "raw-logging", LOGGING_GOOD))
    assert messages(report, policy), f"{policy} should flag AES256 on a data bucket"


def test_attribute_names_ending_in_key_are_not_secrets():
    env = [{"name": "PARTITION_KEY", "value": "orderId"}, {"name": "SORT_KEY", "value": "lineId"}]
    assert messages(run(res(TASK, "app", task(environment=env))), "ecs-task-no-plaintext-secrets") == []
    env.append({"name": "STRIPE_API_KEY", "value": "sk_live"})
    found = messages(run(res(TASK, "app", task(environment=env))), "ecs-task-no-plaintext-secrets")
    assert found == ["Container 'app' passes 'STRIPE_API_KEY' as a plaintext environment variable; "
                     "use secrets (Secrets Manager / SSM) instead."]


def test_http_redirect_port_may_be_open_but_not_a_range():
    ok = run(res(INGRESS, "http", changed(HTTPS_IN, fromPort=80, toPort=80)))
    assert messages(ok, "ec2-no-public-ingress-except-https") == []
    wide = run(res(INGRESS, "web", changed(HTTPS_IN, fromPort=80, toPort=443)))
    assert messages(wide, "ec2-no-public-ingress-except-https")
