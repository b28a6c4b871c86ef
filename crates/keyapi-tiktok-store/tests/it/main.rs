//! The store's integration tests, in one binary so the crate is linked once: the test
//! kit's fake KeyAPI serves the rankings, a temporary directory holds the database.

mod bad_files;
mod common;
mod copies;
mod datasette;
mod model;
mod one_version;
mod paths;
mod queries;
mod sync;
