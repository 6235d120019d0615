//! Turning any error into a kratos error, and reading code and reason of any error,
//! as Go kratos's `errors.FromError`, `errors.Code` and `errors.Reason` do.

use super::Error;

/// The kratos error for any error: itself (or the kratos error it wraps as its
/// source), else code 500 with an empty reason.
pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Error {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(kratos) = e.downcast_ref::<Error>() {
            return kratos.clone();
        }
        current = e.source();
    }
    Error::new(500, "", super::INTERNAL_MESSAGE)
}

/// The code of an outcome: 200 for no error, the kratos code, or 500 for a plain error.
pub fn code(err: Option<&(dyn std::error::Error + 'static)>) -> i32 {
    err.map_or(200, |e| from_error(e).code)
}

/// The reason of an outcome: empty for no error and for a plain error.
pub fn reason(err: Option<&(dyn std::error::Error + 'static)>) -> String {
    err.map_or_else(String::new, |e| from_error(e).reason)
}

/// Plain errors a handler commonly meets; each becomes code 500 with an empty reason
/// and a generic message ([`Error::from_std`]).
macro_rules! plain_errors {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Error {
            fn from(err: $t) -> Self {
                Error::from_std(err)
            }
        }
    )*};
}

plain_errors!(
    std::io::Error,
    std::fmt::Error,
    std::num::ParseIntError,
    std::num::ParseFloatError,
    std::num::TryFromIntError,
    std::str::Utf8Error,
    std::string::FromUtf8Error,
    std::str::ParseBoolError,
    std::time::SystemTimeError,
    serde_json::Error,
    tokio::task::JoinError,
    tokio::time::error::Elapsed,
    Box<dyn std::error::Error + Send + Sync>,
);

/// A configuration error crosses the wire as it did when config lived in this crate:
/// code 500, reason `CONFIG`, its text as the message (it names a key or a file, which
/// the person reading it needs). No cause is attached: the message already is its text,
/// and a cause would print it twice in logs.
impl From<kratos_config::ConfigError> for Error {
    fn from(err: kratos_config::ConfigError) -> Self {
        Error::internal_server("CONFIG", err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_and_reason_follow_go_conventions() {
        assert_eq!(code(None), 200);
        assert_eq!(reason(None), "");
        let io = std::io::Error::other("secret path /etc/x");
        assert_eq!(code(Some(&io)), 500);
        assert_eq!(reason(Some(&io)), "");
        let kratos = Error::not_found("USER_NOT_FOUND", "no");
        assert_eq!(code(Some(&kratos)), 404);
        assert_eq!(reason(Some(&kratos)), "USER_NOT_FOUND");
    }

    #[test]
    fn plain_errors_hide_their_text_unless_exposed() {
        let err: Error = std::io::Error::other("secret path /etc/x").into();
        assert_eq!(
            (err.code, err.reason.as_str(), err.message.as_str()),
            (500, "", "internal server error")
        );
        assert!(err.cause().unwrap().to_string().contains("secret"));
        assert_eq!(err.expose_cause().message, "secret path /etc/x");
    }

    #[test]
    fn config_errors_keep_code_reason_and_message() {
        let missing = kratos_config::Config::empty()
            .value("server.http.addr")
            .string()
            .unwrap_err();
        let err = Error::from(missing);
        assert_eq!(
            (err.code, err.reason.as_str(), err.message.as_str()),
            (500, "CONFIG", "config key \"server.http.addr\" is missing")
        );
        assert!(err.cause().is_none());
    }

    #[test]
    fn a_wrapped_kratos_error_is_found_through_sources() {
        #[derive(Debug)]
        struct Wrapper(Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("wrapped")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Wrapper(Error::conflict("TAKEN", "name taken"));
        assert_eq!(from_error(&wrapped).reason, "TAKEN");
        assert_eq!(code(Some(&wrapped)), 409);
    }
}
