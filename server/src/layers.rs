//! The order of the server's modules, checked: each module may use only the modules of lower
//! layers (and its own submodules). A `use crate::x` (or a `crate::x::` path) in code that points
//! up or sideways fails [`a_module_uses_only_lower_layers`]. ARCHITECTURE.md explains the layers.

use std::{collections::BTreeMap, fs, path::Path};

/// Bottom first. Modules in one layer may not use each other.
const LAYERS: &[&[&str]] = &[
    &["ids", "clock", "periodic"],
    &["error", "metrics"],
    &["crypto", "tls", "saml", "days", "images", "pdf"],
    &["badge"],
    &["store"],
    &[
        "background",
        "mail",
        "retention",
        "seed",
        "shield",
        "sign_out",
        "webhooks",
    ],
    &["state"],
    &["auth"],
    &["http"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a source text names through `crate::`, outside comments.
fn crate_uses(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            found.push(first_segment(&item));
        } else {
            found.push(first_segment(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

fn first_segment(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                fs::read_to_string(&path).expect("read a source file"),
            ));
        }
    }
}

#[test]
fn a_module_uses_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, text) in &files {
        let relative = path
            .strip_prefix(&format!("{}/", src.display()))
            .unwrap_or(path);
        let module = first_segment(relative.trim_end_matches(".rs"));
        if matches!(module.as_str(), "lib" | "main" | "layers") {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            wrong
                .entry(relative.to_owned())
                .or_default()
                .push(format!("module `{module}` is in no layer of LAYERS"));
            continue;
        };
        for used in crate_uses(text) {
            if used == module || used == "AppState" || used == "app" {
                // `crate::AppState` and `crate::app` are the root's re-exports of `state` and `http`.
                let target = if used == "AppState" {
                    layer_of("state")
                } else if used == "app" {
                    layer_of("http")
                } else {
                    Some(own)
                };
                if target.is_some_and(|t| t > own) {
                    wrong
                        .entry(relative.to_owned())
                        .or_default()
                        .push(format!("uses `{used}` from a higher layer"));
                }
                continue;
            }
            match layer_of(&used) {
                Some(l) if l < own => {}
                Some(_) => wrong
                    .entry(relative.to_owned())
                    .or_default()
                    .push(format!("`{module}` uses `{used}`, not below it")),
                None => wrong
                    .entry(relative.to_owned())
                    .or_default()
                    .push(format!("uses `{used}`, which is in no layer")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the module order (bottom → top: {LAYERS:?}) is broken:\n{wrong:#?}"
    );
}

#[test]
fn the_use_scanner_reads_groups_and_paths() {
    let uses = crate_uses(
        "use crate::{error::Error, store::{A, B}, ids};\n// crate::http in a comment\nlet x = crate::metrics::track;",
    );
    assert_eq!(uses, ["error", "store", "ids", "metrics"]);
}
