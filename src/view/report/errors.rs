//! The parse-error summary `--once` writes to stderr: per input, the lines
//! not parsed and the requests counted without an odd value.

use std::io::{self, Write};

use crate::engine::{InputStats, SourceReport};
use crate::format::{ErrorKind, Odd};

/// Per input: a line for requests counted without a timer or timestamp
/// (odd values), a line for the requests each variant of a messy file's
/// format parsed, a line for parse errors, then its first bad lines.
pub fn parse_errors(
    err: &mut dyn Write,
    sources: &[SourceReport],
    inputs: &[InputStats],
) -> io::Result<()> {
    for (i, src) in sources.iter().enumerate() {
        let Some(st) = inputs.get(i) else { continue };
        let bad = st.error_total();
        let odd: Vec<String> = Odd::ALL
            .iter()
            .filter(|k| st.odd[k.index()] > 0)
            .map(|k| format!("{} {}", k.as_str(), st.odd[k.index()]))
            .collect();
        if !odd.is_empty() {
            writeln!(
                err,
                "routetop: {}: requests counted without a value they had: {} (of {} requests) [format: {}]",
                src.name,
                odd.join(", "),
                st.requests,
                src.format.as_deref().unwrap_or("-")
            )?;
        }
        let variants = crate::engine::snapshot::variant_lines(&src.variants, st);
        if !variants.is_empty() {
            let parts: Vec<String> = variants.iter().map(|(f, n)| format!("{f} {n}")).collect();
            writeln!(
                err,
                "routetop: {}: read as {} formats, each line by the first that fits: {}",
                src.name,
                variants.len(),
                parts.join(", ")
            )?;
        }
        if bad == 0 {
            continue;
        }
        let reasons: Vec<String> = ErrorKind::ALL
            .iter()
            .filter(|k| st.errors[k.index()] > 0)
            .map(|k| format!("{} {}", k.as_str(), st.errors[k.index()]))
            .collect();
        writeln!(
            err,
            "routetop: {}: {} of {} lines not parsed ({}) [format: {}]",
            src.name,
            bad,
            st.lines,
            reasons.join(", "),
            src.format.as_deref().unwrap_or("-")
        )?;
        for s in st.samples.iter().take(3) {
            let text = String::from_utf8_lossy(&s.text[..s.text.len().min(160)])
                .escape_debug()
                .to_string();
            let more = if s.len as usize > s.text.len().min(160) {
                format!("… ({} bytes)", s.len)
            } else {
                String::new()
            };
            writeln!(err, "  line {} ({}): {}{}", s.line_no, s.kind, text, more)?;
        }
    }
    Ok(())
}
