//! The shape of the code, checked: layers point one way. Every `crate::…` path in `src/` (outside
//! comments and test modules) is an edge from the module that names it to the module it names;
//! the graph of top-level modules (`web`, `service`, `cache` …) and of their children
//! (`web::admin`, `service::articles` …) must have no cycle. Run it alone with
//! `cargo test --test it architecture`; a cycle is printed with its modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file defines, as path segments (`src/web/admin/mod.rs` → `web`, `admin`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without its test module and comment lines.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules named by `crate::…` paths in `code`, cut to `depth` segments.
fn named_modules(code: &str, depth: usize) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let path: Vec<&str> = rest
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or_default()
            .split("::")
            .filter(|s| !s.is_empty() && s.starts_with(|c: char| c.is_ascii_lowercase()))
            .take(depth)
            .collect();
        if !path.is_empty() {
            found.insert(path.join("::"));
        }
    }
    found
}

fn graph(depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&src, &file);
        if module.is_empty() || module[0] == "main" {
            continue;
        }
        let me = module
            .iter()
            .take(depth)
            .cloned()
            .collect::<Vec<_>>()
            .join("::");
        let text = std::fs::read_to_string(&file).unwrap();
        for target in named_modules(&code(&text), depth) {
            // Within one module at this depth is not an edge between modules.
            if target != me && !me.starts_with(&format!("{target}::")) {
                edges.entry(me.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        found: Vec<Vec<String>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: &str) {
            let n = self.index.len();
            self.index.insert(v.to_owned(), n);
            self.low.insert(v.to_owned(), n);
            self.stack.push(v.to_owned());
            self.on_stack.insert(v.to_owned());
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v.to_owned(), low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v.to_owned(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(&w);
                    let done = w == v;
                    component.push(w);
                    if done {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    let nodes: BTreeSet<String> = edges
        .iter()
        .flat_map(|(from, to)| std::iter::once(from.clone()).chain(to.iter().cloned()))
        .collect();
    for node in nodes {
        if !walk.index.contains_key(&node) {
            walk.visit(&node);
        }
    }
    walk.found
}

#[test]
fn the_module_graph_has_no_cycle() {
    for depth in [1, 2] {
        let edges = graph(depth);
        assert!(edges.len() > 10, "the source was read: {edges:?}");
        let found = cycles(&edges);
        assert!(
            found.is_empty(),
            "modules that depend on each other (depth {depth}): {found:?}"
        );
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("app".into()).or_default().insert("web".into());
    edges
        .entry("web".into())
        .or_default()
        .insert("cache".into());
    edges
        .entry("cache".into())
        .or_default()
        .insert("app".into());
    edges
        .entry("web".into())
        .or_default()
        .insert("domain".into());
    assert_eq!(cycles(&edges), [["app", "cache", "web"]]);
    assert_eq!(
        named_modules(
            "use crate::web::admin::{X, Y};\nlet a = crate::db::articles::find;",
            2
        ),
        BTreeSet::from(["db::articles".to_owned(), "web::admin".to_owned()])
    );
}

#[test]
fn the_service_layer_and_the_cache_know_nothing_of_the_web() {
    let edges = graph(1);
    for module in ["domain", "db", "service", "cache", "state", "jobs"] {
        let named = edges.get(module).cloned().unwrap_or_default();
        assert!(
            !named.contains("web") && !named.contains("app"),
            "{module} names {named:?}"
        );
    }
    let domain = edges.get("domain").cloned().unwrap_or_default();
    assert!(
        domain.iter().all(|m| m == "domain"),
        "domain is pure: it names {domain:?}"
    );
}
