"""The gradebook on a PostgreSQL server: URL normalisation and a private server for tests and single instructors.

nbgrader's gradebook is SQLAlchemy: any database URL works once its driver is installed. A course with several
graders entering manual grades at the same time (formgrader) while a batch records autograded scores needs a
server database — SQLite locks the whole file per write and nbgrader warns against sharing it. The course ships
the pure-wheel driver ``psycopg`` (version 3); SQLAlchemy's plain ``postgresql://`` means the older ``psycopg2``,
so :func:`normalize_url` rewrites it to ``postgresql+psycopg://``.

:class:`PrivateServer` starts a throw-away PostgreSQL cluster (``initdb`` + ``pg_ctl``) in a folder of its own,
listening on 127.0.0.1 only with ``trust`` authentication: the tests use it, and so can an instructor who grades
alone on a laptop (``make pg-start`` / ``make pg-stop``). A shared server for several graders is set up once with
the distribution's tools (see ``docs/large-course.md``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from metaopt_instructor.config import STATE_DIR

__all__ = ["normalize_url", "is_server_url", "postgres_bin", "PrivateServer", "ServerUnavailable"]


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server can be started on this machine (binaries or the ``postgres`` user missing)."""


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` → ``postgresql+psycopg://`` (the driver the course installs);
    every other URL unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_server_url(url: str) -> bool:
    """Whether the gradebook lives on a database server (not an SQLite file)."""
    return not url.startswith("sqlite")


def postgres_bin() -> Path:
    """The folder holding ``initdb``/``pg_ctl``: Debian's newest ``/usr/lib/postgresql/<N>/bin``, else ``PATH``."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ServerUnavailable("PostgreSQL is not installed (Debian/Ubuntu: apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateServer:
    """A PostgreSQL cluster in ``folder`` (created when missing) on 127.0.0.1:``port``, owned by the ``postgres``
    system user when we are root (PostgreSQL refuses to run as root), by the current user otherwise."""

    def __init__(self, folder: Path | str, port: int | None = None, database: str = "metaopt"):
        self.folder = Path(folder).resolve()
        self.port = port or _free_port()
        self.database = database
        self.bin = postgres_bin()
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ServerUnavailable("running as root needs the 'postgres' system user "
                                        "(created by apt-get install postgresql)") from None

    @property
    def url(self) -> str:
        return self.database_url(self.database)

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(prefix + list(cmd), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise ServerUnavailable(f"{Path(cmd[0]).name} failed ({done.returncode}): "
                                    f"{(done.stderr or done.stdout).strip()[-800:]}")
        return done

    def start(self) -> "PrivateServer":
        """initdb (first time), start, create the database; returns self (``url`` is ready to use)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            ids = pwd.getpwnam("postgres")
            os.chown(self.folder, ids.pw_uid, ids.pw_gid)
        os.chmod(self.folder, 0o700)
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user,
                      "-E", "UTF8", "--no-locale")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w",
                  "-t", "60", "start")
        self.create_database(self.database)
        return self

    def create_database(self, name: str) -> str:
        """Create database ``name`` (once; letters, digits and ``_`` only) and return its URL."""
        import psycopg

        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                                     autocommit=True) as conn:
                    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{name}"')
                return self.database_url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def __enter__(self) -> "PrivateServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m metaopt_instructor.database start|stop|url [FOLDER] [--port N]``: a private server for one instructor."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m metaopt_instructor.database", description=main.__doc__)
    parser.add_argument("action", choices=("start", "stop", "url"))
    parser.add_argument("folder", nargs="?", default=f"{STATE_DIR}/postgres")
    parser.add_argument("--port", type=int, default=5433)
    args = parser.parse_args(argv)
    try:
        server = PrivateServer(args.folder, port=args.port)
        if args.action == "start":
            server.start()
        elif args.action == "stop":
            server.stop()
            print(f"stopped the server in {server.folder}")
            return 0
    except ServerUnavailable as err:
        print(f"error: {err}")
        return 2
    print(f"gradebook URL: {server.url}\n  metaopt grade autograde --db-url {server.url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
