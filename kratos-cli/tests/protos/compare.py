"""Compares two FileDescriptorSets written by `protoc --include_imports --descriptor_set_out`:
the originals of `kratos proto import` and the `.proto` files the imported crate exports.

Usage: compare.py ORIGINAL.pb EXPORTED.pb  (exit 1 and the differences on stdout if any)

Compared, per proto package: every message (name; each field's name, number, label, type,
type name, json_name, proto3_optional and oneof name), every enum (name; values in order)
and every service (name; each method's name, input, output, streaming flags and its
google.api.http rule, additional bindings included).

Normalised, and why:
- files: compared by package, not path or imports (the export writes one file per package,
  named after its service);
- nested messages and enums: flattened to their package as `ParentChild`, type names
  rewritten the same way (kratos-rs declares every type at the top of its package); map
  entry messages stay nested, as protoc nests them in both sets;
- field order: by number (a oneof's alternatives are written together in the export);
- oneofs: by name, not index;
- Go kratos error enums (errors.default_code / errors.code options): left out of the
  originals, since they become #[kratos::error_code] types, which have no proto form;
- field options (validation rules): left out (PGV rules are exported as protovalidate's);
- the option and well-known files (google/*, validate/*, buf/validate/*, errors/*): not compared;
- source info, file options (go_package, ...) and method streaming flags unset vs false.
"""

import sys

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, text_format

SUPPORT = ("google/", "validate/", "buf/validate/", "errors/")


def load(path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        fds.ParseFromString(f.read())
    return [f for f in fds.file if not f.name.startswith(SUPPORT)]


def field_numbers(options):
    """The field numbers set in an options message, extensions unknown to Python included."""
    data, i, numbers = options.SerializeToString(), 0, set()

    def varint():
        nonlocal i
        shift = value = 0
        while True:
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value

    while i < len(data):
        key = varint()
        numbers.add(key >> 3)
        wire = key & 7
        if wire == 0:
            varint()
        elif wire == 1:
            i += 8
        elif wire == 2:
            i += varint()
        elif wire == 5:
            i += 4
        else:
            break
    return numbers


def is_error_enum(e):
    """Go kratos's (errors.default_code) = 1108 on the enum or (errors.code) = 1109 on a value."""
    return 1108 in field_numbers(e.options) or any(1109 in field_numbers(v.options) for v in e.value)


def flatten(files):
    """(renames, messages, enums, services) per package, nested types flattened."""
    renames = {}
    packages = {}

    def walk_names(pkg, prefix_full, new_prefix_local, msgs, enums):
        for m in msgs:
            full = f"{prefix_full}.{m.name}"
            if m.options.map_entry:
                continue
            local = new_prefix_local + m.name
            renames["." + full] = f".{pkg}.{local}" if pkg else f".{local}"
            # map entries stay nested under the renamed owner
            for n in m.nested_type:
                if n.options.map_entry:
                    renames[f".{full}.{n.name}"] = renames["." + full] + "." + n.name
            walk_names(pkg, full, local, m.nested_type, m.enum_type)
        for e in enums:
            renames[f".{prefix_full}.{e.name}"] = (
                f".{pkg}.{new_prefix_local}{e.name}" if pkg else f".{new_prefix_local}{e.name}"
            )

    for f in files:
        walk_names(f.package, f.package, "", f.message_type, f.enum_type)

    def collect(pkg, msgs, enums, local_prefix, out):
        for m in msgs:
            if m.options.map_entry:
                continue
            name = local_prefix + m.name
            out["messages"][name] = m
            collect(pkg, m.nested_type, m.enum_type, name, out)
        for e in enums:
            if not is_error_enum(e):
                out["enums"][local_prefix + e.name] = e

    for f in files:
        out = packages.setdefault(f.package, {"messages": {}, "enums": {}, "services": {}})
        collect(f.package, f.message_type, f.enum_type, "", out)
        for s in f.service:
            out["services"][s.name] = s
    return renames, packages


def type_name(renames, name):
    return renames.get(name, name)


def field_summary(renames, m, f):
    oneof = m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
    return (
        f.name,
        f.number,
        descriptor_pb2.FieldDescriptorProto.Label.Name(f.label),
        descriptor_pb2.FieldDescriptorProto.Type.Name(f.type),
        type_name(renames, f.type_name),
        f.json_name,
        f.proto3_optional,
        oneof,
    )


def message_summary(renames, m):
    fields = {f.name: field_summary(renames, m, f) for f in m.field}
    entries = sorted(
        (n.name, sorted(field_summary(renames, n, f) for f in n.field))
        for n in m.nested_type
        if n.options.map_entry
    )
    return {"fields": fields, "map_entries": entries}


def enum_summary(e):
    return [(v.name, v.number) for v in e.value]


def http_rule(method):
    if not method.options.HasExtension(annotations_pb2.http):
        return None
    return text_format.MessageToString(method.options.Extensions[annotations_pb2.http], as_one_line=True)


def service_summary(renames, s):
    return [
        (
            m.name,
            type_name(renames, m.input_type),
            type_name(renames, m.output_type),
            bool(m.client_streaming),
            bool(m.server_streaming),
            http_rule(m),
        )
        for m in s.method
    ]


def summary(path):
    renames, packages = flatten(load(path))
    out = {}
    for pkg, items in packages.items():
        out[pkg] = {
            "messages": {n: message_summary(renames, m) for n, m in items["messages"].items()},
            "enums": {n: enum_summary(e) for n, e in items["enums"].items()},
            "services": {n: service_summary(renames, s) for n, s in items["services"].items()},
        }
    return out


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}/{k}: only in the export")
            elif k not in b:
                out.append(f"{path}/{k}: only in the original")
            else:
                diff(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: original {a!r} != exported {b!r}")


def main():
    original, exported = summary(sys.argv[1]), summary(sys.argv[2])
    out = []
    diff(original, exported, "", out)
    counts = {
        kind: sum(len(p[kind]) for p in original.values())
        for kind in ("messages", "enums", "services")
    }
    fields = sum(len(m["fields"]) for p in original.values() for m in p["messages"].values())
    methods = sum(len(s) for p in original.values() for s in p["services"].values())
    if out:
        print("\n".join(out))
        sys.exit(1)
    print(
        f"equal: {len(original)} packages, {counts['messages']} messages ({fields} fields), "
        f"{counts['enums']} enums, {counts['services']} services ({methods} methods)"
    )


if __name__ == "__main__":
    main()
