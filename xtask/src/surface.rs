//! What changed in the generated crate's public surface, read from two versions of
//! `generated.rs` with syn: operations (the client's methods) added or removed, their path
//! or method changed, their parameters added, removed, retyped or made optional or
//! required, and the fields of the types in `types` added, removed or retyped. Printed by
//! `regenerate`, so that a spec change that breaks the ergonomic crate's compilation has
//! already been named.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;

/// The HTTP methods a generated operation can call on its `reqwest::Client`.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// The public surface of one version of the generated module.
#[derive(Debug, Default)]
struct Surface {
    /// The client's methods, by name.
    operations: BTreeMap<String, Operation>,
    /// The structs in `types`, by name: their fields, by name, to their type.
    types: BTreeMap<String, BTreeMap<String, String>>,
}

/// One method of the generated client.
#[derive(Debug, Default)]
struct Operation {
    /// `GET`, or empty when the body does not say.
    method: String,
    /// The path as the URL is formatted, `/v1/...`, or empty when the body does not say.
    path: String,
    /// In order: name and type.
    parameters: Vec<(String, String)>,
}

/// One line per change from `old` to `new`, in a stable order; empty when the public
/// surface is the same.
pub(crate) fn changes(old: &str, new: &str) -> Result<Vec<String>> {
    let old = surface(old).context("the old generated module is not a Rust file")?;
    let new = surface(new).context("the new generated module is not a Rust file")?;
    let mut lines = Vec::new();
    for (name, old_operation) in &old.operations {
        match new.operations.get(name) {
            None => lines.push(format!("operation {name} removed")),
            Some(new_operation) => {
                operation_changes(name, old_operation, new_operation, &mut lines)
            }
        }
    }
    for (name, operation) in &new.operations {
        if !old.operations.contains_key(name) {
            lines.push(format!(
                "operation {name} added ({} {})",
                operation.method, operation.path
            ));
        }
    }
    for (name, old_fields) in &old.types {
        match new.types.get(name) {
            None => lines.push(format!("type {name} removed")),
            Some(new_fields) => {
                let what = format!("type {name}: field");
                compare_typed(&what, old_fields, new_fields, &mut lines);
            }
        }
    }
    for name in new.types.keys() {
        if !old.types.contains_key(name) {
            lines.push(format!("type {name} added"));
        }
    }
    Ok(lines)
}

fn operation_changes(name: &str, old: &Operation, new: &Operation, lines: &mut Vec<String>) {
    if old.method != new.method {
        lines.push(format!(
            "operation {name}: method changed from {} to {}",
            old.method, new.method
        ));
    }
    if old.path != new.path {
        lines.push(format!(
            "operation {name}: path changed from {} to {}",
            old.path, new.path
        ));
    }
    let old_parameters: BTreeMap<String, String> = old.parameters.iter().cloned().collect();
    let new_parameters: BTreeMap<String, String> = new.parameters.iter().cloned().collect();
    let what = format!("operation {name}: parameter");
    compare_typed(&what, &old_parameters, &new_parameters, lines);
}

/// Compares named, typed items (parameters, fields): added, removed, made optional or
/// required, retyped.
fn compare_typed(
    what: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    lines: &mut Vec<String>,
) {
    for (name, old_type) in old {
        match new.get(name) {
            None => lines.push(format!("{what} {name} removed")),
            Some(new_type) if new_type == old_type => {}
            Some(new_type) if *new_type == format!("Option<{old_type}>") => {
                lines.push(format!("{what} {name} made optional ({new_type})"));
            }
            Some(new_type) if *old_type == format!("Option<{new_type}>") => {
                lines.push(format!("{what} {name} made required ({new_type})"));
            }
            Some(new_type) => lines.push(format!(
                "{what} {name} retyped from {old_type} to {new_type}"
            )),
        }
    }
    for (name, new_type) in new {
        if !old.contains_key(name) {
            lines.push(format!("{what} {name} added ({new_type})"));
        }
    }
}

/// Reads the client's `impl Client` methods and the structs of `mod types`.
fn surface(source: &str) -> Result<Surface> {
    let file = syn::parse_file(source)?;
    let mut surface = Surface::default();
    for item in &file.items {
        match item {
            syn::Item::Impl(block) if is_client(&block.self_ty) && block.trait_.is_none() => {
                for item in &block.items {
                    if let syn::ImplItem::Fn(function) = item
                        && matches!(function.vis, syn::Visibility::Public(_))
                    {
                        let operation = operation(function);
                        surface
                            .operations
                            .insert(function.sig.ident.to_string(), operation);
                    }
                }
            }
            syn::Item::Mod(module) if module.ident == "types" => {
                for item in module.content.iter().flat_map(|(_, items)| items) {
                    if let syn::Item::Struct(structure) = item
                        && let syn::Fields::Named(fields) = &structure.fields
                    {
                        let fields = fields.named.iter().filter_map(|field| {
                            let name = field.ident.as_ref()?.to_string();
                            Some((name, type_text(&field.ty)))
                        });
                        surface
                            .types
                            .insert(structure.ident.to_string(), fields.collect());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(surface)
}

fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path) if path.path.is_ident("Client"))
}

/// A method's parameters, and the method and path its body sends.
fn operation(function: &syn::ImplItemFn) -> Operation {
    let parameters = function.sig.inputs.iter().filter_map(|input| match input {
        syn::FnArg::Typed(typed) => Some((
            typed.pat.to_token_stream().to_string(),
            type_text(&typed.ty),
        )),
        syn::FnArg::Receiver(_) => None,
    });
    let mut tokens = Vec::new();
    flatten(function.block.to_token_stream(), &mut tokens);
    // `format!("{}/v1/...", self.baseurl,)` builds the URL.
    let path = tokens.iter().find_map(|token| {
        let literal = token.strip_prefix("\"{}")?.strip_suffix('"')?;
        literal.starts_with('/').then(|| literal.to_owned())
    });
    // `self.client.get(url)` sends it.
    let method = tokens.windows(3).find_map(|window| match window {
        [client, dot, method]
            if client == "client" && dot == "." && METHODS.contains(&method.as_str()) =>
        {
            Some(method.to_ascii_uppercase())
        }
        _ => None,
    });
    Operation {
        method: method.unwrap_or_default(),
        path: path.unwrap_or_default(),
        parameters: parameters.collect(),
    }
}

/// Every leaf token, groups opened.
fn flatten(stream: TokenStream, tokens: &mut Vec<String>) {
    for tree in stream {
        match tree {
            TokenTree::Group(group) => flatten(group.stream(), tokens),
            other => tokens.push(other.to_string()),
        }
    }
}

/// A type as a reader writes it: `Option<&'a str>`, not `:: std :: option :: Option < & 'a str >`.
fn type_text(ty: &syn::Type) -> String {
    let spaced = ty.to_token_stream().to_string();
    let chars: Vec<char> = spaced.chars().collect();
    let mut text = String::with_capacity(spaced.len());
    for (index, &c) in chars.iter().enumerate() {
        let previous = index.checked_sub(1).map(|i| chars[i]);
        let next = chars.get(index + 1).copied();
        let joins =
            previous.is_some_and(|p| ":<&".contains(p)) || next.is_some_and(|n| ":<>,".contains(n));
        if c == ' ' && joins {
            continue;
        }
        text.push(c);
    }
    for (long, short) in [
        ("::std::option::Option", "Option"),
        ("::std::string::String", "String"),
        ("::std::vec::Vec", "Vec"),
        ("::serde_json::", "serde_json::"),
    ] {
        text = text.replace(long, short);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"
pub mod types {
    pub struct Item {
        pub id: ::std::string::String,
        pub views: ::std::option::Option<i64>,
        pub gone: bool,
    }
    pub struct Old { pub a: i64 }
}
pub struct Client;
impl Client {
    pub async fn ranking<'a>(&'a self, date: &'a str, page: i64, region: Option<&'a str>, size: i64) -> Result<(), ()> {
        let url = format!("{}/v1/ranking", self.baseurl,);
        let request = self.client.get(url).build()?;
        Ok(())
    }
    pub async fn retired(&self) {}
    fn private(&self) {}
}
"#;

    const NEW: &str = r#"
pub mod types {
    pub struct Item {
        pub id: ::std::option::Option<::std::string::String>,
        pub views: ::std::option::Option<::std::string::String>,
        pub added: ::std::vec::Vec<i64>,
    }
    pub struct New { pub b: i64 }
}
pub struct Client;
impl Client {
    pub async fn ranking<'a>(&'a self, date: &'a str, page: Option<i64>, region: &'a str, seller: &'a str) -> Result<(), ()> {
        let url = format!("{}/v2/ranking", self.baseurl,);
        let request = self.client.post(url).build()?;
        Ok(())
    }
    pub async fn fresh(&self) {
        let url = format!("{}/v1/fresh", self.baseurl,);
        self.client.get(url);
    }
}
"#;

    #[test]
    fn names_every_kind_of_change() {
        assert_eq!(
            changes(OLD, NEW).unwrap(),
            [
                "operation ranking: method changed from GET to POST",
                "operation ranking: path changed from /v1/ranking to /v2/ranking",
                "operation ranking: parameter page made optional (Option<i64>)",
                "operation ranking: parameter region made required (&'a str)",
                "operation ranking: parameter size removed",
                "operation ranking: parameter seller added (&'a str)",
                "operation retired removed",
                "operation fresh added (GET /v1/fresh)",
                "type Item: field gone removed",
                "type Item: field id made optional (Option<String>)",
                "type Item: field views retyped from Option<i64> to Option<String>",
                "type Item: field added added (Vec<i64>)",
                "type Old removed",
                "type New added",
            ]
        );
    }

    #[test]
    fn the_same_surface_has_no_changes() {
        assert_eq!(changes(OLD, OLD).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        assert!(changes("fn (", NEW).is_err());
    }

    #[test]
    fn reads_the_checked_in_generated_module() {
        let root = crate::project_root();
        let source = std::fs::read_to_string(root.join(crate::regenerate::GENERATED)).unwrap();
        let surface = surface(&source).unwrap();
        let operation = &surface.operations["get_api_v3_echotik_video_ranklist"];
        assert_eq!(operation.method, "GET");
        assert_eq!(operation.path, keyapi_tiktok_spec::VIDEO_RANKING.path);
        assert!(
            (operation.parameters.iter())
                .any(|(name, ty)| name == "created_by_ai" && ty == "Option<&'a str>"),
            "{:?}",
            operation.parameters
        );
        assert_eq!(surface.types["VideoRankingResponse"]["code"], "i64");
    }
}
