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
//! A checker that reads nothing passes everything, so the tests at the end
//! of this file run it on small trees held in memory (each rule and each kind
//! of path above), and one test makes sure it finds `use` imports in the
//! real tree.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::ext::IdentExt as _;
use syn::visit::{self, Visit};
use syn::{Item, UseTree};

/// A module path below the crate root: `crate::format::json` is
/// `["format", "json"]`, and the crate root is `[]`.
type ModPath = Vec<String>;

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

// ---------------------------------------------------------------------------
// Sources: every .rs file under src/ except the binary
// ---------------------------------------------------------------------------

/// File texts by path relative to the repository root, with `/` separators
/// (`src/format/json.rs`).
struct Sources {
    files: BTreeMap<String, String>,
}

impl Sources {
    fn read(root: &Path) -> Sources {
        let mut files = BTreeMap::new();
        let mut dirs = vec![root.join("src")];
        while let Some(dir) = dirs.pop() {
            let entries =
                fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            for entry in entries {
                let path = entry
                    .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                    .path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|x| x != "rs") {
                    continue;
                }
                let rel = path
                    .strip_prefix(root)
                    .expect("a file under src/")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                if rel == "src/main.rs" {
                    continue;
                }
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                files.insert(rel, text);
            }
        }
        Sources { files }
    }
}

// ---------------------------------------------------------------------------
// Layers: the `## Layers` block of ARCHITECTURE.md
// ---------------------------------------------------------------------------

struct Layers {
    layers: Vec<Layer>,
}

struct Layer {
    /// As written: `engine/`, `simd.rs`, `lib.rs`.
    token: String,
    /// The top-level module it names; `None` for `lib.rs`, the crate root.
    module: Option<String>,
}

impl Layers {
    fn parse(md: &str) -> Result<Layers, String> {
        let mut lines = md.lines().enumerate();
        lines
            .by_ref()
            .find(|(_, l)| l.starts_with("## Layers"))
            .ok_or("no heading line starting with `## Layers`")?;
        let fence = loop {
            let (n, line) = lines
                .next()
                .ok_or("no fenced code block after `## Layers`")?;
            let t = line.trim_start();
            if t.starts_with("```") || t.starts_with("~~~") {
                break &t[..3];
            }
            if t.starts_with("## ") {
                return Err(format!(
                    "line {}: a new section starts before the fenced code block of `## Layers`",
                    n + 1
                ));
            }
        };
        let mut layers: Vec<Layer> = Vec::new();
        loop {
            let (n, line) = lines
                .next()
                .ok_or("the code block after `## Layers` is not closed")?;
            if line.trim_start().starts_with(fence) {
                break;
            }
            let Some(token) = line.split_whitespace().next() else {
                continue;
            };
            let module = if token == "lib.rs" {
                None
            } else {
                let name = token
                    .strip_suffix('/')
                    .or_else(|| token.strip_suffix(".rs"))
                    .unwrap_or(token);
                let ident = name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
                    && name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic());
                if !ident {
                    return Err(format!(
                        "line {}: `{token}` does not name a top-level module \
                         (write `name/`, `name.rs`, `name` or `lib.rs`)",
                        n + 1
                    ));
                }
                Some(name.to_string())
            };
            if layers.iter().any(|l| l.module == module) {
                return Err(format!("line {}: `{token}` is listed twice", n + 1));
            }
            layers.push(Layer {
                token: token.to_string(),
                module,
            });
        }
        if layers.is_empty() {
            return Err("the code block after `## Layers` lists no layer".into());
        }
        Ok(Layers { layers })
    }

    /// Position from the top; `None` when the module is not listed.
    fn rank(&self, module: &str) -> Option<usize> {
        self.layers
            .iter()
            .position(|l| l.module.as_deref() == Some(module))
    }

    fn token<'a>(&'a self, module: &'a str) -> &'a str {
        self.rank(module)
            .map_or(module, |r| self.layers[r].token.as_str())
    }
}

// ---------------------------------------------------------------------------
// The graph: which file imports which, from where
// ---------------------------------------------------------------------------

struct Graph {
    /// Every file read, with the module it defines.
    files: BTreeMap<String, ModPath>,
    /// Imports between different files, one per (file, line, target file),
    /// sorted by file and line.
    edges: Vec<Edge>,
    /// Files syn could not parse: (file, line, message).
    parse_errors: Vec<(String, usize, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Edge {
    from: String,
    line: usize,
    to: String,
    /// The paths as written on that line that lead to `to`; `use ..` for
    /// use declarations.
    texts: Vec<String>,
}

impl Edge {
    fn is_use(&self) -> bool {
        self.texts.iter().any(|t| t.starts_with("use "))
    }
}

impl fmt::Display for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts = regroup(&self.texts);
        write!(
            f,
            "{}:{}: `{}` → {}",
            self.from,
            self.line,
            texts.join("`, `"),
            self.to
        )
    }
}

/// Puts the leaves of one use group back together for the report:
/// `use a::b::X`, `use a::b::{self}` become `use a::b::{X, self}`.
fn regroup(texts: &[String]) -> Vec<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for text in texts {
        let (head, tail) = text.rsplit_once("::").unwrap_or(("", text));
        match groups.iter_mut().find(|(h, _)| *h == head) {
            Some((_, tails)) => tails.push(tail),
            None => groups.push((head, vec![tail])),
        }
    }
    groups
        .into_iter()
        .map(|(head, tails)| match tails.as_slice() {
            [tail] if head.is_empty() => tail.to_string(),
            [tail] => format!("{head}::{tail}"),
            _ => {
                let tails: Vec<&str> = tails
                    .iter()
                    .map(|t| t.trim_start_matches('{').trim_end_matches('}'))
                    .collect();
                format!("{head}::{{{}}}", tails.join(", "))
            }
        })
        .collect()
}

impl Graph {
    fn build(sources: &Sources) -> Graph {
        let mut parsed = BTreeMap::new();
        let mut parse_errors = Vec::new();
        for (file, text) in &sources.files {
            match syn::parse_file(text) {
                Ok(ast) => {
                    parsed.insert(file.clone(), ast);
                }
                Err(e) => parse_errors.push((file.clone(), line(e.span()), e.to_string())),
            }
        }
        let files = map_modules(sources, &parsed);
        let mut by_module: BTreeMap<&[String], &str> = BTreeMap::new();
        for (file, module) in &files {
            by_module.entry(module).or_insert(file);
        }
        let file_of = |path: &[String]| {
            (0..=path.len())
                .rev()
                .find_map(|n| by_module.get(&path[..n]).copied())
        };
        let modules: BTreeSet<&[String]> = by_module.keys().copied().collect();
        let mut grouped: BTreeMap<(&str, usize, &str), Vec<String>> = BTreeMap::new();
        for (file, ast) in &parsed {
            for found in Collector::collect(&files[file], ast, &modules) {
                let Some(to) = file_of(&found.target).filter(|to| *to != file.as_str()) else {
                    continue;
                };
                // Through a name a `use` brought in: only news when it leads
                // past the file that `use` already imports.
                if found.covered.is_some_and(|c| file_of(&c) == Some(to)) {
                    continue;
                }
                let texts = grouped.entry((file.as_str(), found.line, to)).or_default();
                if !texts.contains(&found.text) {
                    texts.push(found.text);
                }
            }
        }
        let edges = grouped
            .into_iter()
            .map(|((from, line, to), texts)| Edge {
                from: from.to_string(),
                line,
                to: to.to_string(),
                texts,
            })
            .collect();
        Graph {
            files,
            edges,
            parse_errors,
        }
    }

    fn top_module<'a>(&'a self, file: &str) -> Option<&'a str> {
        self.files[file].first().map(String::as_str)
    }
}

fn line(span: Span) -> usize {
    span.start().line
}

/// Which module each file defines: follows the `mod` declarations from
/// `src/lib.rs` (honouring `#[path]`); a file no declaration reaches keeps
/// the module its path spells.
fn map_modules(
    sources: &Sources,
    parsed: &BTreeMap<String, syn::File>,
) -> BTreeMap<String, ModPath> {
    let mut files = BTreeMap::new();
    let mut queue = VecDeque::from([("src/lib.rs".to_string(), ModPath::new(), true)]);
    while let Some((file, module, mod_rs)) = queue.pop_front() {
        if !sources.files.contains_key(&file) || files.contains_key(&file) {
            continue;
        }
        files.insert(file.clone(), module.clone());
        let Some(ast) = parsed.get(&file) else {
            continue;
        };
        let dir = parent_dir(&file);
        // `src/a/mod.rs` keeps its children beside it, `src/a.rs` in `src/a/`.
        let children_dir = if mod_rs {
            dir.to_string()
        } else {
            format!("{dir}/{}", file_stem(&file))
        };
        let scope = ModScope {
            module,
            file_dir: dir,
            children_dir,
            top_of_file: true,
        };
        declared_mod_files(sources, &ast.items, &scope, &mut queue);
    }
    for file in sources.files.keys() {
        if !files.contains_key(file) {
            files.insert(file.clone(), module_from_path(file));
        }
    }
    files
}

/// Where `mod x;` declarations in one module look for their files.
struct ModScope<'a> {
    module: ModPath,
    file_dir: &'a str,
    children_dir: String,
    top_of_file: bool,
}

fn declared_mod_files(
    sources: &Sources,
    items: &[Item],
    scope: &ModScope<'_>,
    out: &mut VecDeque<(String, ModPath, bool)>,
) {
    for item in items {
        let Item::Mod(m) = item else { continue };
        let name = m.ident.unraw().to_string();
        let path_attr = path_attribute(&m.attrs);
        let mut module = scope.module.clone();
        module.push(name.clone());
        if let Some((_, inner)) = &m.content {
            let dir = path_attr.as_deref().unwrap_or(&name);
            let inner_scope = ModScope {
                module,
                file_dir: scope.file_dir,
                children_dir: format!("{}/{dir}", scope.children_dir),
                top_of_file: false,
            };
            declared_mod_files(sources, inner, &inner_scope, out);
            continue;
        }
        let found = match path_attr {
            // Relative to the file's directory, or inside inline modules to
            // the directory those modules stand for; such a file keeps its
            // children beside it, like a mod.rs.
            Some(p) => {
                let base = if scope.top_of_file {
                    scope.file_dir
                } else {
                    &scope.children_dir
                };
                Some((normalize(&format!("{base}/{p}")), true))
            }
            None => [
                format!("{}/{name}.rs", scope.children_dir),
                format!("{}/{name}/mod.rs", scope.children_dir),
            ]
            .into_iter()
            .find(|f| sources.files.contains_key(f))
            .map(|f| {
                let mod_rs = f.ends_with("/mod.rs");
                (f, mod_rs)
            }),
        };
        if let Some((file, mod_rs)) = found {
            out.push_back((file, module, mod_rs));
        }
    }
}

fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn parent_dir(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn file_stem(file: &str) -> &str {
    let name = file.rsplit_once('/').map_or(file, |(_, name)| name);
    name.strip_suffix(".rs").unwrap_or(name)
}

/// Resolves `.` and `..` in a `/`-separated path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// `src/a/b.rs` and `src/a/b/mod.rs` define `a::b`; `src/lib.rs` the root.
fn module_from_path(file: &str) -> ModPath {
    let rel = file.strip_prefix("src/").unwrap_or(file);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut module: ModPath = rel.split('/').map(str::to_string).collect();
    if module.last().is_some_and(|m| m == "mod") || module == ["lib"] {
        module.pop();
    }
    module
}

// ---------------------------------------------------------------------------
// Finding the paths in one file
// ---------------------------------------------------------------------------

/// One path into the crate, made absolute.
#[derive(Debug)]
struct Found {
    line: usize,
    /// As written (`use ` in front for use declarations).
    text: String,
    target: ModPath,
    /// For a path that starts with a name a `use` brought in: what that
    /// `use` imports, so already an import of its own.
    covered: Option<ModPath>,
}

/// One leaf of a use tree: `use a::{b, c::{self as d}, e::*}` has three.
struct UseLeaf {
    /// `[a, b]`, `[a, c]` (for `self`), `[a, e]` (for the glob).
    segments: Vec<String>,
    /// As written, flattened: `use a::b`, `use a::c::{self as d}`.
    text: String,
    line: usize,
    /// The name it brings into scope: `b`, `d`; `None` for a glob.
    binds: Option<String>,
}

/// Flattens a use tree; `prefix` holds the segments above `tree` and `text`
/// the same as written.
fn use_leaves(tree: &UseTree, prefix: &mut Vec<String>, text: &str, out: &mut Vec<UseLeaf>) {
    let mut leaf = |name: &str, written: String, line: usize, binds: Option<String>| {
        let mut segments = prefix.clone();
        if name != "self" || segments.is_empty() {
            segments.push(name.to_string());
        }
        let binds = binds.or_else(|| segments.last().cloned());
        let text = format!("use {written}");
        out.push(UseLeaf {
            segments,
            text,
            line,
            binds,
        });
    };
    match tree {
        UseTree::Path(p) => {
            let name = p.ident.unraw().to_string();
            prefix.push(name.clone());
            use_leaves(&p.tree, prefix, &format!("{text}{name}::"), out);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let name = n.ident.unraw().to_string();
            let written = if name == "self" {
                format!("{text}{{self}}")
            } else {
                format!("{text}{name}")
            };
            leaf(&name, written, line(n.ident.span()), None);
        }
        UseTree::Rename(r) => {
            let name = r.ident.unraw().to_string();
            let written = if name == "self" {
                format!("{text}{{self as {}}}", r.rename)
            } else {
                format!("{text}{name} as {}", r.rename)
            };
            let binds = Some(r.rename.unraw().to_string()).filter(|b| b != "_");
            leaf(&name, written, line(r.ident.span()), binds);
        }
        UseTree::Glob(g) => out.push(UseLeaf {
            segments: prefix.clone(),
            text: format!("use {text}*"),
            line: line(g.star_token.spans[0]),
            binds: None,
        }),
        UseTree::Group(g) => {
            for item in &g.items {
                use_leaves(item, prefix, text, out);
            }
        }
    }
}

/// The module a path is read in: the file's module, or an inline module in
/// it, with the names a relative path may start with.
struct Scope {
    module: ModPath,
    /// Child modules declared here (`mod json;`, `mod tests { .. }`).
    children: BTreeSet<String>,
    /// Names the module-level `use` declarations bring in from this crate,
    /// with what they import: `use crate::engine;` gives `engine`, and a
    /// glob `use super::*;` the child modules of `super` that have files.
    imported: BTreeMap<String, (ModPath, ModPath)>,
}

impl Scope {
    fn new(module: ModPath, items: &[Item], modules: &BTreeSet<&[String]>) -> Scope {
        let children = items
            .iter()
            .filter_map(|item| match item {
                Item::Mod(m) => Some(m.ident.unraw().to_string()),
                _ => None,
            })
            .collect();
        let mut scope = Scope {
            module,
            children,
            imported: BTreeMap::new(),
        };
        let mut imported = BTreeMap::new();
        for item in items {
            let Item::Use(u) = item else { continue };
            if u.leading_colon.is_some() {
                continue;
            }
            let mut leaves = Vec::new();
            use_leaves(&u.tree, &mut Vec::new(), "", &mut leaves);
            for leaf in leaves {
                let Some(target) = scope.resolve(&leaf.segments) else {
                    continue;
                };
                if let Some(name) = leaf.binds {
                    imported.insert(name, (target.clone(), target));
                    continue;
                }
                for m in modules.iter().filter(|m| m.len() == target.len() + 1) {
                    if m.starts_with(&target) {
                        let name = m[target.len()].clone();
                        imported
                            .entry(name)
                            .or_insert_with(|| (m.to_vec(), target.clone()));
                    }
                }
            }
        }
        scope.imported = imported;
        scope
    }

    /// The absolute module path `segments` leads to when read in this
    /// scope; `None` when it does not start in this crate (`std::..`, an
    /// external crate, a local name) or climbs above the root.
    fn resolve(&self, segments: &[String]) -> Option<ModPath> {
        self.resolve_covered(segments).map(|(path, _)| path)
    }

    /// [`Scope::resolve`], and what the `use` imports when the path starts
    /// with a name it brought in.
    fn resolve_covered(&self, segments: &[String]) -> Option<(ModPath, Option<ModPath>)> {
        let first = segments.first()?;
        let (mut path, rest) = match first.as_str() {
            "crate" => (ModPath::new(), &segments[1..]),
            "self" | "super" => (self.module.clone(), segments),
            name if self.children.contains(name) => (self.module.clone(), segments),
            name => {
                let (path, covered) = self.imported.get(name)?;
                let mut path = path.clone();
                path.extend(segments[1..].iter().cloned());
                return Some((path, Some(covered.clone())));
            }
        };
        let mut leading = true;
        for segment in rest {
            match segment.as_str() {
                "self" if leading => {}
                "super" if leading => {
                    path.pop()?;
                }
                _ => {
                    leading = false;
                    path.push(segment.clone());
                }
            }
        }
        Some((path, None))
    }
}

struct Collector<'m> {
    /// Every module that has a file of its own.
    modules: &'m BTreeSet<&'m [String]>,
    scopes: Vec<Scope>,
    found: Vec<Found>,
}

impl<'m> Collector<'m> {
    fn collect(module: &ModPath, ast: &syn::File, modules: &'m BTreeSet<&[String]>) -> Vec<Found> {
        let mut collector = Collector {
            modules,
            scopes: vec![Scope::new(module.clone(), &ast.items, modules)],
            found: Vec::new(),
        };
        collector.visit_file(ast);
        collector.found
    }

    fn record(&mut self, segments: &[String], line: usize, text: String) {
        let scope = self.scopes.last().expect("a scope per module");
        if let Some((target, covered)) = scope.resolve_covered(segments) {
            self.found.push(Found {
                line,
                text,
                target,
                covered,
            });
        }
    }

    /// Paths in a macro's unparsed tokens: `crate`, `$crate`, `super`,
    /// `self` or a child module, followed by `::` and names.
    fn macro_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let is_punct = |i: usize, ch: char| matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ch);
        let path_sep_at = |i: usize| {
            matches!(tokens.get(i), Some(TokenTree::Punct(p))
                if p.as_char() == ':' && p.spacing() == Spacing::Joint)
                && is_punct(i + 1, ':')
        };
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(g) => self.macro_tokens(g.stream()),
                TokenTree::Ident(first) if !(i >= 2 && path_sep_at(i - 2)) => {
                    let mut segments = vec![first.unraw().to_string()];
                    let mut end = i + 1;
                    while path_sep_at(end) {
                        let Some(TokenTree::Ident(next)) = tokens.get(end + 2) else {
                            break;
                        };
                        segments.push(next.unraw().to_string());
                        end += 3;
                    }
                    // `$name::..` is a macro variable, `$crate::..` this crate.
                    let metavar = i >= 1 && is_punct(i - 1, '$') && segments[0] != "crate";
                    if segments.len() >= 2 && !metavar {
                        self.record(&segments, line(first.span()), segments.join("::"));
                    }
                    i = end;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        // `mod x;` is a declaration, not an import.
        let Some((_, items)) = &m.content else { return };
        let mut module = self.scopes.last().expect("a scope").module.clone();
        module.push(m.ident.unraw().to_string());
        self.scopes.push(Scope::new(module, items, self.modules));
        for item in items {
            self.visit_item(item);
        }
        self.scopes.pop();
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if u.leading_colon.is_some() {
            return;
        }
        let mut leaves = Vec::new();
        use_leaves(&u.tree, &mut Vec::new(), "", &mut leaves);
        for leaf in leaves {
            self.record(&leaf.segments, leaf.line, leaf.text);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        // One segment is a local name or `self` the value, not a module.
        if p.leading_colon.is_none() && p.segments.len() >= 2 {
            let segments: Vec<String> = p
                .segments
                .iter()
                .map(|s| s.ident.unraw().to_string())
                .collect();
            let line = line(p.segments[0].ident.span());
            self.record(&segments, line, segments.join("::"));
        }
        // Generic arguments hold paths of their own.
        visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        self.macro_tokens(m.tokens.clone());
    }

    // Not imports: `#[..]` (doc comments are attributes too) and
    // `pub(crate)`, `pub(super)`, `pub(in ..)`.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    // `extern crate` names another crate.
    fn visit_item_extern_crate(&mut self, _: &'ast syn::ItemExternCrate) {}
}

// ---------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------

#[derive(Debug)]
enum Violation {
    Parse {
        file: String,
        line: usize,
        message: String,
    },
    MissingLayer {
        token: String,
    },
    Unlisted {
        module: String,
        files: Vec<String>,
        imports: Vec<Edge>,
        imported_by: Vec<Edge>,
    },
    ImportsRoot {
        edge: Edge,
    },
    Upward {
        edge: Edge,
        from: String,
        to: String,
    },
    Cycle {
        files: Vec<String>,
        /// One shortest loop through the first file, first file repeated.
        example: Vec<String>,
        edges: Vec<Edge>,
    },
}

fn check(graph: &Graph, layers: &Layers) -> Vec<Violation> {
    let mut out: Vec<Violation> = graph
        .parse_errors
        .iter()
        .map(|(file, line, message)| Violation::Parse {
            file: file.clone(),
            line: *line,
            message: message.clone(),
        })
        .collect();

    let mut modules: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for file in graph.files.keys() {
        if let Some(top) = graph.top_module(file) {
            modules.entry(top).or_default().push(file.clone());
        }
    }
    for layer in &layers.layers {
        if let Some(module) = &layer.module
            && !modules.contains_key(module.as_str())
        {
            out.push(Violation::MissingLayer {
                token: layer.token.clone(),
            });
        }
    }
    for (module, files) in &modules {
        if layers.rank(module).is_some() {
            continue;
        }
        let crosses = |e: &&Edge, inward: bool| {
            let (from, to) = (graph.top_module(&e.from), graph.top_module(&e.to));
            from.is_some()
                && to.is_some()
                && from != to
                && (if inward { to } else { from }) == Some(*module)
        };
        out.push(Violation::Unlisted {
            module: module.to_string(),
            files: files.clone(),
            imports: graph
                .edges
                .iter()
                .filter(|e| crosses(e, false))
                .cloned()
                .collect(),
            imported_by: graph
                .edges
                .iter()
                .filter(|e| crosses(e, true))
                .cloned()
                .collect(),
        });
    }

    for edge in &graph.edges {
        let (from, to) = (graph.top_module(&edge.from), graph.top_module(&edge.to));
        match (from, to) {
            (Some(_), None) => out.push(Violation::ImportsRoot { edge: edge.clone() }),
            (Some(from), Some(to)) if from != to => {
                if let (Some(rf), Some(rt)) = (layers.rank(from), layers.rank(to))
                    && rt < rf
                {
                    out.push(Violation::Upward {
                        edge: edge.clone(),
                        from: from.to_string(),
                        to: to.to_string(),
                    });
                }
            }
            // The root may import anything; a module may import itself.
            _ => {}
        }
    }

    out.extend(cycles(graph));
    out
}

/// Every strongly connected set of more than one file (Tarjan).
fn cycles(graph: &Graph) -> Vec<Violation> {
    let names: Vec<&str> = graph.files.keys().map(String::as_str).collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut succ: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); names.len()];
    for e in &graph.edges {
        succ[index[e.from.as_str()]].insert(index[e.to.as_str()]);
    }

    struct Tarjan<'a> {
        succ: &'a [BTreeSet<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in self.succ[v].iter() {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                loop {
                    let w = self.stack.pop().expect("v is on the stack");
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                self.components.push(component);
            }
        }
    }
    let n = names.len();
    let mut tarjan = Tarjan {
        succ: &succ,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for v in 0..n {
        if tarjan.index[v].is_none() {
            tarjan.visit(v);
        }
    }

    let mut components: Vec<Vec<usize>> = tarjan
        .components
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|mut c| {
            c.sort_unstable();
            c
        })
        .collect();
    components.sort();
    components
        .into_iter()
        .map(|component| {
            let inside: BTreeSet<usize> = component.iter().copied().collect();
            let example = shortest_loop(component[0], &inside, &succ);
            Violation::Cycle {
                files: component.iter().map(|&i| names[i].to_string()).collect(),
                example: example.into_iter().map(|i| names[i].to_string()).collect(),
                edges: graph
                    .edges
                    .iter()
                    .filter(|e| {
                        inside.contains(&index[e.from.as_str()])
                            && inside.contains(&index[e.to.as_str()])
                    })
                    .cloned()
                    .collect(),
            }
        })
        .collect()
}

/// A shortest path from `start` back to itself inside one component.
fn shortest_loop(start: usize, inside: &BTreeSet<usize>, succ: &[BTreeSet<usize>]) -> Vec<usize> {
    let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &succ[v] {
            if w == start {
                // Back from `v` to `start`, the one node without a parent.
                let mut path = vec![v];
                while let Some(&p) = parent.get(path.last().expect("not empty")) {
                    path.push(p);
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if inside.contains(&w) && !parent.contains_key(&w) && w != start {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start]
}

// ---------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------

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

    fn kind(&self) -> &'static str {
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

fn render(violations: &[Violation], layers: &Layers, files: usize) -> String {
    let order: Vec<&str> = layers.layers.iter().map(|l| l.token.as_str()).collect();
    let mut s = format!(
        "architecture check: {} violation(s) in {files} files under src/ \
         (the rules and why: the module doc of tests/architecture.rs)\n\
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

// ---------------------------------------------------------------------------
// Tests of the checker itself, on trees held in memory
// ---------------------------------------------------------------------------

mod checker {
    use super::*;

    const LAYERS: &str = "# Architecture\n\ntext\n\n## Layers (top to bottom)\n\n\
        ```text\n\
        lib.rs      crate root\n\
        view/       dashboards\n\
        engine/     aggregates\n\
        \n\
        route.rs    templating\n\
        format      parsers\n\
        ```\n\n## Other\n\n```\nnot/ a layer\n```\n";

    fn graph(files: &[(&str, &str)]) -> Graph {
        let files = files
            .iter()
            .map(|(path, text)| (path.to_string(), text.to_string()))
            .collect();
        Graph::build(&Sources { files })
    }

    fn layers() -> Layers {
        Layers::parse(LAYERS).expect("valid layers")
    }

    /// (from, line, to, texts) of every edge.
    fn edges(g: &Graph) -> Vec<(&str, usize, &str, Vec<&str>)> {
        g.edges
            .iter()
            .map(|e| {
                let texts = e.texts.iter().map(String::as_str).collect();
                (e.from.as_str(), e.line, e.to.as_str(), texts)
            })
            .collect()
    }

    fn pairs(g: &Graph) -> BTreeSet<(&str, &str)> {
        g.edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect()
    }

    #[test]
    fn reads_the_layer_block() {
        let l = layers();
        let tokens: Vec<&str> = l.layers.iter().map(|l| l.token.as_str()).collect();
        assert_eq!(tokens, ["lib.rs", "view/", "engine/", "route.rs", "format"]);
        assert_eq!(l.layers[0].module, None);
        assert_eq!(l.rank("route"), Some(3));
        assert_eq!(l.rank("format"), Some(4));
        assert_eq!(l.rank("not"), None);

        assert!(Layers::parse("## Other\n```\na/\n```\n").is_err());
        assert!(Layers::parse("## Layers\n\nno block\n").is_err());
        assert!(Layers::parse("## Layers\n```\na/\n").is_err());
        assert!(Layers::parse("## Layers\n```\n```\n").is_err());
        assert!(Layers::parse("## Layers\n```\na/\na.rs\n```\n").is_err());
        assert!(Layers::parse("## Layers\n```\nview/tui/\n```\n").is_err());
    }

    #[test]
    fn relative_path_to_a_child_module() {
        let g = graph(&[
            ("src/lib.rs", "pub mod format;\n"),
            (
                "src/format/mod.rs",
                "mod json;\n\
                 pub fn f(json: u8) -> json::JsonFormat {\n\
                     let _ = json;\n\
                     json::JsonFormat::new()\n\
                 }\n",
            ),
            ("src/format/json.rs", "pub struct JsonFormat;\n"),
        ]);
        assert_eq!(
            edges(&g),
            [
                (
                    "src/format/mod.rs",
                    2,
                    "src/format/json.rs",
                    vec!["json::JsonFormat"]
                ),
                (
                    "src/format/mod.rs",
                    4,
                    "src/format/json.rs",
                    vec!["json::JsonFormat::new"]
                ),
            ]
        );
    }

    #[test]
    fn super_in_an_inline_module_is_the_files_own_module() {
        let g = graph(&[
            ("src/lib.rs", "pub mod format;\n"),
            ("src/format/mod.rs", "mod combined;\nmod scan;\n"),
            (
                "src/format/combined.rs",
                "pub fn parse() {}\n\
                 #[cfg(test)]\n\
                 mod tests {\n\
                     use super::parse;\n\
                     use super::super::scan::{Marks, Plain};\n\
                     mod deeper {\n\
                         use super::super::parse as p;\n\
                         fn t() { super::super::super::scan::plain(); }\n\
                     }\n\
                 }\n",
            ),
            ("src/format/scan.rs", "pub struct Marks;\n"),
        ]);
        assert_eq!(
            edges(&g),
            [
                (
                    "src/format/combined.rs",
                    5,
                    "src/format/scan.rs",
                    vec![
                        "use super::super::scan::Marks",
                        "use super::super::scan::Plain"
                    ]
                ),
                (
                    "src/format/combined.rs",
                    8,
                    "src/format/scan.rs",
                    vec!["super::super::super::scan::plain"]
                ),
            ]
        );
    }

    #[test]
    fn nested_use_groups_self_globs_and_renames() {
        let g = graph(&[
            (
                "src/lib.rs",
                "pub mod engine;\npub mod format;\npub mod view;\n",
            ),
            ("src/engine/mod.rs", "pub mod shard;\npub struct Config;\n"),
            ("src/engine/shard.rs", "pub struct Shard;\n"),
            ("src/format/mod.rs", ""),
            (
                "src/view/mod.rs",
                "pub(crate) use crate::{\n\
                     engine::{self, shard::{Shard, self as sh}},\n\
                     format::*,\n\
                 };\n\
                 use std::io::{self, Write};\n\
                 use ::serde::Serialize;\n",
            ),
        ]);
        assert_eq!(
            edges(&g),
            [
                (
                    "src/view/mod.rs",
                    2,
                    "src/engine/mod.rs",
                    vec!["use crate::engine::{self}"]
                ),
                (
                    "src/view/mod.rs",
                    2,
                    "src/engine/shard.rs",
                    vec![
                        "use crate::engine::shard::Shard",
                        "use crate::engine::shard::{self as sh}"
                    ]
                ),
                (
                    "src/view/mod.rs",
                    3,
                    "src/format/mod.rs",
                    vec!["use crate::format::*"]
                ),
            ]
        );
        assert_eq!(
            g.edges[1].to_string(),
            "src/view/mod.rs:2: `use crate::engine::shard::{Shard, self as sh}` → src/engine/shard.rs"
        );
    }

    #[test]
    fn names_brought_in_by_use() {
        let g = graph(&[
            ("src/lib.rs", "pub mod engine;\npub mod view;\n"),
            (
                "src/engine/mod.rs",
                "pub mod shard;\npub mod window;\n#[cfg(test)]\nmod tests;\npub struct Config;\n",
            ),
            ("src/engine/shard.rs", ""),
            ("src/engine/window.rs", ""),
            (
                "src/engine/tests.rs",
                "use super::*;\n\
                 fn t() {\n\
                     let _ = Config;\n\
                     shard::Shard::new();\n\
                 }\n",
            ),
            (
                "src/view/mod.rs",
                "use crate::engine::{self, Config};\n\
                 use crate::engine::window as win;\n\
                 fn f() {\n\
                     engine::shard::Shard::new();\n\
                     engine::Config::default();\n\
                     Config::default();\n\
                     win::Window::new();\n\
                 }\n",
            ),
        ]);
        assert_eq!(
            edges(&g),
            [
                (
                    "src/engine/tests.rs",
                    1,
                    "src/engine/mod.rs",
                    vec!["use super::*"]
                ),
                (
                    "src/engine/tests.rs",
                    4,
                    "src/engine/shard.rs",
                    vec!["shard::Shard::new"]
                ),
                (
                    "src/view/mod.rs",
                    1,
                    "src/engine/mod.rs",
                    vec!["use crate::engine::{self}", "use crate::engine::Config"]
                ),
                (
                    "src/view/mod.rs",
                    2,
                    "src/engine/window.rs",
                    vec!["use crate::engine::window as win"]
                ),
                (
                    "src/view/mod.rs",
                    4,
                    "src/engine/shard.rs",
                    vec!["engine::shard::Shard::new"]
                ),
            ]
        );
    }

    #[test]
    fn paths_inside_macros() {
        let g = graph(&[
            (
                "src/lib.rs",
                "pub mod engine;\npub mod format;\npub mod view;\n",
            ),
            ("src/engine/mod.rs", ""),
            ("src/format/mod.rs", "mod json;\n"),
            ("src/format/json.rs", ""),
            (
                "src/view/mod.rs",
                "mod table;\n\
                 fn f() {\n\
                     assert_eq!(crate::format::parse(1), 2);\n\
                     let _ = format!(\"{}\", super::engine::X);\n\
                     let _ = vec![table::Row::new(), other::Thing];\n\
                     assert!(matches!(x, Some(crate :: engine :: Kind::A)));\n\
                     let _ = format!(\"crate::engine::in_a_string\");\n\
                     x.table::<u8>();\n\
                 }\n\
                 macro_rules! m {\n\
                     ($t:ident) => { $crate::format::json::go(); $t::x(); };\n\
                 }\n",
            ),
            ("src/view/table.rs", ""),
        ]);
        assert_eq!(
            edges(&g),
            [
                (
                    "src/view/mod.rs",
                    3,
                    "src/format/mod.rs",
                    vec!["crate::format::parse"]
                ),
                (
                    "src/view/mod.rs",
                    4,
                    "src/engine/mod.rs",
                    vec!["super::engine::X"]
                ),
                (
                    "src/view/mod.rs",
                    5,
                    "src/view/table.rs",
                    vec!["table::Row::new"]
                ),
                (
                    "src/view/mod.rs",
                    6,
                    "src/engine/mod.rs",
                    vec!["crate::engine::Kind::A"]
                ),
                (
                    "src/view/mod.rs",
                    11,
                    "src/format/json.rs",
                    vec!["crate::format::json::go"]
                ),
            ]
        );
    }

    #[test]
    fn both_module_file_layouts() {
        let g = graph(&[
            ("src/lib.rs", "pub mod engine;\npub mod route;\n"),
            ("src/engine/mod.rs", "pub mod shard;\n"),
            ("src/engine/shard.rs", "pub struct Shard;\n"),
            ("src/route.rs", "mod own;\npub struct Router;\n"),
            (
                "src/route/own.rs",
                "use super::Router;\nuse crate::engine::shard::Shard;\n",
            ),
            (
                "src/view.rs",
                "fn f() {\n\
                     crate::route::Router::new();\n\
                     crate::route::own::one();\n\
                     crate::engine::Registry::new();\n\
                     crate::engine::shard::Shard::new();\n\
                 }\n",
            ),
        ]);
        assert_eq!(g.files["src/route/own.rs"], ["route", "own"]);
        assert_eq!(g.files["src/route.rs"], ["route"]);
        assert_eq!(g.files["src/engine/mod.rs"], ["engine"]);
        assert_eq!(
            g.files["src/view.rs"],
            ["view"],
            "not declared: module from its path"
        );
        assert_eq!(
            edges(&g),
            [
                (
                    "src/route/own.rs",
                    1,
                    "src/route.rs",
                    vec!["use super::Router"]
                ),
                (
                    "src/route/own.rs",
                    2,
                    "src/engine/shard.rs",
                    vec!["use crate::engine::shard::Shard"]
                ),
                (
                    "src/view.rs",
                    2,
                    "src/route.rs",
                    vec!["crate::route::Router::new"]
                ),
                (
                    "src/view.rs",
                    3,
                    "src/route/own.rs",
                    vec!["crate::route::own::one"]
                ),
                (
                    "src/view.rs",
                    4,
                    "src/engine/mod.rs",
                    vec!["crate::engine::Registry::new"]
                ),
                (
                    "src/view.rs",
                    5,
                    "src/engine/shard.rs",
                    vec!["crate::engine::shard::Shard::new"]
                ),
            ]
        );
    }

    #[test]
    fn path_attributes_are_honoured() {
        let g = graph(&[
            (
                "src/lib.rs",
                "#[path = \"odd/place.rs\"]\npub mod engine;\npub mod view;\n",
            ),
            ("src/odd/place.rs", "mod inner;\n"),
            ("src/odd/inner.rs", ""),
            (
                "src/view/mod.rs",
                "use crate::engine::inner::X;\nuse crate::engine::Y;\n",
            ),
        ]);
        assert_eq!(g.files["src/odd/place.rs"], ["engine"]);
        assert_eq!(g.files["src/odd/inner.rs"], ["engine", "inner"]);
        assert_eq!(
            pairs(&g),
            BTreeSet::from([
                ("src/view/mod.rs", "src/odd/inner.rs"),
                ("src/view/mod.rs", "src/odd/place.rs"),
            ])
        );
    }

    #[test]
    fn what_is_not_an_import() {
        let g = graph(&[
            ("src/lib.rs", "pub mod engine;\npub mod view;\n"),
            ("src/engine/mod.rs", "pub mod shard;\n"),
            ("src/engine/shard.rs", ""),
            (
                "src/view/mod.rs",
                "//! See [`crate::engine::Shard`].\n\
                 extern crate alloc;\n\
                 mod table;\n\
                 // use crate::engine::shard;\n\
                 /* crate::engine::shard::x() */\n\
                 /// [crate::engine::shard::Shard]\n\
                 #[doc = \"crate::engine::x\"]\n\
                 #[cfg_attr(test, derive(crate::engine::Derive))]\n\
                 pub(crate) fn f(table: u8) -> std::io::Result<()> {\n\
                     let s = \"crate::engine::shard\";\n\
                     let _ = (table, s, Self::X, self);\n\
                     pub(in crate::engine) struct Hidden;\n\
                     alloc::vec::Vec::<u8>::new();\n\
                     Ok(())\n\
                 }\n",
            ),
            ("src/view/table.rs", ""),
        ]);
        assert_eq!(edges(&g), []);
        assert!(g.parse_errors.is_empty(), "{:?}", g.parse_errors);
    }

    #[test]
    fn cfg_gated_uses_count() {
        let g = graph(&[
            ("src/lib.rs", "pub mod engine;\npub mod format;\n"),
            ("src/engine/mod.rs", "pub mod shard;\n"),
            ("src/engine/shard.rs", ""),
            (
                "src/format/mod.rs",
                "#[cfg(test)]\nuse crate::engine::shard::A;\n\
                 #[cfg(doc)]\npub use crate::engine::B;\n",
            ),
        ]);
        assert_eq!(
            pairs(&g),
            BTreeSet::from([
                ("src/format/mod.rs", "src/engine/mod.rs"),
                ("src/format/mod.rs", "src/engine/shard.rs"),
            ])
        );
    }

    #[test]
    fn a_re_export_is_not_followed_and_its_loop_is_a_cycle() {
        let g = graph(&[
            ("src/lib.rs", "pub mod engine;\npub mod view;\n"),
            (
                "src/engine/mod.rs",
                "mod shard;\npub use shard::Shard;\npub struct Config;\n",
            ),
            (
                "src/engine/shard.rs",
                "use super::Config;\npub struct Shard;\n",
            ),
            ("src/view/mod.rs", "use crate::engine::Shard;\n"),
        ]);
        assert_eq!(
            pairs(&g),
            BTreeSet::from([
                ("src/engine/mod.rs", "src/engine/shard.rs"),
                ("src/engine/shard.rs", "src/engine/mod.rs"),
                ("src/view/mod.rs", "src/engine/mod.rs"),
            ])
        );
        let v = cycles(&g);
        assert_eq!(v.len(), 1, "{}", render(&v, &layers(), 0));
        let Violation::Cycle { files, .. } = &v[0] else {
            panic!("{v:?}")
        };
        assert_eq!(files, &["src/engine/mod.rs", "src/engine/shard.rs"]);
    }

    #[test]
    fn a_three_file_cycle() {
        let g = graph(&[
            ("src/lib.rs", "pub mod engine;\n"),
            ("src/engine/mod.rs", "mod a;\nmod b;\nmod c;\nmod d;\n"),
            ("src/engine/a.rs", "use super::b::B;\npub struct A;\n"),
            (
                "src/engine/b.rs",
                "pub struct B;\nfn f() { super::c::C; }\n",
            ),
            (
                "src/engine/c.rs",
                "pub struct C;\nuse crate::engine::a::A;\nuse super::d::D;\n",
            ),
            ("src/engine/d.rs", "pub struct D;\n"),
        ]);
        let v = cycles(&g);
        assert_eq!(v.len(), 1, "{}", render(&v, &layers(), 0));
        let Violation::Cycle {
            files,
            example,
            edges,
        } = &v[0]
        else {
            panic!("{v:?}")
        };
        assert_eq!(
            files,
            &["src/engine/a.rs", "src/engine/b.rs", "src/engine/c.rs"]
        );
        assert_eq!(
            example,
            &[
                "src/engine/a.rs",
                "src/engine/b.rs",
                "src/engine/c.rs",
                "src/engine/a.rs"
            ]
        );
        let lines: Vec<String> = edges.iter().map(Edge::to_string).collect();
        assert_eq!(
            lines,
            [
                "src/engine/a.rs:1: `use super::b::B` → src/engine/b.rs",
                "src/engine/b.rs:2: `super::c::C` → src/engine/c.rs",
                "src/engine/c.rs:2: `use crate::engine::a::A` → src/engine/a.rs",
            ]
        );
        let text = render(&v, &layers(), 6);
        assert!(
            text.contains("src/engine/a.rs → src/engine/b.rs → src/engine/c.rs"),
            "{text}"
        );
    }

    #[test]
    fn upward_imports_root_imports_and_the_layer_list() {
        let g = graph(&[
            (
                "src/lib.rs",
                "pub mod engine;\npub mod view;\npub mod format;\npub mod app;\npub struct Error;\nuse view::V;\n",
            ),
            (
                "src/view/mod.rs",
                "use crate::engine::E;\nuse crate::format::F;\n",
            ),
            (
                "src/engine/mod.rs",
                "use crate::format::F;\n\
                 use crate::view::V;\n\
                 fn f() -> crate::Error { crate::view::show(); crate::app::go() }\n",
            ),
            ("src/format/mod.rs", "pub struct F;\nuse crate::app::Run;\n"),
            ("src/app.rs", "use crate::view::V;\n"),
        ]);
        let l = layers();
        let v = check(&g, &l);
        let text = render(&v, &l, g.files.len());
        let kinds: Vec<&str> = v.iter().map(Violation::kind).collect();
        assert_eq!(
            kinds,
            [
                "missing layer",
                "not listed",
                "upward",
                "imports root",
                "upward",
                "cycle"
            ],
            "{text}"
        );
        for expected in [
            "layer `route.rs` is listed in ## Layers but crate::route has no file",
            "top-level module `app` (src/app.rs) is not listed: add it to ## Layers in ARCHITECTURE.md",
            "imports (1):\n        src/app.rs:1: `use crate::view::V` → src/view/mod.rs",
            "src/engine/mod.rs:3: `crate::app::go` → src/app.rs",
            "src/format/mod.rs:2: `use crate::app::Run` → src/app.rs",
            "src/engine/mod.rs:2: `use crate::view::V` → src/view/mod.rs: `engine/` may not import `view/`, which is above it",
            "src/engine/mod.rs:3: `crate::Error` → src/lib.rs: the crate root may not be imported",
            "src/engine/mod.rs:3: `crate::view::show` → src/view/mod.rs: `engine/` may not import `view/`",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn a_file_that_does_not_parse_is_reported() {
        let g = graph(&[
            ("src/lib.rs", "pub mod engine;\n"),
            ("src/engine/mod.rs", "fn f( {\n"),
        ]);
        let v = check(&g, &layers());
        assert!(
            matches!(&v[0], Violation::Parse { file, .. } if file == "src/engine/mod.rs"),
            "{v:?}"
        );
    }
}
