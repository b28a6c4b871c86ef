//! The drift tests, in one binary: the spec's examples replayed on the wire (insta
//! snapshots), spec coverage of the typed API, the conformance reference, the messages
//! that name a wrapped operation upstream moved, what each published package needs.

mod conformance_reference;
mod moved_operation;
mod packaging;
mod spec_coverage;
mod wire_replay;
