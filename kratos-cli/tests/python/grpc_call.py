"""Calls one unary method with an empty request, with stubs compiled by grpcio-tools
from the .proto files a project exported (`-export-proto`).

Usage: grpc_call.py PROTO_DIR GRPC_HOST:PORT PROTO_FILE SERVICE METHOD
(PROTO_FILE relative to PROTO_DIR, e.g. api/blog/v1/article.proto).
Prints `ok` or `error <status code name> <status message>`.
"""

import glob
import importlib
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc


def main():
    proto_dir, target, proto_file, service, method = sys.argv[1:6]
    out = tempfile.mkdtemp()
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    files = sorted(os.path.relpath(p, proto_dir) for p in glob.glob(f"{proto_dir}/**/*.proto", recursive=True))
    code = protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files])
    if code != 0:
        raise SystemExit(f"protoc failed on the exported files {files} with {code}")
    sys.path.insert(0, out)
    module = proto_file[: -len(".proto")].replace("/", ".")
    pb2 = importlib.import_module(f"{module}_pb2")
    pb2_grpc = importlib.import_module(f"{module}_pb2_grpc")
    with grpc.insecure_channel(target) as channel:
        call = getattr(getattr(pb2_grpc, f"{service}Stub")(channel), method)
        try:
            call(getattr(pb2, f"{method}Request")(), timeout=10)
            print("ok")
        except grpc.RpcError as err:
            print("error", err.code().name, err.details())


if __name__ == "__main__":
    main()
