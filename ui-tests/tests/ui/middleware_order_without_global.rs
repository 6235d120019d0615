// Misuse: `order` on a middleware that is not global.
use kratos::prelude::*;

#[kratos::middleware(order = 3)]
pub async fn auth(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    next.run(ctx, req).await
}

fn main() {}
