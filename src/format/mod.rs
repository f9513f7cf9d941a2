//! Access-log formats: a format spec (preset name, nginx `log_format` string,
//! Apache `LogFormat` string, `json`, `regex:…`, `auto`) is compiled once into
//! a [`Format`] whose [`Format::parse`] turns one line of bytes into a
//! [`Record`] that borrows from the line.
//!
//! The hot path allocates nothing: templates match bytes in place, JSON is
//! walked without building a tree, timestamps are cached per thread (many
//! lines share a second).

mod apache;
mod aws;
mod builtin;
mod compiled;
pub mod detect;
mod envoy;
mod fields;
mod haproxy;
pub mod json;
mod nginx;
pub mod prefix;
mod record;
pub mod regexfmt;
pub mod scan;
mod spec;
pub mod template;
pub mod value;
pub mod w3c;

#[cfg(test)]
mod host_backend_tests;
#[cfg(test)]
mod messy_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod w3c_tests;

pub use compiled::{Format, Header, MAX_VARIANTS};
pub use json::FieldOverride;
pub use record::{ErrorKind, Odd, Record, Scratch, TimeCache};
pub use spec::{FormatError, FormatSpec, PRESETS};
