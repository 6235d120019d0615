// Misuse: #[kratos::main] on a function that is not async.
use kratos::prelude::*;

#[kratos::main]
fn main(app: AppBuilder) -> kratos::Result<App> {
    Ok(app.build())
}
