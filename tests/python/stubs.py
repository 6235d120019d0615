"""What the Python gRPC peers share: stubs compiled from this folder's .proto files with
grpcio-tools, and the ErrorInfo details of a failed call."""

import importlib
import os
import sys
import tempfile

from google.rpc import error_details_pb2
from grpc_status import rpc_status
from grpc_tools import protoc


def load(name):
    """Returns (name_pb2, name_pb2_grpc) for `name.proto` beside this file."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = tempfile.mkdtemp()
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    code = protoc.main(
        ["protoc", f"-I{here}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", f"{name}.proto"]
    )
    if code != 0:
        raise SystemExit(f"protoc failed on {name}.proto with {code}")
    sys.path.insert(0, out)
    return importlib.import_module(f"{name}_pb2"), importlib.import_module(f"{name}_pb2_grpc")


def failure(err):
    """The status code name, message and ErrorInfo details (from grpc-status-details-bin) of a failed call."""
    status = rpc_status.from_call(err)
    infos = []
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            infos.append({"reason": info.reason, "domain": info.domain, "metadata": dict(info.metadata)})
    return {"code": err.code().name, "message": err.details(), "error_info": infos}
