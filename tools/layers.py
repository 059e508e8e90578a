#!/usr/bin/env python3
"""Checks the layout README.md's "Layout" describes, from the code's own
#include lines: lib/ has four layers, core < sources < engines < cmd, and a
module includes only its own layer and the ones below; no two modules
include each other in a circle; no module below bin/ reads the
environment; no engine tells a source by its address. Prints what it
found; exit status 1 when a rule is broken.
Usage: tools/layers.py [ROOT]"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
LAYERS = ["core", "sources", "engines", "cmd"]
rank = {name: i for i, name in enumerate(LAYERS)}
module_layer, edges, problems = {}, {}, []

for layer in LAYERS:
    for f in sorted(os.listdir(os.path.join(root, "lib", layer))):
        module_layer[os.path.splitext(f)[0]] = layer

for layer in LAYERS:
    folder = os.path.join(root, "lib", layer)
    for f in sorted(os.listdir(folder)):
        mod = os.path.splitext(f)[0]
        text = open(os.path.join(folder, f), encoding="utf-8").read()
        for inc_layer, inc in re.findall(r'#include "([a-z]+)/([a-z_0-9]+)\.h"', text):
            if inc not in module_layer or module_layer[inc] != inc_layer:
                problems.append("lib/%s/%s: includes %s/%s.h, which is not there" % (layer, f, inc_layer, inc))
                continue
            if inc != mod:
                edges.setdefault(mod, set()).add(inc)
            if rank[inc_layer] > rank[layer]:
                problems.append("lib/%s/%s: a %s module includes %s/%s.h, a layer above it"
                                % (layer, f, layer, inc_layer, inc))
        for m in re.finditer(r"\bgetenv\s*\(", text):
            problems.append("lib/%s/%s: calls getenv() (only bin/ reads the environment)" % (layer, f))
        if layer != "sources" and re.search(r"[=!]=\s*&chm_src_\w+|&chm_src_\w+\s*[=!]=", text):
            problems.append("lib/%s/%s: tells a source by its address (use struct chm_source's members)"
                            % (layer, f))

# circles: Tarjan's strongly connected components
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(module_layer):
    if v not in index:
        visit(v)
for comp in sccs:
    problems.append("a circle of includes: " + " -> ".join(comp))

count = {l: sum(1 for m in module_layer.values() if m == l) for l in LAYERS}
print("layers: " + ", ".join("%s %d modules" % (l, count[l]) for l in LAYERS)
      + "; %d includes between modules" % sum(len(v) for v in edges.values()))
for p in problems:
    print(p)
print("circles: %d; broken rules: %d" % (len(sccs), len(problems)))
sys.exit(1 if problems else 0)
