#!/usr/bin/env python3
"""gemma-fetch against a loopback stand-in for the Hugging Face Hub and Kaggle.

    fetch_test.py --gemma-fetch BIN

The real services cannot be reached from the test machines, so
hub_standin.py (beside this file) answers their paths, headers and errors
from 127.0.0.1, with a second server as the CDN the Hub redirects to. Each
test runs gemma-fetch with HF_ENDPOINT / GEMMA_KAGGLE_ENDPOINT pointing
there and the caches in a fresh folder, then checks the cache layout, the
printed path, what the servers saw (no token sent to the CDN), and the
faults: a dropped connection resumed with Range, a wrong sha256 refused
with nothing left in snapshots/, 404, 401, 429 with Retry-After, a stall,
a 200 answering a Range request. huggingface_hub (pinned in the project's
venv) finds our downloads through its own cache lookup, and we find its.

Exits 77 (skipped) without huggingface_hub.
"""

import argparse
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hub_standin import Standin, git_blob_sha1, sha256  # noqa: E402

SKIP = 77
try:
    import huggingface_hub
except ImportError:
    print("fetch_test: skipped: huggingface_hub is not installed "
          "(scripts/setup.sh puts it in .venv)")
    sys.exit(SKIP)

ARGS = None
REPO = "ggml-org/gemma-3-270m-it-GGUF"


def blob(seed, size):
    """`size` deterministic bytes, different for each seed."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


GGUF_FILES = {
    "gemma-3-270m-it-Q4_K_M.gguf": blob("q4", 300_000),
    "gemma-3-270m-it-Q8_0.gguf": blob("q8", 200_000),
    "gemma-3-270m-it-BF16.gguf": blob("bf16", 100_000),
    "mmproj-gemma-3-270m-it-f16.gguf": blob("mm", 5_000),
    "README.md": b"# a GGUF repo\n",
}


class FetchTest(unittest.TestCase):
    def setUp(self):
        self.hub = Standin()
        self.addCleanup(self.hub.close)
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.cache = os.path.join(self.tmp.name, "hf")
        self.kaggle_cache = os.path.join(self.tmp.name, "kagglehub")
        self.commit = self.hub.add_repo(REPO, GGUF_FILES, downloads=5000)

    def environment(self, env=None):
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": self.tmp.name,
            "HF_ENDPOINT": self.hub.url,
            "HF_HUB_CACHE": self.cache,
            "HF_HOME": os.path.join(self.tmp.name, "hf-home"),
            "GEMMA_KAGGLE_ENDPOINT": self.hub.url,
            "KAGGLEHUB_CACHE": self.kaggle_cache,
        }
        environment.update(env or {})
        return environment

    def run_fetch(self, *args, env=None, check=True, timeout=120):
        done = subprocess.run([ARGS.gemma_fetch, *args],
                              env=self.environment(env),
                              cwd=self.tmp.name, capture_output=True,
                              text=True, timeout=timeout)
        if check and done.returncode != 0:
            self.fail(f"gemma-fetch {' '.join(args)} failed: {done.stderr}")
        return done

    def last_line(self, done):
        return done.stdout.strip().splitlines()[-1]

    def repo_dir(self, repo=REPO):
        return os.path.join(self.cache, "models--" + repo.replace("/", "--"))

    def error_line(self, done):
        self.assertNotEqual(done.returncode, 0)
        lines = done.stderr.strip().splitlines()
        self.assertTrue(lines, "no error message")
        self.assertTrue(lines[-1].startswith("gemma-fetch: error: "), lines)
        return lines[-1]

    # --- the Hub: which file, and the cache layout -------------------------

    def test_default_quant_lands_in_the_shared_layout(self):
        done = self.run_fetch("--hf-repo", REPO)
        path = self.last_line(done)
        name = "gemma-3-270m-it-Q4_K_M.gguf"
        self.assertEqual(path, os.path.join(self.repo_dir(), "snapshots",
                                            self.commit, name))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), GGUF_FILES[name])
        digest = sha256(GGUF_FILES[name])
        self.assertTrue(os.path.islink(path))
        self.assertEqual(os.readlink(path), f"../../blobs/{digest}")
        with open(os.path.join(self.repo_dir(), "refs", "main")) as f:
            self.assertEqual(f.read(), self.commit)
        self.assertEqual(os.listdir(os.path.join(self.repo_dir(), "blobs")),
                         [digest])
        # A second run downloads nothing.
        before = len(self.hub.requests)
        self.assertEqual(self.last_line(self.run_fetch("--hf-repo", REPO)), path)
        cdn = [r for r in self.hub.requests[before:] if r["server"] == "cdn"]
        self.assertEqual(cdn, [])

    def test_quant_is_a_whole_word_and_case_insensitive(self):
        path = self.last_line(self.run_fetch("--hf-repo", REPO + ":q8_0"))
        self.assertTrue(path.endswith("gemma-3-270m-it-Q8_0.gguf"), path)
        line = self.error_line(self.run_fetch("--hf-repo", REPO + ":Q4_K",
                                              check=False))
        self.assertIn("carries the quantization Q4_K", line)
        self.assertIn("BF16, Q4_K_M, Q8_0", line)

    def test_explicit_file_and_split_gguf(self):
        parts = {f"big/model-Q8_0-0000{k}-of-00003.gguf": blob(f"p{k}", 9000)
                 for k in (1, 2, 3)}
        commit = self.hub.add_repo("org/split", {**parts, "x.txt": b"x"})
        path = self.last_line(self.run_fetch("--hf-repo", "org/split"))
        snapshot = os.path.join(self.repo_dir("org/split"), "snapshots", commit)
        self.assertEqual(path, os.path.join(
            snapshot, "big/model-Q8_0-00001-of-00003.gguf"))
        for name, data in parts.items():
            with open(os.path.join(snapshot, name), "rb") as f:
                self.assertEqual(f.read(), data)
        self.assertEqual(os.readlink(os.path.join(snapshot, "big/model-Q8_0-00002-of-00003.gguf")),
                         "../../../blobs/" + sha256(parts["big/model-Q8_0-00002-of-00003.gguf"]))
        # A non-LFS file is named by its git blob id.
        path = self.last_line(self.run_fetch("--hf-repo", "org/split",
                                             "--hf-file", "x.txt"))
        self.assertEqual(os.readlink(path), "../../blobs/" + git_blob_sha1(b"x"))

    def test_checkpoint_repo_gives_its_folder(self):
        files = {
            "config.json": b'{"model_type": "gemma3_text"}',
            "tokenizer.json": b"{}", "tokenizer_config.json": b"{}",
            "generation_config.json": b"{}",
            "model-00001-of-00002.safetensors": blob("s1", 4000),
            "model-00002-of-00002.safetensors": blob("s2", 4000),
            "model.safetensors.index.json": b"{}",
            "original/consolidated.pth": blob("pth", 3000),
            ".gitattributes": b"*.safetensors filter=lfs\n",
        }
        commit = self.hub.add_repo("google/gemma-3-270m", files)
        out = os.path.join(self.tmp.name, "model")
        done = self.run_fetch("--hf-repo", "google/gemma-3-270m", "--out", out)
        self.assertEqual(self.last_line(done), out)
        snapshot = os.path.join(self.repo_dir("google/gemma-3-270m"),
                                "snapshots", commit)
        want = sorted(n for n in files if "/" not in n and n != ".gitattributes")
        self.assertEqual(sorted(os.listdir(snapshot)), want)
        self.assertEqual(sorted(os.listdir(out)), want)
        with open(os.path.join(out, "model-00002-of-00002.safetensors"), "rb") as f:
            self.assertEqual(f.read(), files["model-00002-of-00002.safetensors"])

    def test_out_links_and_never_replaces_another_file(self):
        out = os.path.join(self.tmp.name, "models")
        path = self.last_line(self.run_fetch("--hf-repo", REPO, "--out", out))
        self.assertEqual(path, os.path.join(out, "gemma-3-270m-it-Q4_K_M.gguf"))
        self.assertEqual(os.path.getsize(path), 300_000)
        self.run_fetch("--hf-repo", REPO, "--out", out)  # the same file: fine
        other = os.path.join(out, "gemma-3-270m-it-Q8_0.gguf")
        with open(other, "wb") as f:
            f.write(b"the user's own file")
        line = self.error_line(self.run_fetch("--hf-repo", REPO + ":Q8_0",
                                              "--out", out, check=False))
        self.assertIn("exists and is another file", line)
        with open(other, "rb") as f:
            self.assertEqual(f.read(), b"the user's own file")

    def test_offline_and_no_network_use_the_cache(self):
        line = self.error_line(self.run_fetch("--hf-repo", REPO, "--offline",
                                              check=False))
        self.assertIn("not in the cache", line)
        path = self.last_line(self.run_fetch("--hf-repo", REPO))
        before = len(self.hub.requests)
        self.assertEqual(self.last_line(self.run_fetch("--hf-repo", REPO,
                                                       "--offline")), path)
        self.assertEqual(len(self.hub.requests), before)
        # A dead endpoint falls back to the cache, with a warning.
        done = self.run_fetch("--hf-repo", REPO, "--retries", "0",
                              env={"HF_ENDPOINT": "http://127.0.0.1:9"})
        self.assertEqual(self.last_line(done), path)
        self.assertIn("using the cached copy", done.stderr)

    # --- faults --------------------------------------------------------------

    def test_dropped_connection_resumes_with_range(self):
        self.hub.faults["drop_after"] = (120_000, 1)
        path = self.last_line(self.run_fetch("--hf-repo", REPO))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), GGUF_FILES["gemma-3-270m-it-Q4_K_M.gguf"])
        ranges = [r["headers"].get("range") for r in self.hub.requests
                  if r["server"] == "cdn"]
        self.assertEqual(ranges, [None, "bytes=120000-"])

    def test_partial_file_from_an_earlier_run_resumes(self):
        name = "gemma-3-270m-it-Q4_K_M.gguf"
        digest = sha256(GGUF_FILES[name])
        blobs = os.path.join(self.repo_dir(), "blobs")
        os.makedirs(blobs)
        with open(os.path.join(blobs, digest + ".incomplete"), "wb") as f:
            f.write(GGUF_FILES[name][:70_000])
        path = self.last_line(self.run_fetch("--hf-repo", REPO))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), GGUF_FILES[name])
        ranges = [r["headers"].get("range") for r in self.hub.requests
                  if r["server"] == "cdn"]
        self.assertEqual(ranges, ["bytes=70000-"])

    def test_a_200_to_a_range_request_restarts_cleanly(self):
        self.hub.faults["drop_after"] = (50_000, 1)
        self.hub.faults["ignore_range"] = 1
        path = self.last_line(self.run_fetch("--hf-repo", REPO))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), GGUF_FILES["gemma-3-270m-it-Q4_K_M.gguf"])

    def test_wrong_sha256_is_refused_and_nothing_is_kept(self):
        self.hub.faults["corrupt"] = 1
        line = self.error_line(self.run_fetch("--hf-repo", REPO, check=False))
        digest = sha256(GGUF_FILES["gemma-3-270m-it-Q4_K_M.gguf"])
        self.assertIn("sha256 mismatch", line)
        self.assertIn(digest, line)
        self.assertFalse(os.path.exists(os.path.join(self.repo_dir(), "snapshots")))
        self.assertEqual(os.listdir(os.path.join(self.repo_dir(), "blobs")), [])

    def test_429_and_503_are_retried_honouring_retry_after(self):
        self.hub.faults["status"] = (429, 1, 1)
        started = time.monotonic()
        done = self.run_fetch("--hf-repo", REPO)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertIn("answered 429; retry 1 of 5 in 1 s", done.stderr)
        self.hub.faults["status"] = (503, 9, None)
        line = self.error_line(self.run_fetch("--hf-repo", REPO + ":Q8_0",
                                              "--retries", "1", check=False))
        self.assertIn("503", line)

    def test_stalled_transfer_is_retried(self):
        self.hub.faults["stall"] = (60_000, 14, 1)
        done = self.run_fetch("--hf-repo", REPO, "--stall-timeout", "2")
        self.assertIn("no data for 2 s", done.stderr)
        with open(self.last_line(done), "rb") as f:
            self.assertEqual(f.read(), GGUF_FILES["gemma-3-270m-it-Q4_K_M.gguf"])

    def test_two_processes_take_turns_on_one_blob(self):
        name = "gemma-3-270m-it-Q4_K_M.gguf"
        self.hub.faults["stall"] = (100_000, 3, 1)
        incomplete = os.path.join(self.repo_dir(), "blobs",
                                  sha256(GGUF_FILES[name]) + ".incomplete")
        environment = {"PATH": os.environ.get("PATH", ""),
                       "HOME": self.tmp.name, "HF_ENDPOINT": self.hub.url,
                       "HF_HUB_CACHE": self.cache}
        first = subprocess.Popen([ARGS.gemma_fetch, "--hf-repo", REPO],
                                 env=environment, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (os.path.exists(incomplete) and os.path.getsize(incomplete)):
            self.assertLess(time.monotonic(), deadline, "no download started")
            time.sleep(0.05)
        second = self.run_fetch("--hf-repo", REPO)
        out, err = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 0, err)
        self.assertIn("waiting for another download", second.stderr)
        self.assertEqual(self.last_line(second), out.strip().splitlines()[-1])
        gets = [r for r in self.hub.requests
                if r["server"] == "cdn" and r["method"] == "GET"]
        self.assertEqual(len(gets), 1)

    def test_no_network_and_nothing_cached_names_the_host(self):
        line = self.error_line(self.run_fetch(
            "--hf-repo", REPO, "--retries", "0",
            env={"HF_ENDPOINT": "http://127.0.0.1:9"}, check=False))
        self.assertIn("http://127.0.0.1:9", line)

    def test_missing_repo_file_and_revision_are_one_line_errors(self):
        line = self.error_line(self.run_fetch("--hf-repo", "org/none", check=False))
        self.assertIn("no repository org/none", line)
        line = self.error_line(self.run_fetch("--hf-repo", REPO, "--hf-file",
                                              "nope.gguf", check=False))
        self.assertIn("has no file nope.gguf", line)
        line = self.error_line(self.run_fetch("--hf-repo", REPO, "--revision",
                                              "v9", check=False))
        self.assertIn("has no revision v9", line)
        line = self.error_line(self.run_fetch("--hf-repo", "../etc", check=False))
        self.assertIn("is not ORG/NAME", line)
        line = self.error_line(self.run_fetch("--hf-repo", REPO, "--kaggle",
                                              "a/b/c/d", check=False))
        self.assertIn("exactly one of", line)

    def test_gated_repo_needs_a_token_which_the_cdn_never_sees(self):
        self.hub.add_repo("google/gated", {"m-Q4_K_M.gguf": blob("g", 3000)},
                          gated=True)
        self.hub.token = "hf_secret"
        line = self.error_line(self.run_fetch("--hf-repo", "google/gated",
                                              check=False))
        self.assertIn("gated or private", line)
        self.assertIn("HF_TOKEN", line)
        token_file = os.path.join(self.tmp.name, "hf-home", "token")
        os.makedirs(os.path.dirname(token_file))
        with open(token_file, "w") as f:
            f.write("hf_secret\n")
        self.run_fetch("--hf-repo", "google/gated")
        hub = [r for r in self.hub.requests if r["server"] == "hub"]
        cdn = [r for r in self.hub.requests if r["server"] == "cdn"]
        self.assertTrue(cdn)
        self.assertTrue(all(r["headers"].get("authorization") == "Bearer hf_secret"
                            for r in hub[-3:]))
        self.assertFalse(any("authorization" in r["headers"] for r in cdn))
        line = self.error_line(self.run_fetch(
            "--hf-repo", "google/gated", "--revision", self.commit_of("google/gated"),
            "--hf-file", "m-Q4_K_M.gguf", env={"HF_TOKEN": "wrong"}, check=False))
        self.assertIn("token has no access", line)

    def commit_of(self, repo):
        with open(os.path.join(self.repo_dir(repo), "refs", "main")) as f:
            return f.read()

    # --- one command from a repository name to text ---------------------------

    def add_tiny_gguf_repo(self):
        """org/tiny-gemma3-GGUF: the tiny preset as llama.cpp writes it."""
        gguf = os.path.join(self.tmp.name, "tiny.gguf")
        subprocess.run([ARGS.make_gguf_seed, gguf], check=True,
                       capture_output=True)
        with open(gguf, "rb") as f:
            self.hub.add_repo("org/tiny-gemma3-GGUF",
                              {"tiny-gemma3-Q8_0.gguf": f.read()})

    def test_gemma_exec_runs_a_repository_by_name(self):
        if not (ARGS.gemma_exec and ARGS.make_gguf_seed):
            self.skipTest("needs --gemma-exec and --make-gguf-seed")
        self.add_tiny_gguf_repo()
        run = [ARGS.gemma_exec, "-hf", "org/tiny-gemma3-GGUF", "-p", "Hello",
               "-n", "4", "--raw"]
        done = subprocess.run(run, env=self.environment(), capture_output=True,
                              text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("decode 4 tokens", done.stderr)
        # The second run needs no network.
        before = len(self.hub.requests)
        again = subprocess.run(run, env=self.environment(
            {"HF_HUB_OFFLINE": "1"}), capture_output=True, text=True,
            timeout=300)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(again.stdout, done.stdout)
        self.assertEqual(len(self.hub.requests), before)
        missing = subprocess.run(
            [ARGS.gemma_exec, "-hf", "org/none", "-p", "Hello"],
            env=self.environment(), capture_output=True, text=True,
            timeout=120)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("no repository org/none", missing.stderr)
        self.assertTrue(missing.stderr.strip().splitlines()[-1].startswith(
            "gemma-exec: error: -hf org/none"), missing.stderr)

    def test_gemma_serve_stops_during_a_download(self):
        if not (ARGS.gemma_serve and ARGS.make_gguf_seed):
            self.skipTest("needs --gemma-serve and --make-gguf-seed")
        self.add_tiny_gguf_repo()
        self.hub.faults["stall"] = (1000, 60, 1)
        server = subprocess.Popen(
            [ARGS.gemma_serve, "-hf", "org/tiny-gemma3-GGUF", "--port", "0"],
            env=self.environment(), stderr=subprocess.PIPE, text=True)
        partial = os.path.join(self.repo_dir("org/tiny-gemma3-GGUF"), "blobs")
        deadline = time.monotonic() + 30
        while not (os.path.isdir(partial) and os.listdir(partial)):
            self.assertLess(time.monotonic(), deadline, "no download started")
            time.sleep(0.05)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(server.returncode, 0, err)
        self.assertIn("stopped during the download", err)
        # The partial file stays for the next run to resume.
        self.assertTrue(any(name.endswith(".incomplete")
                            for name in os.listdir(partial)))

    # --- huggingface_hub shares the cache ------------------------------------

    def test_huggingface_hub_finds_ours_and_we_find_its(self):
        path = self.last_line(self.run_fetch("--hf-repo", REPO))
        found = huggingface_hub.try_to_load_from_cache(
            REPO, "gemma-3-270m-it-Q4_K_M.gguf", cache_dir=self.cache)
        self.assertEqual(found, path)
        theirs = subprocess.run(
            [sys.executable, "-c",
             "import sys, huggingface_hub as h; print(h.hf_hub_download("
             "sys.argv[1], sys.argv[2], cache_dir=sys.argv[3]))",
             "org/theirs", "w-Q8_0.gguf", self.cache],
            env={**os.environ, "HF_ENDPOINT": self.hub.url,
                 "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "0",
                 "HF_HOME": os.path.join(self.tmp.name, "hf-home")},
            capture_output=True, text=True, timeout=120) \
            if self.hub.add_repo("org/theirs", {"w-Q8_0.gguf": blob("t", 7000)}) \
            else None
        self.assertEqual(theirs.returncode, 0, theirs.stderr)
        before = len(self.hub.requests)
        ours = self.last_line(self.run_fetch("--hf-repo", "org/theirs", "--offline"))
        self.assertEqual(os.path.realpath(ours),
                         os.path.realpath(theirs.stdout.strip().splitlines()[-1]))
        self.assertEqual(len(self.hub.requests), before)

    # --- search ----------------------------------------------------------------

    def test_search_hf_lists_quants(self):
        self.hub.add_repo("other/gemma-3-1b-GGUF", {"g-Q2_K.gguf": b"x"},
                          downloads=10)
        done = self.run_fetch("--search-hf", "gemma 3", "--limit", "5")
        lines = done.stdout.strip().splitlines()
        self.assertTrue(lines[0].startswith("MODEL"))
        self.assertTrue(lines[1].startswith(REPO), lines)
        self.assertIn("BF16 Q4_K_M Q8_0", lines[1])
        self.assertNotIn("F16", lines[1].replace("BF16", ""))  # mmproj skipped
        self.assertTrue(lines[2].startswith("other/gemma-3-1b-GGUF"))
        self.assertIn("Q2_K", lines[2])

    # --- Kaggle -----------------------------------------------------------------

    def test_kaggle_latest_version_unpacks_into_kagglehub_layout(self):
        handle = "google/gemma-3/gemmaCpp/3.0-270m-sfp"
        self.hub.add_kaggle(handle, 1, {"old.sbs": b"old"})
        self.hub.add_kaggle(handle, 2, {"gemma3-270m.sbs": blob("sbs", 20000),
                                        "sub/tokenizer.spm": b"spm"},
                            votes=42, title="Gemma 3")
        self.hub.kaggle_auth = "Bearer kgat_token"
        line = self.error_line(self.run_fetch("--kaggle", handle, check=False))
        self.assertIn("Kaggle needs credentials", line)
        done = self.run_fetch("--kaggle", handle,
                              env={"KAGGLE_API_TOKEN": "kgat_token"})
        folder = self.last_line(done)
        self.assertEqual(folder, os.path.join(self.kaggle_cache, "models",
                                              handle, "2"))
        with open(os.path.join(folder, "gemma3-270m.sbs"), "rb") as f:
            self.assertEqual(f.read(), blob("sbs", 20000))
        with open(os.path.join(folder, "sub", "tokenizer.spm"), "rb") as f:
            self.assertEqual(f.read(), b"spm")
        # The locks stay (a waiting process may hold one), the archive goes.
        self.assertEqual(sorted(os.listdir(os.path.dirname(folder))),
                         ["2", "2.archive.lock", "2.lock"])
        cdn = [r for r in self.hub.requests if r["server"] == "cdn"]
        self.assertFalse(any("authorization" in r["headers"] for r in cdn))
        # Offline, and version 1 by the handle, with kaggle.json credentials.
        self.assertEqual(self.last_line(self.run_fetch("--kaggle", handle,
                                                       "--offline")), folder)
        self.hub.kaggle_auth = "Basic dTprZXk="  # u:key
        os.makedirs(os.path.join(self.tmp.name, ".kaggle"))
        with open(os.path.join(self.tmp.name, ".kaggle", "kaggle.json"), "w") as f:
            json.dump({"username": "u", "key": "key"}, f)
        folder1 = self.last_line(self.run_fetch("--kaggle", handle + "/1"))
        self.assertEqual(os.listdir(folder1), ["old.sbs"])

    def test_kaggle_token_from_dot_env_and_search(self):
        self.hub.add_kaggle("google/gemma-3/transformers/gemma-3-270m", 1,
                            {"config.json": b"{}"}, votes=7, title="Gemma 3")
        self.hub.kaggle_auth = "Bearer from_env_file"
        with open(os.path.join(self.tmp.name, ".env"), "w") as f:
            f.write('export KAGGLE_API_TOKEN="from_env_file"\n')
        done = self.run_fetch("--search-kaggle", "gemma")
        lines = done.stdout.strip().splitlines()
        self.assertTrue(lines[1].startswith("google/gemma-3"), lines)
        self.assertIn(" 7 ", lines[1])
        line = self.error_line(self.run_fetch("--kaggle", "google/gemma-3/x/y",
                                              check=False))
        self.assertIn("Kaggle has no model google/gemma-3/x/y", line)
        line = self.error_line(self.run_fetch("--kaggle", "google/../x/y",
                                              check=False))
        self.assertIn("is not OWNER/MODEL/FRAMEWORK/VARIATION", line)

    def test_hostile_kaggle_archives_are_refused(self):
        victim = os.path.join(self.tmp.name, "victim.txt")
        with open(victim, "w") as f:
            f.write("the user's file")

        def archive(name, kind=tarfile.REGTYPE, link="", data=b"evil"):
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w:gz",
                              format=tarfile.PAX_FORMAT) as tar:
                info = tarfile.TarInfo(name)
                info.type, info.linkname = kind, link
                info.size = len(data) if kind == tarfile.REGTYPE else 0
                tar.addfile(info, io.BytesIO(data) if info.size else None)
            return out.getvalue()

        cases = {
            "dotdot": (archive("../../escaped.txt"), "outside the archive"),
            "absolute": (archive(victim), "outside the archive"),
            "hardlink": (archive("x", tarfile.LNKTYPE, victim),
                         "neither a file nor a folder"),
            "symlink": (archive("y", tarfile.SYMTYPE, victim),
                        "neither a file nor a folder"),
            "not-an-archive": (b"plain bytes, no archive", "not an archive"),
        }
        for variation, (data, message) in cases.items():
            with self.subTest(variation):
                handle = f"evil/model/gemmaCpp/{variation}"
                self.hub.add_kaggle(handle, 1, {}, archive=data)
                line = self.error_line(self.run_fetch("--kaggle", handle,
                                                      check=False))
                self.assertIn(message, line)
                folder = os.path.join(self.kaggle_cache, "models", handle)
                self.assertEqual(sorted(os.listdir(folder)),
                                 ["1.archive.lock", "1.lock"])
        with open(victim) as f:
            self.assertEqual(f.read(), "the user's file")
        self.assertFalse(os.path.exists(os.path.join(self.kaggle_cache,
                                                     "escaped.txt")))

    def test_hub_outage_and_hf_hub_offline_use_the_cache(self):
        path = self.last_line(self.run_fetch("--hf-repo", REPO))
        self.hub.faults["status"] = (503, 99, None)
        # (The fault covers resolve paths; the API answers, the HEAD fails.)
        done = self.run_fetch("--hf-repo", REPO, "--retries", "0")
        self.assertEqual(self.last_line(done), path)
        self.assertIn("using the cached copy", done.stderr)
        del self.hub.faults["status"]
        before = len(self.hub.requests)
        done = self.run_fetch("--hf-repo", REPO, env={"HF_HUB_OFFLINE": "1"})
        self.assertEqual(self.last_line(done), path)
        self.assertEqual(len(self.hub.requests), before)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--gemma-fetch", required=True)
    parser.add_argument("--gemma-exec")
    parser.add_argument("--gemma-serve")
    parser.add_argument("--make-gguf-seed")
    ARGS, rest = parser.parse_known_args()
    for name in ("gemma_fetch", "gemma_exec", "gemma_serve", "make_gguf_seed"):
        if getattr(ARGS, name):
            setattr(ARGS, name, os.path.abspath(getattr(ARGS, name)))
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False,
                           verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
