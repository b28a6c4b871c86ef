//! The drift tests, in one binary: the spec's examples replayed on the wire (insta
//! snapshots), spec coverage of the typed API, the conformance reference, and the messages
//! that name a wrapped operation upstream moved.

mod conformance_reference;
mod moved_operation;
mod spec_coverage;
mod wire_replay;
