"""A local S3-compatible server for the blob store tests.

moto (`moto_server`, from the `moto[server]` dev dependency) is an emulator of AWS APIs.
It is used because no S3-compatible server installs from PyPI or Debian's packages here.
Started with `INITIAL_NO_AUTH_ACTION_COUNT=3`, moto accepts the first three requests
unchecked (they create an IAM user, its access key and an S3 policy) and from then on
verifies the SigV4 signature of every request against that key, returning 403 otherwise.
"""

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx

from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.sigv4 import Credentials, sign_request

REGION = "us-east-1"
_UNCHECKED_REQUESTS = 3


@dataclass(frozen=True)
class S3Server:
    """A running emulator and the access key it verifies signatures against."""

    endpoint: str
    credentials: Credentials


def signed_s3_request(
    server: S3Server, method: str, path: str, content: bytes = b"", *, secret: str | None = None
) -> httpx.Response:
    """Send one SigV4-signed S3 request; `secret` replaces the real secret to test rejection."""
    credentials = server.credentials
    if secret is not None:
        credentials = Credentials(credentials.access_key_id, secret)
    url = f"{server.endpoint}{path}"
    payload_sha256 = hashlib.sha256(content).hexdigest()
    headers = sign_request(
        method,
        url,
        {"x-amz-content-sha256": payload_sha256},
        payload_sha256,
        credentials=credentials,
        region=REGION,
        service="s3",
        now=datetime.now(UTC),
    )
    return httpx.request(method, url, headers=headers, content=content, timeout=10)


@contextlib.contextmanager
def s3_server(log_dir: Path) -> Iterator[S3Server]:
    """Start moto_server on a free loopback port with signature checks on, and stop it after."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto_server = Path(sys.executable).parent / "moto_server"
    environment = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(_UNCHECKED_REQUESTS)}
    with (log_dir / "moto.log").open("wb") as log_file:
        process = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        try:
            _wait_for_port(endpoint, process)
            yield S3Server(endpoint=endpoint, credentials=_create_access_key(endpoint))
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for_port(endpoint: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {process.returncode}")
        try:
            # The dashboard path is not an authenticated action, so it spends none of
            # the unchecked requests.
            httpx.get(f"{endpoint}/moto-api/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not respond on {endpoint} within 30 s")


def _create_access_key(endpoint: str) -> Credentials:
    # Signed with a made-up key: moto does not check these first requests.
    bootstrap = Credentials("AKIDBOOTSTRAP", "bootstrap-secret")
    user = "helpdesk-tests"
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    _iam(endpoint, bootstrap, {"Action": "CreateUser", "UserName": user})
    created = _iam(endpoint, bootstrap, {"Action": "CreateAccessKey", "UserName": user})
    _iam(
        endpoint,
        bootstrap,
        {
            "Action": "PutUserPolicy",
            "UserName": user,
            "PolicyName": "blobs",
            "PolicyDocument": json.dumps(policy),
        },
    )

    key_id = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", created)
    secret = re.search(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", created)
    assert key_id is not None and secret is not None, created
    return Credentials(key_id.group(1), secret.group(1))


def _iam(endpoint: str, credentials: Credentials, parameters: dict[str, str]) -> str:
    body = urlencode({**parameters, "Version": "2010-05-08"}).encode()
    payload_sha256 = hashlib.sha256(body).hexdigest()
    headers = sign_request(
        "POST",
        f"{endpoint}/",
        {"content-type": "application/x-www-form-urlencoded"},
        payload_sha256,
        credentials=credentials,
        region=REGION,
        service="iam",
        now=datetime.now(UTC),
    )
    response = httpx.post(f"{endpoint}/", headers=headers, content=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.text
