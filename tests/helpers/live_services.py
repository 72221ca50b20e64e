"""Real PostgreSQL and Redis servers for the tests, on loopback, in temp folders.

The Debian packages are installed when missing (`scripts/install_services.sh`,
as root); when they cannot be, the tests that need them are skipped with the
reason, or fail when CI=true. Each server gets a free port, a throw-away data
folder and a password, and is stopped at the end of the test session.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from common.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT


class Unavailable(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bindir() -> Optional[Path]:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(os.path.realpath(initdb)).parent if initdb else None


def ensure_installed() -> None:
    """Installs PostgreSQL and Redis with apt when missing, or raises Unavailable."""
    if _pg_bindir() and shutil.which("redis-server"):
        return
    script = ROOT / "scripts" / "install_services.sh"
    try:
        result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Unavailable(f"could not install postgresql/redis-server: {error}") from error
    if result.returncode != 0 or not (_pg_bindir() and shutil.which("redis-server")):
        raise Unavailable(
            "postgresql/redis-server are not installed and could not be: "
            + (result.stderr.strip().splitlines() or ["no output"])[-1]
        )


def _as_postgres() -> List[str]:
    """Prefix to run PostgreSQL's programs: they refuse to run as root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if not runuser:
        raise Unavailable("running as root without runuser: cannot start PostgreSQL")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no 'postgres' user") from None
    return [runuser, "-u", "postgres", "--"]


class Postgres:
    def __init__(self) -> None:
        self.bindir = _pg_bindir()
        if self.bindir is None:
            raise Unavailable("PostgreSQL is not installed")
        self.dir = Path(tempfile.mkdtemp(prefix="pulpcare-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.user, self.password = "pulpcare", secrets.token_hex(12)
        self.prefix = _as_postgres()
        if self.prefix:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str, env: Optional[dict] = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*self.prefix, *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=self.dir,
        )
        if result.returncode != 0:
            raise Unavailable(f"{Path(args[0]).name} failed: {result.stderr.strip()[-500:]}")
        return result

    def start(self) -> "Postgres":
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self.prefix:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        )
        pwfile.unlink()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        env = dict(os.environ, PGPASSWORD=self.password)
        self._run(
            str(self.bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "CREATE DATABASE pulpcare",
            env=env,
        )
        return self

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/pulpcare"

    def new_database(self, name: str) -> str:
        """A fresh empty database on the same server; returns its URL."""
        env = dict(os.environ, PGPASSWORD=self.password)
        self._run(
            str(self.bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"CREATE DATABASE {name}",
            env=env,
        )
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            subprocess.run(
                [
                    *self.prefix,
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
                cwd=self.dir,
            )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise Unavailable("redis-server is not installed")
        self.dir = Path(tempfile.mkdtemp(prefix="pulpcare-redis-"))
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> "Redis":
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--requirepass",
                self.password,
                "--protected-mode",
                "yes",
            ],
            stdout=open(self.dir / "redis.log", "w"),
            stderr=subprocess.STDOUT,
        )
        import redis

        deadline = time.time() + 30
        while True:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return self
            except Exception:
                if self.process.poll() is not None or time.time() > deadline:
                    raise Unavailable(
                        "redis-server did not start: " + (self.dir / "redis.log").read_text()[-500:]
                    ) from None
                time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
