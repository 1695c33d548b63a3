"""Kamailio with contrib/kamailio/kamailio.cfg, run for a test: in the foreground (-DD, logging
to a file through -E), its runtime folder and a copy of the config in a temporary folder (so
that a did-portal-local.cfg beside the shipped one is not read), settings given with -A."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import KAMAILIO
from tests.switches.sip import Caller

CONFIG = Path(__file__).resolve().parents[2] / "contrib" / "kamailio" / "kamailio.cfg"


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Kamailio:
    def __init__(self, folder: Path, **settings: str | int):
        self.folder = folder
        self.host = "127.0.0.1"
        self.port = free_udp_port(self.host)
        self.settings = {"LISTEN_ADDR": self.host, "LISTEN_PORT": self.port, **settings}
        self.log_path = folder / "kamailio.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def command(self) -> list[str]:
        config = self.folder / "kamailio.cfg"
        shutil.copyfile(CONFIG, config)
        command = [KAMAILIO, "-f", str(config), "-DD", "-E", "-Y", str(self.folder), "-w", str(self.folder),
                   "-m", "32", "-M", "8"]
        for name, value in self.settings.items():
            command += ["-A", name if value is True else f"{name}={value}"]
        return command

    def start(self, *, timeout: float = 15.0) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        probe = Caller(self.address)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"Kamailio exited with {self.process.returncode}:\n{self.log()}")
                try:
                    if probe.options(timeout=0.5, interval=0.02).status == 200:  # ready
                        return
                except AssertionError:
                    pass  # not listening yet
            raise RuntimeError(f"Kamailio did not answer OPTIONS within {timeout} s:\n{self.log()}")
        finally:
            probe.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # the main process stops its workers
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what we started
            self.process.wait(timeout=5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
