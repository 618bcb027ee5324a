//! The pipeline of `#[require_auth]` (parse → validate → expand) and the two expansions: the
//! hidden guard argument of a handler, and the `FromRequest` impl of a struct.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{Fields, FnArg, Item, ItemFn, ItemStruct};

use crate::errors::Errors;
use crate::valid::Requirement;
use crate::{attr, valid};

const WRONG_ITEM: &str =
    "#[require_auth] goes on an `async fn` handler or on a struct with at most one field";

/// Expands `#[require_auth(args)] item`. On any error: every error, then `item` unchanged.
pub(crate) fn require_auth(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let requirement = attr::parse(args.clone(), &mut errors)
        .and_then(|parsed| valid::requirement(parsed, &mut errors));
    let target = target(item.clone(), &mut errors);

    let error = match (errors.finish(), requirement, target) {
        (Ok(()), Some(requirement), Some(Target::Fn(handler))) => {
            match expand_fn(&requirement, &args, handler) {
                Ok(expanded) => return expanded,
                Err(error) => error,
            }
        }
        (Ok(()), Some(requirement), Some(Target::Struct(extractor))) => {
            return expand_struct(&requirement, &extractor);
        }
        (Err(error), _, _) => error,
        // Every `None` above comes with an error; never emit an unguarded item regardless.
        (Ok(()), _, _) => syn::Error::new(
            Span::call_site(),
            "internal error in #[require_auth]; please report",
        ),
    };
    let mut output = error.into_compile_error();
    output.extend(item.clone());
    output.extend(fallback_impl(item));
    output
}

/// After an error on a struct, a stub `FromRequest` impl beside the re-emitted struct (as
/// thiserror's fallback does), so handlers that take the struct compile against it and the
/// only message the user sees is ours, not a cascade of "`FromRequest` is not implemented".
/// The build fails on our `compile_error!` anyway; were the stub ever run, it would refuse.
fn fallback_impl(item: TokenStream) -> TokenStream {
    let Ok(extractor) = syn::parse2::<ItemStruct>(item) else {
        return TokenStream::new();
    };
    let ident = &extractor.ident;
    let (impl_generics, ty_generics, where_clause) = extractor.generics.split_for_impl();
    quote! {
        impl #impl_generics ::auth_core::__private::FromRequest for #ident #ty_generics #where_clause {
            type Error = ::auth_core::__private::Rejection;
            type Future = ::auth_core::__private::ExtractFuture<Self>;

            fn from_request(
                _: &::auth_core::__private::HttpRequest,
                _: &mut ::auth_core::__private::Payload,
            ) -> Self::Future {
                ::auth_core::__private::refused()
            }
        }
    }
}

/// An item `#[require_auth]` can go on.
enum Target {
    Fn(ItemFn),
    Struct(ItemStruct),
}

fn target(item: TokenStream, errors: &mut Errors) -> Option<Target> {
    let item = match syn::parse2::<Item>(item) {
        Ok(item) => item,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    match item {
        Item::Fn(handler) => {
            let mut fits = true;
            if handler.sig.asyncness.is_none() {
                fits = false;
                errors.spanned(
                    handler.sig.fn_token,
                    "#[require_auth] requires an `async fn` handler",
                );
            }
            if let Some(receiver) = handler.sig.receiver() {
                fits = false;
                errors.spanned(
                    receiver,
                    "#[require_auth] goes on a free `async fn` handler, not on a method taking \
                     `self`",
                );
            }
            fits.then_some(Target::Fn(handler))
        }
        Item::Struct(extractor) if extractor.fields.len() <= 1 => Some(Target::Struct(extractor)),
        Item::Struct(extractor) => {
            errors.spanned(&extractor.fields, WRONG_ITEM);
            None
        }
        Item::Enum(syn::ItemEnum {
            enum_token, ident, ..
        }) => {
            errors.spanned(quote!(#enum_token #ident), WRONG_ITEM);
            None
        }
        Item::Union(syn::ItemUnion {
            union_token, ident, ..
        }) => {
            errors.spanned(quote!(#union_token #ident), WRONG_ITEM);
            None
        }
        _ => {
            errors.at(Span::call_site(), WRONG_ITEM);
            None
        }
    }
}

/// `&<krate>::__private::Requirement::new(<schemes>).with_all_scopes(..).with_any_scopes(..).realm(..)`
fn requirement_expr(requirement: &Requirement) -> TokenStream {
    let Requirement {
        krate,
        schemes,
        all_of,
        any_of,
        realm,
        token_in,
        acr,
        max_age,
        policy,
        all_roles,
        any_roles,
    } = requirement;
    let private = quote!(#krate::__private);
    let schemes = match schemes {
        None => quote!(#private::SchemeSet::ANY),
        Some(variants) => {
            quote!(#private::SchemeSet::EMPTY #(.with(#private::Scheme::#variants))*)
        }
    };
    let all_of = all_of
        .as_ref()
        .map(|scopes| quote!(.with_all_scopes(&[#(#scopes),*])));
    let any_of = any_of
        .as_ref()
        .map(|scopes| quote!(.with_any_scopes(&[#(#scopes),*])));
    let realm = realm.as_ref().map(|realm| quote!(.with_realm(#realm)));
    let token_in = token_in.as_ref().map(|locations| {
        quote!(.with_token_locations(
            #private::TokenLocations::NONE #(.with(#private::TokenLocation::#locations))*
        ))
    });
    let acr = acr
        .as_ref()
        .map(|values| quote!(.with_acr_values(&[#(#values),*])));
    let max_age = max_age
        .as_ref()
        .map(|seconds| quote!(.with_max_age(#seconds)));
    let all_roles = all_roles
        .as_ref()
        .map(|roles| quote!(.with_all_roles(&[#(#roles),*])));
    let any_roles = any_roles
        .as_ref()
        .map(|roles| quote!(.with_any_role(&[#(#roles),*])));
    let policy = policy.as_ref().map(|path| {
        let policy = policy_expr(krate, path);
        quote!(.with_policy(#policy))
    });
    quote!(&#private::Requirement::new(#schemes) #all_of #any_of #all_roles #any_roles #realm #token_in #acr #max_age #policy)
}

/// The `Policy` of `policy = path`: its name (the path as written, without spaces) and a
/// function that calls `path(&principal, &req)` and awaits its `Decision`, whether the policy
/// is a plain or an `async fn`. The call is spanned at the path, so a function of another
/// shape (arguments, result) is a compile error pointing there.
pub(crate) fn policy_expr(krate: &syn::Path, path: &syn::Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let name = quote!(#path).to_string().replace(' ', "");
    let at_path = Span::mixed_site().located_at(path.span());
    let principal = syn::Ident::new("__auth_principal", at_path);
    let req = syn::Ident::new("__auth_req", at_path);
    // Every token of the call at the path (the runtime's path too: a span joined from the
    // attribute's tokens and the user's would point at the whole attribute).
    let outcome = respan(quote!(#private::policy_outcome), path.span());
    let call = quote_spanned!(path.span()=> #outcome(#path(&#principal, &#req)));
    quote! {
        #private::Policy::new(#name, {
            fn __auth_policy(
                #principal: #private::Principal,
                #req: #private::HttpRequest,
            ) -> #private::PolicyFuture {
                #private::policy_future(async move { #call.await })
            }
            __auth_policy
        })
    }
}

/// `tokens` with every span located at `span` (resolution unchanged).
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(tree.span().located_at(span));
            }
            tree
        })
        .collect()
}

/// The handler form: a requirement type before the fn, and the fn with one more argument first,
/// `__auth_guard_<suffix>: Guard<__auth_requirement_<fn>_<suffix>>`. Everything else of the fn
/// (attributes such as `#[get]`, visibility, generics, `where` clause, body) is re-emitted as is.
///
/// Nothing emitted is named after the handler (actix's `#[get]` makes a struct of that name),
/// and the suffix keeps two stacked `#[require_auth]` apart.
fn expand_fn(
    requirement: &Requirement,
    args: &TokenStream,
    mut handler: ItemFn,
) -> syn::Result<TokenStream> {
    let krate = &requirement.krate;
    let name = handler.sig.ident.unraw().to_string();
    let suffix = suffix(&[
        &args.to_string(),
        &name,
        &handler.sig.inputs.len().to_string(),
    ]);
    let requirement_type = format_ident!(
        "__auth_requirement_{name}_{suffix}",
        span = Span::call_site()
    );
    let guard = format_ident!("__auth_guard_{suffix}", span = Span::mixed_site());
    let guard_arg: FnArg =
        syn::parse2(quote!(#guard: #krate::__private::Guard<#requirement_type>))?;
    handler.sig.inputs.insert(0, guard_arg);
    crate::openapi::add_security(&mut handler, requirement)?;

    let vis = &handler.vis;
    let expr = requirement_expr(requirement);
    Ok(quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(::core::fmt::Debug)]
        #vis struct #requirement_type;

        impl #krate::__private::RequirementSource for #requirement_type {
            const REQUIREMENT: &'static #krate::__private::Requirement = #expr;
        }

        #handler
    })
}

/// The struct form: the struct as written, its requirement, and a `FromRequest` impl that runs
/// the check and builds the one field (if any) with `FromPrincipal`.
fn expand_struct(requirement: &Requirement, extractor: &ItemStruct) -> TokenStream {
    let krate = &requirement.krate;
    let private = quote!(#krate::__private);
    let ident = &extractor.ident;
    let generics = &extractor.generics;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let principal = syn::Ident::new("principal", Span::mixed_site());

    let field = extractor.fields.iter().next();
    // Spanned on the field's type, so a type that cannot hold the identity is reported there.
    let from_principal = field.map(|field| {
        let ty = &field.ty;
        quote_spanned!(ty.span()=> <#ty as #private::FromPrincipal>::from_principal(#principal)?)
    });
    let value = match (&extractor.fields, field, from_principal) {
        (Fields::Named(_), Some(field), Some(from_principal)) => {
            let member = &field.ident;
            quote!(Self { #member: #from_principal })
        }
        (Fields::Named(_), _, _) => quote!(Self {}),
        (Fields::Unnamed(_), _, from_principal) => quote!(Self(#from_principal)),
        (Fields::Unit, _, _) => quote!(Self),
    };
    let input = if field.is_some() {
        quote!(#principal)
    } else {
        quote!(_)
    };
    let build = quote!(|#input| ::core::result::Result::Ok(#value));
    // The bound names the struct's parameters, so it only goes on a generic struct: on a
    // concrete type it would be a "trivial bound", reported with extra noise; the call above
    // reports the same error on the field's type.
    let from_request_where = match field {
        Some(field) if !generics.params.is_empty() => {
            let ty = &field.ty;
            let existing = where_clause
                .iter()
                .flat_map(|clause| clause.predicates.iter());
            let bound = quote_spanned!(ty.span()=> #ty: #private::FromPrincipal);
            quote!(where #(#existing,)* #bound)
        }
        _ => quote!(#where_clause),
    };

    let expr = requirement_expr(requirement);
    quote! {
        #extractor

        impl #impl_generics #private::RequirementSource for #ident #ty_generics #where_clause {
            const REQUIREMENT: &'static #private::Requirement = #expr;
        }

        impl #impl_generics #private::FromRequest for #ident #ty_generics #from_request_where {
            type Error = #private::Rejection;
            type Future = #private::ExtractFuture<Self>;

            fn from_request(
                req: &#private::HttpRequest,
                payload: &mut #private::Payload,
            ) -> Self::Future {
                #private::extract(
                    req,
                    payload,
                    <Self as #private::RequirementSource>::REQUIREMENT,
                    #build,
                )
            }
        }
    }
}

/// A short deterministic name suffix: FNV-1a (64 bits, folded to 32) of `parts`.
fn suffix(parts: &[&str]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in parts {
        // A 0xFF byte (never in UTF-8) ends each part, so ("ab", "c") and ("a", "bc") differ.
        for byte in part.bytes().chain([0xFF]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    }
    format!("{:08x}", (hash ^ (hash >> 32)) & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(args: TokenStream, item: TokenStream) -> syn::Result<syn::File> {
        syn::parse2(require_auth(args, item))
    }

    /// The messages of the `compile_error!`s at the start of an expansion.
    fn errors(file: &syn::File) -> Vec<String> {
        file.items
            .iter()
            .filter_map(|item| match item {
                Item::Macro(mac)
                    if mac
                        .mac
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "compile_error") =>
                {
                    syn::parse2::<syn::LitStr>(mac.mac.tokens.clone())
                        .ok()
                        .map(|m| m.value())
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn handler_gets_a_first_argument_and_keeps_the_rest() -> syn::Result<()> {
        let file = expand(
            quote!(
                scheme = "bearer",
                scope = "a b",
                any_scope = "c",
                realm = "r"
            ),
            quote! {
                #[get("/x")]
                pub(crate) async fn list<T: Clone>(a: u8) -> u8 where T: Copy { a }
            },
        )?;
        assert!(errors(&file).is_empty());
        let [Item::Struct(marker), Item::Impl(source), Item::Fn(handler)] = &file.items[..] else {
            return Err(syn::Error::new(Span::call_site(), "unexpected shape"));
        };
        let name = marker.ident.to_string();
        assert!(name.starts_with("__auth_requirement_list_"), "{name}");
        let vis = &marker.vis;
        assert_eq!(quote!(#vis).to_string(), "pub (crate)");
        let requirement = quote!(#source).to_string().replace(' ', "");
        assert!(
            requirement.contains(
                "&::auth_core::__private::Requirement::new(::auth_core::__private::SchemeSet::\
                 EMPTY.with(::auth_core::__private::Scheme::Bearer)).with_all_scopes(&[\"a\",\"b\"])\
                 .with_any_scopes(&[\"c\"]).with_realm(\"r\")"
            ),
            "{requirement}"
        );
        let inputs: Vec<String> = handler
            .sig
            .inputs
            .iter()
            .map(|arg| quote!(#arg).to_string().replace(' ', ""))
            .collect();
        assert_eq!(inputs.len(), 2);
        let suffix = name.rsplit('_').next().unwrap_or_default();
        assert_eq!(
            inputs[0],
            format!("__auth_guard_{suffix}:::auth_core::__private::Guard<{name}>")
        );
        assert_eq!(inputs[1], "a:u8");
        assert!(handler.attrs[0].path().is_ident("get"));
        assert!(handler.sig.generics.where_clause.is_some());
        Ok(())
    }

    #[test]
    fn defaults_and_crate_override() -> syn::Result<()> {
        let file = expand(
            quote!(crate = "::re::auth"),
            quote!(
                async fn h() {}
            ),
        )?;
        let source = &file.items[1];
        let source = quote!(#source).to_string().replace(' ', "");
        assert!(
            source.contains(
                "&::re::auth::__private::Requirement::new(::re::auth::__private::SchemeSet::ANY);"
            ),
            "{source}"
        );
        Ok(())
    }

    #[test]
    fn stacked_attributes_do_not_collide() -> syn::Result<()> {
        // rustc expands the outer attribute first; the inner one then sees the new fn.
        let outer = expand(
            quote!(scope = "a"),
            quote!(
                #[require_auth(scope = "a")]
                async fn h() {}
            ),
        )?;
        let Some(Item::Fn(mut handler)) = outer.items.last().cloned() else {
            return Err(syn::Error::new(Span::call_site(), "no fn"));
        };
        let inner_args = handler.attrs.remove(0).meta.require_list()?.tokens.clone();
        let inner = expand(inner_args, quote!(#handler))?;
        let names: Vec<String> = outer
            .items
            .iter()
            .chain(&inner.items)
            .filter_map(|item| match item {
                Item::Struct(s) => Some(s.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(names.len(), 2);
        assert_ne!(names[0], names[1]);
        let Some(Item::Fn(handler)) = inner.items.last() else {
            return Err(syn::Error::new(Span::call_site(), "no fn"));
        };
        assert_eq!(handler.sig.inputs.len(), 2);
        Ok(())
    }

    #[test]
    fn struct_forms() -> syn::Result<()> {
        for item in [
            quote!(
                struct U;
            ),
            quote!(
                struct T(Principal);
            ),
            quote!(
                struct N {
                    who: Principal,
                }
            ),
            quote!(
                struct G<C: X>(Claims<C>)
                where
                    C: Y;
            ),
        ] {
            let file = expand(quote!(), item.clone())?;
            assert!(errors(&file).is_empty(), "{item}");
            assert_eq!(file.items.len(), 3, "{item}");
            let from_request = &file.items[2];
            let from_request = quote!(#from_request).to_string().replace(' ', "");
            assert!(
                from_request.contains("::auth_core::__private::FromRequestfor"),
                "{from_request}"
            );
        }
        let file = expand(
            quote!(),
            quote!(
                struct G<C: X>(Claims<C>)
                where
                    C: Y;
            ),
        )?;
        let from_request = &file.items[2];
        let from_request = quote!(#from_request).to_string().replace(' ', "");
        assert!(
            from_request.contains("whereC:Y,Claims<C>:::auth_core::__private::FromPrincipal{"),
            "{from_request}"
        );
        Ok(())
    }

    #[test]
    fn every_error_at_once_and_the_item_kept() -> syn::Result<()> {
        let file = expand(
            quote!(
                foo = "x",
                scope = "",
                realm = "a\nb",
                scheme = "negotiate",
                scope = "y"
            ),
            quote!(
                #[get("/")]
                fn h(&self) {}
            ),
        )?;
        assert_eq!(
            errors(&file),
            [
                "unknown argument `foo`; expected one of: scheme, scope, any_scope, role, any_role, realm, token_in, acr, max_age, policy, crate",
                "duplicate argument `scope`; give each argument at most once",
                "unknown scheme `negotiate`; expected one of: bearer, dpop, digest, basic, api_key",
                "`scope` is empty; list at least one scope token, or leave `scope` out",
                "`realm` contains the control character `\\n` (U+000A); a realm must be \
                 printable ASCII",
                "#[require_auth] requires an `async fn` handler",
                "#[require_auth] goes on a free `async fn` handler, not on a method taking `self`",
            ]
        );
        let Some(Item::Fn(kept)) = file.items.last() else {
            return Err(syn::Error::new(Span::call_site(), "item not kept"));
        };
        assert_eq!(
            quote!(#kept).to_string(),
            quote!(
                #[get("/")]
                fn h(&self) {}
            )
            .to_string()
        );
        Ok(())
    }

    #[test]
    fn wrong_items() -> syn::Result<()> {
        for item in [
            quote!(
                enum E {
                    A,
                }
            ),
            quote!(union U { a: u8 }),
            quote!(
                struct S(A, B);
            ),
            quote!(
                struct S {
                    a: A,
                    b: B,
                }
            ),
            quote!(
                const C: u8 = 1;
            ),
        ] {
            let file = expand(quote!(), item.clone())?;
            assert_eq!(errors(&file), [WRONG_ITEM], "{item}");
            // The error, the item, and for a struct the stub `FromRequest` impl.
            let is_struct = matches!(file.items.get(1), Some(Item::Struct(_)));
            assert_eq!(file.items.len(), 2 + usize::from(is_struct), "{item}");
            if is_struct {
                assert!(matches!(file.items.get(2), Some(Item::Impl(_))), "{item}");
            }
        }
        Ok(())
    }

    #[test]
    fn suffix_is_short_and_deterministic() {
        assert_eq!(suffix(&["a", "b"]), suffix(&["a", "b"]));
        assert_ne!(suffix(&["ab", "c"]), suffix(&["a", "bc"]));
        assert_eq!(suffix(&["x"]).len(), 8);
    }
}
