//! The graph: which file imports which, from which line. Maps every file to
//! the module it defines (following the `mod` declarations from `src/lib.rs`)
//! and turns the paths found in each file into edges between files.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use syn::Item;
use syn::ext::IdentExt as _;

use crate::paths::{Collector, ModPath, line};
use crate::sources::Sources;

pub(crate) struct Graph {
    /// Every file read, with the module it defines.
    pub(crate) files: BTreeMap<String, ModPath>,
    /// Imports between different files, one per (file, line, target file),
    /// sorted by file and line.
    pub(crate) edges: Vec<Edge>,
    /// Files syn could not parse: (file, line, message).
    pub(crate) parse_errors: Vec<(String, usize, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) from: String,
    pub(crate) line: usize,
    pub(crate) to: String,
    /// The paths as written on that line that lead to `to`; `use ..` for
    /// use declarations.
    pub(crate) texts: Vec<String>,
}

impl Edge {
    pub(crate) fn is_use(&self) -> bool {
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
    pub(crate) fn build(sources: &Sources) -> Graph {
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

    pub(crate) fn top_module<'a>(&'a self, file: &str) -> Option<&'a str> {
        self.files[file].first().map(String::as_str)
    }
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
