//! The service layer: implements the API traits by translating between the API's
//! messages and the use cases of `biz`.

mod greeter;

pub use greeter::GreeterService;
