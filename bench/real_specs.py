#!/usr/bin/env python3
"""N real imported APIs for bench/compile_time.sh: a fixed-seed sample of the shipped Taobao specs,
copied into OUT_DIR/taobao (a platform folder without a crate, so the facade generates it), and
with --openapi, `opengate openapi`'s document of them brought down from OpenAPI 3.1 to 3.0.3 for
progenitor (whose `openapiv3` parser reads 3.0 only).

usage: real_specs.py N OUT_DIR --openapi FILE --cli PATH_TO_OPENGATE

The conversion is the rough one the comparison needs, not a general one: a list of types becomes
its first non-null type (plus `nullable`), `const` becomes a one-value `enum`, `examples` the first
`example`. What it changes is printed.
"""
import glob
import json
import os
import random
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def to_30(node, changed):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "type" and isinstance(v, list):
                kinds = [t for t in v if t != "null"]
                out["type"] = kinds[0] if kinds else "string"
                if "null" in v:
                    out["nullable"] = True
                changed["type lists"] = changed.get("type lists", 0) + 1
            elif k == "const":
                out["enum"] = [v]
                changed["const"] = changed.get("const", 0) + 1
            elif k == "examples" and isinstance(v, list):
                if v:
                    out["example"] = v[0]
                changed["examples"] = changed.get("examples", 0) + 1
            else:
                out[k] = to_30(v, changed)
        return out
    if isinstance(node, list):
        return [to_30(v, changed) for v in node]
    return node


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    openapi = sys.argv[sys.argv.index("--openapi") + 1]
    cli = sys.argv[sys.argv.index("--cli") + 1]
    # The API files, in group folders at any depth (the part crates nest them one level more).
    files = sorted(
        f
        for f in glob.glob(os.path.join(ROOT, "specs/taobao/*/**/*.yaml"), recursive=True)
        if os.path.basename(f) not in ("platform.yaml", "messages.yaml")
    )
    pick = random.Random(9).sample(files, n)
    d = os.path.join(out, "taobao")
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "specs/taobao/platform.yaml"), d)
    for f in pick:
        shutil.copy(f, os.path.join(d, os.path.basename(f)))
    doc = json.loads(subprocess.run([cli, "openapi", "--specs", out], check=True, capture_output=True).stdout)
    changed = {}
    doc = to_30(doc, changed)
    doc["openapi"] = "3.0.3"
    with open(openapi, "w") as f:
        json.dump(doc, f)
    print(f"{n} Taobao specs; OpenAPI 3.1 -> 3.0.3: {changed}", file=sys.stderr)


main()
