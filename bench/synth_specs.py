#!/usr/bin/env python3
"""Writes a synthetic spec corpus of N APIs (and the equivalent OpenAPI 3.0 document for progenitor).

usage: synth_specs.py N OUT_DIR [--openapi FILE]

The APIs are spread over the five built-in platforms and look like real ones: 3-12 params of mixed types
(some required, some enums, some nested objects), responses of 6-20 fields with a nested object and an array
of objects. The output is deterministic for a given N.
"""
import json
import os
import random
import sys

PLATFORMS = {
    "youzan": ("youzan", {"default": "https://open.youzanyun.com"}),
    "taobao": ("taobao-top", {"default": "https://gw.api.taobao.com"}),
    "alibaba": ("alibaba-aop", {"default": "https://gw.open.1688.com"}),
    "douyin": ("douyin", {"default": "https://open.douyinec.com"}),
    "doudian": ("doudian", {"default": "https://openapi-fxg.jinritemai.com"}),
}
SCALARS = ["string", "int", "long", "boolean", "double", "price", "datetime"]
OAS = {"string": {"type": "string"}, "int": {"type": "integer", "format": "int64"}, "long": {"type": "integer", "format": "int64"},
       "boolean": {"type": "boolean"}, "double": {"type": "number", "format": "double"}, "price": {"type": "string"},
       "datetime": {"type": "string"}}
WORDS = "order item trade shop user sku product refund logistics coupon member stock price title status".split()


def field_name(rng, i):
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}"


def response(rng):
    fields = {}
    oas = {}
    for i in range(rng.randint(4, 14)):
        t = rng.choice(SCALARS)
        name = field_name(rng, i)
        fields[name] = t
        oas[name] = OAS[t]
    nested = {field_name(rng, 100 + i): rng.choice(SCALARS) for i in range(rng.randint(2, 5))}
    fields["detail"] = nested
    oas["detail"] = {"type": "object", "properties": {k: OAS[v] for k, v in nested.items()}}
    items = {field_name(rng, 200 + i): rng.choice(SCALARS) for i in range(rng.randint(2, 5))}
    fields["items"] = [items]
    oas["items"] = {"type": "array", "items": {"type": "object", "properties": {k: OAS[v] for k, v in items.items()}}}
    return fields, {"type": "object", "properties": oas}


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    openapi_file = sys.argv[sys.argv.index("--openapi") + 1] if "--openapi" in sys.argv else None
    rng = random.Random(20261123)
    names = list(PLATFORMS)
    per = {p: [] for p in names}
    paths = {}
    for i in range(n):
        platform = names[i % len(names)]
        name = f"{platform}.synthetic.{rng.choice(WORDS)}{i}.get"
        params, props, required = [], {}, []
        for j in range(rng.randint(3, 12)):
            t = rng.choice(SCALARS)
            pname = field_name(rng, j)
            req = j == 0 or rng.random() < 0.25
            p = {"name": pname, "type": t, "required": req, "description": f"synthetic param {j}"}
            if t == "string" and rng.random() < 0.2:
                p["enum"] = ["A", "B", "C"]
            params.append(p)
            props[pname] = OAS[t]
            if req:
                required.append(pname)
        resp, resp_oas = response(rng)
        api = {"name": name, "version": "1.0", "summary": f"synthetic API {i}", "auth": "user", "method": "POST", "params": params, "response": resp}
        if platform == "alibaba":
            api["namespace"] = "com.alibaba.synthetic"
        if platform == "douyin":
            api["path"] = f"/synthetic/{i}/"
        per[platform].append(api)
        paths[f"/{platform}/{name}/1.0"] = {"post": {
            "operationId": f"{platform}_synthetic_{i}",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": props, "required": required}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": resp_oas}}}},
        }}
    for platform, apis in per.items():
        d = os.path.join(out, platform)
        os.makedirs(d, exist_ok=True)
        proto, hosts = PLATFORMS[platform]
        with open(os.path.join(d, "platform.yaml"), "w") as f:
            f.write(f"platform: {platform}\nprotocol: {proto}\nhosts:\n  default: {hosts['default']}\n")
        # 50 APIs a file, JSON flow style (valid YAML).
        for k in range(0, len(apis), 50):
            with open(os.path.join(d, f"apis_{k // 50:04}.yaml"), "w") as f:
                f.write("apis:\n")
                for api in apis[k:k + 50]:
                    f.write("  - " + json.dumps(api, ensure_ascii=False) + "\n")
    if openapi_file:
        doc = {"openapi": "3.0.3", "info": {"title": "synthetic", "version": "1.0.0"}, "paths": paths}
        with open(openapi_file, "w") as f:
            json.dump(doc, f)


if __name__ == "__main__":
    main()
