"""A real single-node SLURM cluster on this machine, for the profile tests.

Debian's slurm-wlm (22.05) and munge: munged, slurmctld and slurmd run as root, from a scratch
folder, on free ports, with a private munge key and socket, no accounting
(ProctrackType=proctrack/linuxproc, TaskPlugin=task/none). The configuration has to be
/etc/slurm/slurm.conf: the executor plugin's job step drops SLURM_CONF from the environment of
the `srun` it starts inside each job, so `srun` only finds the default path. The file is written
only when there is none (or a stale one of ours) and removed again by stop().
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

SLURM_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# spatule test cluster (tests/slurm_cluster.py): removed when the test ends"
COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "scontrol", "sinfo", "scancel")
NODE = "spatule1"
LOCK = Path("/tmp/spatule-slurm-test.lock")


def unavailable() -> str | None:
    """Why a local SLURM cannot be started here, or None."""
    missing = [c for c in COMMANDS if shutil.which(c) is None and not Path("/usr/sbin", c).exists()]
    if missing:
        return f"SLURM/munge not installed (missing {', '.join(missing)}; apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "starting slurmd/slurmctld/munged needs root"
    if SLURM_CONF.exists() and MARKER not in SLURM_CONF.read_text(errors="replace"):
        return f"{SLURM_CONF} already holds a real SLURM configuration; not overwriting it"
    return None


def command(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_hardware() -> dict[str, int]:
    """What `slurmd -C` finds (CPUs, sockets, cores, threads, memory): the node line must not claim more."""
    out = subprocess.run([command("slurmd"), "-C"], capture_output=True, text=True, timeout=60).stdout
    fields = dict(re.findall(r"(\w+)=(\d+)", out))
    keys = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory")
    if not all(k in fields for k in keys):
        raise RuntimeError(f"unexpected `slurmd -C` output: {out!r}")
    return {k: int(fields[k]) for k in keys}


class LocalSlurm:
    """Start with start(), stop with stop(); `cpus` and `memory_mb` say what the node offers.

    `cpus` may exceed the machine's (SlurmdParameters=config_overrides): jobs that mostly wait
    (Snakemake starting up in each job) then share the cores instead of queueing.
    """

    def __init__(self, root: Path, cpus: int | None = None):
        self.root = root
        self.processes: dict[str, subprocess.Popen] = {}
        self.wrote_conf = False
        self.lock = None
        self.hardware = node_hardware()
        self.cpus = max(cpus or 0, self.hardware["CPUs"])
        self.memory_mb = int(self.hardware["RealMemory"] * 0.9)

    @property
    def ctld_log(self) -> Path:
        return self.root / "slurmctld.log"

    def configuration(self) -> str:
        host = socket.gethostname().split(".")[0]
        h = self.hardware
        root = self.root
        if self.cpus == h["CPUs"]:
            node = (f"NodeName={NODE} NodeAddr=127.0.0.1 CPUs={h['CPUs']} Boards={h['Boards']} "
                    f"SocketsPerBoard={h['SocketsPerBoard']} CoresPerSocket={h['CoresPerSocket']} "
                    f"ThreadsPerCore={h['ThreadsPerCore']} RealMemory={self.memory_mb} State=UNKNOWN")
        else:
            node = (f"SlurmdParameters=config_overrides\nNodeName={NODE} NodeAddr=127.0.0.1 CPUs={self.cpus} "
                    f"SocketsPerBoard=1 CoresPerSocket={self.cpus} ThreadsPerCore=1 RealMemory={self.memory_mb} "
                    "State=UNKNOWN")
        return "\n".join([
            MARKER,
            "ClusterName=spatule",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={root / 'munge.sock'}",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={root / 'state'}",
            f"SlurmdSpoolDir={root / 'spool'}",
            f"SlurmctldPidFile={root / 'slurmctld.pid'}",
            f"SlurmdPidFile={root / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.ctld_log}",
            f"SlurmdLogFile={root / 'slurmd.log'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "MailProg=/bin/true",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "SchedulerType=sched/backfill",
            # finished jobs stay visible to squeue (the status command here) for an hour
            "MinJobAge=3600",
            "ReturnToService=2",
            "KillWait=5",
            node,
            f"PartitionName=main Nodes={NODE} Default=YES MaxTime=INFINITE State=UP",
            "",
        ])

    def spawn(self, name: str, *args: str) -> None:
        out = open(self.root / f"{name}.out", "w")
        self.processes[name] = subprocess.Popen([command(name), *args], stdout=out, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL)

    def wait_for(self, what: str, check, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}) while waiting for {what}:\n"
                                       + self.logs())
            if check():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}:\n" + self.logs())

    def logs(self) -> str:
        parts = []
        for path in sorted(self.root.glob("*.out")) + [self.ctld_log, self.root / "slurmd.log"]:
            if path.is_file():
                parts.append(f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-25:]))
        return "\n".join(parts)

    def start(self) -> "LocalSlurm":
        self.lock = open(LOCK, "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)  # one test cluster per machine at a time
        for sub in ("state", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        key = self.root / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o600)
        self.spawn("munged", "--foreground", "--force", f"--socket={self.root / 'munge.sock'}",
                   f"--key-file={key}", f"--pid-file={self.root / 'munged.pid'}",
                   f"--log-file={self.root / 'munged.log'}", f"--seed-file={self.root / 'munged.seed'}")
        self.wait_for("munged", lambda: (self.root / "munge.sock").exists())
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(self.configuration())
        self.wrote_conf = True
        self.spawn("slurmctld", "-D", "-i")
        self.wait_for("slurmctld", lambda: self.query("scontrol", "ping").returncode == 0
                      and "UP" in self.query("scontrol", "ping").stdout)
        self.spawn("slurmd", "-D", "-N", NODE)
        self.wait_for("node idle", lambda: self.query("sinfo", "-h", "-n", NODE, "-o", "%t").stdout.strip() == "idle")
        return self

    def query(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([command(name), *args], capture_output=True, text=True, timeout=60)

    def jobs(self) -> list[dict[str, str]]:
        """Every job slurmctld still knows (all of them: MinJobAge is an hour)."""
        out = self.query("squeue", "--states=all", "--noheader", "--format=%i|%T|%C|%m|%l|%j|%k").stdout
        return [dict(zip(("id", "state", "cpus", "memory", "time_limit", "name", "comment"), line.split("|", 6)))
                for line in out.splitlines() if line.strip()]

    def stop(self) -> None:
        try:
            if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
                self.query("scancel", "--full", f"--nodelist={NODE}")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and any(j["state"] in ("RUNNING", "COMPLETING", "PENDING")
                                                          for j in self.jobs()):
                    time.sleep(0.5)
        finally:
            for name in ("slurmd", "slurmctld", "munged"):
                process = self.processes.get(name)
                if process is not None and process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            if self.wrote_conf and SLURM_CONF.exists() and MARKER in SLURM_CONF.read_text(errors="replace"):
                SLURM_CONF.unlink()
            if self.lock is not None:
                self.lock.close()
