//! The architecture of `src/`, checked on every `cargo test`.
//!
//! routetop is one pipeline (inputs → format → route → engine → views), and
//! its top-level modules are stacked in layers. This test reads every `.rs`
//! file under `src/` except `src/main.rs` (the binary, a thin wrapper around
//! the library), finds what each file imports, and checks two rules. When it
//! fails it lists every violation, each with `file:line` and the import as
//! written, so one run shows the whole job.
//!
//! # Rule 1: layers
//!
//! The order of the layers is read from `ARCHITECTURE.md` at the repository
//! root: the first fenced code block after the heading line that starts with
//! `## Layers`. Each non-empty line of that block names one layer, top to
//! bottom, by its first word: `name/`, `name.rs` and `name` all name the
//! top-level module `crate::name`, and `lib.rs` names the crate root.
//!
//! - A file belongs to the layer of its top-level module: `src/engine/shard.rs`
//!   is in `engine`, and so are `src/engine.rs` and `src/engine/mod.rs`.
//! - A file may import from its own top-level module and from any layer
//!   listed below its own. Importing from a layer listed above is a violation.
//! - The crate root (`src/lib.rs`) may import anything, and nothing may
//!   import it: an item every layer needs belongs in the lowest layer that
//!   uses it, not in the root.
//! - A top-level module that is not listed is a violation: add it to
//!   `## Layers` in `ARCHITECTURE.md`. Its imports, both ways, are listed
//!   with it, and judged once it is listed.
//! - A listed layer that has no file is a violation too: the list must
//!   describe the tree as it is.
//!
//! Why: dependencies that point one way keep each layer testable and
//! replaceable on its own. `format` parses a line without knowing that a
//! dashboard exists; `engine` aggregates without knowing how it is shown. An
//! upward import is where that breaks: a low layer that reaches up can no
//! longer be built, benchmarked or reasoned about without everything above it.
//!
//! # Rule 2: no cycles between files
//!
//! The files and their imports form a graph. Every strongly connected part of
//! it with more than one file (files that import each other, directly or
//! round a loop) is a violation, reported with its files and the imports
//! inside it. A file that names itself does not count.
//!
//! Why: files in a cycle can only be understood, changed and tested
//! together, so a cycle is a module that was never designed as one. Also
//! within a layer, imports should point one way (from `mod.rs` down to its
//! children, or from the children up to shared types in `mod.rs`, not both).
//!
//! # What counts as an import
//!
//! File A imports file B when A contains, anywhere (also under `#[cfg(test)]`,
//! `#[cfg(doc)]`, in function bodies and in inline `mod tests { .. }`):
//!
//! - a `use` declaration (`pub use`, groups `a::{b, c::{self, d}}`, globs,
//!   renames) whose path leads into B;
//! - a path in code that starts with `crate::`, `super::`, `self::`, or with
//!   the name of a child module declared in the current module (edition
//!   2021+ relative paths: in `src/format/mod.rs`, which declares `mod json;`,
//!   `json::JsonFormat` is a path into `src/format/json.rs`), in expressions,
//!   types, patterns, trait bounds, struct literals and so on;
//! - a path in code that starts with a name that a module-level `use` brought
//!   in from this crate, when it leads into another file than that `use`
//!   already imports: `use crate::engine;` then `engine::shard::Shard`, or
//!   `use super::*;` then `detect::detect` (`detect` a child of `super`);
//! - such a path inside a macro invocation (`assert_eq!`, `format!`, `vec!`,
//!   `macro_rules!` bodies with `$crate::`): the tokens are scanned for
//!   `crate`, `super`, `self`, a child module or a name brought in by `use`,
//!   followed by `::` and names.
//!
//! Not imports: comments and doc comments (intra-doc links too), string
//! literals, attributes, visibilities such as `pub(crate)`, `mod x;`
//! declarations, `extern crate`, and paths into other crates or `std`.
//!
//! A path is made absolute (`super` inside an inline `mod tests { .. }` is
//! the file's own module, so `super::super::scan` inside `mod tests` in
//! `src/format/combined.rs` is `crate::format::scan`), and then leads to the
//! file that defines the longest prefix of it that is a module with a file of
//! its own: `src/a/b.rs`, `src/a/b/mod.rs`, or wherever `#[path = ..]` puts
//! it. Inline modules belong to their file. Re-exports are not followed: `use
//! crate::engine::Shard`, where `src/engine/mod.rs` has `pub use
//! shard::Shard`, imports `src/engine/mod.rs` (which itself imports
//! `src/engine/shard.rs`). So a `mod.rs` that re-exports from a child that
//! imports from that `mod.rs` is a cycle, and it is reported.
//!
//! # Fixing a violation
//!
//! Move the item down into the lowest layer that needs it, pass data in from
//! the caller instead of reaching up for it, or split a file so that the
//! loop goes away (a child that needs a type from its `mod.rs` can often
//! take it from a third, lower file that both import). Change the order in
//! `ARCHITECTURE.md` only when the design changes, not to make a test pass.
//!
//! # Testing the checker
//!
//! A checker that reads nothing passes everything, so the tests in
//! `checker_tests.rs` run it on small trees held in memory (each rule and
//! each kind of path above), and one test here makes sure it finds `use`
//! imports in the real tree.

// The checker, in the order it runs: `sources` reads src/, `layers` reads
// ARCHITECTURE.md, `graph` maps each file to its module and to the files it
// imports (`paths` finds the paths in one file), `rules` finds the
// violations and `report` writes them out.
mod graph;
mod layers;
mod paths;
mod report;
mod rules;
mod sources;

// The checker's own tests, on trees held in memory. The module keeps the
// name `checker` so that the tests keep their names
// (`checker::a_three_file_cycle`).
#[path = "checker_tests.rs"]
mod checker;
mod checker_fixtures;

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use graph::Graph;
use layers::Layers;
use report::render;
use rules::check;
use sources::Sources;

// ---------------------------------------------------------------------------
// The checks on the real tree
// ---------------------------------------------------------------------------

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The real tree, parsed once for both tests below.
fn real_graph() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| Graph::build(&Sources::read(repo_root())))
}

#[test]
fn architecture_rules_hold() {
    let md_path = repo_root().join("ARCHITECTURE.md");
    let md = fs::read_to_string(&md_path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nthe layer order is read from its `## Layers` block",
            md_path.display()
        )
    });
    let layers = Layers::parse(&md).unwrap_or_else(|e| panic!("ARCHITECTURE.md: {e}"));
    let graph = real_graph();
    let violations = check(graph, &layers);
    assert!(
        violations.is_empty(),
        "{}",
        render(&violations, &layers, graph.files.len())
    );
}

/// Guards against a checker that silently reads nothing.
#[test]
fn checker_reads_the_real_tree() {
    let graph = real_graph();
    assert!(
        graph.files.contains_key("src/lib.rs"),
        "src/lib.rs was not read"
    );
    assert!(
        graph.files.len() >= 10,
        "only {} files read under src/",
        graph.files.len()
    );
    assert!(
        !graph.files.contains_key("src/main.rs"),
        "src/main.rs is the binary and must not be checked"
    );
    assert!(
        graph.edges.iter().any(|e| e.is_use()),
        "no `use` import found in the real tree: the checker reads nothing"
    );
}
