"""The photo store's contract, on the directory and on a real S3-compatible server (moto's
server, over HTTP on loopback), and the app serving photos from a bucket."""

from __future__ import annotations

import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from aiobotocore.session import get_session

from resolvers.media import MediaStore
from server.media.directory import DirectoryStore
from server.media.s3 import S3Store
from server.media.settings import S3Settings
from tests.processes import Process, free_port, spawn, wait_until_ready
from tests.served import Client, served_app
from tests.support import tiny_png

CREDENTIALS = {"aws_access_key_id": "quartier", "aws_secret_access_key": "quartier-secret"}


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = spawn("moto", command, {"PATH": "/usr/bin:/bin"}, log, f"http://127.0.0.1:{port}")
    try:
        wait_until_ready(server, path="/moto-api/")
        yield server
    finally:
        server.stop()


async def s3_client(endpoint: str):
    return get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS
    )


@pytest.fixture
async def bucket(s3_server: Process) -> str:
    name = f"photos-{secrets.token_hex(4)}"
    async with await s3_client(s3_server.url) as s3:
        await s3.create_bucket(Bucket=name)
    return name


async def objects(endpoint: str, bucket: str) -> list[str]:
    async with await s3_client(endpoint) as s3:
        listed = await s3.list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


@pytest.fixture(params=["directory", "s3"])
async def store(
    request, tmp_path: Path, s3_server: Process, bucket: str
) -> AsyncIterator[MediaStore]:
    if request.param == "directory":
        yield DirectoryStore(tmp_path / "media")
        return
    settings = S3Settings(
        bucket=bucket,
        endpoint=s3_server.url,
        access_key_id=CREDENTIALS["aws_access_key_id"],
        secret_access_key=CREDENTIALS["aws_secret_access_key"],
        prefix="ville/",
    )
    s3 = S3Store(settings)
    try:
        yield s3
    finally:
        await s3.close()


async def test_a_store_keeps_returns_and_deletes_files(store):
    await store.put("abc/display.jpg", b"display bytes", "image/jpeg")
    await store.put("abc/thumbnail.jpg", b"thumbnail bytes", "image/jpeg")
    await store.put("abc/display.jpg", b"replaced", "image/jpeg")

    assert await store.get("abc/display.jpg") == b"replaced"
    assert await store.get("abc/thumbnail.jpg") == b"thumbnail bytes"
    assert await store.get("xyz/display.jpg") is None
    await store.delete(["abc/display.jpg", "abc/thumbnail.jpg", "never/stored.jpg"])
    assert await store.get("abc/display.jpg") is None
    assert await store.get("abc/thumbnail.jpg") is None
    await store.delete([])


def test_the_directory_store_never_leaves_its_root(tmp_path):
    import asyncio

    store = DirectoryStore(tmp_path / "media")

    with pytest.raises(ValueError, match="outside the store"):
        asyncio.run(store.put("../escape.jpg", b"x", "image/jpeg"))
    assert not (tmp_path / "escape.jpg").exists()


async def test_the_app_keeps_photos_in_the_bucket_and_deletes_them_with_the_post(
    tmp_path_factory, database_url, s3_server, bucket, world
):
    settings = {
        "QUARTIER_MEDIA_S3_BUCKET": bucket,
        "QUARTIER_MEDIA_S3_ENDPOINT": s3_server.url,
        "QUARTIER_MEDIA_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "QUARTIER_MEDIA_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "QUARTIER_MEDIA_S3_PREFIX": "louviere/",
    }
    with served_app(tmp_path_factory, database_url, **settings) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            client = Client(http)
            photo_id = await client.photo(tiny_png(size=(40, 30)), world.alice_token)
            values = {
                "kind": "ITEM_GIVEAWAY",
                "title": "Table",
                "body": "En chêne.",
                "photoIds": [photo_id],
            }
            created = await client.gql(
                "mutation($input: CreatePostInput!) { createPost(input: $input) "
                "{ post { id photos { url(size: THUMBNAIL) } } userErrors { code } } }",
                {"input": values},
                world.alice_token,
            )
            post = created["data"]["createPost"]["post"]
            stored = await objects(s3_server.url, bucket)
            served = await http.get(post["photos"][0]["url"])
            deleted = await client.gql(
                "mutation($input: DeletePostInput!) { deletePost(input: $input) { userErrors { code } } }",
                {"input": {"postId": post["id"]}},
                world.alice_token,
            )

        assert [key.rsplit("/", 1)[1] for key in stored] == ["display.jpg", "thumbnail.jpg"]
        assert all(key.startswith("louviere/") for key in stored)
        assert list(server.media_dir.rglob("*.jpg")) == []
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert deleted["data"]["deletePost"]["userErrors"] == []
        assert await objects(s3_server.url, bucket) == []
