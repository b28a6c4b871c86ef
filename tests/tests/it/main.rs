//! The drift tests, in one binary: the spec's examples replayed on the wire (insta
//! snapshots), spec coverage of the typed API, the conformance reference, the messages
//! that name a wrapped operation upstream moved, what each published package needs,
//! the documents' links, paths and examples, and a new project built from the packages.

mod conformance_reference;
mod docs;
mod markdown;
mod moved_operation;
mod new_project;
mod packaging;
mod spec_coverage;
mod wire_replay;
