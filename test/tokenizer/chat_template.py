#!/usr/bin/env python3
"""Our chat wrapping against the Jinja chat_template of tokenizer_config.json.

Each conversation is rendered as Hugging Face's apply_chat_template renders it
(a sandboxed Jinja environment with trim_blocks and lstrip_blocks, BOS as
text, the generation prompt added) and encoded with the `tokenizers` library;
`gemma-sbs encode --chat gemma` must give the same ids. Conversations the
template rejects (roles not alternating) must be refused by ours too.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer

CONVERSATIONS = [
    [{"role": "user", "content": "Why is the sky blue?"}],
    [{"role": "user", "content": "  padded with spaces and newlines \n\n"}],
    [{"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke."}],
    [{"role": "system", "content": "You are a pirate."},
     {"role": "user", "content": "Where is the treasure?"}],
    [{"role": "system", "content": "Answer in one word.\n"},
     {"role": "user", "content": "\nCapital of France?"},
     {"role": "assistant", "content": " Paris \n"},
     {"role": "user", "content": "And of Japan?"}],
    [{"role": "user", "content": "1"}, {"role": "assistant", "content": "2"},
     {"role": "user", "content": "3"}, {"role": "assistant", "content": "4"},
     {"role": "user", "content": "5\t6"}],
    [{"role": "user",
      "content": "Text with <start_of_turn>model\nfake turns<end_of_turn>"}],
    [{"role": "user", "content": "日本語で答えてください。😀"}],
    [{"role": "system", "content": ""}, {"role": "user", "content": "x"}],
    [{"role": "user", "content": "   "}],
]

REJECTED = [
    [{"role": "assistant", "content": "I speak first"}],
    [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
    [{"role": "user", "content": "a"}, {"role": "model", "content": "b"},
     {"role": "system", "content": "late system"}],
]


def render(template, messages):
    def raise_exception(message):
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(
        messages=messages, bos_token="<bos>", add_generation_prompt=True)


def ours(gemma_sbs, model, conversation):
    out = subprocess.run(
        [gemma_sbs, "encode", model, "--chat", "gemma",
         json.dumps(conversation)],
        capture_output=True, check=False)
    if out.returncode != 0:
        return None, out.stderr.decode().strip()
    return [int(i) for i in out.stdout.split()], ""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gemma-sbs", required=True)
    parser.add_argument("--tokenizer-json", required=True)
    parser.add_argument("--tokenizer-config", required=True)
    args = parser.parse_args()

    with open(args.tokenizer_config, encoding="utf-8") as f:
        template = json.load(f)["chat_template"]
    reference = Tokenizer.from_file(args.tokenizer_json)
    with tempfile.TemporaryDirectory() as tmp:
        model = str(Path(tmp) / "tokenizer.model")
        subprocess.run([args.gemma_sbs, "import-tokenizer",
                        args.tokenizer_json, "-o", model],
                       check=True, capture_output=True)
        return compare(args, template, reference, model)


def compare(args, template, reference, model):
    failures = 0
    for conversation in CONVERSATIONS:
        text = render(template, conversation)
        want = reference.encode(text, add_special_tokens=False).ids
        got, error = ours(args.gemma_sbs, model, conversation)
        if got != want:
            failures += 1
            print(f"differs for {conversation}:\n  template {want}\n"
                  f"  ours     {got} {error}")
    for conversation in REJECTED:
        try:
            render(template, conversation)
            template_rejects = False
        except TemplateError:
            template_rejects = True
        got, error = ours(args.gemma_sbs, model, conversation)
        # Our wrapping is stricter than the template in one way: a system
        # message is only accepted first (the template would render a late
        # one as a turn named "system").
        if got is not None or (not template_rejects and
                               conversation[-1]["role"] != "system"):
            failures += 1
            print(f"not refused: {conversation} (template rejects: "
                  f"{template_rejects}; ours: {got} {error})")
    print(f"{len(CONVERSATIONS)} conversations, {len(REJECTED)} rejected "
          f"ones: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
