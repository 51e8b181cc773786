"""The profiles under profiles/: each plans the whole workflow; the SLURM profile runs the smoke
workflow on a real single-node SLURM (started here, see slurm_cluster.py) and gives the same
outputs as a local run; the Grid Engine / PBS scripts of profiles/cluster-generic drive stand-in
qsub/qstat/qacct commands."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import slurm_cluster
from conftest import REPO, snakemake
from test_evaluate import SMOKE
from test_workflow import planned_jobs, rules_defined, tree_hashes

PROFILES = REPO / "profiles"
GENERIC = PROFILES / "cluster-generic"
SHARDS = 1  # synth.shards of the SLURM run: one job per split is enough to see the shards submitted
SLURM_SMOKE = {**SMOKE, "synth": {"tiles": {"train": 16, "val": 4, "test": 4}, "shards": SHARDS},
               "train": {"preset": "smoke"}, "hard_negatives": {"enabled": False}}
"""The smoke config with the preset's own 4 training steps on fewer tiles, one shard per split and one training
round: every kind of job, the fewest jobs and the least work (each job waits on SLURM's polling); whether the
model finds tags, and the second round, are test_evaluate's smoke workflow's business."""
# the outputs that depend only on config + seeds, byte for byte
DETERMINISTIC = ["resources/demo", "results/labels", "results/tags", "results/split", "results/tiles",
                 "results/tfrecords"]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.")


def job_counts(dry_run_output: str) -> dict[str, int]:
    table = dry_run_output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M)}


def job_block(dry_run_output: str, rule: str) -> str:
    return dry_run_output.split(f"rule {rule}:", 1)[1].split("\n[", 1)[0]


# --- dry runs ---------------------------------------------------------------------------------

@pytest.mark.workflow
@pytest.mark.parametrize("profile", ["slurm", "local", "cluster-generic"])
def test_dry_run_with_each_profile_plans_the_whole_workflow(tmp_path: Path, profile: str):
    # every optional stage on: the gpu preset's devices check, the hard-negative round, TFLite, self-training; the
    # shipped train.gpus (0) under the profile's set-resources, as a user runs it (no download: not planned)
    config = tmp_path / "all.yaml"
    config.write_text(yaml.safe_dump({"train": {"preset": "gpu", "init_checkpoint": ""},
                                      "hard_negatives": {"enabled": True}, "export": {"tflite": True},
                                      "read": {"self_train": True}}))
    result = snakemake(tmp_path / "w", "-n", "--profile", str(PROFILES / profile), configfile=config)
    output = result.stdout + result.stderr
    assert planned_jobs(output) == rules_defined() - {"pretrained", "detect_job"}  # jobs: once the photos exist
    counts = job_counts(output)
    shards = yaml.safe_load((REPO / "config.yaml").read_text())["synth"]["shards"]
    assert counts["synthesize"] == 3 * shards  # every shard of every split is a job of its own
    assert counts["train"] == counts["train_hard"] == counts["devices"] == 1
    for rule in ("devices", "train", "train_hard"):  # the GPU jobs
        assert "gpu=1" in job_block(output, rule), rule
    for rule in ("synthesize", "coco", "mine_negatives", "export", "tflite", "detect", "train_reader",
                 "evaluate_reading"):
        assert "gpu=" not in job_block(output, rule), rule


@pytest.mark.workflow
def test_a_season_of_2000_photos_is_planned_as_20_gpu_jobs_on_slurm(tmp_path: Path):
    season = tmp_path / "season"
    for camera in ("cam1", "cam2"):
        (season / camera).mkdir(parents=True)
        for n in range(1000):
            (season / camera / f"IMG_{n:05d}.JPG").write_bytes(b"\xff\xd8")  # only listed in a dry run
    config = tmp_path / "season.yaml"
    config.write_text(yaml.safe_dump({"detect": {"images": str(season)}}))
    result = snakemake(tmp_path / "w", "-n", "--profile", str(PROFILES / "slurm"), "results/detect/detections.csv",
                       configfile=config)
    output = result.stdout + result.stderr
    counts = job_counts(output)
    assert counts["detect_job"] == 20 and "detect_plan" not in counts  # planned from the folder as it is
    blocks = output.split("rule detect_job:")[1:]
    assert len(blocks) == 20
    for block in blocks:
        job = block.split("\n\n", 1)[0]
        assert "gpu=1" in job and "runtime=60" in job and "mem_mb=16000" in job, job


@pytest.mark.workflow
@pytest.mark.parametrize("profile,expected", [
    ("slurm", {"split": ["slurm_partition=cpu", "slurm_account=mylab"],
               "train": ["slurm_partition=gpu", "gpu_model=a100", "gpu=1", "cpus_per_gpu=8"]}),
    ("cluster-generic", {"split": ["queue=all.q", "project=mylab", "sge_pe=smp"],
                         "train": ["queue=gpu.q", "gpu=1", "runtime=720"]}),
])
def test_the_site_lines_of_a_profile_work_once_uncommented(tmp_path: Path, profile: str, expected: dict):
    """The EDIT lines, uncommented as a site would, reach the jobs as the values written there."""
    copy = tmp_path / profile
    copy.mkdir()
    for source in (PROFILES / profile).iterdir():
        (copy / source.name).write_bytes(source.read_bytes())
    text = (PROFILES / profile / "config.yaml").read_text()
    edited = re.sub(r"^(\s*)# (slurm_partition|slurm_account|gpu_model|queue|project|sge_pe|sge_gpu):",
                    r"\1\2:", text, flags=re.M)
    assert edited.count("\n") == text.count("\n") and edited != text
    (copy / "config.yaml").write_text(edited)
    result = snakemake(tmp_path / "w", "-n", "--profile", str(copy))
    output = result.stdout + result.stderr
    for rule, values in expected.items():
        resources = job_block(output, rule).split("resources:", 1)[1].splitlines()[0].strip().split(", ")
        for value in values:
            assert value in resources, (rule, value, resources)


def test_profiles_set_what_the_readme_says():
    slurm = yaml.safe_load((PROFILES / "slurm/config.yaml").read_text())
    assert slurm["executor"] == "slurm"
    assert {"jobs", "latency-wait", "retries", "default-resources"} <= set(slurm)
    assert {"gpu", "cpus_per_gpu", "runtime", "mem_mb"} <= set(slurm["set-resources"]["train"])
    # the gpu preset's devices check goes where training goes (same GPU count, partition, CPUs per GPU)
    for profile in (slurm, yaml.safe_load((GENERIC / "config.yaml").read_text())):
        check, train = profile["set-resources"]["devices"], profile["set-resources"]["train"]
        assert {k: v for k, v in check.items() if k not in ("runtime", "mem_mb")} == \
            {k: v for k, v in train.items() if k not in ("runtime", "mem_mb")}
    local = yaml.safe_load((PROFILES / "local/config.yaml").read_text())
    assert local["cores"] == "all" and "executor" not in local
    # no more GPU jobs at once than GPUs: the token pool holds at least what one training takes
    assert local["resources"]["gpu"] >= local["set-resources"]["train"]["gpu"] >= 1
    generic = yaml.safe_load((GENERIC / "config.yaml").read_text())
    assert generic["executor"] == "cluster-generic"
    for key in ("cluster-generic-submit-cmd", "cluster-generic-status-cmd"):
        script = GENERIC / generic[key]
        assert script.is_file() and os.access(script, os.X_OK), key
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Running on a cluster", 1)[1].split("\n## ", 1)[0]
    for text in ("--profile profiles/slurm", "slurm_partition", "slurm_account", "profiles/local",
                 "profiles/cluster-generic"):
        assert text in section, text


# --- a real SLURM -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory):
    """A single-node SLURM on this machine for the module, or a skip saying why it cannot start."""
    reason = slurm_cluster.unavailable()
    if reason:
        pytest.skip(reason)
    cluster = None
    try:
        # twice the cores: the jobs spend most of their time starting Snakemake, so two share a core
        cluster = slurm_cluster.LocalSlurm(tmp_path_factory.mktemp("slurm"), cpus=2 * (os.cpu_count() or 1))
        if cluster.memory_mb < 4000:
            pytest.skip(f"the profile's jobs ask for 4000 MB; this machine offers {cluster.memory_mb} MB")
        cluster.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        if cluster is not None:
            cluster.stop()
        pytest.fail(f"SLURM is installed here but a local cluster could not start: {error}")
    yield cluster
    cluster.stop()


@pytest.mark.workflow
def test_smoke_workflow_through_slurm_equals_a_local_run(slurm: slurm_cluster.LocalSlurm, tmp_path: Path):
    config = tmp_path / "smoke.yaml"
    config.write_text(yaml.safe_dump(SLURM_SMOKE))
    cores = str(slurm.hardware["CPUs"])
    workdir = tmp_path / "slurm"
    result = snakemake(
        workdir, "--profile", str(PROFILES / "slurm"),
        # test overrides: a local node without GPU and with few cores, no accounting
        "--set-resources", "train:gpu=0", "train:runtime=30", "train:mem_mb=4000",
        "--max-threads", cores,
        "--slurm-no-account", "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "1", "--slurm-keep-successful-logs",
        "--latency-wait", "5",
        "results/exported/saved_model", "results/exported/model.tflite",
        configfile=config, timeout=1800)
    output = result.stdout + result.stderr

    # every job went through sbatch: Snakemake's word, the per-job SLURM logs, SLURM's own records
    submitted = SUBMITTED.findall(output)
    rules_of = {}
    for _, slurm_id, log in submitted:
        text = Path(log).read_text()
        assert "--executor slurm-jobstep" in text  # the job step Snakemake runs inside the allocation
        rules_of[slurm_id] = re.search(r"^(?:rule|checkpoint) (\w+):", text, flags=re.M).group(1)
    expected = {"demo_data": 1, "index_labels": 1, "extract_tags": 1, "split": 1, "synthesize": 3 * SHARDS,
                "coco": 3, "tfrecords": 1, "train": 1, "export": 1, "tflite": 1}
    assert {rule: list(rules_of.values()).count(rule) for rule in set(rules_of.values())} == expected
    records = {job["id"]: job for job in slurm.jobs()}
    for slurm_id, rule in rules_of.items():
        job = records[slurm_id]
        assert job["state"] == "COMPLETED", job
        assert job["comment"].startswith(f"rule_{rule}"), job
        # what sbatch was asked for: the profile's default-resources, the overrides for training
        assert job["memory"] == "4000M", job
        assert job["time_limit"] == ("30:00" if rule == "train" else "1:00:00"), job
        if rule == "train":  # its threads, capped by --max-threads
            threads = yaml.safe_load((REPO / "config.yaml").read_text())["train"]["threads"]
            assert int(job["cpus"]) == min(threads, int(cores)), job
    synthesize = {records[i]["comment"] for i, rule in rules_of.items() if rule == "synthesize"}
    assert synthesize == {f"rule_synthesize_wildcards_{split}_{k}" for split in ("train", "val", "test")
                          for k in range(SHARDS)}
    ctld = slurm.ctld_log.read_text()
    for slurm_id in rules_of:
        assert f"_slurm_rpc_submit_batch_job: JobId={slurm_id} " in ctld
        assert f"_job_complete: JobId={slurm_id} done" in ctld

    # training and export ran there and left a model
    metrics = json.loads((workdir / "results/model/metrics.json").read_text())
    assert metrics["final_step"] == 4
    assert (workdir / "results/exported/saved_model/saved_model.pb").is_file()
    assert (workdir / "results/exported/model.tflite").stat().st_size > 0

    # the deterministic outputs equal a local run's, byte for byte
    local = tmp_path / "local"
    snakemake(local, "--cores", cores, "results/tfrecords/label_map.pbtxt",
              *(f"results/tiles/{split}.json" for split in ("train", "val", "test")), configfile=config)
    for folder in DETERMINISTIC:
        hashes = tree_hashes(workdir / folder)
        assert hashes, folder
        assert hashes == tree_hashes(local / folder), folder


# --- Grid Engine / PBS scripts ----------------------------------------------------------------

def load(name: str):
    spec = importlib.util.spec_from_file_location(f"profile_{name}", GENERIC / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TRAIN_PROPS = {"type": "single", "rule": "train", "jobid": 16, "threads": 8,
               "resources": {"mem_mb": 32000, "runtime": 720, "gpu": 1, "queue": "gpu.q", "project": "lab",
                             "tmpdir": "<TBD>"}}


def test_submit_turns_threads_and_resources_into_grid_engine_options():
    command = load("submit").submit_command("sge", TRAIN_PROPS, "/x/job.sh")
    text = " ".join(command)
    assert command[0] == "qsub" and command[-1] == "/x/job.sh"
    assert "-terse" in command and "-N spatule.train" in text and "-o logs/cluster/train-16.log" in text
    assert "-pe smp 8" in text
    assert "-l h_vmem=4000M" in text  # per slot: 32000 MB over 8 slots
    assert "-l h_rt=43200" in text and "-l gpu=1" in text and "-q gpu.q" in text and "-P lab" in text
    one = load("submit").submit_command("sge", {"rule": "split", "jobid": 3, "threads": 1,
                                                "resources": {"mem_mb": 4000, "sge_pe": "mpi"}}, "j.sh")
    assert "-pe" not in one and "h_vmem=4000M" in " ".join(one) and "gpu" not in " ".join(one)


def test_submit_turns_threads_and_resources_into_pbs_options():
    command = load("submit").submit_command("pbs", TRAIN_PROPS, "/x/job.sh")
    text = " ".join(command)
    assert "-l select=1:ncpus=8:mem=32000mb:ngpus=1" in text
    assert "-l walltime=12:00:00" in text and "-q gpu.q" in text and "-A lab" in text
    assert "-j oe" in text and command[-1] == "/x/job.sh"


def fake_commands(bin_dir: Path, scripts: dict[str, str]) -> dict[str, str]:
    """Executable stand-ins on a PATH of their own; returns the environment to run with."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = {k: v for k, v in os.environ.items() if k not in ("SPATULE_SCHEDULER", "SGE_ROOT")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def status_of(jobid: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([str(GENERIC / "status.py"), jobid], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("qstat,qacct,expected", [
    ("echo job_number: 7; exit 0", "exit 1", "running"),
    ("printf 'job_number: 7\\nerror reason    1:  can not chdir\\n'; exit 0", "exit 1", "failed"),
    ("echo Following jobs do not exist: 7 >&2; exit 1", "printf 'failed       0\\nexit_status  0\\n'", "success"),
    ("exit 1", "printf 'failed       0\\nexit_status  1\\n'", "failed"),
    ("exit 1", "printf 'failed       100 : assumedly after job\\nexit_status  137\\n'", "failed"),
])
def test_status_reads_grid_engine(tmp_path: Path, qstat: str, qacct: str, expected: str):
    env = fake_commands(tmp_path / "bin", {"qconf": "exit 0\n", "qstat": qstat + "\n", "qacct": qacct + "\n"})
    assert status_of("7", env, tmp_path) == expected


@pytest.mark.parametrize("qstat,expected", [
    ("printf 'Job Id: 7.pbs\\n    job_state = R\\n'", "running"),
    ("printf 'Job Id: 7.pbs\\n    job_state = F\\n    Exit_status = 0\\n'", "success"),
    ("printf 'Job Id: 7.pbs\\n    job_state = F\\n    Exit_status = 271\\n'", "failed"),
    ("echo 'qstat: Server down' >&2; exit 1", "running"),
])
def test_status_reads_pbs(tmp_path: Path, qstat: str, expected: str):
    version = 'if [ "$1" = --version ]; then echo "pbs_version = 2022.1.0"; exit 0; fi\n'
    env = fake_commands(tmp_path / "bin", {"pbsnodes": "exit 0\n", "qstat": version + qstat + "\n"})
    assert status_of("7.pbs", env, tmp_path) == expected


def test_status_of_a_job_the_scheduler_forgot_waits_then_leaves_it_to_the_output_check(tmp_path: Path):
    env = fake_commands(tmp_path / "bin", {"qstat": "echo 'qstat: Unknown Job Id 7.pbs' >&2; exit 153\n"})
    env["SPATULE_SCHEDULER"] = "pbs"
    env["SPATULE_STATUS_GRACE"] = "3600"
    assert status_of("7.pbs", env, tmp_path) == "running"
    env["SPATULE_STATUS_GRACE"] = "0"
    assert status_of("7.pbs", env, tmp_path) == "success"


def test_scripts_name_the_missing_scheduler(tmp_path: Path):
    env = fake_commands(tmp_path / "bin", {})
    env["PATH"] = str(tmp_path / "bin")  # no qconf, no pbsnodes
    done = subprocess.run([sys.executable, str(GENERIC / "status.py"), "7"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "SPATULE_SCHEDULER" in done.stderr


# A stand-in Grid Engine: qsub runs the job script in the background and records its arguments;
# qstat -j knows a job until it has ended, qacct afterwards.
FAKE_SGE = {
    "qconf": "exit 0\n",
    "qsub": r"""
for last; do :; done
id=$(($(ls "$FAKE_SGE" | grep -c '\.args$') + 1))
printf '%s\n' "$*" > "$FAKE_SGE/$id.args"
(sh "$last" > "$FAKE_SGE/$id.out" 2>&1; echo $? > "$FAKE_SGE/$id.exit.tmp"
 mv "$FAKE_SGE/$id.exit.tmp" "$FAKE_SGE/$id.exit") < /dev/null > /dev/null 2>&1 &
echo "$id"
""",
    "qstat": r"""
echo "$*" >> "$FAKE_SGE/qstat.calls"
[ "$1" = -j ] || exit 2
[ -e "$FAKE_SGE/$2.args" ] && [ ! -e "$FAKE_SGE/$2.exit" ] && { echo "job_number: $2"; exit 0; }
echo "Following jobs do not exist: $2" >&2; exit 1
""",
    "qacct": r"""
echo "$*" >> "$FAKE_SGE/qacct.calls"
[ -e "$FAKE_SGE/$2.exit" ] || { echo "error: job id $2 not found" >&2; exit 1; }
printf 'qname all.q\nfailed       0\nexit_status  %s\n' "$(cat "$FAKE_SGE/$2.exit")"
""",
    "qdel": "exit 0\n",
}


def run_on_stand_in_grid_engine(tmp_path: Path, *args: str) -> list[Path]:
    """Snakemake with the cluster-generic profile over FAKE_SGE; returns the recorded qsub calls."""
    env = fake_commands(tmp_path / "bin", FAKE_SGE)
    env["FAKE_SGE"] = str(tmp_path / "sge")
    (tmp_path / "sge").mkdir()
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path / "w"),
               "--profile", str(GENERIC), "--seconds-between-status-checks", "1", "--latency-wait", "5", *args]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return sorted((tmp_path / "sge").glob("*.args"))


@pytest.mark.workflow
def test_cluster_generic_profile_runs_the_first_stages_on_a_stand_in_grid_engine(tmp_path: Path):
    workdir = tmp_path / "w"
    small = tmp_path / "small.yaml"  # the demo, smaller: four jobs are what is checked, not the demo's size
    small.write_text(yaml.safe_dump({"demo": SMOKE["demo"]}))
    calls = run_on_stand_in_grid_engine(tmp_path, "results/split/identities.csv", "--configfile", str(small))
    assert len(calls) == 4  # demo_data, index_labels, extract_tags, split: one qsub each
    rules = set()
    for call in calls:
        args = call.read_text().split()
        rule = args[args.index("-N") + 1].removeprefix("spatule.")
        rules.add(rule)
        threads = 2 if rule in ("demo_data", "index_labels", "extract_tags") else 1
        assert ("-pe" in args) == (threads > 1), args
        assert f"h_vmem={-(-4000 // threads)}M" in args and "h_rt=3600" in args, args
        assert (tmp_path / "sge" / call.name.replace(".args", ".exit")).read_text().strip() == "0"
        assert (workdir / "logs/cluster").is_dir()
    assert rules == {"demo_data", "index_labels", "extract_tags", "split"}
    # each job's end was learnt from status.py asking qstat, then qacct
    jobs = {f"-j {n}" for n in range(1, len(calls) + 1)}
    assert jobs <= set((tmp_path / "sge/qstat.calls").read_text().splitlines())
    assert jobs <= set((tmp_path / "sge/qacct.calls").read_text().splitlines())
    assert (workdir / "results/split/identities.csv").is_file()


@pytest.mark.workflow
def test_the_checkpoint_download_runs_where_snakemake_runs_not_as_a_cluster_job(tmp_path: Path):
    """Compute nodes often have no internet: rule pretrained is a local rule."""
    import tarfile

    tarball = tmp_path / "published" / "retinanet-resnet50fpn.tar.gz"
    tarball.parent.mkdir()
    (tmp_path / "ckpt").mkdir()
    for name in ("ckpt-7.index", "ckpt-7.data-00000-of-00001"):
        (tmp_path / "ckpt" / name).write_bytes(b"stand-in")
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(tmp_path / "ckpt", arcname="retinanet-resnet50fpn")
    config = tmp_path / "gpu.yaml"
    config.write_text(yaml.safe_dump({"train": {"preset": "gpu"}, "pretrained": {"url": tarball.as_uri()}}))
    calls = run_on_stand_in_grid_engine(tmp_path, "resources/pretrained/retinanet-resnet50fpn",
                                        "--configfile", str(config))
    assert calls == []  # nothing was submitted
    assert list((tmp_path / "w/resources/pretrained/retinanet-resnet50fpn").rglob("ckpt-7.index"))
