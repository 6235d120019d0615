// Misuse: a list of lists.
#[kratos::message]
pub struct Grid {
    pub cells: Vec<Vec<i32>>,
}

fn main() {}
