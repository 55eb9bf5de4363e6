#!/usr/bin/env python3
"""The house rules of issue 27, checked on the tree (run by .ci/run):

  platforms  a built-in platform is named (outside comments and tests) in the code of src/, mock/src/,
             codegen/src/ and cli/src/ only in its own folders and in at most two registry files
  size       no hand-written source file is over 800 lines outside its tests
  cycles     no import cycle between the files of one crate (a file's code naming an item of
             another file's module, by `crate::`, `super::`, `self::` or a child's name)
  deps       the mock and the importer do not depend on the runtime (they share its names rule
             through the small `opengate-redact` crate)

usage: scripts/check-house.py [platforms|size|cycles|deps ...]   (default: all); prints each breach, exits 1 if any
"""
import os
import re
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLATFORMS = {
    "youzan": ["youzan"],
    "taobao": ["taobao", "tmall"],
    "alibaba": ["alibaba", "1688"],
    "douyin": ["douyin"],
    "doudian": ["doudian"],
}
CODE = ["src", "mock/src", "codegen/src", "cli/src"]
# Every crate's hand-written code, for the size and cycle rules.
ALL_CODE = CODE + ["import/src", "server/src", "redact/src", "config/src", "catalog-tests/src", "generated/src"]
REGISTRY_LIMIT = 2
MAX_LINES = 800


def sources(tops=CODE):
    for top in tops:
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith(".rs"):
                    yield os.path.relpath(os.path.join(d, f), ROOT)


def code_lines(path):
    """(line number, text) of a file's code: comments and `#[cfg(test)]` modules left out."""
    out = []
    skip_depth = None
    pending_test = False
    depth = 0
    for n, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1):
        text = re.sub(r"//.*", "", line).rstrip()
        if skip_depth is None and text.strip() == "#[cfg(test)]":
            pending_test = True
            continue
        opens, closes = text.count("{"), text.count("}")
        if pending_test and skip_depth is None and re.match(r"\s*(pub(\(crate\))? )?mod \w+", text):
            if text.endswith(";"):
                pending_test = False
                continue
            skip_depth = depth
        pending_test = False
        depth += opens - closes
        if skip_depth is not None:
            if depth <= skip_depth:
                skip_depth = None
            continue
        if text.strip():
            out.append((n, text))
    return out


def own(path, platform):
    parts = path.split(os.sep)
    return platform in parts or any(p.startswith(platform + ".") for p in parts)


def check_platforms():
    breaches = []
    for platform, names in PLATFORMS.items():
        pattern = re.compile(r"(?i)(?<![a-z0-9])(" + "|".join(names) + r")(?![a-z0-9])")
        naming = {}
        for path in sources():
            if own(path, platform):
                continue
            hits = [(n, t.strip()) for n, t in code_lines(path) if pattern.search(t)]
            if hits:
                naming[path] = hits
        # Up to two files outside its folders may register it; more is a platform spread out.
        if len(naming) > REGISTRY_LIMIT:
            for path, hits in sorted(naming.items()):
                n, text = hits[0]
                breaches.append(f"{path}:{n}: names {platform} ({len(hits)} lines), e.g. `{text[:80]}`")
    return breaches


def check_size():
    breaches = []
    for path in sources(ALL_CODE):
        if "/tests/" in path:
            continue
        lines = code_lines(path)
        last = lines[-1][0] if lines else 0
        if last > MAX_LINES:
            breaches.append(f"{path}: {last} lines before its tests, over {MAX_LINES}")
    return breaches


CRATE_ROOTS = ["src/lib.rs", "mock/src/lib.rs", "codegen/src/lib.rs", "cli/src/lib.rs", "cli/src/main.rs"] + [
    top + "/lib.rs" for top in ALL_CODE[len(CODE):] if os.path.exists(os.path.join(ROOT, top, "lib.rs"))
]


def crate_files(root):
    """The files of the crate whose root file is `root`: {module path (tuple): file}."""
    files = {(): root}
    todo = [((), root)]
    while todo:
        path, f = todo.pop()
        base = os.path.dirname(f)
        name = os.path.basename(f)
        # A module's children live beside it (lib.rs, main.rs, mod.rs) or in its own folder.
        folder = base if name in ("lib.rs", "main.rs", "mod.rs") else os.path.join(base, name[:-3])
        for _, text in code_lines(f):
            m = re.match(r"\s*(?:pub(?:\([a-z]+\))? )?mod (\w+);", text)
            if not m:
                continue
            child = m.group(1)
            for cand in (os.path.join(folder, child + ".rs"), os.path.join(folder, child, "mod.rs")):
                if os.path.exists(os.path.join(ROOT, cand)):
                    files[path + (child,)] = cand
                    todo.append((path + (child,), cand))
    return files


def check_cycles():
    breaches = []
    for root in CRATE_ROOTS:
        files = crate_files(root)
        edges = {f: set() for f in files.values()}
        for path, f in files.items():
            children = {p[-1] for p in files if len(p) == len(path) + 1 and p[:-1] == path}
            for _, text in code_lines(f):
                if re.match(r"\s*(?:pub(?:\([a-z]+\))? )?mod \w+;", text):
                    continue
                # Paths inside string literals are text, not references (generated code).
                text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
                refs = []
                for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+|(?:crate|super|self)::\*|(?:crate|super)::\{)", text):
                    refs.append(m.group(1))
                for m in re.finditer(r"(?<![:\w])(\w+)::", text):
                    if m.group(1) in children:
                        refs.append("self::" + m.group(1) + "::x")
                for ref in refs:
                    parts = ref.replace("::{", "::x").replace("::*", "::x").split("::")
                    if parts[0] == "crate":
                        at, rest = (), parts[1:]
                    else:
                        at, rest = path, parts
                        while rest and rest[0] in ("super", "self"):
                            if rest[0] == "super":
                                at = at[:-1]
                            rest = rest[1:]
                    # The longest module prefix that is a file.
                    target = at
                    for seg in rest:
                        if target + (seg,) in files:
                            target = target + (seg,)
                        else:
                            break
                    # The crate root is the facade every file may name (`crate::Result`).
                    if files[target] != f and target != ():
                        edges[f].add(files[target])
        for cycle in strongly_connected(edges):
            breaches.append(f"{root}: a cycle between {', '.join(sorted(cycle))}")
    return breaches


def strongly_connected(edges):
    """The strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


# Crates that must stand without others: a crate's manifest and what it may not depend on.
STANDALONE = {"mock/Cargo.toml": ["opengate-runtime"], "import/Cargo.toml": ["opengate-runtime"]}


def check_deps():
    breaches = []
    for manifest, banned in STANDALONE.items():
        with open(os.path.join(ROOT, manifest), "rb") as f:
            doc = tomllib.load(f)
        tables = [doc.get("dependencies", {}), doc.get("build-dependencies", {})]
        tables += [t.get("dependencies", {}) for t in doc.get("target", {}).values()]
        for table in tables:
            for name in banned:
                if name in table:
                    breaches.append(f"{manifest}: depends on {name}")
    return breaches


def main():
    checks = {"platforms": check_platforms, "size": check_size, "cycles": check_cycles, "deps": check_deps}
    wanted = sys.argv[1:] or list(checks)
    breaches = []
    for name in wanted:
        breaches += [f"{name}: {b}" for b in checks[name]()]
    for b in breaches:
        print(b)
    sys.exit(1 if breaches else 0)


if __name__ == "__main__":
    main()
