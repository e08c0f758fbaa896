"""Runs `gateway serve` as a real process on loopback, the way an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.helpers.waiting import wait_until

GATEWAY = [sys.executable, "-m", "gateway.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GatewayProcess:
    def __init__(
        self, workdir: Path, config: dict[str, Any], workers: int = 1, extra_env: dict[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.extra_env = extra_env or {}
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.config_path = workdir / "gateway.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.port = free_port()
        self.workers = workers
        self.log_path = workdir / f"gateway-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, group: str, command: str, *rest: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `gateway GROUP COMMAND --config <this config> REST…` and return what it printed."""
        result = subprocess.run(
            [*GATEWAY, group, command, "--config", str(self.config_path), *rest],
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=self.env(),
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"gateway {group} {command} failed: {result.stderr}")
        return result

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1", **self.extra_env}

    def create_key(self, team: str, models: str | None = None) -> str:
        extra = ["--models", models] if models else []
        self.cli("teams", "create", team, *extra, check=False)
        return self.cli("keys", "create", "--team", team).stdout.strip().splitlines()[-1]

    def start(self) -> GatewayProcess:
        """Start `gateway serve` and wait until it answers. The port was only free when it was picked:
        another test may have taken it since, so a gateway that could not bind it moves to a new one."""
        for _ in range(3):
            if self._start_on_port():
                return self
            self.port = free_port()
        raise AssertionError(f"the gateway found no free port:\n{self.log()}")

    def _start_on_port(self) -> bool:
        serve = [*GATEWAY, "serve", "--config", str(self.config_path), "--port", str(self.port)]
        with self.log_path.open("wb") as log:  # the process writes to its own copy of the file
            self.process = subprocess.Popen(
                [*serve, "--workers", str(self.workers)],
                cwd=self.workdir,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(self._serves_or_exited, timeout=60, waiting_for="the gateway to answer /healthz")
        except AssertionError as failure:
            raise AssertionError(f"{failure}:\n{self.log()}") from None
        if self.process.poll() is None:
            return True
        if "address already in use" in self.log():
            return False
        raise AssertionError(f"the gateway exited at start:\n{self.log()}")

    def _serves_or_exited(self) -> bool:
        """True once this gateway has bound its port and answers there (a /healthz answer alone could
        come from another test's server on the same port), or once it has exited."""
        assert self.process is not None
        if self.process.poll() is not None:
            return True
        if "Uvicorn running on" not in self.log():
            return False
        try:
            return httpx.get(f"{self.root_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
