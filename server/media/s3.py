"""The production store: an S3-compatible bucket (QUARTIER_MEDIA_S3_*), through aiobotocore."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError

from server.media.settings import S3Settings


class S3Store:
    """One client for the process, opened on first use and closed with the app."""

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self._stack = AsyncExitStack()
        self._client: Any = None

    async def _s3(self) -> Any:
        if self._client is None:
            s = self.settings
            self._client = await self._stack.enter_async_context(
                get_session().create_client(
                    "s3",
                    endpoint_url=s.endpoint,
                    region_name=s.region,
                    aws_access_key_id=s.access_key_id,
                    aws_secret_access_key=s.secret_access_key,
                    config=Config(
                        connect_timeout=5,
                        read_timeout=30,
                        retries={"max_attempts": 3},
                        # Path-style works with every S3-compatible server, virtual hosts not.
                        s3={"addressing_style": "path"},
                    ),
                )
            )
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.settings.prefix}{key}"

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        s3 = await self._s3()
        await s3.put_object(
            Bucket=self.settings.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes | None:
        s3 = await self._s3()
        try:
            response = await s3.get_object(Bucket=self.settings.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data

    async def delete(self, keys: list[str]) -> None:
        if not keys:
            return
        s3 = await self._s3()
        for start in range(0, len(keys), 1000):  # the API's limit per request
            chunk = keys[start : start + 1000]
            await s3.delete_objects(
                Bucket=self.settings.bucket,
                Delete={"Objects": [{"Key": self._key(k)} for k in chunk], "Quiet": True},
            )

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None
