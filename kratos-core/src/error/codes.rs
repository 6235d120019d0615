//! Go kratos's tables between HTTP-style codes and gRPC status codes.

/// gRPC status codes, by number, as the wire mapping needs them.
pub mod grpc {
    /// `OK`.
    pub const OK: i32 = 0;
    /// `CANCELLED`.
    pub const CANCELLED: i32 = 1;
    /// `UNKNOWN`.
    pub const UNKNOWN: i32 = 2;
    /// `INVALID_ARGUMENT`.
    pub const INVALID_ARGUMENT: i32 = 3;
    /// `DEADLINE_EXCEEDED`.
    pub const DEADLINE_EXCEEDED: i32 = 4;
    /// `NOT_FOUND`.
    pub const NOT_FOUND: i32 = 5;
    /// `ALREADY_EXISTS`.
    pub const ALREADY_EXISTS: i32 = 6;
    /// `PERMISSION_DENIED`.
    pub const PERMISSION_DENIED: i32 = 7;
    /// `RESOURCE_EXHAUSTED`.
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    /// `FAILED_PRECONDITION`.
    pub const FAILED_PRECONDITION: i32 = 9;
    /// `ABORTED`.
    pub const ABORTED: i32 = 10;
    /// `OUT_OF_RANGE`.
    pub const OUT_OF_RANGE: i32 = 11;
    /// `UNIMPLEMENTED`.
    pub const UNIMPLEMENTED: i32 = 12;
    /// `INTERNAL`.
    pub const INTERNAL: i32 = 13;
    /// `UNAVAILABLE`.
    pub const UNAVAILABLE: i32 = 14;
    /// `DATA_LOSS`.
    pub const DATA_LOSS: i32 = 15;
    /// `UNAUTHENTICATED`.
    pub const UNAUTHENTICATED: i32 = 16;
}

/// The gRPC status code for an HTTP-style code (Go kratos `httpstatus.ToGRPCCode`).
///
/// Codes outside the table become `UNKNOWN`, which maps back to 500: a 422 sent over
/// gRPC arrives as 500, exactly as between Go kratos services.
pub fn grpc_code(http: i32) -> i32 {
    match http {
        200 => grpc::OK,
        400 => grpc::INVALID_ARGUMENT,
        401 => grpc::UNAUTHENTICATED,
        403 => grpc::PERMISSION_DENIED,
        404 => grpc::NOT_FOUND,
        409 => grpc::ABORTED,
        429 => grpc::RESOURCE_EXHAUSTED,
        499 => grpc::CANCELLED,
        500 => grpc::INTERNAL,
        501 => grpc::UNIMPLEMENTED,
        503 => grpc::UNAVAILABLE,
        504 => grpc::DEADLINE_EXCEEDED,
        _ => grpc::UNKNOWN,
    }
}

/// The HTTP-style code for a gRPC status code (Go kratos `httpstatus.FromGRPCCode`).
pub fn http_code(grpc: i32) -> i32 {
    match grpc {
        grpc::OK => 200,
        grpc::CANCELLED => 499,
        grpc::UNKNOWN => 500,
        grpc::INVALID_ARGUMENT => 400,
        grpc::DEADLINE_EXCEEDED => 504,
        grpc::NOT_FOUND => 404,
        grpc::ALREADY_EXISTS => 409,
        grpc::PERMISSION_DENIED => 403,
        grpc::UNAUTHENTICATED => 401,
        grpc::RESOURCE_EXHAUSTED => 429,
        grpc::FAILED_PRECONDITION => 400,
        grpc::ABORTED => 409,
        grpc::OUT_OF_RANGE => 400,
        grpc::UNIMPLEMENTED => 501,
        grpc::INTERNAL => 500,
        grpc::UNAVAILABLE => 503,
        grpc::DATA_LOSS => 500,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_grpc_table() {
        for code in [200, 400, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504] {
            assert_eq!(http_code(grpc_code(code)), code, "code {code}");
        }
        assert_eq!(http_code(grpc_code(422)), 500);
        assert_eq!(grpc_code(418), grpc::UNKNOWN);
    }

    #[test]
    fn reverse_table_folds_like_go() {
        assert_eq!(http_code(grpc::FAILED_PRECONDITION), 400);
        assert_eq!(http_code(grpc::OUT_OF_RANGE), 400);
        assert_eq!(http_code(grpc::ALREADY_EXISTS), 409);
        assert_eq!(http_code(grpc::DATA_LOSS), 500);
        assert_eq!(http_code(99), 500);
    }
}
