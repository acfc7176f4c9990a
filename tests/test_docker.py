"""The Dockerfile: its shape (always), and an image built and run where a Docker daemon is
available (slow; skipped with the reason where there is none)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            rows.append((keyword.upper(), rest.strip()))
    return rows


def test_dockerfile_cpu_torch_non_root_and_health_check() -> None:
    rows = _instructions()
    keywords = [k for k, _ in rows]
    runs = [rest for k, rest in rows if k == "RUN"]
    # CPU torch from PyTorch's CPU index, installed before the project (which needs torch).
    torch_step = next(i for i, r in enumerate(runs) if "torch" in r)
    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch_step]
    project_step = next(i for i, r in enumerate(runs) if re.search(r"pip install \.", r))
    assert torch_step < project_step
    # The project at the versions CI tests (the torch pin: tests/test_dependencies.py).
    assert "-c constraints.txt" in runs[project_step]
    assert any("constraints.txt" in rest.split() for k, rest in rows if k == "COPY")
    # The service runs as a user of its own, set before the command.
    users = [rest for k, rest in rows if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert keywords.index("USER") < keywords.index("CMD")
    # The health check asks /readyz; the command serves on all interfaces.
    (health,) = [rest for k, rest in rows if k == "HEALTHCHECK"]
    assert "/readyz" in health
    assert json.loads(next(rest for k, rest in rows if k == "CMD")) == ["qa", "serve"]
    env = " ".join(rest for k, rest in rows if k == "ENV")
    assert "QA_HOST=0.0.0.0" in env and "QA_INDEX_DIR=/data/index" in env
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "runs"} <= set(ignored)


def _docker_daemon() -> str | None:
    """None when a Docker daemon answers, else why not."""
    if shutil.which("docker") is None:
        return "no docker CLI"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        return "no Docker daemon: " + " ".join(info.stderr.split())[:200]
    return None


@pytest.mark.slow
def test_image_builds_runs_as_non_root_and_becomes_healthy() -> None:
    reason = _docker_daemon()
    if reason is not None:
        pytest.skip(f"needs a Docker daemon to build and run the image ({reason})")
    tag = f"zhnews-qa-test:{uuid.uuid4().hex[:8]}"
    name = f"zhnews-qa-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=3600)
    try:
        subprocess.run(
            [
                "docker",
                "run",
                "-d",
                "--name",
                name,
                "-p",
                "127.0.0.1::8000",
                "-e",
                "QA_MODEL=",
                tag,
            ],
            check=True,
            timeout=60,
        )
        user = subprocess.run(
            ["docker", "exec", name, "id", "-u"], capture_output=True, text=True, timeout=30
        )
        assert user.stdout.strip() not in ("", "0")
        port = (
            subprocess.run(
                ["docker", "port", name, "8000/tcp"], capture_output=True, text=True, check=True
            )
            .stdout.split(":")[-1]
            .strip()
        )
        deadline = time.monotonic() + 600
        status = ""
        while time.monotonic() < deadline:
            status = subprocess.run(
                ["docker", "inspect", "--format", "{{.State.Health.Status}}", name],
                capture_output=True,
                text=True,
            ).stdout.strip()
            if status in ("healthy", "unhealthy"):
                break
            time.sleep(5)
        assert status == "healthy", status
        body = json.dumps({"question": "白马湖实验室是哪家企业牵头共建的?"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/ask",
            data=body,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert "浙江省能源集团" in answer["answer"]
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
