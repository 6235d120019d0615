"""Compiles a .proto of this folder with grpcio-tools and imports the generated modules."""

import importlib
import os
import sys
import tempfile

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
