"""AWS Transfer Family: SFTP servers, users and their SSH keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

import base64
import hashlib

from offline.mocks.identifiers import hex_id
from offline.mocks.builders.base import Builder, Built, Inputs

if TYPE_CHECKING:
    from offline.mocks.platform import PlatformMocks


# terraform-provider-aws internal/service/transfer/server.go: id = ServerId ("s-" + 17 hex); endpoint =
# RegionalHostname("<id>.server.transfer") = <id>.server.transfer.<region>.amazonaws.com;
# host_key_fingerprint = "SHA256:" + unpadded base64 of the host key's SHA-256
def transfer_server(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    server_id = f"s-{hex_id(seed, 17)}"
    fingerprint = base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode().rstrip("=")
    return server_id, {"arn": mocks.arn("transfer", f"server/{server_id}", region=region),
                 "endpoint": f"{server_id}.server.transfer.{region}.{mocks.dns_suffix}",
                 "hostKeyFingerprint": f"SHA256:{fingerprint}"}


# terraform-provider-aws internal/service/transfer/user.go: id = "<server id>/<user name>"
# (userCreateResourceID); arn = arn:<p>:transfer:<region>:<acct>:user/<server id>/<user name>
def transfer_user(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    server_id, user = inputs.get("serverId"), inputs.get("userName")
    return f"{server_id}/{user}", {"arn": mocks.arn("transfer", f"user/{server_id}/{user}", region=region)}


# terraform-provider-aws internal/service/transfer/ssh_key.go: id = "<server id>/<user name>/<key id>"
def transfer_ssh_key(mocks: PlatformMocks, name: str, inputs: Inputs, region: str, seed: str) -> Built:
    key_id = f"key-{hex_id(seed, 17)}"
    return f"{inputs.get('serverId')}/{inputs.get('userName')}/{key_id}", {"sshKeyId": key_id}


BUILDERS: dict[str, Builder] = {
    "aws:transfer/server:Server": transfer_server,
    "aws:transfer/user:User": transfer_user,
    "aws:transfer/sshKey:SshKey": transfer_ssh_key,
}
