// Misuse: a string format on a bytes field.
#[kratos::message]
pub struct Upload {
    #[rule(email)]
    pub data: Vec<u8>,
}

fn main() {}
