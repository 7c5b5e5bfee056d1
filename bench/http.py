"""Orders over HTTP against gunicorn on 127.0.0.1: POST /orders, start payment, the gateway's callback.

(Imported as bench.http; run.py takes bench/ off sys.path so this never shadows the stdlib `http`.)
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import REPO, RESULTS_DIR, BenchFailure, child_pids, describe, run_clients

HOST = "127.0.0.1"
API = "/api/v1"


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port on 127.0.0.1")


class Gunicorn:
    """gunicorn o2o.wsgi on 127.0.0.1, started by us and stopped by its pid."""

    def __init__(self, *, port: int, workers: int, threads: int) -> None:
        self.port, self.workers, self.threads = port, workers, threads
        self.proc: subprocess.Popen | None = None
        self.log_path = RESULTS_DIR / "gunicorn.log"

    @property
    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        return [
            str(gunicorn), "o2o.wsgi", "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
            "--threads", str(self.threads), "--worker-class", "gthread", "--keep-alive", "30",
            "--backlog", "1024", "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
        ]

    def start(self, timeout: float = 60) -> None:
        # O2O_ENV=development: the benchmark pays through the simulator with the development secrets.
        env = {**os.environ, "DB_CONN_MAX_AGE": "60", "O2O_ONLINE_SAFETY_BUFFER": "0", "DEBUG": "0",
               "O2O_ENV": "development"}
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", f"{API}/openapi.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    self._warm()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log_path}")

    def _warm(self) -> None:
        """Touch every worker once so the first measured requests do not pay for imports."""
        for _ in range(self.workers * 4):
            conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            conn.request("GET", f"{API}/openapi.json")
            conn.getresponse().read()
            conn.close()

    def worker_pids(self) -> list[int]:
        return [self.proc.pid, *child_pids(self.proc.pid)] if self.proc else []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)  # the master stops its workers gracefully
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def http_client(idx: int, clients: int, args: dict) -> Callable[[], dict[str, float]]:
    """A customer app on a keep-alive connection (order, start payment) and the gateway's signed
    callback once the customer has paid (built by the client, as the gateway builds it)."""
    from bench.orders import signed_gateway_callback
    from o2o.payments.gateways import SIGNATURE_HEADER

    tokens = args["tokens"][idx::clients] or args["tokens"]
    if args["scenario"] == "hot":
        pairs = [(args["hot_store"], args["hot_sku"])]
    else:
        pairs = [tuple(p) for p in args["spread_pairs"]]
    conn = http.client.HTTPConnection(HOST, args["port"], timeout=30)

    def call(path: str, body: dict | bytes | None = None, token: str | None = None, signature: str = "") -> dict:
        nonlocal conn
        data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if signature:
            headers[SIGNATURE_HEADER] = signature
        try:
            conn.request("POST", f"{API}{path}", body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection(HOST, args["port"], timeout=30)
            raise BenchFailure(f"connection:{type(exc).__name__}") from exc
        if response.status >= 300:
            try:
                code = json.loads(raw).get("code", "?")
            except ValueError:
                code = "not-json"
            raise BenchFailure(f"http{response.status}:{code}")
        return json.loads(raw)

    def one() -> dict[str, float]:
        token = random.choice(tokens)
        location_id, sku_id = random.choice(pairs)
        t0 = time.perf_counter()
        order = call("/orders", {"channel": "app", "fulfilment": "pickup", "location_id": location_id,
                                 "lines": [{"sku_id": sku_id, "quantity": 1}]}, token)
        t1 = time.perf_counter()
        started = call(f"/payments/orders/{order['id']}/online", token=token)
        t2 = time.perf_counter()
        ref = started["pay_url"].rsplit("/", 1)[1]
        callback, signature = signed_gateway_callback(started["payment"], ref)
        outcome = call("/payments/callbacks/simulated", callback, signature=signature)["outcome"]
        t3 = time.perf_counter()
        if outcome != "paid":
            raise BenchFailure(f"callback:{outcome}")
        return {"place": t1 - t0, "start_payment": t2 - t1, "callback": t3 - t2}

    return one


def issue_tokens(member_ids: list[int], count: int) -> list[str]:
    from o2o.access.services import issue_token
    from o2o.members.models import Member

    members = Member.objects.filter(pk__in=member_ids[-count:])  # the last members: not the service-layer buyers
    return [issue_token(member=m) for m in members]


def run_http(plan: dict, *, scenarios: list[str], client_counts: list[int], duration: float, start_method: str,
             seed: int, port: int, workers: int, threads: int, quiet_wait: float = 0.0,
             log=print) -> list[dict]:
    tokens = issue_tokens(plan["member_ids"], max(64, max(client_counts) * 2))
    server = Gunicorn(port=free_port(port), workers=workers, threads=threads)
    rows = []
    try:
        server.start()
        log(f"  gunicorn pid {server.proc.pid}: {' '.join(server.command[1:])}")
        for scenario in scenarios:
            for clients in client_counts:
                args = {**plan, "scenario": scenario, "seed": seed, "tokens": tokens, "port": server.port}
                result = run_clients(http_client, clients=clients, duration=duration, args=args,
                                     start_method=start_method, quiet_wait=quiet_wait,
                                     server_pids=server.worker_pids)
                row = {"layer": "http", "scenario": scenario, "server": f"gunicorn gthread {workers}x{threads}",
                       **result}
                log(describe(row))
                for fatal in row["fatal"]:
                    log(fatal)
                rows.append(row)
    finally:
        server.stop()
        log(f"  gunicorn stopped (exit code {server.proc.returncode if server.proc else None})")
    return rows
