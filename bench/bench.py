"""Side-by-side benchmark: this assistant against Rasa's own starter bot (`rasa init`).

Both are trained here (full training, timed), their models' load time is timed in
a fresh process, both servers are started, and the same parent messages are sent
to both over the REST channel, alternating between them:
  * sequential: one conversation at a time (at least 150 messages each),
  * concurrent: 20 conversations at once (at least 400 messages each),
then a 60-second load test of 50 concurrent conversations against this assistant,
checked afterwards against the tracker store (every user message has a reply).

Prints p50/p95 latency, messages per second, errors, the Rasa server's resident
memory, model load time, training time, and the ratios. Usage:
  python bench/bench.py [--quick] [--json results/bench.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = dict(
    os.environ,
    RASA_TELEMETRY_ENABLED="false",
    SQLALCHEMY_SILENCE_UBER_WARNING="1",
    RATE_LIMIT_PER_MINUTE="0",  # the benchmark sends faster than a parent types
    # ...and from one address: without this every message past 120 a minute got the
    # instant "slow down" reply, which the figures counted as answers
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE="0",
    TF_CPP_MIN_LOG_LEVEL="2",
)

MESSAGES = [
    "hi",
    "what is a pulpotomy",
    "will it hurt",
    "and the other one?",
    "how long is recovery",
    "why not just pull the baby tooth",
    "my 4 yo needs a pulpotamy, is it safe?",
    "what can she eat after",
    "how much does it cost",
    "does the crown fall out with the tooth",
    "is it a root canal",
    "how do we stop this happening again",
    "will they use laughing gas",
    "thanks",
    "whats the difference between them",
    "can antibiotics fix it instead",
    "how long does the appointment take",
    "tell me more",
    "his cheek is swollen",
    "bye",
    # Spanish (issue 13): a third of a practice's parents may write in Spanish
    "hola",
    "q es una pulpotomia? el dentista dice q mi hijo necesita una",
    "y le va a doler?",
    "cuanto cuesta con el seguro",
    "xq no le sacan el diente de leche nomas",
    "mi hija needs una corona, es de metal?",
    "se le hincho el cachete y tiene calentura",
    "muchas gracias",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in children.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def timed_train(project: Path, out: Path, name: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "rasa"), "train", "--force", "--fixed-model-name", name, "--out", str(out)],
        cwd=project,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def timed_load(project: Path, model: Path) -> float:
    code = (
        "import time,sys,logging;sys.path.insert(0,'.');"
        "from rasa.core.agent import Agent;t=time.perf_counter();"
        f"Agent.load({str(model)!r});print(time.perf_counter()-t)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


@dataclass
class Bot:
    name: str
    project: Path
    model: Path
    port: int = field(default_factory=free_port)
    processes: List[subprocess.Popen] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    with_actions: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, logs: Path) -> None:
        """This assistant runs as `make run` runs it (addons.server.serve, its channels, the
        SQLite tracker store, the action server); the starter bot as `rasa run`."""
        common = [
            "-m",
            str(self.model),
            "--port",
            str(self.port),
            "--interface",
            "127.0.0.1",
            "--credentials",
            str(self.project / "credentials.yml"),
        ]
        if self.with_actions:
            action_port = free_port()
            env = dict(
                ENV,
                ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}/webhook",
                TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
                RASA_AUTH_TOKEN=self.token,
            )
            self.processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "rasa"),
                        "run",
                        "actions",
                        "--port",
                        str(action_port),
                        "--actions",
                        "actions.actions",
                    ],
                    cwd=self.project,
                    env=env,
                    stdout=open(logs / f"{self.name}-actions.log", "w"),
                    stderr=subprocess.STDOUT,
                )
            )
            command = [
                sys.executable,
                "-m",
                "addons.server.serve",
                *common,
                "--endpoints",
                str(self.project / "endpoints.yml"),
            ]
        else:
            env = ENV
            command = [
                str(BIN / "rasa"),
                "run",
                *common,
                "--enable-api",
                "--auth-token",
                self.token,
            ]
        self.processes.append(
            subprocess.Popen(
                command,
                cwd=self.project,
                env=env,
                stdout=open(logs / f"{self.name}-rasa.log", "w"),
                stderr=subprocess.STDOUT,
            )
        )

    @property
    def rasa_pid(self) -> int:
        return self.processes[-1].pid

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def send(session: aiohttp.ClientSession, bot: Bot, sender: str, text: str):
    start = time.perf_counter()
    try:
        async with session.post(
            f"{bot.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            body = await response.json()
            ok = response.status == 200 and isinstance(body, list) and len(body) > 0
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        ok = False
    return time.perf_counter() - start, ok


async def wait_ready(session, bot: Bot, seconds: float = 300) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if any(p.poll() is not None for p in bot.processes):
            raise RuntimeError(f"{bot.name} exited during start-up")
        _, ok = await send(session, bot, "warm-up", "hello")
        if ok:
            return time.perf_counter() - start
        await asyncio.sleep(0.5)
    raise TimeoutError(bot.name)


@dataclass
class Run:
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def add(self, other: "Run") -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.elapsed += other.elapsed

    def summary(self) -> Dict[str, float]:
        lat = sorted(self.latencies)
        q = statistics.quantiles(lat, n=20) if len(lat) >= 20 else [max(lat)] * 19
        return {
            "messages": len(lat),
            "p50_ms": 1000 * statistics.median(lat),
            "p95_ms": 1000 * q[18],
            "msgs_per_s": len(lat) / self.elapsed,
            "errors": self.errors,
        }


async def conversation(session, bot, sender, texts, run: Run) -> None:
    for text in texts:
        latency, ok = await send(session, bot, sender, text)
        run.latencies.append(latency)
        run.errors += 0 if ok else 1


async def phase(session, bot: Bot, conversations: int, per_conversation: int, tag: str) -> Run:
    run = Run()
    start = time.perf_counter()
    await asyncio.gather(
        *[
            conversation(
                session,
                bot,
                f"{tag}-{i}",
                [MESSAGES[(i + k) % len(MESSAGES)] for k in range(per_conversation)],
                run,
            )
            for i in range(conversations)
        ]
    )
    run.elapsed = time.perf_counter() - start
    return run


async def drive(ours: Bot, starter: Bot, quick: bool) -> Dict:
    rounds = 2 if quick else 6
    results: Dict[str, Dict[str, Any]] = {
        b.name: {"sequential": Run(), "concurrent": Run()} for b in (ours, starter)
    }
    async with aiohttp.ClientSession() as session:
        for bot in (ours, starter):
            results[bot.name]["ready_s"] = await wait_ready(session, bot)
        for r in range(rounds):  # alternate the order every round
            order = (ours, starter) if r % 2 == 0 else (starter, ours)
            for bot in order:
                results[bot.name]["sequential"].add(
                    await phase(session, bot, 1, 25 if not quick else 10, f"seq{r}")
                )
            for bot in order:
                results[bot.name]["concurrent"].add(
                    await phase(session, bot, 20, 4 if not quick else 2, f"con{r}")
                )
        for bot in (ours, starter):
            results[bot.name]["rss_mb"] = rss_mb(bot.rasa_pid)
    return results


async def load_test(bot: Bot, conversations: int = 50, seconds: float = 60) -> Dict:
    """50 conversations for 60 s; then every user message must have a reply in the tracker."""
    sent: Dict[str, int] = {}
    run = Run()
    deadline = time.perf_counter() + seconds

    async def one(session, index):
        sender = f"load-{index}"
        sent[sender] = 0
        k = 0
        while time.perf_counter() < deadline:
            latency, ok = await send(session, bot, sender, MESSAGES[(index + k) % len(MESSAGES)])
            run.latencies.append(latency)
            run.errors += 0 if ok else 1
            sent[sender] += 1
            k += 1

    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        await asyncio.gather(*[one(session, i) for i in range(conversations)])
        run.elapsed = time.perf_counter() - start
        missing = 0
        for sender, count in sent.items():
            # Stored as the REST channel's conversation, `rest:<sender>` (common/conversations.py);
            # reading `<sender>` found an empty conversation and counted every message missing.
            stored = urllib.parse.quote(f"rest:{sender}", safe="")
            async with session.get(
                f"{bot.url}/conversations/{stored}/tracker", params={"token": bot.token}
            ) as response:
                events = (await response.json())["events"]
            users = [i for i, e in enumerate(events) if e["event"] == "user"]
            answered = sum(
                any(e["event"] == "bot" for e in events[i + 1 : j])
                for i, j in zip(users, users[1:] + [len(events)], strict=False)
            )
            missing += (count - answered) + (count - len(users))
    return {
        **run.summary(),
        "conversations": conversations,
        "seconds": seconds,
        "user_messages_without_reply": missing,
    }


def make_starter(workdir: Path) -> Path:
    project = workdir / "starter"
    project.mkdir()
    subprocess.run(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
        cwd=workdir,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shutil.rmtree(project / "models", ignore_errors=True)
    return project


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer messages, no load test")
    parser.add_argument("--json", default=str(ROOT / "results" / "bench.json"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pulpcare-bench-"))
    logs = workdir / "logs"
    logs.mkdir()
    print(f"work folder: {workdir}", flush=True)
    starter_project = make_starter(workdir)
    figures: Dict[str, Dict] = {"ours": {}, "starter": {}}
    models = {"ours": workdir / "models-ours", "starter": workdir / "models-starter"}
    print("training both (full, no cache)...", flush=True)
    figures["ours"]["train_s"] = timed_train(ROOT, models["ours"], "bench")
    figures["starter"]["train_s"] = timed_train(starter_project, models["starter"], "bench")
    ours = Bot("ours", ROOT, models["ours"] / "bench.tar.gz", with_actions=True)
    starter = Bot("starter", starter_project, models["starter"] / "bench.tar.gz")
    for name, bot in (("ours", ours), ("starter", starter)):
        figures[name]["model_load_s"] = timed_load(bot.project, bot.model)
    try:
        ours.start(logs)
        starter.start(logs)
        print("driving both...", flush=True)
        results = asyncio.run(drive(ours, starter, args.quick))
        for name in ("ours", "starter"):
            figures[name]["sequential"] = results[name]["sequential"].summary()
            figures[name]["concurrent"] = results[name]["concurrent"].summary()
            figures[name]["rss_mb"] = results[name]["rss_mb"]
            figures[name]["ready_s"] = results[name]["ready_s"]
        starter.stop()
        if not args.quick:
            print("load test: 50 conversations for 60 s...", flush=True)
            figures["ours"]["load_test"] = asyncio.run(load_test(ours))
    finally:
        ours.stop()
        starter.stop()
    figures["ratios"] = {
        "p50_sequential_ours_over_starter": figures["ours"]["sequential"]["p50_ms"]
        / figures["starter"]["sequential"]["p50_ms"],
        "throughput_concurrent_ours_over_starter": figures["ours"]["concurrent"]["msgs_per_s"]
        / figures["starter"]["concurrent"]["msgs_per_s"],
        "train_ours_over_starter": figures["ours"]["train_s"] / figures["starter"]["train_s"],
    }
    figures["machine"] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }
    print_report(figures)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(figures, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def print_report(f: Dict) -> None:
    rows = [
        ("p50 latency, 1 conversation (ms)", "sequential", "p50_ms"),
        ("p95 latency, 1 conversation (ms)", "sequential", "p95_ms"),
        ("messages/s, 1 conversation", "sequential", "msgs_per_s"),
        ("p50 latency, 20 concurrent (ms)", "concurrent", "p50_ms"),
        ("p95 latency, 20 concurrent (ms)", "concurrent", "p95_ms"),
        ("messages/s, 20 concurrent", "concurrent", "msgs_per_s"),
        ("errors, 1 conversation", "sequential", "errors"),
        ("errors, 20 concurrent", "concurrent", "errors"),
        ("messages sent, 1 conversation", "sequential", "messages"),
        ("messages sent, 20 concurrent", "concurrent", "messages"),
    ]
    print(f"\n{'':38s}{'this assistant':>16s}{'starter bot':>14s}{'ratio':>8s}")
    for label, section, key in rows:
        a, b = f["ours"][section][key], f["starter"][section][key]
        ratio = f"{a / b:8.2f}" if b else "       -"
        print(f"{label:38s}{a:16.1f}{b:14.1f}{ratio}")
    for label, key in (
        ("Rasa server resident memory (MB)", "rss_mb"),
        ("model load time (s)", "model_load_s"),
        ("full training time (s)", "train_s"),
        ("start-up to first answer (s)", "ready_s"),
    ):
        a, b = f["ours"][key], f["starter"][key]
        print(f"{label:38s}{a:16.1f}{b:14.1f}{a / b:8.2f}")
    if "load_test" in f["ours"]:
        lt = f["ours"]["load_test"]
        print(
            f"\nload test, 50 conversations x 60 s: {lt['messages']} messages, "
            f"{lt['msgs_per_s']:.1f}/s, p50 {lt['p50_ms']:.0f} ms, p95 {lt['p95_ms']:.0f} ms, "
            f"errors {lt['errors']}, user messages without a reply in the tracker: "
            f"{lt['user_messages_without_reply']}"
        )
    m = f["machine"]
    print(f"\nmachine: {m['cores']} cores, Python {m['python']}, {m['date']}")


if __name__ == "__main__":
    sys.exit(main())
