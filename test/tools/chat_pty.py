#!/usr/bin/env python3
"""`gemma-exec --chat` driven through a pseudo-terminal, as a person uses it.

With the real Gemma 3 270M (scripts/setup.sh assembles it; without it the
test skips, saying so): the prompt appears, a reply streams, a second turn
reuses the cached positions of the first (--verbose says how many), /stats
and /reset answer, Ctrl-C stops a reply that is still streaming and the chat
goes on, and Ctrl-D at the prompt ends the program with status 0.
"""

import argparse
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time

SKIP = 77


class Terminal:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(argv[0], argv)
        self.seen = ""
        self.pos = 0  # where the last match ended

    def read_until(self, pattern, timeout=60.0):
        """Reads until `pattern` matches the text after the last match."""
        deadline = time.monotonic() + timeout
        start = self.pos
        while True:
            match = re.search(pattern, self.seen[start:])
            if match:
                self.pos = start + match.end()
                return self.seen[start:self.pos]
            left = deadline - time.monotonic()
            if left <= 0:
                sys.exit(f"timed out waiting for {pattern!r}; the terminal "
                         f"showed:\n{self.seen[start:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    sys.exit(f"the program ended while waiting for "
                             f"{pattern!r}:\n{self.seen[start:]}")
                self.seen += chunk.decode(errors="replace")

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                os.read(self.fd, 4096)
            except OSError:
                pass
            time.sleep(0.05)
        sys.exit("the program did not end")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gemma-exec", required=True)
    parser.add_argument("--gemma-compile", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    if not os.path.exists(args.model):
        print(f"SKIP: no real model at {args.model} (scripts/setup.sh "
              f"assembles it)")
        return SKIP

    with tempfile.TemporaryDirectory() as tmp:
        plan = os.path.join(tmp, "chat.plan")
        subprocess.run([args.gemma_compile, args.model, "-o", plan,
                        "--prefill-buckets", "16,64"],
                       check=True, capture_output=True)
        term = Terminal([args.gemma_exec, plan, "--chat", "--verbose",
                         "--max-tokens", "48", "--ignore-eos"])
        term.read_until(r"Ctrl-C stops a reply")
        term.read_until(r"> ")

        term.send("What is the capital of France?\n")
        first = term.read_until(r"\n> ")
        assert re.search(r"turn 1: \d+ new tokens, prefilled \d+ at positions "
                         r"0\.\.\d+ .*; 0 positions reused", first), first
        assert "Paris" in first, f"no Paris in the first reply:\n{first}"

        term.send("And of Italy?\n")
        second = term.read_until(r"\n> ")
        reused = re.search(r"turn 2: .*; (\d+) positions reused", second)
        assert reused and int(reused.group(1)) > 48, second

        term.send("/stats\n")
        stats = term.read_until(r"\n> ")
        assert re.search(r"\[context: \d+ of 32768 positions used; last "
                         r"turn: .* tok/s\)\]", stats), stats

        term.send("/reset\n")
        term.read_until(r"\[conversation reset\]\s*\n> ")

        # Ctrl-C while the reply streams: it stops early, the chat goes on.
        term.send("Write a long story about a dragon.\n")
        streamed = term.read_until(r"positions reused from earlier turns\r?\n")
        assert "0 positions reused" in streamed, streamed
        term.read_until(r"\w+")  # the reply has started streaming
        term.send("\x03")
        stopped = term.read_until(r"\n> ")
        assert "[stopped]" in stopped, stopped
        tokens = re.search(r"replied (\d+) tokens", stopped)
        assert tokens and int(tokens.group(1)) < 48, stopped

        term.send("Thanks!\n")
        term.read_until(r"turn 2: replied \d+ tokens.*\n> ")

        # A message continued with a backslash is one turn.
        term.send("/reset\n")
        term.read_until(r"\[conversation reset\]\s*\n> ")
        term.send("Name a colour \\\nand a fruit.\n")
        continued = term.read_until(r"\n> ")
        assert len(re.findall(r"turn \d+: \d+ new tokens", continued)) == 1, \
            continued
        assert "turn 1: " in continued, continued

        # A long pasted block (lines of the block are joined, none longer
        # than the terminal's line limit) shows the prefill's progress, and
        # Ctrl-C stops it: the chat says how much was read and goes on with
        # a consistent cache.
        term.send("/reset\n")
        term.read_until(r"\[conversation reset\]\s*\n> ")
        term.send('"""\n')
        for i in range(300):
            term.send(f"Line {i}: the quick brown fox jumps over the lazy "
                      f"dog near the river bank.\n")
        term.send('"""\n')
        term.read_until(r"\d+% \d+/\d+ tokens, \d+ tokens/s", timeout=120)
        term.send("\x03")
        interrupted = term.read_until(r"\n> ", timeout=120)
        read = re.search(r"\[stopped reading the message: (\d+) of its "
                         r"(\d+) tokens are in the conversation", interrupted)
        assert read and 0 < int(read.group(1)) < int(read.group(2)), \
            interrupted
        term.send("Thanks!\n")
        term.read_until(r"turn 1: replied \d+ tokens.*\n> ")

        term.send("\x04")  # Ctrl-D at the prompt
        status = term.wait()
        if os.environ.get("CHAT_PTY_SHOW"):
            print(term.seen)
        assert status == 0, f"exit status {status}"
    print("chat through a pty: streaming, cache reuse, /stats, /reset, "
          "continued lines, a pasted block, Ctrl-C in a reply and in a "
          "prefill, and Ctrl-D behave")
    return 0


if __name__ == "__main__":
    sys.exit(main())
