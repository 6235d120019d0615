"""Calls the injection example through what it exports: the .proto files written by
`-export-proto` (compiled here with grpcio-tools) and its gRPC reflection.

Usage: injection_client.py PROTO_DIR GRPC_HOST:PORT
Prints one JSON object with what it saw, for the Rust test to check.
"""

import importlib
import json
import sys

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from exported_client import compile_protos


def main():
    proto_dir, target = sys.argv[1], sys.argv[2]
    seen = {"files": compile_protos(proto_dir)}
    pb2 = importlib.import_module("injection.v1.users_pb2")
    pb2_grpc = importlib.import_module("injection.v1.users_pb2_grpc")
    with grpc.insecure_channel(target) as channel:
        user = pb2_grpc.UsersStub(channel).GetUser(pb2.GetUserRequest(id="1"), timeout=10)
        seen["user"] = {"id": user.id, "name": user.name}
        info = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="injection.v1.Users"),
        ]
        responses = list(info(iter(requests), timeout=10))
        seen["reflected_services"] = sorted(s.name for s in responses[0].list_services_response.service)
        seen["reflected_file_found"] = responses[1].WhichOneof("message_response") == "file_descriptor_response"
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
