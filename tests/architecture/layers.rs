//! Layers: the order of the top-level modules, top to bottom, read from the
//! `## Layers` block of ARCHITECTURE.md.

pub(crate) struct Layers {
    pub(crate) layers: Vec<Layer>,
}

pub(crate) struct Layer {
    /// As written: `engine/`, `simd.rs`, `lib.rs`.
    pub(crate) token: String,
    /// The top-level module it names; `None` for `lib.rs`, the crate root.
    pub(crate) module: Option<String>,
}

impl Layers {
    pub(crate) fn parse(md: &str) -> Result<Layers, String> {
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
    pub(crate) fn rank(&self, module: &str) -> Option<usize> {
        self.layers
            .iter()
            .position(|l| l.module.as_deref() == Some(module))
    }

    pub(crate) fn token<'a>(&'a self, module: &'a str) -> &'a str {
        self.rank(module)
            .map_or(module, |r| self.layers[r].token.as_str())
    }
}
