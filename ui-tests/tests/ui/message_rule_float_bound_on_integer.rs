// Misuse: a fractional bound on an integer field.
#[kratos::message]
pub struct Page {
    #[rule(lt = 1.5)]
    pub size: u32,
}

fn main() {}
