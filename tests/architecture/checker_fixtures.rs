//! What the checker's tests work on: a graph built from a tree held in
//! memory, a small `ARCHITECTURE.md` with its layer list, and the edges in a
//! form that is easy to compare.

use std::collections::BTreeSet;

use crate::graph::Graph;
use crate::layers::Layers;
use crate::sources::Sources;

const LAYERS: &str = "# Architecture\n\ntext\n\n## Layers (top to bottom)\n\n\
    ```text\n\
    lib.rs      crate root\n\
    view/       dashboards\n\
    engine/     aggregates\n\
    \n\
    route.rs    templating\n\
    format      parsers\n\
    ```\n\n## Other\n\n```\nnot/ a layer\n```\n";

pub(crate) fn graph(files: &[(&str, &str)]) -> Graph {
    let files = files
        .iter()
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect();
    Graph::build(&Sources { files })
}

pub(crate) fn layers() -> Layers {
    Layers::parse(LAYERS).expect("valid layers")
}

/// (from, line, to, texts) of every edge.
pub(crate) fn edges(g: &Graph) -> Vec<(&str, usize, &str, Vec<&str>)> {
    g.edges
        .iter()
        .map(|e| {
            let texts = e.texts.iter().map(String::as_str).collect();
            (e.from.as_str(), e.line, e.to.as_str(), texts)
        })
        .collect()
}

pub(crate) fn pairs(g: &Graph) -> BTreeSet<(&str, &str)> {
    g.edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect()
}
