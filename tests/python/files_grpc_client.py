"""A gRPC peer of the files example this project did not write: Python grpcio with
stubs that grpcio-tools compiles from the .proto files the example exports
(google/api/httpbody.proto and kratos/api/api.proto among them).

Usage: files_grpc_client.py PROTO_DIR GRPC_HOST:PORT
Uploads a file as a kratos.api.FilePart, downloads it back as a stream of
google.api.HttpBody chunks, uploads it again as a client stream of
kratos.api.FormChunk items and asks for a name never stored. Prints one JSON object
with what it saw.
"""

import hashlib
import importlib
import json
import sys

import grpc

from exported_client import compile_protos

TIMEOUT = 30


def main():
    proto_dir, target = sys.argv[1], sys.argv[2]
    compile_protos(proto_dir)
    pb2 = importlib.import_module("files.v1.files_pb2")
    grpc_pb2 = importlib.import_module("files.v1.files_pb2_grpc")
    api_pb2 = importlib.import_module("kratos.api.api_pb2")
    httpbody_pb2 = importlib.import_module("google.api.httpbody_pb2")
    data = bytes(range(256)) * 4096 + b"tail"
    with grpc.insecure_channel(target) as channel:
        stub = grpc_pb2.FilesStub(channel)
        part = api_pb2.FilePart(filename="g.bin", content_type="application/x-test", data=data)
        uploaded = stub.Upload(pb2.UploadRequest(name="g.bin", file=[part]), timeout=TIMEOUT)
        chunks = list(stub.Download(pb2.DownloadRequest(name="g.bin"), timeout=TIMEOUT))
        body = chunks[0]
        downloaded = b"".join(chunk.data for chunk in chunks)
        form = [api_pb2.FormChunk(part=0, name="name", data=b"s.bin")] + [
            api_pb2.FormChunk(
                part=1,
                name="file",
                filename="s.bin",
                content_type="application/x-test",
                data=data[i : i + 65536],
            )
            for i in range(0, len(data), 65536)
        ]
        streamed = stub.UploadStream(iter(form), timeout=TIMEOUT)
        try:
            list(stub.Download(pb2.DownloadRequest(name="nothing"), timeout=TIMEOUT))
            missing = "OK"
        except grpc.RpcError as err:
            missing = err.code().name
    print(
        json.dumps(
            {
                "reply_type": type(body).__name__,
                "is_google_http_body": isinstance(body, httpbody_pb2.HttpBody),
                "upload": {"name": uploaded.name, "size": uploaded.size, "sha256": uploaded.sha256},
                "streamed": {"name": streamed.name, "size": streamed.size, "sha256": streamed.sha256},
                "expected_sha256": hashlib.sha256(data).hexdigest(),
                "download": {
                    "content_type": body.content_type,
                    "chunks": len(chunks),
                    "size": len(downloaded),
                    "sha256": hashlib.sha256(downloaded).hexdigest(),
                },
                "missing": missing,
            }
        )
    )


if __name__ == "__main__":
    main()
