"""A client built only from what the Rust server exports: the .proto files written by
`-export-proto` (compiled here with grpcio-tools) and the server's gRPC reflection.

Usage: exported_client.py PROTO_DIR GRPC_HOST:PORT HTTP_HOST:PORT
Prints one JSON object with what it saw, for the Rust test to check; the HTTP reply
asked for as protobuf is decoded with the same generated classes.
"""

import glob
import importlib
import json
import os
import sys
import tempfile
import urllib.request

import grpc
from grpc_reflection.v1alpha import reflection_pb2 as alpha_pb2
from grpc_reflection.v1alpha import reflection_pb2_grpc as alpha_pb2_grpc
from google.protobuf import descriptor_pb2
from grpc_tools import protoc


def compile_protos(proto_dir):
    """Compiles every exported .proto for Python and puts the output on sys.path."""
    out = tempfile.mkdtemp()
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    files = sorted(os.path.relpath(p, proto_dir) for p in glob.glob(f"{proto_dir}/**/*.proto", recursive=True))
    code = protoc.main(
        ["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
    )
    if code != 0:
        raise SystemExit(f"protoc failed on the exported files {files} with {code}")
    sys.path.insert(0, out)
    return files


def reflection(channel, version):
    """Lists the services and fetches the file that defines the Greeter, by reflection."""
    pb2 = alpha_pb2
    if version == "v1":
        # grpcio-reflection ships only v1alpha stubs; v1's messages are the same on the
        # wire, so the v1 method is called by its path with the v1alpha messages.
        info = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=pb2.ServerReflectionResponse.FromString,
        )
    else:
        info = alpha_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo
    requests = [
        pb2.ServerReflectionRequest(list_services=""),
        pb2.ServerReflectionRequest(file_containing_symbol="helloworld.v1.Greeter"),
    ]
    responses = list(info(iter(requests), timeout=10))
    services = sorted(s.name for s in responses[0].list_services_response.service)
    files = []
    for raw in responses[1].file_descriptor_response.file_descriptor_proto:
        file = descriptor_pb2.FileDescriptorProto.FromString(raw)
        files.append(
            {
                "name": file.name,
                "package": file.package,
                "services": [
                    {"name": s.name, "methods": [[m.name, m.input_type, m.output_type] for m in s.method]}
                    for s in file.service
                ],
                "messages": {m.name: [[f.name, f.number, f.json_name] for f in m.field] for m in file.message_type},
            }
        )
    return {"services": services, "files": files}


def main():
    proto_dir, target, http = sys.argv[1], sys.argv[2], sys.argv[3]
    seen = {"files": compile_protos(proto_dir)}
    pb2 = importlib.import_module("helloworld.v1.greeter_pb2")
    pb2_grpc = importlib.import_module("helloworld.v1.greeter_pb2_grpc")
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.GreeterStub(channel)
        seen["reply"] = stub.SayHello(pb2.HelloRequest(name="exported"), timeout=10).message
        seen["reflection_v1"] = reflection(channel, "v1")
        seen["reflection_v1alpha"] = reflection(channel, "v1alpha")
    request = urllib.request.Request(
        f"http://{http}/helloworld/protobuf", headers={"Accept": "application/x-protobuf"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        seen["http_proto_content_type"] = response.headers["Content-Type"]
        seen["http_proto_reply"] = pb2.HelloReply.FromString(response.read()).message
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
