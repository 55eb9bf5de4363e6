//! IR -> Rust tokens. Infallible: everything that could go wrong was rejected by `ir::lower`.
//!
//! Generated items use the prelude names `Option`, `Some`, `None`, `String`, `Vec` and `Into`
//! unqualified: every type generated inside an API module is named `Request*`/`Response*`, so
//! nothing generated can shadow them, and shorter paths mean fewer tokens for rustc to chew.
//!
//! Generated code is deliberately thin: request/response types, a static API
//! descriptor and one-line client methods that hand both to the runtime's
//! single call path (`opengate::Client::send`).

use crate::ir::{Api, Auth, Corpus, FieldIr, Location, Platform, StructIr, TyIr};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

fn doc(lines: &[String]) -> TokenStream {
    let mut out = TokenStream::new();
    for line in lines {
        let text = format!(" {}", line.replace("\r", ""));
        out.extend(quote!(#[doc = #text]));
    }
    out
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

/// The text of one platform's module (no inner attributes, so the file can be `include!`d),
/// emitted and formatted on up to `threads` threads. The text does not depend on `threads`:
/// chunks of whole API modules are formatted separately and concatenated in order.
pub fn platform_text(p: &Platform, threads: usize) -> String {
    let threads = threads.clamp(1, 16);
    let chunk = p.apis.len().div_ceil(threads).max(1);
    let mut parts: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = p
            .apis
            .chunks(chunk)
            .map(|apis| {
                scope.spawn(move || prettyplease::unparse(&items_file(apis.iter().map(api_module))))
            })
            .collect();
        // A panicking formatter thread would be a bug; keep going with an empty part rather than panic.
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    parts.push(prettyplease::unparse(&items_file(std::iter::once(
        accessor(p),
    ))));
    parts.concat()
}

/// The items of one platform's module as a `syn::File` (single-threaded; see [`platform_text`]).
pub fn platform(p: &Platform) -> syn::File {
    items_file(
        p.apis
            .iter()
            .map(api_module)
            .chain(std::iter::once(accessor(p))),
    )
}

/// Parses each token stream on its own: many small parses beat one huge stream.
fn items_file(streams: impl Iterator<Item = TokenStream>) -> syn::File {
    let mut file = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: Vec::new(),
    };
    for tokens in streams {
        match syn::parse2::<syn::File>(tokens) {
            Ok(f) => file.items.extend(f.items),
            Err(e) => return unreachable_file(&e),
        }
    }
    file
}

fn accessor(p: &Platform) -> TokenStream {
    let accessor = ident(&p.accessor);
    let methods = p.apis.iter().map(client_method);
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let acc_doc = doc(&[
        format!("The {title} APIs, borrowed from an [`opengate::Client`](::opengate::Client)."),
        String::new(),
        format!(
            "Obtained with `client.{}()` (see [`crate::ClientExt`]).",
            p.name
        ),
    ]);
    quote! {
        #acc_doc
        #[derive(Debug, Clone, Copy)]
        pub struct #accessor<'a>(pub &'a ::opengate::Client);

        impl #accessor<'_> {
            #(#methods)*
        }
    }
}

/// The crate root: one module per platform plus the `ClientExt` accessor trait.
pub fn root(c: &Corpus, include_prefix: &str) -> syn::File {
    let mut mods = TokenStream::new();
    let mut trait_fns = TokenStream::new();
    let mut impl_fns = TokenStream::new();
    for p in &c.platforms {
        let m = ident(&p.module);
        let file = format!("{include_prefix}{}.rs", p.name);
        let title = p.title.clone().unwrap_or_else(|| p.name.clone());
        let mut lines = vec![format!(
            "{title}: {} APIs, protocol `{}`.",
            p.apis.len(),
            p.protocol
        )];
        if let Some(d) = &p.description {
            lines.push(String::new());
            lines.extend(d.lines().map(str::to_owned));
        }
        lines.push(String::new());
        lines.push("Hosts:".into());
        for (k, v) in &p.hosts {
            lines.push(format!("- {}: <{v}>", code(k)));
        }
        let d = doc(&lines);
        mods.extend(quote! {
            #d
            pub mod #m { include!(concat!(env!("OUT_DIR"), #file)); }
        });
        let acc = ident(&p.accessor);
        let f = format_ident!("{}", p.name);
        let fdoc = format!(" The {title} APIs.");
        trait_fns.extend(quote! { #[doc = #fdoc] fn #f(&self) -> #m::#acc<'_>; });
        impl_fns.extend(quote! { fn #f(&self) -> #m::#acc<'_> { #m::#acc(self) } });
    }
    let tokens = quote! {
        #mods
        /// Per-platform accessors on [`opengate::Client`](::opengate::Client): `client.youzan().trade_get_v4_0_0(req)`.
        pub trait ClientExt {
            #trait_fns
        }
        impl ClientExt for ::opengate::Client {
            #impl_fns
        }
    };
    syn::parse2(tokens).unwrap_or_else(|e| unreachable_file(&e))
}

/// `syn::parse2` of tokens built by `quote!` from validated identifiers cannot fail;
/// if it ever does, emit a file that fails loudly at compile time rather than panic.
fn unreachable_file(e: &syn::Error) -> syn::File {
    let msg = format!("opengate-codegen produced invalid tokens: {e}");
    syn::parse_quote!(compile_error!(#msg);)
}

fn api_doc_lines(api: &Api) -> Vec<String> {
    let mut lines = Vec::new();
    lines.push(api.summary.clone().unwrap_or_else(|| api.name.clone()));
    lines.push(String::new());
    if let Some(d) = &api.description {
        lines.extend(d.lines().map(str::to_owned));
        lines.push(String::new());
    }
    lines.push(format!(
        "- API: {} version {}",
        code(&api.name),
        code(&api.version)
    ));
    lines.push(format!("- Auth: {}", code(api.auth.as_str())));
    let path = if api.path.is_empty() {
        "(protocol default)".to_owned()
    } else {
        code(&api.path)
    };
    lines.push(format!(
        "- HTTP: {} {} {path}",
        code(&api.method),
        code(&api.base_url)
    ));
    lines.push(format!(
        "- Retried on transient failure: {}",
        if api.idempotent {
            "yes (idempotent)"
        } else {
            "no"
        }
    ));
    if let Some(u) = &api.doc_url {
        lines.push(format!("- Platform docs: <{u}>"));
    }
    lines
}

fn api_module(api: &Api) -> TokenStream {
    let m = ident(&api.module);
    let d = doc(&api_doc_lines(api));
    let (platform, name, version, base, path, ns) = (
        &api.platform,
        &api.name,
        &api.version,
        &api.base_url,
        &api.path,
        &api.namespace,
    );
    let auth = format_ident!(
        "{}",
        match api.auth {
            Auth::None => "None",
            Auth::App => "App",
            Auth::User => "User",
            Auth::Client => "Client",
        }
    );
    let http = format_ident!("{}", {
        let mut s = api.method.to_ascii_lowercase();
        s[..1].make_ascii_uppercase();
        s
    });
    let idem = api.idempotent;
    let locs: Vec<TokenStream> = api
        .params
        .iter()
        .filter(|f| f.location != Location::Default)
        .map(|f| {
            let w = &f.wire;
            let l = format_ident!("{}", {
                let mut s = f.location.as_str().to_owned();
                s[..1].make_ascii_uppercase();
                s
            });
            quote!(::opengate::__private::param(#w, ::opengate::ParamLocation::#l))
        })
        .collect();
    let n_locs = proc_macro2::Literal::usize_unsuffixed(locs.len());
    let request = request_struct(
        &StructIr {
            ident: "Request".into(),
            fields: api.params.clone(),
        },
        true,
    );
    let req_nested = api.request_types.iter().map(|s| request_struct(s, false));
    let response = response_struct(&api.response);
    let resp_nested = api.response_types.iter().map(response_struct);
    let files: Vec<&FieldIr> = api.params.iter().filter(|f| f.ty == TyIr::File).collect();
    let files_fn = if files.is_empty() {
        quote!()
    } else {
        let pushes = files.iter().map(|f| {
            let (i, w) = (ident(&f.ident), &f.wire);
            if f.required {
                quote!(files.push((#w, self.#i.clone()));)
            } else {
                quote!(if let Some(f) = &self.#i { files.push((#w, f.clone())); })
            }
        });
        quote! {
            fn files(&self) -> Vec<(&'static str, ::opengate::File)> {
                let mut files = Vec::new();
                #(#pushes)*
                files
            }
        }
    };
    let api_doc = format!(" Descriptor of `{name}` {version}, handed to the runtime's call path.");
    quote! {
        #d
        pub mod #m {
            use ::opengate::__private as __rt;
            // A static, not a promoted temporary: `ParamSpec` holds a `Cow`.
            static PARAMS: [::opengate::ParamSpec; #n_locs] = [#(#locs),*];
            #[doc = #api_doc]
            pub static API: ::opengate::ApiDesc = ::opengate::__private::api(
                #platform, #name, #version, ::opengate::HttpMethod::#http, #base, #path, #ns,
                ::opengate::AuthKind::#auth, #idem, &PARAMS,
            );
            #request
            impl ::opengate::ApiRequest for Request {
                type Response = Response;
                fn api() -> &'static ::opengate::ApiDesc { &API }
                #files_fn
            }
            #(#req_nested)*
            #response
            #(#resp_nested)*
        }
    }
}

fn field_doc(f: &FieldIr, is_param: bool) -> TokenStream {
    let mut lines = Vec::new();
    if let Some(d) = &f.description {
        lines.extend(d.lines().map(str::to_owned));
        lines.push(String::new());
    }
    let mut facts = vec![
        format!("wire name {}", code(&f.wire)),
        format!("type {}", code(&f.spec_ty)),
    ];
    if is_param {
        facts.push(if f.required {
            "required".into()
        } else {
            "optional".into()
        });
        if f.location != Location::Default {
            facts.push(format!("in {}", f.location.as_str()));
        }
    }
    if let Some(e) = &f.example {
        facts.push(format!("example {}", code(&json_text(e))));
    }
    if let Some(e) = &f.default {
        facts.push(format!("default {}", code(&json_text(e))));
    }
    if !f.enum_values.is_empty() {
        let vals: Vec<String> = f.enum_values.iter().map(|v| code(v)).collect();
        facts.push(format!("one of {}", vals.join(", ")));
    }
    lines.push(format!("{}.", facts.join(", ")));
    doc(&lines)
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The Rust type of a request field's value.
fn req_ty(t: &TyIr) -> TokenStream {
    match t {
        TyIr::String => quote!(String),
        TyIr::I64 => quote!(i64),
        TyIr::Bool => quote!(bool),
        TyIr::F64 => quote!(f64),
        TyIr::Decimal => quote!(::opengate::Decimal),
        TyIr::DateTime => quote!(::opengate::DateTime),
        TyIr::Json => quote!(::opengate::__private::Value),
        TyIr::File => quote!(::opengate::File),
        TyIr::Secret => quote!(::opengate::Secret),
        TyIr::Vec(inner) => {
            let i = req_ty(inner);
            quote!(Vec<#i>)
        }
        TyIr::Struct(s) => {
            let i = ident(s);
            quote!(#i)
        }
    }
}

fn request_struct(s: &StructIr, is_root: bool) -> TokenStream {
    let name = ident(&s.ident);
    let mut fields = TokenStream::new();
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut setters = TokenStream::new();
    let mut puts = TokenStream::new();
    for f in &s.fields {
        let i = ident(&f.ident);
        let w = &f.wire;
        let d = field_doc(f, true);
        let t = req_ty(&f.ty);
        let (arg_ty, conv) = match f.ty {
            TyIr::String => (quote!(impl Into<String>), quote!(#i.into())),
            TyIr::Secret => (quote!(impl Into<::opengate::Secret>), quote!(#i.into())),
            _ => (t.clone(), quote!(#i)),
        };
        // Files travel as multipart parts (`ApiRequest::files`), not as params.
        let is_file = f.ty == TyIr::File;
        if f.required {
            fields.extend(quote! { #d pub #i: #t, });
            args.push(quote!(#i: #arg_ty));
            inits.push(if matches!(f.ty, TyIr::String | TyIr::Secret) {
                quote!(#i: #conv)
            } else {
                quote!(#i)
            });
            if !is_file {
                puts.extend(quote!(__rt::put(&mut m, #w, &self.#i);));
            }
        } else {
            fields.extend(quote! { #d pub #i: Option<#t>, });
            inits.push(quote!(#i: None));
            let sd = format!(" Sets `{w}` (optional).");
            setters.extend(quote! {
                #[doc = #sd]
                pub fn #i(mut self, #i: #arg_ty) -> Self { self.#i = Some(#conv); self }
            });
            if !is_file {
                puts.extend(quote!(__rt::put_opt(&mut m, #w, &self.#i);));
            }
        }
    }
    let sdoc = if is_root {
        " The request. Required params are the arguments of [`Request::new`]; optional ones have setters.".to_owned()
    } else {
        format!(" Part of the request: `{}`.", s.ident)
    };
    let new_doc = if args.is_empty() {
        " A request with no params set.".to_owned()
    } else {
        " A request with its required params; set optional ones with the setters.".to_owned()
    };
    let m = if puts.is_empty() {
        quote!(m)
    } else {
        quote!(mut m)
    };
    quote! {
        #[doc = #sdoc]
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub struct #name { #fields }
        impl #name {
            #[doc = #new_doc]
            #[allow(clippy::new_without_default, clippy::too_many_arguments)]
            pub fn new(#(#args),*) -> Self { Self { #(#inits),* } }
            #setters
        }
        impl __rt::ToJson for #name {
            fn to_json(&self) -> __rt::Value {
                let #m = __rt::Map::new();
                #puts
                __rt::Value::Object(m)
            }
        }
    }
}

/// The Rust type of a response field: scalars and objects are `Option`, arrays are `Vec`.
fn resp_ty(t: &TyIr) -> TokenStream {
    match t {
        TyIr::Vec(_) => req_ty(t),
        other => {
            let i = req_ty(other);
            quote!(Option<#i>)
        }
    }
}

fn response_struct(s: &StructIr) -> TokenStream {
    let name = ident(&s.ident);
    let mut fields = TokenStream::new();
    let mut reads = TokenStream::new();
    for f in &s.fields {
        let i = ident(&f.ident);
        let w = &f.wire;
        let d = field_doc(f, false);
        let t = resp_ty(&f.ty);
        fields.extend(quote! { #d pub #i: #t, });
        reads.extend(if matches!(f.ty, TyIr::Vec(_)) {
            quote!(#i: __rt::list(&o, #w)?,)
        } else {
            quote!(#i: __rt::field(&o, #w)?,)
        });
    }
    let sdoc = if s.ident == "Response" {
        " The response data. Absent, `null` and `\"\"` values read as `None`; numbers sent as strings (and the reverse) are accepted.".to_owned()
    } else {
        format!(" Part of the response: `{}`.", s.ident)
    };
    let o = if s.fields.is_empty() {
        quote!(_o)
    } else {
        quote!(o)
    };
    quote! {
        #[doc = #sdoc]
        #[derive(Debug, Clone, Default)]
        #[non_exhaustive]
        pub struct #name { #fields }
        impl __rt::FromJson for #name {
            fn from_json(v: &__rt::Value) -> ::std::result::Result<Option<Self>, __rt::JsonError> {
                let Some(#o) = __rt::object(v)? else { return Ok(None) };
                Ok(Some(Self { #reads }))
            }
        }
    }
}

fn client_method(api: &Api) -> TokenStream {
    let m = ident(&api.module);
    let mut lines = api_doc_lines(api);
    lines.push(String::new());
    lines.push(format!(
        "Request: [`{0}::Request`]; response: [`{0}::Response`].",
        api.module.trim_start_matches("r#")
    ));
    let d = doc(&lines);
    quote! {
        #d
        pub async fn #m(self, request: #m::Request) -> ::opengate::Result<::opengate::Reply<#m::Response>> {
            self.0.send(&request).await
        }
    }
}
