//! Tests of the checker itself, on trees held in memory: each rule and each
//! kind of path that the module doc of `main.rs` describes.

use std::collections::BTreeSet;

use crate::checker_fixtures::{edges, graph, layers, pairs};
use crate::graph::Edge;
use crate::layers::Layers;
use crate::report::render;
use crate::rules::{Violation, check, cycles};

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
