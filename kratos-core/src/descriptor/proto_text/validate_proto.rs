//! The text of `buf/validate/validate.proto` written with an export whose messages
//! have rules: kratos's own file (not a copy), declaring only the part of
//! protovalidate's schema that the export's options use, with protovalidate's
//! names, numbers, types and proto2 labels, so any protovalidate runtime reads the
//! options the same as if they were written against its own file.

/// Where the protovalidate options are declared; imported by files with rules.
pub const VALIDATE_PATH: &str = "buf/validate/validate.proto";

pub(super) const VALIDATE_PROTO: &str = r#"// A wire-compatible subset of protovalidate's schema, written by kratos for the
// options it exports: upstream is github.com/bufbuild/protovalidate,
// proto/protovalidate/buf/validate/validate.proto. Every name, number, type and label
// here is upstream's, so a service built with the real file (protovalidate-go,
// -java, -python, ...) enforces the same rules; what kratos never writes is left out.
syntax = "proto2";

package buf.validate;

import "google/protobuf/descriptor.proto";

extend google.protobuf.OneofOptions {
  // The rules of a oneof.
  optional OneofRules oneof = 1159;
}

extend google.protobuf.FieldOptions {
  // The rules of a field.
  optional FieldRules field = 1159;
}

// The rules of a oneof.
message OneofRules {
  // One of the oneof's fields must be set.
  optional bool required = 1;
}

// The rules of a field, of a repeated field's items, or of a map's keys or values.
message FieldRules {
  // The field must be set.
  optional bool required = 25;
  // The rules of the field's type.
  oneof type {
    FloatRules float = 1;
    DoubleRules double = 2;
    Int32Rules int32 = 3;
    Int64Rules int64 = 4;
    UInt32Rules uint32 = 5;
    UInt64Rules uint64 = 6;
    StringRules string = 14;
    BytesRules bytes = 15;
    RepeatedRules repeated = 18;
    MapRules map = 19;
  }
}

// Bounds and lists of a `float`.
message FloatRules {
  oneof less_than {
    float lt = 2;
    float lte = 3;
  }
  oneof greater_than {
    float gt = 4;
    float gte = 5;
  }
  repeated float in = 6;
  repeated float not_in = 7;
}

// Bounds and lists of a `double`.
message DoubleRules {
  oneof less_than {
    double lt = 2;
    double lte = 3;
  }
  oneof greater_than {
    double gt = 4;
    double gte = 5;
  }
  repeated double in = 6;
  repeated double not_in = 7;
}

// Bounds and lists of an `int32`.
message Int32Rules {
  oneof less_than {
    int32 lt = 2;
    int32 lte = 3;
  }
  oneof greater_than {
    int32 gt = 4;
    int32 gte = 5;
  }
  repeated int32 in = 6;
  repeated int32 not_in = 7;
}

// Bounds and lists of an `int64`.
message Int64Rules {
  oneof less_than {
    int64 lt = 2;
    int64 lte = 3;
  }
  oneof greater_than {
    int64 gt = 4;
    int64 gte = 5;
  }
  repeated int64 in = 6;
  repeated int64 not_in = 7;
}

// Bounds and lists of a `uint32`.
message UInt32Rules {
  oneof less_than {
    uint32 lt = 2;
    uint32 lte = 3;
  }
  oneof greater_than {
    uint32 gt = 4;
    uint32 gte = 5;
  }
  repeated uint32 in = 6;
  repeated uint32 not_in = 7;
}

// Bounds and lists of a `uint64`.
message UInt64Rules {
  oneof less_than {
    uint64 lt = 2;
    uint64 lte = 3;
  }
  oneof greater_than {
    uint64 gt = 4;
    uint64 gte = 5;
  }
  repeated uint64 in = 6;
  repeated uint64 not_in = 7;
}

// The rules of a `string`: lengths in characters (`len`, `min_len`, `max_len`) or in
// UTF-8 bytes (`min_bytes`, `max_bytes`), text it holds, lists, and formats.
message StringRules {
  optional uint64 len = 19;
  optional uint64 min_len = 2;
  optional uint64 max_len = 3;
  optional uint64 min_bytes = 4;
  optional uint64 max_bytes = 5;
  optional string pattern = 6;
  optional string prefix = 7;
  optional string suffix = 8;
  optional string contains = 9;
  optional string not_contains = 23;
  repeated string in = 10;
  repeated string not_in = 11;
  oneof well_known {
    bool email = 12;
    bool ip = 14;
    bool ipv4 = 15;
    bool ipv6 = 16;
    bool uri = 17;
    bool uuid = 22;
  }
}

// The lengths of a `bytes`.
message BytesRules {
  optional uint64 len = 13;
  optional uint64 min_len = 2;
  optional uint64 max_len = 3;
}

// The rules of a repeated field.
message RepeatedRules {
  optional uint64 min_items = 1;
  optional uint64 max_items = 2;
  optional bool unique = 3;
  // The rules every item follows.
  optional FieldRules items = 4;
}

// The rules of a map.
message MapRules {
  optional uint64 min_pairs = 1;
  optional uint64 max_pairs = 2;
  // The rules every key follows.
  optional FieldRules keys = 4;
  // The rules every value follows.
  optional FieldRules values = 5;
}
"#;
