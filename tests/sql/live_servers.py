"""Throwaway PostgreSQL and MariaDB servers for the live-database tests.

Each server runs from Debian's packages in a temporary directory, on a unix socket and a loopback
TCP port, and is stopped afterwards. Where the binaries are missing and the tests run as root with
apt-get, the package is installed first (a fresh CI machine); where that is impossible the caller
skips with the reason :func:`ensure_package` returns.

Both servers get a ``shop`` database holding the announcement's four tables (with comments and a
few rows) and a ``reader`` account that may read and write those tables: read-only execution has
to come from toolrouter's transactions, not from missing grants.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

READER_PASSWORD = "s3cret-reader-pw"
# The announcement's tables, created in this order so every foreign key finds its table.
TABLES = ("supplier_company_info", "customer_personal_info", "products", "transactions")
ROWS = (
    "INSERT INTO supplier_company_info (supplier_id, company_name) VALUES (1, 'Acme')",
    "INSERT INTO customer_personal_info (customer_id, first_name, city) VALUES (1, 'Anna', 'Berlin')",
    "INSERT INTO products (product_id, product_name, category, price, supplier_id) "
    "VALUES (1, 'Linen Summer Dress', 'Summer Apparel', 59, 1)",
    "INSERT INTO transactions VALUES (1, 1, 1, '2025-06-21', 1, 59)",
)


@dataclass
class LiveServer:
    """A running server: how to reach it as the reader and as its superuser.

    Attributes:
        name: ``"postgres"`` or ``"mariadb"``.
        dialect: The sqlglot dialect of its SQL.
        url: The reader's SQLAlchemy URL (password included).
        admin: Runs one statement as the superuser in ``shop`` and returns its rows.
        stop: Stops the server (``immediate``: the way a crash ends connections).
    """

    name: str
    dialect: str
    url: str
    admin: Callable[[str], list[tuple[Any, ...]]]
    stop: Callable[[], None]

    def checksum(self) -> dict[str, str]:
        """Everything a write could change: a checksum per table over all its rows, and the
        server's relations, accounts, extensions or plugins, large objects and read-only setting."""
        if self.name == "postgres":
            state = {table: f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
                     for table in TABLES}
            state |= {
                "relations": "SELECT array_agg(relname ORDER BY relname) FROM pg_class "
                             "WHERE relnamespace IN ('public'::regnamespace, 'analytics'::regnamespace)",
                "roles": "SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles",
                "extensions": "SELECT array_agg(extname ORDER BY extname) FROM pg_extension",
                "large objects": "SELECT count(*) FROM pg_largeobject_metadata",
                "read only": "SELECT setting FROM pg_settings WHERE name = 'default_transaction_read_only'",
            }
        else:
            state = {table: f"CHECKSUM TABLE {table} EXTENDED" for table in TABLES}
            state |= {
                "relations": "SELECT GROUP_CONCAT(CONCAT(table_schema, '.', table_name) ORDER BY 1) "
                             "FROM information_schema.tables WHERE table_schema NOT IN "
                             "('information_schema', 'performance_schema', 'sys')",
                "accounts": "SELECT GROUP_CONCAT(CONCAT(user, '@', host) ORDER BY 1) FROM mysql.user",
                "plugins": "SELECT COUNT(*) FROM mysql.plugin",
                "functions": "SELECT COUNT(*) FROM mysql.func",
                "read only": "SELECT @@GLOBAL.read_only",
            }
        return {name: str(self.admin(sql)[0][-1]) for name, sql in state.items()}


def ensure_package(binary: str, package: str) -> str | None:
    """Install ``package`` with apt-get when ``binary`` is missing; None when it is there, else why not."""
    if _find(binary):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"{binary} is missing and {package} cannot be installed here (needs root and apt-get)"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=environment)
        if done.returncode != 0:
            return f"apt-get could not install {package}: {done.stderr.strip()[-300:]}"
    return None if _find(binary) else f"{package} installed but {binary} is still missing"


def _find(binary: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{binary}"))
    return found[-1] if found else shutil.which(binary) or (f"/usr/sbin/{binary}" if os.path.exists(
        f"/usr/sbin/{binary}") else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(ready: Callable[[], bool], what: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
            raise RuntimeError(f"{what} did not start: {tail}")
        time.sleep(0.2)


@contextmanager
def postgres_server(ddl: str) -> Iterator[LiveServer]:
    """A fresh PostgreSQL cluster (``initdb``), password authentication on loopback TCP."""
    import psycopg

    bin_dir = Path(_find("initdb")).parent
    folder = Path(tempfile.mkdtemp(prefix="toolrouter-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "nobody")
        as_owner = ["runuser", "-u", "nobody", "--"]
    data, port, log = folder / "data", free_port(), folder / "log"

    def run(*command: str) -> None:
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=120)

    def connect(dbname: str = "shop"):
        return psycopg.connect(host=str(folder), port=port, user="postgres", dbname=dbname, autocommit=True)

    def admin(sql: str) -> list[tuple[Any, ...]]:
        with connect() as db:
            cursor = db.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def stop() -> None:
        subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
        f"-c listen_addresses=127.0.0.1 -k {folder} -p {port} -c fsync=off", "start")
    try:
        with connect("postgres") as db:
            db.execute("CREATE DATABASE shop")
            db.execute(f"CREATE ROLE reader LOGIN PASSWORD '{READER_PASSWORD}'")
        statements = {s.split("(")[0].split()[-1]: s for s in ddl.split(";") if "CREATE TABLE" in s}
        with connect() as db:
            for table in TABLES:
                db.execute(statements[table])
            for row in ROWS:
                db.execute(row)
            db.execute("COMMENT ON TABLE products IS 'Items the shop sells'")
            db.execute("COMMENT ON COLUMN products.category IS 'season line, e.g. Summer Apparel'")
            db.execute("CREATE SCHEMA analytics")
            db.execute("CREATE TABLE analytics.daily_revenue (day DATE PRIMARY KEY, revenue DECIMAL(12, 2))")
            db.execute("GRANT ALL ON ALL TABLES IN SCHEMA public, analytics TO reader")
            db.execute("GRANT ALL ON SCHEMA public, analytics TO reader")
        url = f"postgresql+psycopg://reader:{READER_PASSWORD}@127.0.0.1:{port}/shop"
        yield LiveServer("postgres", "postgres", url, admin, stop)
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def mariadb_server(ddl: str) -> Iterator[LiveServer]:
    """A fresh MariaDB server (``mariadb-install-db``), the reader with a password on loopback TCP."""
    import pymysql

    folder = Path(tempfile.mkdtemp(prefix="toolrouter-mariadb-"))
    data, sock, port, log = folder / "data", folder / "mysqld.sock", free_port(), folder / "error.log"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run([_find("mariadb-install-db"), "--no-defaults", f"--datadir={data}", "--skip-test-db",
                    "--auth-root-authentication-method=normal", *as_root],
                   check=True, capture_output=True, timeout=300)
    server = subprocess.Popen(
        [_find("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
         "--bind-address=127.0.0.1", f"--log-error={log}", f"--pid-file={folder / 'mysqld.pid'}",
         "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0", *as_root],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def connect(database: str | None = "shop"):
        return pymysql.connect(unix_socket=str(sock), user="root", database=database, autocommit=True)

    def ready() -> bool:
        try:
            connect(None).close()
        except pymysql.err.OperationalError:
            if server.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {log.read_text(errors='replace')[-2000:]}") from None
            return False
        return True

    def admin(sql: str) -> list[tuple[Any, ...]]:
        db = connect()
        try:
            with db.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        finally:
            db.close()

    def stop() -> None:
        if server.poll() is None:
            server.kill()  # SIGKILL: connections end as in a crash
            server.wait(timeout=60)

    try:
        _wait(ready, "mariadbd", log)
        db = connect(None)
        with db.cursor() as cursor:
            cursor.execute("CREATE DATABASE shop")
            cursor.execute("USE shop")
            statements = {s.split("(")[0].split()[-1]: s for s in ddl.split(";") if "CREATE TABLE" in s}
            for table in TABLES:
                cursor.execute(statements[table])
            for row in ROWS:
                cursor.execute(row)
            cursor.execute("ALTER TABLE products COMMENT = 'Items the shop sells'")
            cursor.execute("ALTER TABLE products MODIFY category VARCHAR(50) "
                           "COMMENT 'season line, e.g. Summer Apparel'")
            cursor.execute(f"CREATE USER 'reader'@'%' IDENTIFIED BY '{READER_PASSWORD}'")
            cursor.execute("GRANT ALL ON shop.* TO 'reader'@'%'")
        db.close()
        url = f"mysql+pymysql://reader:{READER_PASSWORD}@127.0.0.1:{port}/shop"
        yield LiveServer("mariadb", "mysql", url, admin, stop)
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)
