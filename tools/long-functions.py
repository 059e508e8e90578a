#!/usr/bin/env python3
"""Lists C functions longer than a limit (default 80 lines), body braces
included: the check behind README's "no function over 80 lines".
Usage: tools/long-functions.py [LIMIT] FILE..."""
import re, sys

args = sys.argv[1:]
limit = int(args.pop(0)) if args and args[0].isdigit() else 80
bad = 0
for path in args:
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        # a definition: a line at column 0 naming a function, its body opening at column 0
        m = re.match(r"^[A-Za-z_][\w \*]*?\b(\w+)\(", lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            j = i
            while j < len(lines) and lines[j] != "{" and not lines[j].rstrip().endswith(";"):
                j += 1
            if j < len(lines) and lines[j] == "{":
                k = j + 1
                while k < len(lines) and lines[k] != "}":
                    k += 1
                n = k - i + 1
                if n > limit:
                    print("%s:%d: %s: %d lines" % (path, i + 1, m.group(1), n))
                    bad += 1
                i = k
        i += 1
sys.exit(1 if bad else 0)
