"""Calls helloworld.v1.Greeter/SayHello of a project written by `kratos new`, with stubs
compiled by grpcio-tools from the .proto files the project exported (`-export-proto`).

Usage: greeter_call.py PROTO_DIR GRPC_HOST:PORT
Prints `ok <message>` for the name "kratos", then `error <code> <reason>` for "unknown".
"""

import glob
import importlib
import os
import sys
import tempfile

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from grpc_tools import protoc


def main():
    proto_dir, target = sys.argv[1], sys.argv[2]
    out = tempfile.mkdtemp()
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    files = sorted(os.path.relpath(p, proto_dir) for p in glob.glob(f"{proto_dir}/**/*.proto", recursive=True))
    code = protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files])
    if code != 0:
        raise SystemExit(f"protoc failed on the exported files {files} with {code}")
    sys.path.insert(0, out)
    pb2 = importlib.import_module("helloworld.v1.greeter_pb2")
    pb2_grpc = importlib.import_module("helloworld.v1.greeter_pb2_grpc")
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.GreeterStub(channel)
        print("ok", stub.SayHello(pb2.HelloRequest(name="kratos"), timeout=10).message)
        try:
            stub.SayHello(pb2.HelloRequest(name="unknown"), timeout=10)
            print("error none")
        except grpc.RpcError as err:
            reasons = []
            status = rpc_status.from_call(err)
            for detail in status.details if status else []:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    reasons.append(info.reason)
            print("error", err.code().name, *reasons)


if __name__ == "__main__":
    main()
