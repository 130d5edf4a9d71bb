"""Deployment files: the Docker image builds and answers (where a Docker engine is available —
skipped, saying so, where it is not), and the Dockerfile, compose file and systemd unit say what
the README promises (non-root, pinned, a volume, a health check, hardening)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
IMAGE = "tipbot-test:latest"


def docker_engine() -> str | None:
    """None if images can be built here, else why not."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    try:
        info = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer"
    if info.returncode != 0 or not info.stdout.strip():
        reason = (info.stderr.strip().splitlines() or ["no Docker engine"])[-1]
        return f"no Docker engine to build with ({reason})"
    return None


@pytest.mark.slow
def test_docker_image_builds_and_runs():
    reason = docker_engine()
    if reason is not None:
        pytest.skip(f"Docker image build not tested: {reason}")
    subprocess.run(["docker", "build", "-t", IMAGE, str(ROOT)], check=True, timeout=1800)
    try:
        run = subprocess.run(
            ["docker", "run", "--rm", "--read-only", "--tmpfs", "/tmp", IMAGE, "check"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert run.returncode == 1  # no TIPBOT_TOKEN in the bare image: said in one line
        assert run.stdout.startswith("FAIL configuration: TIPBOT_TOKEN")
        user = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "id", IMAGE, "-u"],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        assert user.stdout.strip() != "0"
        catalogs = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "python", IMAGE, "-c",
             "from bot.i18n import texts; print(texts('vi').gettext('Crime'))"],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        assert catalogs.stdout.strip() == "Tội phạm"  # compiled into the image
    finally:
        subprocess.run(["docker", "rmi", "-f", IMAGE], capture_output=True, check=False)


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", text, flags=re.M)
    for base in bases:
        assert re.fullmatch(r"python:3\.1[23][.\d]*-slim[-\w]*(@sha256:[0-9a-f]{64})?", base)
    assert len(set(bases)) == 1  # the wheel is built where it runs
    assert "pip install -c constraints.txt setuptools babel" in text  # the build's tools
    assert "-c /tmp/constraints.txt" in text
    # The image installs the wheel (catalogs compiled into it by setup.py), not the checkout.
    assert re.search(r"^RUN pip wheel --no-deps", text, flags=re.M)
    assert re.search(r"^RUN pip install --no-deps /tmp/wheels/\*\.whl", text, flags=re.M)
    assert "-e ." not in text and "COPY sandbox" not in text
    assert re.search(r"^USER (?!root|0\b)\w+", text, flags=re.M)
    assert 'VOLUME ["/data"]' in text and "TIPBOT_DATA_DIR=/data" in text
    assert re.search(r"^HEALTHCHECK .*\n?.*tipbot\", \"check\"", text, flags=re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    for secret_or_bulk in (".env", ".git", ".venv", "*.sqlite3", "tests"):
        assert secret_or_bulk in ignored


def test_compose_file():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "build: ." in text and "env_file: .env" in text
    assert "tipbot-data:/data" in text and "restart: unless-stopped" in text
    assert "read_only: true" in text and "no-new-privileges:true" in text


def test_systemd_unit_is_hardened():
    settings: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / "tipbot.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    assert settings["User"] == ["tipbot"]
    assert settings["ExecStart"][0].endswith("tipbot run")
    assert settings["StateDirectory"] == ["tipbot"] and settings["StateDirectoryMode"] == ["0700"]
    for key, value in {
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
        "PrivateTmp": "yes", "PrivateDevices": "yes", "RestrictNamespaces": "yes",
        "CapabilityBoundingSet": "", "UMask": "0077", "RestartPreventExitStatus": "2",
    }.items():  # fmt: skip
        assert settings[key] == [value], key
    assert "@system-service" in settings["SystemCallFilter"]
