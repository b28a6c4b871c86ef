//! Shared helpers for the drift tests (work in progress).
