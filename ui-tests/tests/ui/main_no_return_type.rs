// Misuse: main(app) without the return type.
use kratos::prelude::*;

#[kratos::main]
async fn main(app: AppBuilder) {
    let _ = app;
}
