//! The report: one numbered entry per violation, each with `file:line` and
//! the import as written, under a header with the layer order.

use crate::layers::Layers;
use crate::rules::Violation;

impl Violation {
    fn describe(&self, layers: &Layers) -> String {
        match self {
            Violation::Parse {
                file,
                line,
                message,
            } => format!("{file}:{line}: cannot parse ({message}), so its imports are unknown"),
            Violation::MissingLayer { token } => {
                let name = token.trim_end_matches('/').trim_end_matches(".rs");
                format!(
                    "layer `{token}` is listed in ## Layers but crate::{name} has no file \
                     (src/{name}.rs or src/{name}/mod.rs): create it, or remove the line"
                )
            }
            Violation::Unlisted {
                module,
                files,
                imports,
                imported_by,
            } => {
                let mut s = format!(
                    "top-level module `{module}` ({}) is not listed: add it to ## Layers in \
                     ARCHITECTURE.md",
                    files.join(", ")
                );
                for (what, edges) in [("imports", imports), ("imported by", imported_by)] {
                    if !edges.is_empty() {
                        s.push_str(&format!("\n      {what} ({}):", edges.len()));
                        for e in edges.iter() {
                            s.push_str(&format!("\n        {e}"));
                        }
                    }
                }
                s
            }
            Violation::ImportsRoot { edge } => format!(
                "{edge}: the crate root may not be imported; move the item down into the \
                 layer that owns it"
            ),
            Violation::Upward { edge, from, to } => format!(
                "{edge}: `{}` may not import `{}`, which is above it in ## Layers",
                layers.token(from),
                layers.token(to),
            ),
            Violation::Cycle {
                files,
                example,
                edges,
            } => {
                let mut s = format!(
                    "import cycle between {} files: {}\n      e.g. {}\n      imports inside it:",
                    files.len(),
                    files.join(", "),
                    example.join(" → "),
                );
                for e in edges {
                    s.push_str(&format!("\n        {e}"));
                }
                s
            }
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Violation::Parse { .. } => "parse",
            Violation::MissingLayer { .. } => "missing layer",
            Violation::Unlisted { .. } => "not listed",
            Violation::ImportsRoot { .. } => "imports root",
            Violation::Upward { .. } => "upward",
            Violation::Cycle { .. } => "cycle",
        }
    }
}

pub(crate) fn render(violations: &[Violation], layers: &Layers, files: usize) -> String {
    let order: Vec<&str> = layers.layers.iter().map(|l| l.token.as_str()).collect();
    let mut s = format!(
        "architecture check: {} violation(s) in {files} files under src/ \
         (the rules and why: the module doc of tests/architecture/main.rs)\n\
         layers, top to bottom (ARCHITECTURE.md, ## Layers): {}\n",
        violations.len(),
        order.join(" > "),
    );
    for (n, v) in violations.iter().enumerate() {
        s.push_str(&format!(
            "\n{:>3}. [{}] {}",
            n + 1,
            v.kind(),
            v.describe(layers)
        ));
    }
    s
}
