#!/usr/bin/env python3
"""gemma-serve against OpenAI's own Python client, on loopback.

    serve_test.py --gemma-serve BIN --gemma-sbs BIN --gemma-exec BIN
                  [--real-model GGUF]

Each server is started on a free port and stopped by the test. A tiny
synthesized Gemma 3 (with the synthetic tokenizer and Gemma's chat
template) serves the protocol tests: both endpoints whole and streamed,
usage counts, stop strings, OpenAI's error shapes, the API key, a client
that disconnects mid-stream, 32 requests from 8 concurrent clients with
nothing lost or leaked (/metrics back to zero), and SIGTERM finishing the
requests in flight. With the real Gemma 3 270M (scripts/setup.sh), greedy
text through the server equals gemma-exec's for the same prompt.

Needs the `openai` package of the project's venv (scripts/requirements.txt);
exits 77 (skipped) without it.
"""

import argparse
import concurrent.futures
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

SKIP = 77
try:
    import openai
except ImportError:
    print("serve_test: skipped: the openai package is not installed "
          "(scripts/setup.sh puts it in .venv)")
    sys.exit(SKIP)

ARGS = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def synth_tiny(folder, name):
    """The tiny-gemma3 preset (synthetic tokenizer, Gemma's chat turns)."""
    path = os.path.join(folder, name)
    subprocess.run([ARGS.gemma_sbs, "synth", "--preset", "tiny-gemma3", "-o",
                    path], check=True, capture_output=True)
    return path


class Served:
    """A gemma-serve process on a free loopback port."""

    def __init__(self, model, *flags):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [ARGS.gemma_serve, model, "--port", str(self.port), "--threads",
             "2", *flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gemma-serve exited: " + self.output())
            try:
                with urllib.request.urlopen(self.url + "/health",
                                            timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        raise RuntimeError("gemma-serve never became ready: " + self.output())

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def client(self, key="none"):
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key,
                             max_retries=0, timeout=120)

    def post(self, path, body, headers=None):
        """(status, parsed JSON body) of a raw POST."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     headers=headers or {}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as r:
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        self.log.close()


class Protocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.model = synth_tiny(cls.dir.name, "tiny-gemma3.sbs")
        cls.server = Served(cls.model, "--parallel", "4", "--max-queue", "64",
                            "--alias", "tiny")
        cls.client = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.dir.cleanup()

    def chat(self, **kwargs):
        kwargs.setdefault("temperature", 0)
        return self.client.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "Hello there"}],
            **kwargs)

    def test_models_and_health(self):
        self.assertEqual([m.id for m in self.client.models.list()], ["tiny"])

    def test_chat_whole_and_streamed_agree(self):
        whole = self.chat(max_tokens=12)
        self.assertEqual(whole.object, "chat.completion")
        self.assertEqual(whole.choices[0].message.role, "assistant")
        self.assertEqual(whole.usage.completion_tokens, 12)
        self.assertGreater(whole.usage.prompt_tokens, 4)
        self.assertEqual(whole.usage.total_tokens,
                         whole.usage.prompt_tokens + 12)
        self.assertEqual(whole.choices[0].finish_reason, "length")
        pieces, finish, usage = [], None, None
        for chunk in self.chat(max_tokens=12, stream=True,
                               stream_options={"include_usage": True}):
            if chunk.usage:
                usage = chunk.usage
            for choice in chunk.choices:
                if choice.delta.content:
                    pieces.append(choice.delta.content)
                finish = choice.finish_reason or finish
        self.assertEqual("".join(pieces), whole.choices[0].message.content)
        self.assertEqual(finish, "length")
        self.assertEqual(usage.completion_tokens, 12)

    def test_the_next_turn_of_a_chat_reuses_the_cache(self):
        messages = [{"role": "user", "content": "Tell me about cats."}]
        first = self.client.chat.completions.create(
            model="tiny", messages=messages, max_tokens=12, temperature=0)
        messages += [{"role": "assistant",
                      "content": first.choices[0].message.content},
                     {"role": "user", "content": "And dogs?"}]
        second = self.client.chat.completions.create(
            model="tiny", messages=messages, max_tokens=4, temperature=0)
        # At least the first turn's prompt is not prefilled again.
        self.assertGreaterEqual(
            second.usage.prompt_tokens_details.cached_tokens,
            first.usage.prompt_tokens - 1)

    def test_completions_and_stop_strings(self):
        whole = self.client.completions.create(
            model="tiny", prompt="Once upon a time", max_tokens=16,
            temperature=0)
        text = whole.choices[0].text
        self.assertEqual(whole.object, "text_completion")
        self.assertTrue(text)
        # A stop string from the middle of that text ends it there.
        stop = text[len(text) // 2:len(text) // 2 + 2]
        if stop.strip():
            cut = self.client.completions.create(
                model="tiny", prompt="Once upon a time", max_tokens=16,
                temperature=0, stop=[stop])
            self.assertEqual(cut.choices[0].text, text[:text.find(stop)])
            self.assertEqual(cut.choices[0].finish_reason, "stop")
        streamed = "".join(
            c.choices[0].text for c in self.client.completions.create(
                model="tiny", prompt="Once upon a time", max_tokens=16,
                temperature=0, stream=True) if c.choices)
        self.assertEqual(streamed, text)

    def test_logprobs_whole_streamed_and_completions(self):
        whole = self.chat(max_tokens=8, logprobs=True, top_logprobs=3)
        content = whole.choices[0].logprobs.content
        self.assertEqual(len(content), 8)
        for entry in content:
            top = entry.top_logprobs
            self.assertEqual(len(top), 3)
            self.assertEqual([t.logprob for t in top],
                             sorted((t.logprob for t in top), reverse=True))
            self.assertLessEqual(sum(math.exp(t.logprob) for t in top), 1.0001)
            self.assertLess(top[0].logprob, 1e-6)
            # Greedy: each token is its step's likeliest.
            self.assertEqual(entry.token, top[0].token)
            self.assertAlmostEqual(entry.logprob, top[0].logprob, places=6)
            # A token's bytes may be part of a character (then its text
            # holds U+FFFD); together they are the reply.
            if "\ufffd" not in entry.token:
                self.assertEqual(bytes(entry.bytes), entry.token.encode())
        raw = b"".join(bytes(entry.bytes) for entry in content)
        self.assertEqual(raw.decode(errors="replace"),
                         whole.choices[0].message.content)
        streamed = []
        for chunk in self.chat(max_tokens=8, logprobs=True, top_logprobs=3,
                               stream=True):
            for choice in chunk.choices:
                if choice.logprobs and choice.logprobs.content:
                    streamed += choice.logprobs.content
        # (The second request reuses the first's cached prompt: its sums
        # may round differently.)
        self.assertEqual([e.token for e in streamed], [e.token for e in content])
        for a, b in zip(streamed, content):
            self.assertAlmostEqual(a.logprob, b.logprob, delta=1e-4)
        # Without logprobs none come back.
        self.assertIsNone(self.chat(max_tokens=2).choices[0].logprobs)
        completion = self.client.completions.create(
            model="tiny", prompt="Once upon a time", max_tokens=6,
            temperature=0, logprobs=2)
        lp = completion.choices[0].logprobs
        self.assertEqual(len(lp.tokens), 6)
        self.assertEqual(lp.text_offset[0], 0)
        self.assertEqual(lp.text_offset, sorted(lp.text_offset))
        if "".join(lp.tokens) == completion.choices[0].text:
            self.assertEqual(lp.text_offset,
                             [sum(len(t) for t in lp.tokens[:i])
                              for i in range(6)])
        for token, logprob, top in zip(lp.tokens, lp.token_logprobs,
                                       lp.top_logprobs):
            self.assertEqual(len(top), 2)
            self.assertAlmostEqual(max(top.values()), logprob, places=6)
            self.assertIn(token, top)

    def test_seeded_sampling_repeats(self):
        a = self.chat(max_tokens=10, seed=7, temperature=0.9, top_p=0.9)
        b = self.chat(max_tokens=10, seed=7, temperature=0.9, top_p=0.9)
        self.assertEqual(a.choices[0].message.content,
                         b.choices[0].message.content)
        extras = self.client.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "Hi"}],
            max_tokens=4, extra_body={"top_k": 5, "min_p": 0.05,
                                      "repeat_penalty": 1.1,
                                      "ignore_eos": True})
        self.assertEqual(extras.usage.completion_tokens, 4)

    def test_errors_have_openais_shape(self):
        cases = [
            (b"{not json", 400, None),
            ({"messages": "hi"}, 400, "messages"),
            ({"messages": [{"role": "user", "content": "x"}],
              "max_tokens": 0}, 400, "max_tokens"),
            ({"messages": [{"role": "user", "content": "x"}],
              "temperature": "hot"}, 400, "temperature"),
            ({"messages": [{"role": "user", "content": "x"}], "n": 2},
             400, "n"),
            ({"messages": [{"role": "user", "content": "x"}],
              "top_logprobs": 2}, 400, "top_logprobs"),
            ({"messages": [{"role": "user", "content": "x"}],
              "model": "gpt-4"}, 404, "model"),
            ({"messages": [{"role": "user", "content": "word " * 400}]},
             400, "messages"),
            ({"messages": [{"role": "assistant", "content": "x"}]},
             400, "messages"),
        ]
        for body, status, param in cases:
            got, reply = self.server.post("/v1/chat/completions", body)
            self.assertEqual(got, status, (body, reply))
            self.assertIn("message", reply["error"])
            self.assertIn("type", reply["error"])
            self.assertEqual(reply["error"]["param"], param, reply)
        got, reply = self.server.post(
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "word " * 400}]})
        self.assertEqual(reply["error"]["code"], "context_length_exceeded")
        got, _ = self.server.post("/v1/completions",
                                  b"{" + b" " * (2 << 20) + b"}")
        self.assertEqual(got, 413)
        with self.assertRaises(openai.NotFoundError):
            self.client.chat.completions.create(
                model="other", messages=[{"role": "user", "content": "x"}])

    def test_a_client_that_leaves_frees_its_sequence(self):
        body = json.dumps({"prompt": "Tell me", "max_tokens": 200,
                           "ignore_eos": True, "stream": True}).encode()
        with socket.create_connection(("127.0.0.1", self.server.port)) as s:
            s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\nContent-Length: " +
                      str(len(body)).encode() + b"\r\n\r\n" + body)
            seen = b""
            while b"data:" not in seen:
                chunk = s.recv(4096)
                self.assertTrue(chunk, "the stream ended before any data")
                seen += chunk
        deadline = time.monotonic() + 10
        while self.server.metrics()["gemma_active_sequences"] != 0:
            self.assertLess(time.monotonic(), deadline,
                            "the sequence stayed after its client left")
            time.sleep(0.05)
        self.assertEqual(self.chat(max_tokens=3).usage.completion_tokens, 3)

    def test_load_nothing_lost_nothing_leaked(self):
        def one(i):
            if i % 2:
                text = "".join(
                    c.choices[0].delta.content or ""
                    for c in self.chat(max_tokens=8 + i % 5, stream=True)
                    if c.choices)
                return len(text) >= 0
            return self.chat(max_tokens=8 + i % 5).usage.completion_tokens \
                == 8 + i % 5
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(32)))
        self.assertEqual(results, [True] * 32)
        m = self.server.metrics()
        self.assertEqual(m["gemma_active_sequences"], 0)
        self.assertEqual(m["gemma_queue_depth"], 0)
        self.assertEqual(m["gemma_kv_cache_used_ratio"], 0)
        self.assertGreaterEqual(m["gemma_requests_total"], 32)


class Access(unittest.TestCase):
    def test_api_key_and_drain(self):
        with tempfile.TemporaryDirectory() as d:
            model = synth_tiny(d, "tiny.sbs")
            server = Served(model, "--api-key", "sesame", "--parallel", "2")
            try:
                with self.assertRaises(openai.AuthenticationError):
                    server.client("wrong").models.list()
                client = server.client("sesame")
                self.assertEqual(len(client.models.list().data), 1)
                # A stream in flight when SIGTERM comes is finished.
                stream = client.completions.create(
                    model="tiny.sbs", prompt="A", max_tokens=60, stream=True,
                    extra_body={"ignore_eos": True})
                first = next(iter(stream))
                self.assertTrue(first.choices)
                server.proc.send_signal(signal.SIGTERM)
                rest = list(stream)
                self.assertEqual(rest[-1].choices[0].finish_reason, "length")
                self.assertEqual(server.proc.wait(timeout=60), 0)
            finally:
                server.stop()


class Startup(unittest.TestCase):
    def test_a_busy_port_is_an_error_not_a_shared_socket(self):
        with tempfile.TemporaryDirectory() as d:
            model = synth_tiny(d, "tiny.sbs")
            first = Served(model)
            try:
                second = subprocess.run(
                    [ARGS.gemma_serve, model, "--port", str(first.port)],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(second.returncode, 1)
                self.assertIn(f"cannot listen on 127.0.0.1:{first.port}",
                              second.stderr)
            finally:
                first.stop()


class RealModel(unittest.TestCase):
    def test_greedy_text_equals_gemma_exec(self):
        if not ARGS.real_model or not os.path.exists(ARGS.real_model):
            self.skipTest("the real Gemma 3 270M is not assembled "
                          "(scripts/setup.sh)")
        prompt = "The capital of France is"
        exec_text = subprocess.run(
            [ARGS.gemma_exec, ARGS.real_model, "--raw", "--prompt", prompt,
             "--max-tokens", "24", "--ignore-eos", "--threads", "2"],
            check=True, capture_output=True, text=True).stdout
        server = Served(ARGS.real_model, "--parallel", "4",
                        "--chat-template", "gemma")
        try:
            client = server.client()
            # The pretrained file names no chat template; forced, the
            # client's chat completion is answered.
            chat = client.chat.completions.create(
                model=os.path.basename(ARGS.real_model),
                messages=[{"role": "user", "content": "Why is the sky blue?"}],
                max_tokens=16, temperature=0)
            self.assertEqual(chat.usage.completion_tokens, 16)
            self.assertTrue(chat.choices[0].message.content)
            # Two at once: batched decoding must not change either's tokens.
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                texts = list(pool.map(
                    lambda _: client.completions.create(
                        model=os.path.basename(ARGS.real_model),
                        prompt=prompt, max_tokens=24, temperature=0,
                        extra_body={"ignore_eos": True}).choices[0].text,
                    range(2)))
        finally:
            server.stop()
        self.assertEqual(texts[0], exec_text.rstrip("\n"))
        self.assertEqual(texts[1], texts[0])


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--gemma-serve", required=True)
    parser.add_argument("--gemma-sbs", required=True)
    parser.add_argument("--gemma-exec", required=True)
    parser.add_argument("--real-model")
    ARGS, rest = parser.parse_known_args()
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False,
                           verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed - len(result.skipped)} passed, "
          f"{failed} failed, {len(result.skipped)} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
