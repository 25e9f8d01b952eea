#!/usr/bin/env python3
"""Fails when docs/cli.md leaves out a flag that a tool's --help lists.

    check-cli-docs.py --bin-dir DIR --doc FILE

Runs `--help` of gemma-compile, gemma-exec, gemma-ref, gemma-sbs and
gemma-serve, and of
every subcommand gemma-sbs's --help lists, and collects each option line's
flag (`--name`, or a one-letter `-o`). LLVM's generic options (the "Generic
Options" group: --help, --help-list, --version, ...) are skipped, and so is
gemma-opt, whose options are MLIR's and LLVM's.

A flag counts as documented when it appears as `--name` (a one-letter one as
`-o`), not as part of a longer flag, in the tool's own section of the page:
from a heading that starts with the tool's name ("## gemma-exec",
"### gemma-sbs synth", backticks allowed) to the next heading of the same or
a higher level. Prints one line on success; otherwise lists each missing
flag per tool and exits 1.
"""

import argparse
import os
import re
import subprocess
import sys

TOOLS = ["gemma-compile", "gemma-exec", "gemma-ref", "gemma-sbs", "gemma-serve"]
SUBCOMMAND_TOOL = "gemma-sbs"
GENERIC_GROUP = "Generic Options"
# Also by name, should LLVM ever list them outside their group.
GENERIC_FLAGS = {
    "-h",
    "--help",
    "--help-hidden",
    "--help-list",
    "--help-list-hidden",
    "--print-all-options",
    "--print-options",
    "--version",
}

GROUP_RE = re.compile(r"^(\S.*):\s*$")
OPTION_RE = re.compile(r"^  (--?[A-Za-z0-9][A-Za-z0-9_-]*)(?:[=\s]|$)")
SUBCOMMAND_RE = re.compile(r"^  ([a-z][a-z0-9-]*)\s+- ")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")


def run_help(binary, args):
    try:
        result = subprocess.run(
            [binary] + args + ["--help"],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ, LC_ALL="C"),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        sys.exit(f"check-cli-docs: error: cannot run {binary}: {error}")
    if result.returncode != 0:
        sys.exit(
            f"check-cli-docs: error: {' '.join([binary] + args)} --help "
            f"exited with {result.returncode}: {result.stderr.strip()}"
        )
    return result.stdout


def help_flags(text):
    """The flags of the option lines, in order, outside the generic group."""
    flags = []
    group = None
    in_options = False
    for line in text.splitlines():
        if line.startswith("OPTIONS:"):
            in_options = True
            continue
        if not in_options:
            continue
        heading = GROUP_RE.match(line)
        if heading:
            group = heading.group(1)
            continue
        match = OPTION_RE.match(line)
        if not match or group == GENERIC_GROUP:
            continue
        flag = match.group(1)
        # A one-letter option is -o; a longer one always takes two dashes.
        name = flag.lstrip("-")
        flag = f"-{name}" if len(name) == 1 else f"--{name}"
        if flag not in GENERIC_FLAGS and flag not in flags:
            flags.append(flag)
    return flags


def subcommands(text):
    names = []
    in_section = False
    for line in text.splitlines():
        if line.startswith("SUBCOMMANDS:"):
            in_section = True
            continue
        if in_section:
            if GROUP_RE.match(line):
                break
            match = SUBCOMMAND_RE.match(line)
            if match:
                names.append(match.group(1))
    return names


def sections(doc_lines):
    """(level, title, first line, end line) of each heading outside code."""
    headings = []
    fenced = False
    for number, line in enumerate(doc_lines):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        match = HEADING_RE.match(line)
        if match:
            title = match.group(2).replace("`", "").strip()
            headings.append((len(match.group(1)), title, number))
    result = []
    for i, (level, title, start) in enumerate(headings):
        end = len(doc_lines)
        for later_level, _, later_start in headings[i + 1 :]:
            if later_level <= level:
                end = later_start
                break
        result.append((level, title, start, end))
    return result


def section_text(doc_lines, all_sections, command):
    """The text of every section whose title starts with `command`."""
    pattern = re.compile(r"^" + re.escape(command) + r"(?![\w-])")
    covered = set()
    for _, title, start, end in all_sections:
        if pattern.match(title):
            covered.update(range(start, end))
    if not covered:
        return None
    return "\n".join(doc_lines[i] for i in sorted(covered))


def mentioned(flag, text):
    return re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", required=True, help="folder of the tools")
    parser.add_argument("--doc", required=True, help="the page to check")
    args = parser.parse_args()

    try:
        with open(args.doc, encoding="utf-8") as f:
            doc_lines = f.read().splitlines()
    except OSError as error:
        sys.exit(f"check-cli-docs: error: {error}")
    all_sections = sections(doc_lines)

    # (command as in the doc's headings, its flags)
    commands = []
    for tool in TOOLS:
        binary = os.path.join(args.bin_dir, tool)
        text = run_help(binary, [])
        commands.append((tool, help_flags(text)))
        if tool == SUBCOMMAND_TOOL:
            subs = subcommands(text)
            if not subs:
                sys.exit(
                    f"check-cli-docs: error: no subcommands found in {tool} "
                    "--help: the parser needs updating"
                )
            for sub in subs:
                commands.append(
                    (f"{tool} {sub}", help_flags(run_help(binary, [sub])))
                )

    for tool in TOOLS:
        if not any(
            flags for command, flags in commands if command.split()[0] == tool
        ):
            sys.exit(
                f"check-cli-docs: error: no options found in {tool} --help: "
                "the parser needs updating"
            )

    missing = []
    total = 0
    for command, flags in commands:
        if not flags:
            continue
        total += len(flags)
        text = section_text(doc_lines, all_sections, command)
        if text is None:
            missing.append(
                f"  {command}: no section (a heading starting with "
                f"'{command}'); its flags: {' '.join(flags)}"
            )
            continue
        absent = [flag for flag in flags if not mentioned(flag, text)]
        if absent:
            missing.append(f"  {command}: {' '.join(absent)}")

    if missing:
        print(
            f"{args.doc} does not document these flags that --help lists "
            "(add each to its tool's section):",
            file=sys.stderr,
        )
        print("\n".join(missing), file=sys.stderr)
        return 1
    print(
        f"{args.doc}: all {total} flags of {len(commands)} commands "
        f"({', '.join(c for c, _ in commands)}) are documented"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
