// Misuse: #[kratos::middleware] on a function that is not async.
use kratos::prelude::*;

#[kratos::middleware]
pub fn auth(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    let _ = (ctx, req, next);
    Err(Error::unauthorized("NO", "no"))
}

fn main() {}
