"""Writes a large API for timing `kratos proto import` (bench/RESULTS.md): DIR/big/v1/f0..f49.proto,
one package, each file a service of 10 routed methods and 20 messages of 20 fields (1000 messages,
20000 fields, 500 methods). Prints the file names, relative to DIR.

Usage: python3 gen_big_api.py DIR
"""

import os
import sys

root = sys.argv[1]
os.makedirs(os.path.join(root, "big/v1"), exist_ok=True)
names = []
for f in range(50):
    out = ['syntax = "proto3";', "package big.v1;", 'import "google/api/annotations.proto";', f"service Svc{f} {{"]
    for m in range(10):
        out.append(
            f"  rpc Call{m}(F{f}M{m}) returns (F{f}M{m + 1}) "
            f'{{ option (google.api.http) = {{ post: "/v1/f{f}/m{m}/{{s0}}" body: "*" }}; }}'
        )
    out.append("}")
    for m in range(20):
        out.append(f"// Message {m}.\nmessage F{f}M{m} {{")
        for k in range(20):
            kind, prefix = [("string", "s"), ("int64", "i"), ("double", "d"), ("bool", "b"), ("bytes", "y")][k % 5]
            repeated = "repeated " if k % 7 == 3 else ""
            out.append(f"  {repeated}{kind} {prefix}{k} = {k + 1};")
        out.append("}")
    name = f"big/v1/f{f}.proto"
    with open(os.path.join(root, name), "w") as file:
        file.write("\n".join(out) + "\n")
    names.append(name)
print(" ".join(names))
