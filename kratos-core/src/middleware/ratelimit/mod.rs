//! `ratelimit`: the server-side adaptive limiter of Go kratos (aegis BBR). Being built.
