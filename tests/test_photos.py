"""Photos against a real uvicorn: upload, re-encoding without metadata, signed URLs, the
post's and message's visibility, bad input, deletion, the sweep and the upload limit."""

from __future__ import annotations

import asyncio
import base64
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from PIL import Image
from tortoise.timezone import now

from models.accounts import Role
from models.media import Photo
from resolvers.media import Media
from server.media.directory import DirectoryStore
from tests.processes import app_env
from tests.served import Client, Served, auth, client_fixture, problem, served_app, server_fixture
from tests.support import ROOT, gid, make_resident, make_staff, tiny_png

GPS = 0x8825
ORIENTATION = 0x0112


server = server_fixture()


@pytest.fixture(autouse=True)
def empty_media(server: Served) -> None:
    """The database is emptied before each test; so are the server's photo files."""
    for path in sorted(server.media_dir.rglob("*"), reverse=True):
        if path.is_file() and path.suffix == ".jpg":
            path.unlink()
        elif path.is_dir():
            path.rmdir()


client = client_fixture()


def camera_jpeg(width: int = 1200, height: int = 800) -> bytes:
    """A phone photo taken sideways: a red block top left, EXIF orientation 6 (the camera
    was turned a quarter clockwise), the phone's make and model, and where it was taken."""
    image = Image.new("RGB", (width, height), (20, 40, 200))
    image.paste((220, 20, 20), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Fairphone"
    exif[0x0110] = "FP5"
    exif[0x0132] = "2026:11:28 10:14:03"
    gps = exif.get_ifd(GPS)
    gps.update({1: "N", 2: (50.0, 28.0, 51.6), 3: "E", 4: (4.0, 11.0, 13.2)})
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def metadata(data: bytes) -> dict[str, object]:
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {
        "size": image.size,
        "exif": {k: v for k, v in exif.items() if k != GPS},
        "gps": dict(exif.get_ifd(GPS)),
        "info": sorted(k for k in image.info if k in ("exif", "xmp", "icc_profile", "comment")),
    }


def stored_files(server: Served) -> list[str]:
    return sorted(
        str(p.relative_to(server.media_dir)) for p in server.media_dir.rglob("*.jpg") if p.is_file()
    )


CREATE = """
mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id } userErrors { field code message } }
}
"""
POST = """
query($id: ID!) {
  post(id: $id) {
    id
    photos { id width height display: url(size: DISPLAY) thumbnail: url(size: THUMBNAIL) }
  }
}
"""


async def post_with_photos(client: Client, token: str, photo_ids: list[str], **values) -> str:
    values = {"kind": "ITEM_GIVEAWAY", "title": "Vélo à donner", "body": "16 pouces."} | values
    result = await client.gql(CREATE, {"input": {**values, "photoIds": photo_ids}}, token)
    assert result["data"]["createPost"]["userErrors"] == [], result
    return result["data"]["createPost"]["post"]["id"]


async def test_an_uploaded_photo_is_stored_upright_at_two_sizes_without_exif_or_gps(
    client, server, world
):
    original = camera_jpeg()
    assert metadata(original) == {
        "size": (1200, 800),
        "exif": {ORIENTATION: 6, 0x010F: "Fairphone", 0x0110: "FP5", 0x0132: "2026:11:28 10:14:03"},
        "gps": {1: "N", 2: (50.0, 28.0, 51.6), 3: "E", 4: (4.0, 11.0, 13.2)},
        "info": ["exif"],
    }

    response = await client.upload(original, world.alice_token, "image/jpeg")

    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo == {"id": photo["id"], "width": 800, "height": 1200}
    row = await Photo.get(owner_id=world.alice.id)
    assert photo["id"] == gid("Photo", row.id)
    assert stored_files(server) == [
        f"{row.storage_key}/display.jpg",
        f"{row.storage_key}/thumbnail.jpg",
    ]
    display = (server.media_dir / row.storage_key / "display.jpg").read_bytes()
    thumbnail = (server.media_dir / row.storage_key / "thumbnail.jpg").read_bytes()
    assert metadata(display) == {"size": (800, 1200), "exif": {}, "gps": {}, "info": []}
    assert metadata(thumbnail) == {"size": (267, 400), "exif": {}, "gps": {}, "info": []}
    # Turned a quarter clockwise: the red block is now top right.
    upright = Image.open(io.BytesIO(display)).convert("RGB")
    assert _near(upright.getpixel((760, 20)), (220, 20, 20))
    assert _near(upright.getpixel((20, 20)), (20, 40, 200))


def _near(pixel, colour) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))


async def test_a_post_photo_is_served_through_a_signed_url_that_expires(client, server, world):
    photo_id = await client.photo(camera_jpeg(), world.alice_token)
    post_id = await post_with_photos(client, world.alice_token, [photo_id])

    result = await client.gql(POST, {"id": post_id}, world.bob_token)

    [photo] = result["data"]["post"]["photos"]
    assert (photo["id"], photo["width"], photo["height"]) == (photo_id, 800, 1200)
    served = await client.http.get(photo["display"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"].startswith("private, max-age=")
    assert metadata(served.content)["size"] == (800, 1200)
    small = await client.http.get(photo["thumbnail"])
    assert metadata(small.content)["size"] == (267, 400)
    # No token needed (an <img> sends none), but the signature must hold and be current.
    tampered = photo["display"].replace("/display?", "/thumbnail?")
    assert problem(await client.http.get(tampered)) == (403, "FORBIDDEN")
    signer = Media(DirectoryStore(server.media_dir), lambda: server.url_secret.encode())
    expired = signer.url(server.url, photo_id, "display", now=time.time() - 601)
    assert problem(await client.http.get(expired)) == (403, "FORBIDDEN")
    current = signer.url(server.url, photo_id, "display")
    assert (await client.http.get(current)).content == served.content


VISIBLE = """
query($id: ID!) { post(id: $id) { id photos { id } } }
"""


async def test_photos_are_seen_by_whoever_may_read_the_post_and_no_one_else(
    client, world, moderator_token
):
    city = (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]
    unverified = (await make_resident(world.centre_street, "Ugo Martin", verified=False))[1]
    private = await post_with_photos(
        client, world.alice_token, [await client.photo(tiny_png(), world.alice_token)]
    )
    shared_photo = await client.photo(tiny_png(), world.alice_token)
    shared = await post_with_photos(client, world.alice_token, [shared_photo], shareWithCity=True)

    async def photos(token, post_id):
        result = await client.gql(VISIBLE, {"id": post_id}, token)
        assert "errors" not in result, result
        post = result["data"]["post"]
        return None if post is None else [p["id"] for p in post["photos"]]

    assert await photos(world.bob_token, private) == [await _photo_of(client, world, private)]
    assert await photos(moderator_token, private) == [await _photo_of(client, world, private)]
    assert await photos(city, private) == []
    assert await photos(city, shared) == [shared_photo]
    assert await photos(unverified, private) is None  # the post itself is out of reach
    assert await photos(world.carla_token, private) is None
    anonymous = await client.gql(VISIBLE, {"id": private})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def _photo_of(client: Client, world, post_id: str) -> str:
    result = await client.gql(VISIBLE, {"id": post_id}, world.alice_token)
    return result["data"]["post"]["photos"][0]["id"]


SEND = """
mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id photo { id width } } userErrors { field code } }
}
"""
MESSAGES = """
query($id: ID!) { conversation(id: $id) { messages { edges { node { id photo { id } } } } } }
"""
REPORT = """
mutation($input: ReportContentInput!) { reportContent(input: $input) { userErrors { code } } }
"""
QUEUE = """
{ reports(status: OPEN) { edges { node { content { ... on Message { id photo { id url } } } } } } }
"""


async def test_a_message_photo_is_seen_by_its_participants_and_by_moderators_once_reported(
    client, world, moderator_token
):
    photo_id = await client.photo(tiny_png(), world.alice_token)
    values = {"recipientId": gid("Account", world.bob.id), "body": "Regarde", "photoId": photo_id}

    sent = await client.gql(SEND, {"input": values}, world.alice_token)

    message = sent["data"]["sendMessage"]["message"]
    assert message["photo"] == {"id": photo_id, "width": 8}
    assert (await client.gql(QUEUE, token=moderator_token))["data"]["reports"]["edges"] == []
    report = {"contentId": message["id"], "reason": "HARASSMENT"}
    reported = await client.gql(REPORT, {"input": report}, world.bob_token)
    assert reported["data"]["reportContent"]["userErrors"] == []
    queue = (await client.gql(QUEUE, token=moderator_token))["data"]["reports"]["edges"]
    content = queue[0]["node"]["content"]
    assert content["photo"]["id"] == photo_id
    assert (await client.http.get(content["photo"]["url"])).status_code == 200
    second = {**values, "photoId": photo_id}
    again = await client.gql(SEND, {"input": second}, world.alice_token)
    assert again["data"]["sendMessage"]["userErrors"] == [
        {"field": "photoId", "code": "PHOTO_IN_USE"}
    ]


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")  # 400 megapixels in 48 KB
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7 not a picture", (415, "UNSUPPORTED_MEDIA_TYPE")),
        (b"GIF89a" + bytes(64), (415, "UNSUPPORTED_MEDIA_TYPE")),
        (camera_jpeg()[:3000], (422, "INVALID_IMAGE")),
        (_bomb(), (422, "IMAGE_TOO_LARGE")),
        (b"\xff\xd8\xff" + bytes(10 * 1024 * 1024), (413, "PAYLOAD_TOO_LARGE")),
        (b"", (400, "BAD_REQUEST")),
    ],
    ids=["text", "gif", "truncated", "bomb", "over-10-MiB", "empty"],
)
async def test_an_upload_that_is_not_an_acceptable_image_is_refused_and_nothing_is_stored(
    client, server, world, data, expected
):
    response = await client.upload(data, world.alice_token)

    assert problem(response) == expected
    assert response.json()["errors"][0]["message"]
    assert await Photo.all().count() == 0
    assert stored_files(server) == []


async def test_a_chunked_upload_over_10_mib_is_refused_before_it_is_read_whole(client, world):
    async def chunks():
        for _ in range(12):
            yield bytes(1024 * 1024)

    response = await client.http.post("/media", content=chunks(), headers=auth(world.alice_token))

    assert problem(response) == (413, "PAYLOAD_TOO_LARGE")


async def test_a_multipart_upload_and_a_heic_photo_are_accepted(client, world):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    heic = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 30)).save(heic, format="HEIF", quality=80)

    multipart = await client.http.post(
        "/media",
        files={"file": ("photo.png", tiny_png(size=(30, 20)), "image/png")},
        headers=auth(world.alice_token),
    )
    heif = await client.upload(heic.getvalue(), world.alice_token, "image/heic")

    assert multipart.status_code == 201, multipart.text
    assert (multipart.json()["width"], multipart.json()["height"]) == (30, 20)
    assert heif.status_code == 201, heif.text
    assert (heif.json()["width"], heif.json()["height"]) == (640, 480)


async def test_only_verified_residents_of_an_active_neighbourhood_may_upload(client, world):
    city = (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]
    unverified = (await make_resident(world.centre_street, "Ugo Martin", verified=False))[1]
    inactive = (await make_resident(world.maurage_street, "Marc Lejeune"))[1]

    assert problem(await client.upload(tiny_png(), None)) == (401, "UNAUTHENTICATED")
    assert problem(await client.upload(tiny_png(), "qrt_unknown")) == (401, "UNAUTHENTICATED")
    assert problem(await client.upload(tiny_png(), city)) == (403, "FORBIDDEN")
    assert problem(await client.upload(tiny_png(), unverified)) == (403, "NOT_VERIFIED")
    assert problem(await client.upload(tiny_png(), inactive)) == (403, "NEIGHBOURHOOD_NOT_ACTIVE")
    assert await Photo.all().count() == 0


async def test_photo_ids_other_than_the_callers_free_uploads_are_refused_and_nothing_is_written(
    client, world
):
    bobs = await client.photo(tiny_png(), world.bob_token)
    mine = [await client.photo(tiny_png(), world.alice_token) for _ in range(5)]
    used = await post_with_photos(client, world.alice_token, [mine[4]])

    async def refused(photo_ids):
        values = {
            "kind": "DISCUSSION",
            "title": "Photos",
            "body": "Regardez",
            "photoIds": photo_ids,
        }
        result = await client.gql(CREATE, {"input": values}, world.alice_token)
        assert result["data"]["createPost"]["post"] is None
        return [(e["field"], e["code"]) for e in result["data"]["createPost"]["userErrors"]]

    assert await refused([bobs]) == [("photoIds", "NOT_FOUND")]
    assert await refused(mine) == [("photoIds", "TOO_MANY_PHOTOS")]
    assert await refused([mine[0], mine[4]]) == [("photoIds", "PHOTO_IN_USE")]
    assert await refused(["UGhvdG86MQ"[:-1]]) == [("photoIds", "INVALID_ID")]
    assert await Photo.filter(post_id__isnull=False).count() == 1
    assert (await client.gql(VISIBLE, {"id": used}, world.alice_token))["data"]["post"] == {
        "id": used,
        "photos": [{"id": mine[4]}],
    }


EDIT = """
mutation($input: EditPostInput!) { editPost(input: $input) { post { photos { id } } userErrors { code } } }
"""
DELETE = """
mutation($input: DeletePostInput!) { deletePost(input: $input) { deletedPostId userErrors { code } } }
"""


async def test_replacing_a_posts_photos_or_deleting_the_post_deletes_their_files(
    client, server, world
):
    first, second, third = [await client.photo(tiny_png(), world.alice_token) for _ in range(3)]
    post_id = await post_with_photos(client, world.alice_token, [first, second])
    url = (await client.gql(POST, {"id": post_id}, world.alice_token))["data"]["post"]["photos"][0]
    assert len(stored_files(server)) == 6

    values = {"postId": post_id, "expectedVersion": 1, "photoIds": [third, second]}
    edited = await client.gql(EDIT, {"input": values}, world.alice_token)

    assert edited["data"]["editPost"] == {
        "post": {"photos": [{"id": third}, {"id": second}]},
        "userErrors": [],
    }
    assert len(stored_files(server)) == 4
    assert problem(await client.http.get(url["display"])) == (404, "NOT_FOUND")
    deleted = await client.gql(DELETE, {"input": {"postId": post_id}}, world.alice_token)
    assert deleted["data"]["deletePost"]["userErrors"] == []
    assert stored_files(server) == []
    assert await Photo.all().count() == 0


async def test_uploads_left_unattached_for_a_day_are_deleted_by_the_sweep_command(
    client, server, world, database_url
):
    kept = await client.photo(tiny_png(), world.alice_token)
    await post_with_photos(client, world.alice_token, [kept])
    fresh = await client.photo(tiny_png(), world.alice_token)
    stale = await client.photo(tiny_png(), world.alice_token)
    await Photo.all().update(created_at=now() - timedelta(hours=25))
    await Photo.filter(id=int(_pk(fresh))).update(created_at=now() - timedelta(hours=23))

    env = app_env(database_url, QUARTIER_MEDIA_DIR=str(server.media_dir))
    sweep = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "media", "sweep",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(sweep.communicate(), timeout=60)

    assert (sweep.returncode, out, err) == (0, b"1 photos deleted.\n", b"")
    remaining = {gid("Photo", p.id) for p in await Photo.all()}
    assert remaining == {kept, fresh}
    assert len(stored_files(server)) == 4
    assert stale not in remaining


def _pk(global_id: str) -> str:
    from resolvers.ids import parse_global_id

    return str(parse_global_id(global_id)[1])


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Served]:
    """A server of its own: its in-process upload counts start from nothing."""
    with served_app(tmp_path_factory, database_url) as served:
        yield served


async def test_a_hundred_uploads_in_a_row_are_rate_limited(fresh_server, world):
    png = tiny_png()

    async with httpx.AsyncClient(base_url=fresh_server.url, timeout=30) as http:
        statuses = [(await Client(http).upload(png, world.bob_token)) for _ in range(100)]

    codes = [r.status_code for r in statuses]
    assert codes == [201] * 60 + [429] * 40
    limited = statuses[-1]
    assert problem(limited) == (429, "RATE_LIMITED")
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    assert await Photo.filter(owner_id=world.bob.id).count() == 60


async def test_a_photo_over_the_api_body_limit_is_accepted_on_its_own_route(client, world):
    noise = io.BytesIO()
    Image.effect_noise((1400, 1000), 80).convert("RGB").save(noise, format="JPEG", quality=95)
    assert noise.tell() > 1024 * 1024  # over QUARTIER_MAX_BODY_BYTES, the GraphQL bodies' cap

    response = await client.upload(noise.getvalue(), world.alice_token, "image/jpeg")

    assert response.status_code == 201, response.text


async def test_the_worker_sweeps_photos_while_it_runs(settings, world):
    from server.media import sweeper

    store = DirectoryStore(settings.media.directory)
    await store.put("stale-key/display.jpg", b"x", "image/jpeg")
    await store.put("stale-key/thumbnail.jpg", b"x", "image/jpeg")
    await Photo.create(
        owner_id=world.alice.id, storage_key="stale-key", width=1, height=1,
        created_at=now() - timedelta(days=2),
    )  # fmt: skip
    stop = asyncio.Event()

    task = asyncio.create_task(sweeper.run(settings, stop, every=3600))
    for _ in range(500):  # the first pass runs at once; ten seconds at most
        if not await Photo.exists():
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, timeout=10)

    assert await Photo.all().count() == 0
    assert await store.get("stale-key/display.jpg") is None


ERASE = """
mutation($input: DeleteAccountInput!) { deleteAccount(input: $input) { userErrors { code } } }
"""


async def alice_attends_bobs_event(client: Client, world) -> str:
    """Bob's event, with a photo of his, which Alice says she comes to; its post id."""
    bobs = await post_with_photos(
        client, world.bob_token, [await client.photo(tiny_png(), world.bob_token)],
        kind="EVENT", startsAt="2099-06-20T17:00:00+02:00", place="Place Maugrétout",
    )  # fmt: skip
    attend = (
        "mutation($input: AttendEventInput!) { attendEvent(input: $input) { userErrors { code } } }"
    )
    result = await client.gql(attend, {"input": {"postId": bobs}}, world.alice_token)
    assert result["data"]["attendEvent"]["userErrors"] == []
    return bobs


async def test_erasing_an_account_deletes_its_photo_files_and_its_attendances(
    client, server, world
):
    from models.accounts import Account
    from models.events import Event
    from resolvers import passwords

    password = "Terril-Bleu-Quartz-2026!"
    await Account.filter(id=world.alice.id).update(
        password_hash=await passwords.hash_password(password)
    )
    on_post = await client.photo(tiny_png(), world.alice_token)
    await post_with_photos(client, world.alice_token, [on_post])
    in_message = await client.photo(tiny_png(), world.alice_token)
    values = {"recipientId": gid("Account", world.bob.id), "body": "Tiens", "photoId": in_message}
    await client.gql(SEND, {"input": values}, world.alice_token)
    await client.photo(tiny_png(), world.alice_token)  # not attached yet
    await alice_attends_bobs_event(client, world)
    assert len(stored_files(server)) == 8

    erased = await client.gql(ERASE, {"input": {"password": password}}, world.alice_token)

    assert erased["data"]["deleteAccount"]["userErrors"] == []
    assert await Photo.filter(owner_id=world.alice.id).count() == 0
    assert len(stored_files(server)) == 2  # Bob's photo, both sizes
    assert (await Event.get(post__author_id=world.bob.id)).attendee_count == 0


async def test_the_export_holds_the_accounts_photos_events_and_attendances(client, server, world):
    on_post = await client.photo(camera_jpeg(), world.alice_token)
    await post_with_photos(
        client, world.alice_token, [on_post],
        kind="EVENT", startsAt="2099-06-20T17:00:00+02:00", place="Kiosque du parc",
    )  # fmt: skip
    loose = await client.photo(tiny_png(), world.alice_token)  # uploaded, not attached yet
    bobs = await alice_attends_bobs_event(client, world)

    response = await client.http.get("/me/export", headers=auth(world.alice_token))

    assert response.status_code == 200
    document = response.json()
    photos = document["photos"]
    assert sorted(p["id"] for p in photos) == sorted(int(_pk(g)) for g in (on_post, loose))
    images = [Image.open(io.BytesIO(base64.b64decode(p["displayJpegBase64"]))) for p in photos]
    assert sorted(i.size for i in images) == [(8, 6), (800, 1200)]  # upright: turned a quarter
    assert all(i.format == "JPEG" and not i.getexif() for i in images)
    [event] = document["events"]
    assert (event["place"], event["starts_at"][:16]) == ("Kiosque du parc", "2099-06-20T15:00")
    [attended] = document["eventsAttended"]
    assert attended["event__post_id"] == int(_pk(bobs))
    # Bob's event and photo are his: nothing of them is in Alice's export.
    assert "Maugrétout" not in response.text
