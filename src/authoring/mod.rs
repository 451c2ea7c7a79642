//! Writing and checking user task files: `retort tasks new` (a scaffold that loads as it is,
//! from field names or from a file of gold answers) and `retort tasks check` (every problem of a
//! task file and its examples, with line and column).

pub mod check;
pub mod scaffold;
