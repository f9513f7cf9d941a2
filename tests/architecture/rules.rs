//! The rules: what in the graph and the layer list is a violation (a file
//! that does not parse, a layer list that does not match the tree, upward
//! imports, imports of the crate root, cycles between files).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::graph::{Edge, Graph};
use crate::layers::Layers;

#[derive(Debug)]
pub(crate) enum Violation {
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

pub(crate) fn check(graph: &Graph, layers: &Layers) -> Vec<Violation> {
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
pub(crate) fn cycles(graph: &Graph) -> Vec<Violation> {
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
