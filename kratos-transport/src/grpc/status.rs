//! The kratos error as a gRPC status, and back.

use std::collections::HashMap;

use kratos_core::Error;
use kratos_core::error::{grpc_code, http_code};
use tonic_types::{ErrorDetails, StatusExt};

/// The status Go kratos sends for `error`: mapped code, message, and an `ErrorInfo` detail.
pub fn status_from_error(error: &Error) -> tonic::Status {
    let metadata: HashMap<String, String> = error
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tonic::Status::with_error_details(
        tonic::Code::from_i32(grpc_code(error.code)),
        error.message.clone(),
        ErrorDetails::with_error_info(error.reason.clone(), "", metadata),
    )
}

/// The kratos error a client sees for `status`: code from the reverse table, and
/// reason and metadata from its `ErrorInfo` detail when it has one.
pub fn error_from_status(status: &tonic::Status) -> Error {
    let mut error = Error::new(http_code(status.code() as i32), "", status.message());
    if let Some(info) = status.get_details_error_info() {
        error.reason = info.reason;
        error.metadata = info.metadata.into_iter().collect();
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_survives_a_status_round_trip() {
        let error = Error::not_found("USER_NOT_FOUND", "no bob").with_metadata("name", "bob");
        let status = status_from_error(&error);
        assert_eq!(status.code(), tonic::Code::NotFound);
        assert_eq!(status.message(), "no bob");
        assert_eq!(error_from_status(&status), error);
    }

    #[test]
    fn status_without_details_has_empty_reason() {
        let error = error_from_status(&tonic::Status::unavailable("down"));
        assert_eq!(
            (error.code, error.reason.as_str(), error.message.as_str()),
            (503, "", "down")
        );
    }
}
