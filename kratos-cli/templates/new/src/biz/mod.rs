//! The business layer: the use cases, and the repository traits they need, which the
//! data layer implements (so `biz` never depends on a database).

mod greeter;

pub use greeter::{Greeter, GreeterRepo, GreeterUsecase};
