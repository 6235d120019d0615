// Misuse: a borrowed field.
#[kratos::message]
pub struct User<'a> {
    pub name: &'a str,
}

fn main() {}
