"""Test helper: an in-process gRPC Secret Manager served to the real client."""

from __future__ import annotations

from collections import deque
from concurrent import futures
from typing import Any

import google_crc32c
import grpc
from google.cloud.secretmanager_v1 import (
    AccessSecretVersionRequest,
    AccessSecretVersionResponse,
    SecretManagerServiceClient,
    SecretPayload,
)
from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
    SecretManagerServiceGrpcTransport,
)

from tools.closing import ClosesOnExit
from tools.secret_store.manager import RetryPolicy

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"
FAKE_PROJECT = "test-project"
"""A well-formed project id for tests."""
FAST_RETRY = RetryPolicy(attempts=3, initial_delay_s=0, jitter_s=0, sleep=lambda _: None)
"""Three attempts without waiting, for tests of the retry paths."""


class FakeSecretManager(ClosesOnExit):
    """Serves AccessSecretVersion for the versions added to it and fails on demand.

    It owns a gRPC server on a free localhost port and the channels of the clients it built;
    use it as a context manager. `requests` lists every version name asked for.
    """

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._versions: dict[str, list[bytes]] = {}
        self._denied: set[str] = set()
        self._failures: dict[str, deque[grpc.StatusCode]] = {}
        self._corrupt: dict[str, int] = {}
        self._channels: list[grpc.Channel] = []
        self._server: grpc.Server | None = None
        self.address = ""

    def __enter__(self) -> FakeSecretManager:
        handler = grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "AccessSecretVersion": grpc.unary_unary_rpc_method_handler(
                    self._access,
                    request_deserializer=AccessSecretVersionRequest.deserialize,
                    response_serializer=AccessSecretVersionResponse.serialize,
                )
            },
        )
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self._server.add_generic_rpc_handlers((handler,))
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        self._server.start()
        return self

    def close(self) -> None:
        """Close client channels and stop the server; safe to call twice."""
        for channel in self._channels:
            channel.close()
        self._channels.clear()
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None

    def client(self) -> SecretManagerServiceClient:
        """A real client talking to this fake over an insecure channel (no credentials)."""
        channel = grpc.insecure_channel(self.address)
        self._channels.append(channel)
        return SecretManagerServiceClient(
            transport=SecretManagerServiceGrpcTransport(channel=channel)
        )

    def add_version(self, project: str, secret_id: str, value: str | bytes) -> str:
        """Add a version to a secret (created on first use); return the version's name."""
        data = value.encode() if isinstance(value, str) else value
        versions = self._versions.setdefault(_secret(project, secret_id), [])
        versions.append(data)
        return f"{_secret(project, secret_id)}/versions/{len(versions)}"

    def deny(self, project: str, secret_id: str) -> None:
        """Answer PERMISSION_DENIED for this secret."""
        self._denied.add(_secret(project, secret_id))

    def fail_next(
        self,
        project: str,
        secret_id: str,
        code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests for this secret with status `code`."""
        self._failures.setdefault(_secret(project, secret_id), deque()).extend([code] * times)

    def corrupt_next(self, project: str, secret_id: str, times: int = 1) -> None:
        """Send a wrong `data_crc32c` in the next `times` responses for this secret."""
        self._corrupt[_secret(project, secret_id)] = times

    def _access(self, request: AccessSecretVersionRequest, context: Any) -> Any:
        name = request.name
        self.requests.append(name)
        secret, _, version = name.rpartition("/versions/")
        failures = self._failures.get(secret)
        if failures:
            context.abort(failures.popleft(), "simulated failure")
        if secret in self._denied:
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"Permission 'secretmanager.versions.access' denied for resource '{name}'",
            )
        versions = self._versions.get(secret, [])
        number = len(versions) if version == "latest" else int(version) if version.isdigit() else 0
        if not 1 <= number <= len(versions):
            context.abort(grpc.StatusCode.NOT_FOUND, f"Secret Version [{name}] not found.")
        data = versions[number - 1]
        crc = google_crc32c.value(data)
        if self._corrupt.get(secret, 0) > 0:
            self._corrupt[secret] -= 1
            crc ^= 1
        payload = SecretPayload(data=data, data_crc32c=crc)
        return AccessSecretVersionResponse(name=f"{secret}/versions/{number}", payload=payload)


def _secret(project: str, secret_id: str) -> str:
    return f"projects/{project}/secrets/{secret_id}"
