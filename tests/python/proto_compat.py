"""The Python protobuf classes generated from the exported .proto, against our bytes.

Usage: proto_compat.py PROTO_DIR MODULE MESSAGE IN_FILE OUT_FILE
Decodes IN_FILE (bytes our Rust message wrote) with the generated class, prints it as
protobuf JSON (MessageToDict, declared names, unset fields included) and writes the
message re-encoded by Python to OUT_FILE, for the Rust side to decode.
"""

import glob
import importlib
import json
import os
import sys
import tempfile

from google.protobuf import json_format
from grpc_tools import protoc


def main():
    proto_dir, module, message, in_file, out_file = sys.argv[1:6]
    out = tempfile.mkdtemp()
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    files = sorted(os.path.relpath(p, proto_dir) for p in glob.glob(f"{proto_dir}/**/*.proto", recursive=True))
    if protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", *files]) != 0:
        raise SystemExit(f"protoc failed on {files}")
    sys.path.insert(0, out)
    cls = getattr(importlib.import_module(module), message)
    with open(in_file, "rb") as f:
        decoded = cls.FromString(f.read())
    with open(out_file, "wb") as f:
        f.write(decoded.SerializeToString())
    try:
        as_json = json_format.MessageToDict(
            decoded, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    except TypeError:  # protobuf < 26 names the option differently
        as_json = json_format.MessageToDict(
            decoded, preserving_proto_field_name=True, including_default_value_fields=True
        )
    print(json.dumps({"json": as_json, "which_oneof": decoded.WhichOneof("contact")}))


if __name__ == "__main__":
    main()
