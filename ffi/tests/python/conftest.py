"""Fixtures for driving the MyCase library through its generated Python bindings.

The Rust test `ffi/tests/it/python.rs` builds the library, generates the bindings
and runs this suite with:

- MYCASE_FFI_BINDINGS: a folder holding `mycase.py` and the library beside it;
- MYCASE_BIN: the `mycase` command-line client (the survivor's other device);
- MYCASE_TEST_SERVER: the `mycase-test-server` binary (a real server on 127.0.0.1).
"""

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, os.environ["MYCASE_FFI_BINDINGS"])

import mycase  # noqa: E402  (the generated bindings)

PASS = "correct horse battery staple"
LINE_TIMEOUT = 60


class Server:
    """A real MyCase server in its own process, driven by line commands."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [os.environ["MYCASE_TEST_SERVER"]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = json.loads(self.proc.stdout.readline())
        self.url = hello["url"]
        self.ca_cert = hello["ca_cert"]
        self.server_key = hello["server_key"]
        with open(self.ca_cert) as f:
            self.ca_pem = f.read()

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert answer["ok"], answer
        return answer

    def stop(self):
        self.command("stop")

    def start(self):
        self.command("start")

    def tamper(self, device_id):
        return self.command(f"tamper {device_id}")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=LINE_TIMEOUT)


class Cli:
    """The `mycase` command-line client on its own home: the survivor's laptop."""

    def __init__(self, home, server):
        self.home = str(home)
        self.server = server

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MYCASE_")}
        env["MYCASE_PASSPHRASE"] = PASS
        return env

    def args(self, *args):
        return [os.environ["MYCASE_BIN"], "--home", self.home, *args]

    def run(self, *args, check=True):
        out = subprocess.run(
            self.args(*args),
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert out.returncode == 0, f"mycase {args} failed: {out.stderr}"
        return out

    def json(self, *args):
        return json.loads(self.run(*args).stdout)

    def spawn(self, *args):
        return subprocess.Popen(
            self.args(*args),
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


class Events(mycase.JournalListener):
    """Collects the journal's events, which arrive on the core's own threads."""

    def __init__(self):
        self.queue = queue.Queue()
        self.threads = set()

    def on_event(self, event):
        self.threads.add(threading.get_ident())
        self.queue.put(event)

    async def wait_for(self, kind, timeout=LINE_TIMEOUT):
        """The next event of type `kind` (others are skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"no {kind.__name__} event came"
            try:
                event = await asyncio.to_thread(self.queue.get, True, left)
            except queue.Empty:
                raise AssertionError(f"no {kind.__name__} event came")
            if isinstance(event, kind):
                return event


class Progress(mycase.ProgressListener):
    def __init__(self):
        self.calls = []

    def on_progress(self, done, total):
        self.calls.append((done, total))


class Matching(mycase.JoinListener):
    def __init__(self):
        self.codes = queue.Queue()

    def show_matching_code(self, matching_code):
        self.codes.put(matching_code)


class MemoryKeystore(mycase.SecretStore):
    """Stands in for the Keychain / Android Keystore."""

    def __init__(self):
        self.secrets = {}
        self.reads = 0

    def put(self, name, secret):
        self.secrets[name] = bytes(secret)

    def get(self, name):
        self.reads += 1
        return self.secrets.get(name)

    def contains(self, name):
        return name in self.secrets

    def delete(self, name):
        self.secrets.pop(name, None)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def new_journal(tmp_path, name="phone", keystore=None):
    return mycase.Journal(str(tmp_path / name), keystore)


async def create(journal, server, name="phone"):
    return await journal.create_journal(
        mycase.CreateJournal(
            server_url=server.url,
            ca_cert_pem=server.ca_pem,
            device_name=name,
            passphrase=PASS,
            invite=None,
        )
    )


def entry(title, text, when="14/03/2026 21:30", **fields):
    """An EntryInput with every field given a value (or the ones named)."""
    empty_date = mycase.DateParts(day="", month="", year="", time="")
    base = dict(
        title=title,
        text=text,
        when=mycase.WhenInput(
            kind=mycase.WhenKind.WORDS, start=empty_date, end=empty_date, words=when
        ),
        confirm_future=False,
        categories=[],
        tags=[],
        severity=None,
        location="",
        people=[],
        new_people=[],
        injuries="",
        police_references=[],
        actions_taken=[],
        impact="",
    )
    base.update(fields)
    return mycase.EntryInput(**base)


async def pair_cli(journal, cli, server, name="laptop"):
    """Adds the CLI device to the FFI device's journal, as a survivor does:
    the code shown on the phone typed into `mycase join` on the laptop, then the
    laptop's matching code confirmed on the phone."""
    pairing = await journal.begin_pairing()
    join = cli.spawn(
        "join",
        "--server", server.url,
        "--code", pairing.code(),
        "--ca-cert", server.ca_cert,
        "--device-name", name,
        "--json",
    )
    # The new device shows its matching code only once this device has answered
    # its request, so both wait at once.
    asked = asyncio.ensure_future(pairing.await_request())
    try:
        line = await asyncio.wait_for(asyncio.to_thread(join.stdout.readline), LINE_TIMEOUT)
        assert line, join.stderr.read()
        shown = json.loads(line)
        request = await asyncio.wait_for(asked, LINE_TIMEOUT)
        assert request.name == name
        added = await asyncio.wait_for(pairing.confirm(shown["matching_code"]), LINE_TIMEOUT)
        joined = json.loads(
            await asyncio.wait_for(asyncio.to_thread(join.stdout.readline), LINE_TIMEOUT)
        )
        out, err = await asyncio.to_thread(join.communicate, None, LINE_TIMEOUT)
    except (asyncio.TimeoutError, subprocess.TimeoutExpired):
        join.kill()
        raise AssertionError(f"mycase join did not finish: {join.stderr.read()}")
    finally:
        asked.cancel()
    assert join.returncode == 0, err
    assert added.device_id == joined["device_id"]
    return added
