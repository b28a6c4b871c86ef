//! The semver policy's test that an additive spec change leaves `keyapi-tiktok`'s public
//! API unchanged (see "Versioning" in `crates/keyapi-tiktok/README.md`).
//!
//! A spec change reaches the ergonomic crate only through the generated crate. So the
//! proof has two halves, both cheap (no second build): `regenerate`'s tests show that a new
//! optional response property only adds a field to a generated type, and this module
//! shows that no generated type is reachable from `keyapi-tiktok`'s public items, so such
//! a field cannot show through. Compile-time coupling (`normalise` destructures the
//! generated item exhaustively, on purpose, so that a new documented field is mapped) is
//! private code and changes no public signature.
//!
//! A third test holds the growth promise of `#[non_exhaustive]`: no public constant of a
//! published library is a fixed-size array, since `let [a, b] = RankField::ALL;` compiles
//! downstream and a new documented value would then break it (cargo-semver-checks does not
//! see a constant's array length change).

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{ImplItem, Item, Visibility};

/// The ergonomic crate's sources, relative to the workspace root.
const ERGONOMIC_SOURCES: &str = "crates/keyapi-tiktok/src";

/// The published libraries' sources, relative to the workspace root: where a public
/// constant's type is part of a semver promise.
const PUBLISHED_LIBRARY_SOURCES: [&str; 5] = [
    "crates/keyapi-tiktok/src",
    "crates/keyapi-tiktok-store/src",
    "crates/keyapi-tiktok-spec/src",
    "crates/keyapi-tiktok-testkit/src",
    "crates/keyapi-tiktok-openapi/src",
];

/// The names the ergonomic crate uses for the generated crate and its types module.
const GENERATED_NAMES: [&str; 3] = ["keyapi_tiktok_openapi", "openapi", "types"];

/// One line per public item of `source` whose signature names the generated crate.
fn generated_names_in_public_items(source: &str) -> syn::Result<Vec<String>> {
    let file = syn::parse_file(source)?;
    let mut found = Vec::new();
    check_items(&file.items, &mut found);
    Ok(found)
}

fn check_items(items: &[Item], found: &mut Vec<String>) {
    for item in items {
        let public = |vis: &Visibility| matches!(vis, Visibility::Public(_));
        // What of this item a caller sees: its signature, never a body.
        let seen: Vec<TokenStream> = match item {
            Item::Fn(item) if public(&item.vis) => vec![item.sig.to_token_stream()],
            Item::Struct(item) if public(&item.vis) => {
                let fields = item.fields.iter().filter(|field| public(&field.vis));
                let mut seen = vec![item.generics.to_token_stream()];
                seen.extend(fields.map(|field| field.ty.to_token_stream()));
                seen
            }
            Item::Enum(item) if public(&item.vis) => vec![item.to_token_stream()],
            Item::Type(item) if public(&item.vis) => vec![item.to_token_stream()],
            Item::Const(item) if public(&item.vis) => vec![item.ty.to_token_stream()],
            Item::Static(item) if public(&item.vis) => vec![item.ty.to_token_stream()],
            Item::Trait(item) if public(&item.vis) => vec![item.to_token_stream()],
            Item::Use(item) if public(&item.vis) => vec![item.tree.to_token_stream()],
            Item::Impl(item) => {
                let mut seen = vec![item.self_ty.to_token_stream()];
                if let Some((_, path, _)) = &item.trait_ {
                    seen.push(path.to_token_stream());
                }
                for inner in &item.items {
                    match inner {
                        ImplItem::Fn(inner) if item.trait_.is_some() || public(&inner.vis) => {
                            seen.push(inner.sig.to_token_stream());
                        }
                        ImplItem::Type(inner) if item.trait_.is_some() => {
                            seen.push(inner.ty.to_token_stream());
                        }
                        _ => {}
                    }
                }
                seen
            }
            Item::Mod(item) if !is_test_only(&item.attrs) => {
                if let Some((_, items)) = &item.content {
                    check_items(items, found);
                }
                Vec::new()
            }
            _ => Vec::new(),
        };
        for tokens in seen {
            if names_generated(tokens.clone()) {
                found.push(tokens.to_string());
            }
        }
    }
}

/// One line per public constant or static of `source` (in impl blocks too) whose type is a
/// fixed-size array, `#[doc(hidden)]` items left out: their length is a promise.
fn fixed_size_public_arrays(source: &str) -> syn::Result<Vec<String>> {
    let file = syn::parse_file(source)?;
    let mut found = Vec::new();
    find_arrays(&file.items, &mut found);
    Ok(found)
}

fn find_arrays(items: &[Item], found: &mut Vec<String>) {
    let public = |vis: &Visibility, attrs: &[syn::Attribute]| {
        matches!(vis, Visibility::Public(_)) && !is_doc_hidden(attrs)
    };
    let check = |found: &mut Vec<String>, name: &syn::Ident, ty: &syn::Type| {
        if matches!(ty, syn::Type::Array(_)) {
            found.push(format!("{name}: {}", ty.to_token_stream()));
        }
    };
    for item in items {
        match item {
            Item::Const(item) if public(&item.vis, &item.attrs) => {
                check(found, &item.ident, &item.ty)
            }
            Item::Static(item) if public(&item.vis, &item.attrs) => {
                check(found, &item.ident, &item.ty)
            }
            Item::Impl(item) if item.trait_.is_none() => {
                for inner in &item.items {
                    if let ImplItem::Const(inner) = inner
                        && public(&inner.vis, &inner.attrs)
                    {
                        check(found, &inner.ident, &inner.ty);
                    }
                }
            }
            Item::Mod(item) if !is_test_only(&item.attrs) => {
                if let Some((_, items)) = &item.content {
                    find_arrays(items, found);
                }
            }
            _ => {}
        }
    }
}

fn is_doc_hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("doc") && attr.to_token_stream().to_string().contains("hidden")
    })
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && attr.to_token_stream().to_string().contains("test")
    })
}

fn names_generated(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => GENERATED_NAMES.iter().any(|name| ident == name),
        TokenTree::Group(group) => names_generated(group.stream()),
        _ => false,
    })
}

/// Every `.rs` file under `dir`, test-only files (`*tests.rs`) left out.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs")
            && !path.to_string_lossy().ends_with("tests.rs")
        {
            files.push(path);
        }
    }
    files
}

#[test]
fn no_generated_type_is_reachable_from_the_ergonomic_crates_public_items() {
    let files = sources(&crate::project_root().join(ERGONOMIC_SOURCES));
    assert!(files.len() > 10, "found only {files:?}");
    let mut found = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for item in generated_names_in_public_items(&source).unwrap() {
            found.push(format!("{}: {item}", file.display()));
        }
    }
    assert!(
        found.is_empty(),
        "keyapi-tiktok's public API names generated types, so a spec change would change it:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_public_constant_of_a_published_library_is_a_fixed_size_array() {
    let mut found = Vec::new();
    for dir in PUBLISHED_LIBRARY_SOURCES {
        let files = sources(&crate::project_root().join(dir));
        assert!(!files.is_empty(), "no sources under {dir}");
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for item in fixed_size_public_arrays(&source).unwrap() {
                found.push(format!("{}: {item}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a public fixed-size array fixes its length for downstream code (`let [a, b] = ..`), \
         so growing it would break them: make it a `&'static [T]` slice\n{}",
        found.join("\n")
    );
}

#[test]
fn fixed_size_arrays_are_found_in_public_constants_only() {
    let source = "
        pub const LISTED: [u8; 2] = [1, 2];
        pub static STATIC: [u8; 1] = [1];
        pub const SLICE: &[u8] = &[1];
        const PRIVATE: [u8; 1] = [1];
        #[doc(hidden)]
        pub const HIDDEN: [u8; 1] = [1];
        impl Field { pub const ALL: [Field; 2] = [Field::A, Field::B]; const OWN: [u8; 1] = [1]; }
        pub mod inner { pub const NESTED: [u8; 1] = [1]; }
        #[cfg(test)]
        mod tests { pub const IN_TESTS: [u8; 1] = [1]; }
    ";
    let found = fixed_size_public_arrays(source).unwrap();
    let names: Vec<&str> = found
        .iter()
        .map(|line| line.split(':').next().unwrap())
        .collect();
    assert_eq!(names, ["LISTED", "STATIC", "ALL", "NESTED"], "{found:#?}");
}

#[test]
fn generated_names_are_found_in_public_signatures_only() {
    let source = "
        use keyapi_tiktok_openapi::types;
        pub fn leaks(item: types::RankedVideo) {}
        pub use keyapi_tiktok_openapi::Client;
        pub struct Holder { pub api: openapi::Client, private: openapi::Client }
        impl From<openapi::Error> for Error { fn from(error: openapi::Error) -> Self { todo!() } }
        fn private(item: types::RankedVideo) {}
        pub(crate) fn internal(item: types::RankedVideo) {}
        pub fn body_only() { let _ = types::RankedVideo::default(); }
        #[cfg(test)]
        mod tests { pub fn helper(item: types::RankedVideo) {} }
    ";
    let found = generated_names_in_public_items(source).unwrap();
    assert_eq!(
        found.len(),
        5,
        "leaks, the re-export, the public field, the trait and its method: {found:#?}"
    );
    assert!(found.iter().all(|item| !item.contains("internal")));
}
