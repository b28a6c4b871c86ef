//! The `keyapi-tiktok` command (work in progress).

fn main() {}
