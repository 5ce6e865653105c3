"""A private OpenLink Virtuoso for tests: its own folder and ini, listening on 127.0.0.1 only.

Debian's ``virtuoso-opensource`` ships ``virtuoso-t`` and an ini whose server listens on every interface
(``ServerPort = 1111``, HTTP ``8890``); the ini written here binds both ports to 127.0.0.1 on free ports, keeps
the database in a temporary folder and lifts ``ResultSetMaxRows`` (10,000 by default, silently truncating).
A fresh database starts in about 3 seconds. ``.ci/run`` installs the package.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from kb.graph.snapshot import Snapshot

BINARY = "virtuoso-t"
VSP_ROOT = Path("/var/lib/virtuoso-opensource-7/vsp")
USER, PASSWORD = "dba", "dba"  # the fresh database's administrator; only reachable from this machine

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = ., {dir}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
MaxQueryMem = 1G
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {vsp}
ServerThreads = 10
MaxClientConnections = 10
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
"""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Virtuoso:
    """A running private Virtuoso: its folder, ports and process."""

    folder: Path
    sql_port: int
    http_port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        """The SPARQL 1.1 Protocol endpoint (read-only for anonymous users)."""
        return f"{self.base}/sparql"

    @property
    def graph_store(self) -> str:
        """The SPARQL 1.1 Graph Store Protocol endpoint that accepts writes (HTTP digest auth dba/dba)."""
        return f"{self.base}/sparql-graph-crud-auth"

    def log(self) -> str:
        path = self.folder / "virtuoso.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(folder: Path, memory_mb: int = 256, timeout: float = 60.0) -> Virtuoso:
    """Start Virtuoso on a fresh database in ``folder`` and return once its SPARQL endpoint answers.

    ``memory_mb`` sizes the buffer pool (8 KiB pages). Raises RuntimeError, with the server's log, when it
    exits or does not answer within ``timeout`` seconds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    buffers = max(2000, memory_mb * 1024 // 8 * 2 // 3)
    (folder / "virtuoso.ini").write_text(INI.format(
        dir=folder, sql_port=sql_port, http_port=http_port, vsp=VSP_ROOT, buffers=buffers,
        dirty_buffers=buffers * 3 // 4,
    ), "utf-8")
    process = subprocess.Popen(
        [BINARY, "-c", str(folder / "virtuoso.ini"), "+foreground"], cwd=folder,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = Virtuoso(folder, sql_port, http_port, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso exited with {process.returncode}:\n{server.log()[-2000:]}")
        try:
            if httpx.get(server.sparql, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"virtuoso did not answer within {timeout} s:\n{server.log()[-2000:]}")


def published_snapshot(server: Virtuoso, root: Path, base_iri: str = "https://kb.example.org/") -> Snapshot:
    """Publish the knowledge base under ``root`` into ``server`` (kb publish) and return the snapshot an API
    replica serves from it (``--store sparql+http://…/sparql``)."""
    from kb.config import Settings
    from kb.publish import root as publish_from_root
    from kb.serve import remote

    publish_from_root.over_graph_store(root, base_iri, server.graph_store, httpx.DigestAuth(USER, PASSWORD))
    return remote.snapshot(Settings(root=root, store=f"sparql+{server.sparql}", base_iri=base_iri))
