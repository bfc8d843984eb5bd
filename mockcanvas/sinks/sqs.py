"""Amazon SQS: each event is one ``send_message`` to a standard queue, the payload JSON as its body.

boto3 is optional (``pip install 'mockcanvas[sqs]'``) and imported only when an SQS subscription
is made. Credentials come from boto3's usual chain (environment, config files, instance roles);
``endpoint_url`` points at a local SQS (moto, ElasticMQ, LocalStack). botocore's own retries are
off so that every attempt shows in the delivery log. No message attributes are sent (what Canvas
sends is UNVERIFIED).
"""

from __future__ import annotations

import os
import re

from ..events import LiveEvent
from ..jsonenc import dumps
from .outbox import DeliveryError, Outbox

DEFAULT_REGION = "us-east-1"
_REGION_IN_URL = re.compile(r"^https?://sqs[.-]([a-z0-9-]+)\.amazonaws\.com", re.IGNORECASE)
_THROTTLING = frozenset({"Throttling", "ThrottlingException", "RequestThrottled"})


class SinkUnavailable(RuntimeError):
    """A sink whose optional dependency is not installed."""


def _boto3():
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError:
        raise SinkUnavailable("SQS delivery needs boto3: pip install 'mockcanvas[sqs]'") from None
    return boto3, botocore


def region_for(queue_url: str, region: str | None) -> str:
    """The region given, else the queue URL's, else the AWS environment's, else us-east-1."""
    if region:
        return region
    match = _REGION_IN_URL.match(queue_url)
    if match:
        return match.group(1)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


class SqsSink(Outbox):
    """Sends each event to one SQS queue."""

    kind = "sqs"
    takes_wire = True  # boto3 clients are thread-safe: the workers share one

    def __init__(
        self,
        queue_url: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        **outbox,
    ) -> None:
        boto3, botocore = _boto3()
        self._errors = botocore.exceptions
        self.queue_url = queue_url
        self.region = region_for(queue_url, region)
        self.endpoint_url = endpoint_url
        policy = outbox.get("policy")
        timeout = policy.timeout if policy is not None else 5.0
        config = botocore.config.Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"total_max_attempts": 1},
        )
        self._client = boto3.session.Session().client(
            "sqs", region_name=self.region, endpoint_url=endpoint_url, config=config
        )
        super().__init__(**outbox)

    def send(
        self, message: dict, event: LiveEvent, attempt: int, encoded: str | None = None
    ) -> int | None:
        errors = self._errors
        body = encoded if encoded is not None else dumps(message)
        try:
            answer = self._client.send_message(QueueUrl=self.queue_url, MessageBody=body)
        except errors.ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.get("Code", "")
            raise DeliveryError(
                f"{code}: {error.get('Message', '')}".strip(": "),
                status=status,
                retryable=(status or 500) >= 500 or status == 429 or code in _THROTTLING,
            ) from None
        except errors.NoCredentialsError as exc:
            raise DeliveryError(str(exc), retryable=False) from None
        except errors.BotoCoreError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return answer.get("ResponseMetadata", {}).get("HTTPStatusCode")

    def release(self) -> None:
        self._client.close()
