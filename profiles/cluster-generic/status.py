#!/usr/bin/env python3
"""Print `running`, `success` or `failed` for one Grid Engine or PBS job id.

The cluster-generic executor calls `status.py JOBID` for every job it waits on.

Grid Engine: a job `qstat -j` knows is running (or `failed` when it sits in an error state
such as Eqw: delete it with qdel); a finished one is judged by `qacct -j` (`failed` and
`exit_status` both 0 = success).
PBS: `qstat -x -f` (job history): job_state F/X with Exit_status 0 = success.

A job the batch system no longer knows at all (accounting not written yet, PBS job history
off) counts as running for SPATULE_STATUS_GRACE seconds (default 60), then as a success: Snakemake
then checks that the job's outputs exist, and a job that failed has removed them.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qsys  # noqa: E402

STATE_DIR = os.path.join(".snakemake", "spatule-status")


def field(text, name):
    """The value of `name = value` (PBS) or `name   value` (qacct) in a listing, or None."""
    match = re.search(r"^\s*%s(?:\s*=\s*|\s+)(\S+)" % re.escape(name), text, flags=re.M | re.I)
    return match.group(1) if match else None


def sge_status(jobid):
    code, out, err = qsys.run(["qstat", "-j", jobid])
    if code == 0:
        if re.search(r"^error reason", out, flags=re.M):
            sys.stderr.write("job %s is in an error state (qstat -j %s): failed; remove it with qdel\n"
                             % (jobid, jobid))
            return "failed"
        return "running"
    code, out, err = qsys.run(["qacct", "-j", jobid])
    if code == 0 and field(out, "exit_status") is not None:
        return "success" if field(out, "failed") == "0" and field(out, "exit_status") == "0" else "failed"
    return None


def pbs_status(jobid):
    code, out, err = qsys.run(["qstat", "-x", "-f", jobid])
    if code == 0:
        state = field(out, "job_state")
        if state in ("F", "X"):
            return "success" if field(out, "Exit_status") == "0" else "failed"
        return "running"
    if "unknown job" in (out + err).lower():
        return None
    return "running"  # the server did not answer: ask again later


def unknown(jobid):
    """A job the batch system does not know: running during the grace period, then success."""
    os.makedirs(STATE_DIR, exist_ok=True)
    marker = os.path.join(STATE_DIR, re.sub(r"[^A-Za-z0-9_.-]", "_", jobid))
    if not os.path.exists(marker):
        open(marker, "w").close()
    grace = float(os.environ.get("SPATULE_STATUS_GRACE", "60"))
    if time.time() - os.path.getmtime(marker) < grace:
        return "running"
    os.remove(marker)
    return "success"


def main(argv):
    if len(argv) != 2:
        qsys.fail("usage: status.py JOBID")
    jobid = argv[1].strip()
    status = {"sge": sge_status, "pbs": pbs_status}[qsys.flavour()](jobid)
    print(status or unknown(jobid))


if __name__ == "__main__":
    main(sys.argv)
