"""Shared by submit.py and status.py: which batch system this is, and running its commands.

Grid Engine (SGE, Son of Grid Engine, Univa/Altair GE: `sge`) and PBS Professional / OpenPBS
(`pbs`). Set SPATULE_SCHEDULER=sge|pbs to choose; otherwise it is detected from the commands
on PATH. Python 3.6+ and the standard library only: these scripts run on login nodes.
"""

import os
import shutil
import subprocess
import sys

FLAVOURS = ("sge", "pbs")


def run(command):
    """(exit code, stdout, stderr) of a command; a missing command is exit code 127."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120)
    except FileNotFoundError:
        return 127, "", "%s: command not found" % command[0]
    except subprocess.TimeoutExpired:
        return 124, "", "%s: timed out" % " ".join(command)
    return done.returncode, done.stdout, done.stderr


def flavour():
    """`sge` or `pbs`: SPATULE_SCHEDULER, else what the commands on PATH say."""
    name = os.environ.get("SPATULE_SCHEDULER", "").strip().lower()
    if name:
        if name not in FLAVOURS:
            fail("SPATULE_SCHEDULER=%s is not one of %s" % (name, ", ".join(FLAVOURS)))
        return name
    if os.environ.get("SGE_ROOT") or shutil.which("qconf"):
        return "sge"
    if shutil.which("pbsnodes"):
        code, out, err = run(["qstat", "--version"])
        if "pbs_version" in (out + err).lower():
            return "pbs"
        fail("found PBS commands, but `qstat --version` does not say pbs_version (Torque is not supported); "
             "set SPATULE_SCHEDULER=pbs to use the PBS Professional syntax anyway")
    fail("no Grid Engine (qconf) or PBS (pbsnodes) commands on PATH; set SPATULE_SCHEDULER=sge or pbs")


def fail(message):
    sys.stderr.write("spatule cluster profile: %s\n" % message)
    raise SystemExit(1)
