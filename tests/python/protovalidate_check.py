"""Validates messages with protovalidate (bufbuild's Python runtime), a validator this
project did not write, against the rules in the .proto files kratos exported.

Usage: protovalidate_check.py PROTO_DIR MODULE MESSAGE < messages
MODULE is the generated module of the exported file (rules.v1.rule_check_pb2),
MESSAGE the message type; stdin holds one hex protobuf encoding per line. Prints
one JSON list per message: its violations as [field path, rule id], the path
written as kratos writes it (`tags[1]`, `labels["env"]`, `place.city`).
"""

import glob
import importlib
import json
import os
import sys
import tempfile

from grpc_tools import protoc
import protovalidate


def compile_protos(proto_dir):
    out = tempfile.mkdtemp()
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    files = sorted(os.path.relpath(p, proto_dir) for p in glob.glob(f"{proto_dir}/**/*.proto", recursive=True))
    if protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", *files]) != 0:
        raise SystemExit(f"protoc failed on {files}")
    sys.path.insert(0, out)


def path(field):
    text = ""
    for element in field.elements:
        text += ("." if text else "") + element.field_name
        # protovalidate 2's own messages are protobuf-py's: a oneof is (field, value);
        # before 2 they were google.protobuf's.
        if hasattr(element, "WhichOneof"):
            kind = element.WhichOneof("subscript")
            value = getattr(element, kind) if kind else None
        elif element.subscript is not None:
            kind, value = element.subscript.field, element.subscript.value
        else:
            kind = None
        if kind is None:
            continue
        if kind == "string_key":
            text += f"[{json.dumps(value)}]"
        elif kind == "bool_key":
            text += f"[{str(value).lower()}]"
        else:
            text += f"[{value}]"
    return text


def main():
    proto_dir, module, message = sys.argv[1:4]
    compile_protos(proto_dir)
    cls = getattr(importlib.import_module(module), message)
    for line in sys.stdin:
        decoded = cls.FromString(bytes.fromhex(line.strip()))
        violations = protovalidate.collect_violations(decoded)
        print(json.dumps(sorted([path(v.proto.field), v.proto.rule_id] for v in violations)))


if __name__ == "__main__":
    main()
