#!/usr/bin/env python3
"""Submit one Snakemake job script to Grid Engine or PBS; print the job id.

The cluster-generic executor calls `submit.py JOBSCRIPT`. The job's rule, threads and resources
come from the `# properties = {...}` line Snakemake writes into every job script:

  threads          -> SGE `-pe <sge_pe> N` | PBS `select=1:ncpus=N`
  mem_mb (the job) -> SGE `-l h_vmem=<mem_mb/threads>M` (per slot) | PBS `:mem=<mem_mb>mb`
  runtime (min)    -> SGE `-l h_rt=<seconds>` | PBS `-l walltime=HH:MM:00`
  gpu              -> SGE `-l <sge_gpu>=N` | PBS `:ngpus=N`
  queue, project   -> `-q`, and SGE `-P` | PBS `-A` (site settings, from the profile)
  sge_pe           -> the SGE parallel environment for multi-thread jobs (default smp)
  sge_gpu          -> the SGE complex that counts GPUs (default gpu)

The scheduler's own output goes to logs/cluster/<rule>-<jobid>.log in the working directory.
"""

import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qsys  # noqa: E402


def job_properties(jobscript):
    """The JSON properties Snakemake wrote into the job script."""
    with open(jobscript, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# properties = "):
                return json.loads(line[len("# properties = "):])
    qsys.fail("%s has no '# properties = ' line: not a Snakemake job script" % jobscript)


def whole(value, default=0):
    """A resource as a non-negative int (Snakemake passes numbers; '<TBD>' and the like count as unset)."""
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default


def submit_command(flavour, props, jobscript, logdir="logs/cluster"):
    """The qsub command line for one job (a list of arguments)."""
    name = props.get("rule") or props.get("groupid") or "job"
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))
    threads = max(whole(props.get("threads"), 1), 1)
    resources = props.get("resources") or {}
    mem_mb = whole(resources.get("mem_mb"))
    runtime = whole(resources.get("runtime"))
    gpus = whole(resources.get("gpu"))
    queue = resources.get("queue")
    project = resources.get("project")
    log = os.path.join(logdir, "%s-%s.log" % (name, props.get("jobid", "x")))
    if flavour == "sge":
        command = ["qsub", "-terse", "-cwd", "-V", "-N", "spatule." + name, "-j", "y", "-o", log]
        if threads > 1:
            command += ["-pe", str(resources.get("sge_pe") or "smp"), str(threads)]
        if mem_mb:
            command += ["-l", "h_vmem=%dM" % math.ceil(mem_mb / threads)]
        if runtime:
            command += ["-l", "h_rt=%d" % (runtime * 60)]
        if gpus:
            command += ["-l", "%s=%d" % (resources.get("sge_gpu") or "gpu", gpus)]
        if project:
            command += ["-P", str(project)]
    elif flavour == "pbs":
        select = "select=1:ncpus=%d" % threads
        if mem_mb:
            select += ":mem=%dmb" % mem_mb
        if gpus:
            select += ":ngpus=%d" % gpus
        command = ["qsub", "-V", "-N", name[:15], "-j", "oe", "-o", log, "-l", select]
        if runtime:
            command += ["-l", "walltime=%02d:%02d:00" % divmod(runtime, 60)]
        if project:
            command += ["-A", str(project)]
    else:
        qsys.fail("unknown scheduler %r" % flavour)
    if queue:
        command += ["-q", str(queue)]
    return command + [jobscript]


def main(argv):
    if len(argv) != 2:
        qsys.fail("usage: submit.py JOBSCRIPT")
    jobscript = argv[1]
    command = submit_command(qsys.flavour(), job_properties(jobscript), jobscript)
    os.makedirs("logs/cluster", exist_ok=True)
    code, out, err = qsys.run(command)
    if code != 0 or not out.strip():
        qsys.fail("%s failed (exit %d): %s" % (" ".join(command), code, (err or out).strip()))
    print(out.strip().splitlines()[0].strip())


if __name__ == "__main__":
    main(sys.argv)
