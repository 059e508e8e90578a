#!/usr/bin/env python3
"""Prints "program --option" for every option README's command lines give a
CHM program: indented code lines and fenced blocks, continuation lines
joined, each pipeline stage read on its own. t0750 checks each pair against
what the program knows, so an example in the README cannot drift from the
program it shows."""
import re
import shlex
import sys

PROGRAMS = set(sys.argv[2].split())


def code_lines(text):
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    ") or line.startswith("\t"):
            yield line.strip()


def joined(lines):
    buf = ""
    for line in lines:
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        yield buf + line
        buf = ""
    if buf:
        yield buf


def stages(command):
    command = re.sub(r"\s#.*$", "", command)
    for part in re.split(r"\|\||&&|[|;]|\$\(|`", command):
        try:
            words = shlex.split(part, comments=True)
        except ValueError:
            words = part.split()
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]
        while words and words[0] in ("$", "sudo", "exec", "time", "env"):
            words = words[1:]
        if words:
            yield words


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    seen = set()
    for command in joined(code_lines(text)):
        for words in stages(command):
            prog = words[0].rsplit("/", 1)[-1]
            if prog not in PROGRAMS:
                continue
            # `chm exec` and `chm synth` hand over to chm-exec and chm-synth
            if prog == "chm" and len(words) > 1 and "chm-" + words[1] in PROGRAMS:
                prog = "chm-" + words[1]
            for w in words[1:]:
                m = re.match(r"^(--[a-z][a-z-]*)", w)
                if m and (prog, m.group(1)) not in seen:
                    seen.add((prog, m.group(1)))
                    print(prog, m.group(1))


main()
