//! Finding the paths in one file: every `use` and every path in code or in
//! macro tokens that leads into this crate, made absolute.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::ext::IdentExt as _;
use syn::visit::{self, Visit};
use syn::{Item, UseTree};

/// A module path below the crate root: `crate::format::json` is
/// `["format", "json"]`, and the crate root is `[]`.
pub(crate) type ModPath = Vec<String>;

pub(crate) fn line(span: Span) -> usize {
    span.start().line
}

/// One path into the crate, made absolute.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) line: usize,
    /// As written (`use ` in front for use declarations).
    pub(crate) text: String,
    pub(crate) target: ModPath,
    /// For a path that starts with a name a `use` brought in: what that
    /// `use` imports, so already an import of its own.
    pub(crate) covered: Option<ModPath>,
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

pub(crate) struct Collector<'m> {
    /// Every module that has a file of its own.
    modules: &'m BTreeSet<&'m [String]>,
    scopes: Vec<Scope>,
    found: Vec<Found>,
}

impl<'m> Collector<'m> {
    pub(crate) fn collect(
        module: &ModPath,
        ast: &syn::File,
        modules: &'m BTreeSet<&[String]>,
    ) -> Vec<Found> {
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
