"""Pieces the side-by-side benchmark scripts share."""
import json
import os
import platform
import subprocess
import sys
import tempfile


def run_measured(cmd, who, stdin=""):
    """Runs cmd (feeding it `stdin`); returns (stdout, stderr, peak RSS in MiB)
    of that process alone. Exits naming `who` if it fails."""
    with tempfile.TemporaryFile("w+") as inp, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        inp.write(stdin)
        inp.seek(0)
        proc = subprocess.Popen(cmd, stdin=inp, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(f"{who}: {' '.join(cmd[:2])} failed:\n{stderr}")
    return stdout, stderr, usage.ru_maxrss / 1024


def write_results(out_dir, name, table, data):
    """Writes NAME.md (the markdown table) and NAME.json (the raw data)."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, f"{name}.md"), "w") as f:
        f.write(table)
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(data, f, indent=1)


def cpu_name():
    """The CPU's model name as /proc/cpuinfo gives it (lscpu's "Model name")."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
