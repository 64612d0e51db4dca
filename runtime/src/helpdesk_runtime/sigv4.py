"""AWS Signature Version 4 for requests to S3-compatible object stores.

The algorithm: build a canonical request (method, path, query, signed headers, payload
hash), hash it into a string to sign with the date and credential scope, and sign that
with a key derived from the secret by four chained HMAC-SHA256 steps (date, region,
service, "aws4_request"). Written here so that the services need no AWS SDK.
"""

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class Credentials:
    """An access key pair; the secret stays out of `repr` so it cannot reach a log line."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    payload_sha256: str,
    *,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """Return `headers` plus `Host`, `X-Amz-Date` and the `Authorization` header signing them.

    `now` must be in UTC. Every header passed in is signed. For S3 the caller adds
    `x-amz-content-sha256` (equal to `payload_sha256`) to `headers`, because S3 requires it.
    """
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{now.strftime('%Y%m%d')}/{region}/{service}/aws4_request"

    parts = urlsplit(url)
    signed = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    signed["host"] = parts.netloc
    signed["x-amz-date"] = amz_date
    names = sorted(signed)

    canonical_request = "\n".join(
        [
            method.upper(),
            quote(parts.path or "/", safe="/-_.~"),
            _canonical_query(parts.query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )

    key = signing_key(credentials.secret_access_key, now.strftime("%Y%m%d"), region, service)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return {**headers, "Host": parts.netloc, "X-Amz-Date": amz_date, "Authorization": authorization}


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """Derive the key for one day (YYYYMMDD), region and service from the secret."""
    key = _hmac(f"AWS4{secret_access_key}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    # Parameters sorted by name and each name and value percent-encoded with the
    # unreserved characters left as they are; a bare name gets an empty value.
    pairs: list[tuple[str, str]] = []
    for item in filter(None, query.split("&")):
        name, _, value = item.partition("=")
        pairs.append((_encode(name), _encode(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _encode(text: str) -> str:
    # Decode first, so a value the URL already carries percent-encoded is not encoded twice.
    return quote(unquote(text), safe="-_.~")
