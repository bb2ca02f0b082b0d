"""compose.yaml and the Dockerfile, checked against the code since images cannot be built
here: every command parses with the `quartier` CLI, every variable is one the settings (or
the gateway) read and its value passes them, every port and URL meets the service it names,
and the image installs every package."""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from server import cli
from server.app import create_app
from server.settings import Settings
from tests.support import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Read by our code outside the settings: the file that reads each.
OTHER_READERS = {
    "OTEL_SERVICE_NAME": ROOT / "server" / "observability" / "tracing.py",
    "PROMETHEUS_MULTIPROC_DIR": ROOT / "server" / "observability" / "registry.py",
}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


# --- reading the files -------------------------------------------------------------------


def interpolated(value: Any) -> str:
    """The value as `docker compose up` sees it with nothing set: each `${VAR:-default}` is
    its default, and a `${VAR}` without one is refused (the stack must start as it is)."""

    def default(match: re.Match[str]) -> str:
        if match.group(2) is None:
            pytest.fail(f"${{{match.group(1)}}} has no default in compose.yaml")
        return match.group(2)

    return INTERPOLATION.sub(default, str(value))


def environment(service: str) -> dict[str, str]:
    return {k: interpolated(v) for k, v in (SERVICES[service].get("environment") or {}).items()}


def command(service: str) -> list[str]:
    raw = SERVICES[service]["command"]
    return [interpolated(part) for part in (raw if isinstance(raw, list) else shlex.split(raw))]


def target(service: str) -> str | None:
    build = SERVICES[service].get("build")
    return build.get("target") if isinstance(build, dict) else None


def services_of(image_target: str) -> list[str]:
    return [name for name in SERVICES if target(name) == image_target]


def dockerfile() -> list[tuple[str, str, str]]:
    """(stage, instruction, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stage, found = "", []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stage = arguments.split(" AS ")[-1].strip() if " AS " in arguments else arguments
        found.append((stage, instruction.upper(), arguments.strip()))
    return found


def instructions(stage: str, name: str) -> list[str]:
    return [args for s, instruction, args in dockerfile() if s == stage and instruction == name]


def parsed(argv: list[str]) -> Any:
    assert argv[0] == "quartier", argv
    try:
        return cli.parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"`{shlex.join(argv)}` does not parse with the quartier CLI")


def settings_variables(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every variable Settings.from_env reads, development and production alike."""
    names: set[str] = set()

    class Recording(dict[str, str]):
        def get(self, key: str, default: Any = None) -> Any:
            names.add(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> str:
            names.add(key)
            return super().__getitem__(key)

    for env in ({}, {"QUARTIER_ENV": "production", "QUARTIER_CORS_ORIGINS": "https://a.be"}):
        monkeypatch.setattr(os, "environ", Recording(env))
        Settings.from_env()
    monkeypatch.undo()
    return names


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(os, "environ", dict(env))
    try:
        return Settings.from_env()
    finally:
        monkeypatch.undo()


def container_ports(service: str) -> set[int]:
    return {int(str(mapping).rsplit(":", 1)[-1]) for mapping in SERVICES[service].get("ports", [])}


def healthcheck_urls(service: str) -> list[str]:
    test = " ".join(SERVICES[service].get("healthcheck", {}).get("test", []))
    return re.findall(r"https?://[^\s'\"]+", test)


APP_PATHS = {route.path for route in create_app(Settings()).routes}  # type: ignore[attr-defined]


# --- the app's services -------------------------------------------------------------------


@pytest.mark.parametrize("service", services_of("app"))
def test_every_app_command_is_a_quartier_command(service):
    args = parsed(command(service))

    assert callable(args.handler)


@pytest.mark.parametrize("service", services_of("app"))
def test_every_app_variable_is_read_by_the_settings_and_its_value_passes(service, monkeypatch):
    known = settings_variables(monkeypatch)
    for name, reader in OTHER_READERS.items():
        assert name in reader.read_text(), (name, reader)
    env = environment(service)

    assert set(env) - known - set(OTHER_READERS) == set()
    settings = settings_from(env, monkeypatch)
    assert settings.database_url == env["DATABASE_URL"]
    if env.get("QUARTIER_ENV") == "production":
        assert settings.production


@pytest.mark.parametrize("service", ["community", "city"])
def test_the_subgraphs_listen_where_their_ports_and_probes_say(service, monkeypatch):
    args = parsed(command(service))
    settings = settings_from(environment(service), monkeypatch)

    assert (args.command, args.subgraph, args.host, args.workers) == (
        "serve",
        service,
        "0.0.0.0",
        2,
    )
    assert container_ports(service) <= {args.port}
    urls = healthcheck_urls(service)
    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert (parts.port, parts.path in APP_PATHS) == (args.port, True), url
    assert settings.metrics_listen is not None
    metrics_port = int(settings.metrics_listen.rsplit(":", 1)[1])
    assert f"{metrics_port}" in " ".join(instructions("app", "EXPOSE")).split()


def test_the_database_urls_name_the_postgres_service_its_owner_and_the_city_role():
    postgres = environment("postgres")
    role = parsed(command("city-role"))
    owner_services = ["migrate", "city-role", "community", "worker"]

    for service in owner_services:
        url = urlsplit(environment(service)["DATABASE_URL"])
        assert (url.hostname, url.port, url.path) == (
            "postgres",
            5432,
            f"/{postgres['POSTGRES_DB']}",
        )
        assert (url.username, url.password) == (
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
        )
    city = urlsplit(environment("city")["DATABASE_URL"])
    assert (city.hostname, city.path) == ("postgres", f"/{postgres['POSTGRES_DB']}")
    assert (city.username, city.password) == (role.role_name, role.password)
    assert (role.command, role.action) == ("db", "create-city-role")


def test_redis_and_smtp_urls_name_services_of_the_file():
    for service in services_of("app"):
        env = environment(service)
        for variable in ("QUARTIER_REDIS_URL", "QUARTIER_SMTP_URL"):
            if variable in env:
                assert urlsplit(env[variable]).hostname in SERVICES, (service, variable)


def test_the_worker_sends_through_the_settings_production_needs(monkeypatch):
    args = parsed(command("worker"))
    settings = settings_from(environment("worker"), monkeypatch)

    assert args.command == "worker"
    assert settings.production
    assert settings.smtp_url is not None
    assert settings.secret_key is not None


# --- the gateway --------------------------------------------------------------------------


def gateway_variables() -> set[str]:
    source = (ROOT / "gateway" / "serve.mjs").read_text()
    return set(re.findall(r"process\.env\.(\w+)", source)) | set(
        re.findall(r"'(QUARTIER_\w+)'", source)
    )


def test_the_gateway_runs_its_script_with_variables_it_reads():
    env = environment("gateway")
    copied = " ".join(instructions("gateway", "COPY"))

    assert command("gateway") == ["node", "serve.mjs"]
    assert "gateway/serve.mjs" in copied
    assert "gateway/supergraph.graphql" in copied
    assert set(env) - gateway_variables() == set()
    assert container_ports("gateway") == {int(env["QUARTIER_GATEWAY_PORT"])}
    assert env["QUARTIER_GATEWAY_HOST"] == "0.0.0.0"
    for variable, service in (
        ("QUARTIER_COMMUNITY_URL", "community"),
        ("QUARTIER_CITY_URL", "city"),
    ):
        url = urlsplit(env[variable])
        assert (url.hostname, url.port, url.path) == (
            service,
            parsed(command(service)).port,
            "/graphql",
        )


def test_the_gateway_image_runs_the_node_the_gateway_needs():
    engines = (ROOT / "gateway" / "package.json").read_text()
    [base] = [args for stage, name, args in dockerfile() if name == "FROM" and stage == "gateway"]

    assert '"node": ">=20"' in engines
    assert base.startswith("node:20")


# --- dependencies between services ---------------------------------------------------------


def test_every_dependency_exists_and_can_meet_its_condition():
    for service, spec in SERVICES.items():
        for needed, condition in (spec.get("depends_on") or {}).items():
            assert needed in SERVICES, (service, needed)
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[needed], (service, needed)
            if condition["condition"] == "service_completed_successfully":
                assert SERVICES[needed]["restart"] == "no", (service, needed)


# --- the Dockerfile -----------------------------------------------------------------------


def test_the_app_image_serves_with_two_workers_on_the_port_it_exposes():
    [cmd] = instructions("app", "CMD")
    args = parsed(yaml.safe_load(cmd))
    exposed = {int(port) for line in instructions("app", "EXPOSE") for port in line.split()}
    [base] = [args for stage, name, args in dockerfile() if name == "FROM" and stage == "app"]

    assert (args.command, args.host, args.workers) == ("serve", "0.0.0.0", 2)
    assert args.port in exposed
    assert base.startswith("python:3.11")
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_the_compose_targets_are_stages_of_the_dockerfile():
    stages = {stage for stage, name, _ in dockerfile() if name == "FROM"}

    assert {target(s) for s in SERVICES if target(s)} == stages == {"app", "gateway"}


def test_every_file_the_dockerfile_copies_exists():
    for stage in ("app", "gateway"):
        for line in instructions(stage, "COPY"):
            *sources, _destination = line.split()
            for source in sources:
                assert (ROOT / source).exists(), (stage, source)


def test_the_app_image_installs_every_package_of_the_code():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    tops = {name.split(".")[0] for name in listed}
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in tops
        for init in (ROOT / top).rglob("__init__.py")
    }
    copied = {line.split()[0] for line in instructions("app", "COPY")}

    assert on_disk == listed
    assert tops <= copied
    assert {"pyproject.toml", "setup.py", "README.md"} <= set(
        " ".join(instructions("app", "COPY")).split()
    )
    assert any(line.startswith("pip install .") for line in instructions("app", "RUN"))


def test_the_image_variables_are_ones_something_reads():
    python_runtime = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    pip = {"PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}
    variables = {
        (stage, part.split("=")[0])
        for stage, name, args in dockerfile()
        if name == "ENV"
        for part in args.split()
    }

    assert variables == {("app", v) for v in python_runtime | pip} | {("gateway", "NODE_ENV")}


def test_no_path_of_the_file_is_outside_the_repository():
    for line in instructions("app", "COPY") + instructions("gateway", "COPY"):
        for source in line.split()[:-1]:
            assert not Path(source).is_absolute()
            assert ".." not in Path(source).parts
