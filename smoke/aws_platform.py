"""The flows' platform after `pulumi up`: the deployed stack, the caller's boto3 credentials.

AWS routes everything itself, so every look is a poll (`--timeout-scale` stretches the flows'
timeouts) and every "must not happen" check waits a quiet period first. The flows can only see
what these credentials may read; `python -m smoke --help` lists what they need.

Services are called over HTTPS through their front door:

- a Lambda service behind an HTTP API with IAM authorisation: the request is signed (SigV4,
  service `execute-api`) with the caller's credentials, which need `execute-api:Invoke`;
- a Lambda service with a JWT authorizer: `--bearer TOKEN` is sent as `Authorization: Bearer`;
- a Fargate service whose load balancer logs callers in (OIDC or Cognito): the ALB accepts only
  its own session cookie, issued after an interactive login, so the flow needs `--alb-cookie`
  (the `AWSELBAuthSessionCookie-0=...` value from a browser session); `--bearer` is sent too when
  given, for a load balancer in front of something that takes tokens. Without either the flow is
  skipped with that reason.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, TypeVar

import boto3
from botocore.config import Config

from smoke.contract import Service, StackContract
from smoke.platform import Clients, FlowFailed, FlowSkipped, Platform, RuleTarget, poll

T = TypeVar("T")
_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60)


class AwsPlatform(Platform):
    kind = "aws"

    def __init__(self, contract: StackContract, sessions: dict[str, boto3.Session], *, run_id: str,
                 others: Optional[dict[str, StackContract]] = None,
                 other_outputs: Optional[Callable[[str], StackContract]] = None,
                 endpoints: Optional[dict[str, str]] = None, bearer: Optional[str] = None,
                 alb_cookie: Optional[str] = None, poll_interval: float = 10.0, timeout_scale: float = 1.0,
                 rule_delay: float = 15.0, sleep: Callable[[float], None] = time.sleep):
        super().__init__(contract, run_id)
        self.sessions = sessions
        self.others = dict(others or {})
        self.other_outputs = other_outputs
        self.endpoints = dict(endpoints or {})
        self.bearer = bearer
        self.alb_cookie = alb_cookie
        self.poll_interval = poll_interval
        self.timeout_scale = timeout_scale
        self.rule_delay = rule_delay
        self.sleep = sleep  # what waiting does: time passes (tests let a moto world route instead)
        self._clients: dict[str, Clients] = {}

    def has_account(self, account: str) -> bool:
        return account in self.sessions

    @contextmanager
    def clients(self, account: Optional[str] = None) -> Iterator[Clients]:
        account = account or self.contract.account
        if account not in self.sessions:
            raise FlowSkipped(f"needs credentials for account {account} (--account-profile {account}=PROFILE)")
        if account not in self._clients:
            session = self.sessions[account]
            self._clients[account] = Clients(
                lambda service: session.client(service, region_name=self.contract.region, config=_CONFIG))
        yield self._clients[account]

    def settle(self) -> None:
        return None

    def wait(self, what: str, probe: Callable[[], Optional[T]], timeout: float) -> T:
        return poll(what, probe, timeout, self.poll_interval, sleep=self.sleep)

    def quiet(self, seconds: float) -> None:
        self.sleep(seconds)

    def capture_ready(self) -> None:
        self.sleep(self.rule_delay)

    def contract_of(self, stack: str) -> StackContract:
        short = stack.rsplit("/", 1)[-1]
        for key in (stack, short):
            if key in self.others:
                return self.others[key]
        if self.other_outputs is None:
            raise FlowSkipped(f"needs the outputs of stack {stack} (--other-outputs FILE)")
        self.others[stack] = self.other_outputs(stack)
        return self.others[stack]

    def rule_targets(self, bus_name: str) -> list[RuleTarget]:
        out = []
        with self.clients() as aws:
            for page in aws.events.get_paginator("list_rules").paginate(EventBusName=bus_name):
                for rule in page["Rules"]:
                    pattern = json.loads(rule.get("EventPattern") or "{}")
                    for target in aws.events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus_name)["Targets"]:
                        out.append(RuleTarget(rule["Arn"], pattern, target["Arn"],
                                              (target.get("DeadLetterConfig") or {}).get("Arn")))
        return out

    def function_environment(self, function_arn: str) -> dict[str, str]:
        with self.clients(function_arn.split(":")[4]) as aws:
            found = getattr(aws, "lambda").get_function_configuration(FunctionName=function_arn)
        return dict((found.get("Environment") or {}).get("Variables") or {})

    def queue_consumers(self, queue_arn: str) -> list[str]:
        with self.clients(queue_arn.split(":")[4]) as aws:
            pages = getattr(aws, "lambda").get_paginator("list_event_source_mappings").paginate(EventSourceArn=queue_arn)
            return sorted({m["FunctionArn"] for page in pages for m in page["EventSourceMappings"]})

    # --- services --------------------------------------------------------------------------------

    def call_service(self, service: Service, method: str, path: str, body: Optional[str] = None) -> tuple[int, dict]:
        base = self.endpoints.get(service.name) or service.endpoint
        if not base:
            raise FlowSkipped(f"{service.name} has no endpoint in the outputs (--endpoint {service.name}=URL)")
        url = base.rstrip("/") + path
        headers = {"content-type": "application/json", "accept": "application/json"}
        data = body.encode("utf-8") if body is not None else None
        if service.runtime == "lambda" and service.authorizer == "iam":
            headers = self._signed(method, url, data, headers)
        elif service.runtime == "lambda" and service.authorizer == "jwt":
            if not self.bearer:
                raise FlowSkipped(f"{service.name}: its API takes a JWT: pass --bearer TOKEN")
            headers["authorization"] = f"Bearer {self.bearer}"
        elif service.public_login:
            if not (self.alb_cookie or self.bearer):
                raise FlowSkipped(f"{service.name}: its load balancer logs callers in ({service.public_login}); "
                                  "pass --alb-cookie 'AWSELBAuthSessionCookie-0=...' from a browser login")
            if self.alb_cookie:
                headers["cookie"] = self.alb_cookie
            if self.bearer:
                headers["authorization"] = f"Bearer {self.bearer}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _NO_REDIRECTS.open(request, timeout=30) as response:
                return response.status, _json_body(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303, 307) and service.public_login:
                raise FlowFailed(f"{service.name}: the load balancer sent the request to its login page "
                                 f"({exc.headers.get('location', '?')[:80]}...): the session cookie was not accepted")
            return exc.code, _json_body(exc.read())
        except urllib.error.URLError as exc:
            raise FlowFailed(f"{service.name}: {url} is not reachable from here ({exc.reason})") from None

    def _signed(self, method: str, url: str, data: Optional[bytes], headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth  # noqa: PLC0415
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415

        credentials = self.sessions[self.contract.account].get_credentials()
        if credentials is None:
            raise FlowSkipped("no AWS credentials to sign the request with")
        request = AWSRequest(method=method, url=url, data=data or b"", headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", self.contract.region).add_auth(request)
        return dict(request.headers.items())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # surfaces 3xx as HTTPError: a redirect to a login page is not an answer


_NO_REDIRECTS = urllib.request.build_opener(_NoRedirect)


def _json_body(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"message": raw[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}


def session_account(session: boto3.Session) -> str:
    return session.client("sts").get_caller_identity()["Account"]
