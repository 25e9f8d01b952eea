#!/usr/bin/env python3
"""gemma-serve beside llama.cpp's server on the same GGUF: aggregate decode
tok/s and time to first token at several concurrencies.

    serve_bench.py --model GGUF [--gemma-serve BIN] [--llama-python PY]
                   [--concurrency 1,4,8,16] [--tokens 64] [--rounds 3]
                   [--threads 2] [--parallel 8]

Each server runs alone on a free loopback port (ours with --parallel,
llama-cpp-python's `python -m llama_cpp.server` from PY's environment,
which needs `pip install llama-cpp-python[server]`, see
docs/layout/bench.md). At each concurrency C, C clients stream a
completion of the same prompt at once (temperature 0, --tokens tokens),
rounds interleaved between the servers. Per round: aggregate tok/s = the
streamed chunks of all C requests (one token each on both servers) over
the time from the requests' start to the last chunk; TTFT = each request's
time to its first chunk. Prints the CPU, and a markdown table of the
medians over rounds (TTFT: the median over all requests of all rounds).
"""

import argparse
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchutil import cpu_name

PROMPT = ("The history of the printing press begins in the fifteenth "
          "century, when")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name, argv, port, ready_path):
        self.name, self.port = name, port
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                sys.exit(f"serve_bench: {name} exited:\n" +
                         self.log.read().decode(errors="replace"))
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}{ready_path}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        sys.exit(f"serve_bench: {name} never became ready")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def stream_one(port, model, tokens):
    """(time to first chunk, chunks, end time) of one streamed completion."""
    body = json.dumps({"model": model, "prompt": PROMPT, "max_tokens": tokens,
                       "temperature": 0, "stream": True,
                       "ignore_eos": True}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/completions", data=body,
        headers={"Content-Type": "application/json"}, method="POST")
    start = time.monotonic()
    first, chunks = None, 0
    with urllib.request.urlopen(req, timeout=600) as r:
        for raw in r:
            line = raw.decode().strip()
            if not line.startswith("data:") or line == "data: [DONE]":
                continue
            data = json.loads(line[5:])
            if data.get("choices") and data["choices"][0].get("text"):
                chunks += 1
                if first is None:
                    first = time.monotonic() - start
    return first or 0.0, chunks, time.monotonic()


def round_at(server, model, concurrency, tokens):
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda _: stream_one(server.port, model,
                                                     tokens),
                                range(concurrency)))
    end = max(r[2] for r in results)
    total = sum(r[1] for r in results)
    return total / (end - start), [r[0] for r in results]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--gemma-serve", default="build/bin/gemma-serve")
    p.add_argument("--llama-python")
    p.add_argument("--concurrency", default="1,4,8,16")
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--parallel", type=int, default=8)
    p.add_argument("--ctx", type=int, default=4096)
    args = p.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    name = os.path.basename(args.model)

    servers = []
    port = free_port()
    servers.append(Server("gemma-serve", [
        args.gemma_serve, args.model, "--port", str(port), "--threads",
        str(args.threads), "--parallel", str(args.parallel), "--ctx-size",
        str(args.ctx), "--max-queue", "256"], port, "/health"))
    if args.llama_python:
        port = free_port()
        servers.append(Server("llama.cpp server", [
            args.llama_python, "-m", "llama_cpp.server", "--model", args.model,
            "--port", str(port), "--n_threads", str(args.threads),
            "--n_threads_batch", str(args.threads), "--n_ctx", str(args.ctx),
            "--model_alias", name], port, "/v1/models"))
    results = {s.name: {c: ([], []) for c in levels} for s in servers}
    try:
        for s in servers:  # warm-up
            round_at(s, name, 1, 8)
        for _ in range(args.rounds):
            for c in levels:
                for s in servers:
                    rate, ttft = round_at(s, name, c, args.tokens)
                    results[s.name][c][0].append(rate)
                    results[s.name][c][1].extend(ttft)
    finally:
        for s in servers:
            s.stop()

    print(f"CPU: {cpu_name()}, {args.threads} threads; {name}; "
          f"{args.tokens} tokens per request, medians of {args.rounds} "
          f"rounds; gemma-serve --parallel {args.parallel}")
    head = "| concurrency |"
    rule = "|---|"
    for s in servers:
        head += f" {s.name} tok/s | {s.name} TTFT ms |"
        rule += "---|---|"
    if len(servers) == 2:
        head += " ratio |"
        rule += "---|"
    print(head)
    print(rule)
    for c in levels:
        row = f"| {c} |"
        rates = []
        for s in servers:
            rate = statistics.median(results[s.name][c][0])
            ttft = statistics.median(results[s.name][c][1]) * 1e3
            rates.append(rate)
            row += f" {rate:.1f} | {ttft:.0f} |"
        if len(rates) == 2:
            row += f" {rates[0] / rates[1]:.2f} |"
        print(row)


if __name__ == "__main__":
    main()
