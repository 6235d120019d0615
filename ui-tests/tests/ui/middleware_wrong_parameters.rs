// Misuse: a middleware function without the rest of the chain.
use kratos::prelude::*;

#[kratos::middleware]
pub async fn auth(ctx: &mut Context, req: Request) -> Result<Reply, Error> {
    let _ = (ctx, req);
    Err(Error::unauthorized("NO", "no"))
}

fn main() {}
