"""The upload of a 12-megapixel phone photo: time and peak memory.

    .venv/bin/python -m bench.upload [--rounds 10]

One run: a fresh SQLite database in a temporary directory with one verified resident and a
token; one uvicorn process (`server.app:app_from_env`, one worker, photos in a temporary
directory); a 4000 x 3000 JPEG (quality 90, with EXIF orientation, camera and GPS tags). It
first uploads a small PNG (imports and caches warm up), reads the server's resident memory,
then POSTs the photo `--rounds` times, one after the other, and reads the server's peak
resident memory (VmHWM). Beside it, in this process, `server.media.images.process` on the
same bytes, timed alone. It prints the photo's metadata before upload and as stored, and
writes bench/results/upload-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from tortoise import Tortoise

from bench.feed import ROOT, Server, free_port, percentile
from models.accounts import Account, Role
from models.geography import Neighbourhood, Street, fold
from resolvers import tokens
from server import db
from server.taxonomy import create_city

GPS = 0x8825


def phone_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A photo-like image (gradients, shapes and grain, so it compresses as photos do: a few
    MB) with the tags a phone writes, GPS included."""
    base = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 24)
    image = Image.merge("RGB", (base, grain, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif.update({0x0112: 6, 0x010F: "Fairphone", 0x0110: "FP5", 0x0132: "2026:11:28 10:14:03"})
    exif.get_ifd(GPS).update({1: "N", 2: (50.0, 28.0, 51.6), 3: "E", 4: (4.0, 11.0, 13.2)})
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def metadata(data: bytes) -> dict[str, Any]:
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {
        "format": image.format,
        "size": list(image.size),
        "bytes": len(data),
        "exif": {str(k): str(v) for k, v in exif.items() if k != GPS},
        "gps": {str(k): str(v) for k, v in exif.get_ifd(GPS).items()},
        "info keys": sorted(image.info),
    }


async def resident(url: str) -> str:
    await db.migrate(url)
    await Tortoise.close_connections()
    await db.start(url)
    try:
        city = await create_city("La Louvière")
        hood = await Neighbourhood.create(city=city, name="Centre", activated_at=datetime.now(UTC))
        street = await Street.create(
            neighbourhood=hood, name="Rue Sylvain Guyaux", search_name=fold("Rue Sylvain Guyaux"),
            postal_code="7100",
        )  # fmt: skip
        account = await Account.create(
            email="bench@example.be", display_name="Bench", role=Role.RESIDENT, city=city,
            street=street, neighbourhood=hood, house_number="1", verified_at=datetime.now(UTC),
        )  # fmt: skip
        raw, _ = await tokens.issue(account, timedelta(hours=2))
        return raw
    finally:
        await db.stop()


def memory(pid: int) -> dict[str, int]:
    """Resident and peak resident memory of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


_ALONE = """
import sys, time
from server.media import images

def peak():  # VmHWM: ru_maxrss would carry the forking parent's peak across exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

photo = open(sys.argv[1], "rb").read()
before = peak()
seconds = []
for _ in range(int(sys.argv[2])):
    began = time.perf_counter()
    images.process(photo)
    seconds.append(time.perf_counter() - began)
print(peak() - before, *seconds)
"""


def alone(photo: bytes, rounds: int, directory: Path) -> dict[str, Any]:
    """`images.process` alone in a fresh process: its time, and how far it raises the
    process's peak resident memory above what the imports and the file's bytes took."""
    path = directory / "photo.jpg"
    path.write_bytes(photo)
    done = subprocess.run(
        [sys.executable, "-c", _ALONE, str(path), str(rounds)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    growth, *seconds = (float(x) for x in done.stdout.split())
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "min_ms": round(min(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "peak_rss_growth_mib": round(growth / 1024, 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="quartier-bench-upload-"))
    url = f"sqlite://{directory / 'bench.sqlite3'}"
    token = await resident(url)
    photo = phone_photo()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    env.update(
        DATABASE_URL=url, QUARTIER_MEDIA_DIR=str(directory / "media"),
        QUARTIER_RATE_LIMITS="upload.account=100000/3600",
    )  # fmt: skip
    server = Server("app", "server.app:app_from_env", free_port(), directory / "server.log")
    server.start(env)
    try:
        await server.wait_ready()
        assert server.process is not None
        pid = server.process.pid
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
            small = io.BytesIO()
            Image.new("RGB", (64, 48)).save(small, format="PNG")
            warm = await client.post("/media", content=small.getvalue(), headers=headers)
            assert warm.status_code == 201, warm.text
            warmed = memory(pid)
            seconds, answer = [], {}
            for _ in range(args.rounds):
                began = time.perf_counter()
                response = await client.post("/media", content=photo, headers=headers)
                seconds.append(time.perf_counter() - began)
                assert response.status_code == 201, response.text
                answer = response.json()
            peak = memory(pid)
    finally:
        server.stop()
    stored = sorted((directory / "media").rglob("display.jpg"), key=os.path.getmtime)[-1]
    thumbnail = stored.with_name("thumbnail.jpg")
    return {
        "photo": {"before": metadata(photo), "stored display": metadata(stored.read_bytes()),
                  "stored thumbnail": metadata(thumbnail.read_bytes())},
        "answer": answer,
        "upload over HTTP": {
            "rounds": args.rounds,
            "p50_ms": round(percentile(seconds, 50) * 1000, 1),
            "min_ms": round(min(seconds) * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1),
            "server_rss_after_warm_up_mib": round(warmed["VmRSS"] / 1024, 1),
            "server_peak_rss_mib": round(peak["VmHWM"] / 1024, 1),
            "server_peak_growth_mib": round((peak["VmHWM"] - warmed["VmRSS"]) / 1024, 1),
        },
        "decode and re-encode alone (a fresh process)": alone(photo, args.rounds, directory),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load average": [round(x, 2) for x in os.getloadavg()]},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if not args.no_write:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = out / f"upload-{stamp}.json"
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
