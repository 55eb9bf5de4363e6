//! What a generated method hands the runtime: a static description of one API.

use std::borrow::Cow;
use std::fmt;

/// HTTP method of an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl HttpMethod {
    /// The upper-case name, e.g. `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
        }
    }

    /// Parses `get`, `POST`, ...
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "DELETE" => HttpMethod::Delete,
            "PATCH" => HttpMethod::Patch,
            _ => return None,
        })
    }
}

/// Which credential an API needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// No credential at all (token endpoints, public pages).
    None,
    /// The app's key and secret only (signed, no user token).
    App,
    /// A user / shop access token (Taobao `session`, Youzan `access_token`, ...).
    User,
    /// A user token when the client has one, and none otherwise: the API works without
    /// (TOP's catalog does not say which APIs need a `session`, so its imported APIs say this).
    Optional,
    /// An app-level client token (Douyin `client_token`).
    Client,
}

/// Where a param travels. `Default` lets the platform's protocol decide
/// (Youzan and Douyin: JSON body; Taobao and 1688: form; Doudian: `param_json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamLocation {
    Default,
    Query,
    Body,
    Form,
    Path,
    Header,
}

/// What the runtime must know of one param: where it travels when that is not the protocol's
/// default, and the limits the platform documents for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: Cow<'static, str>,
    pub location: ParamLocation,
    pub limits: Limits,
}

/// Limits a param's value must respect, from the platforms' metadata (TOP `maxLength`,
/// `maxListSize`, `minValue`, `maxValue`). They are checked before a request is sent, so a value
/// the platform would refuse fails at once with an error naming the param.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest text, in UTF-16 code units as the platforms' Java gateways count them.
    pub max_length: Option<u32>,
    /// The most elements of a list.
    pub max_items: Option<u32>,
    /// The smallest number.
    pub min: Option<i64>,
    /// The largest number.
    pub max: Option<i64>,
}

impl Limits {
    /// No limit at all.
    pub const NONE: Limits = Limits {
        max_length: None,
        max_items: None,
        min: None,
        max: None,
    };

    /// Limits built at run time (`opengate call` builds them from specs).
    pub const fn new(
        max_length: Option<u32>,
        max_items: Option<u32>,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Self {
        Limits {
            max_length,
            max_items,
            min,
            max,
        }
    }

    /// These limits with the longest text `n` (generated code names each limit it sets).
    pub const fn max_length(self, n: u32) -> Self {
        Limits {
            max_length: Some(n),
            ..self
        }
    }

    /// These limits with at most `n` list elements.
    pub const fn max_items(self, n: u32) -> Self {
        Limits {
            max_items: Some(n),
            ..self
        }
    }

    /// These limits with the smallest number `n`.
    pub const fn min(self, n: i64) -> Self {
        Limits {
            min: Some(n),
            ..self
        }
    }

    /// These limits with the largest number `n`.
    pub const fn max(self, n: i64) -> Self {
        Limits {
            max: Some(n),
            ..self
        }
    }

    /// Whether any limit is set.
    pub fn is_none(&self) -> bool {
        *self == Limits::NONE
    }

    /// Checks one param value; the error says what is wrong, without the value (it may be
    /// buyer data).
    pub fn check(&self, v: &serde_json::Value) -> Result<(), String> {
        use serde_json::Value;
        if let (Some(max), Value::Array(items)) = (self.max_items, v) {
            if items.len() > max as usize {
                return Err(format!(
                    "has {} elements, at most {max} are allowed",
                    items.len()
                ));
            }
        }
        let items: &[Value] = match v {
            Value::Array(items) => items,
            one => std::slice::from_ref(one),
        };
        for item in items {
            if let Some(max) = self.max_length {
                let len = match item {
                    Value::String(s) => s.encode_utf16().count(),
                    Value::Number(n) => n.to_string().len(),
                    _ => 0,
                };
                if len > max as usize {
                    return Err(format!(
                        "is {len} characters long, at most {max} are allowed"
                    ));
                }
            }
            let number = match item {
                Value::Number(n) => n.as_f64(),
                Value::String(s) if self.min.is_some() || self.max.is_some() => {
                    s.trim().parse().ok()
                }
                _ => None,
            };
            if let Some(n) = number {
                if let Some(min) = self.min.filter(|&m| n < m as f64) {
                    return Err(format!("is below its minimum {min}"));
                }
                if let Some(max) = self.max.filter(|&m| n > m as f64) {
                    return Err(format!("is above its maximum {max}"));
                }
            }
        }
        Ok(())
    }
}

/// A description of one API: everything the runtime needs besides the params.
///
/// Generated code builds these as `static`s; `opengate call` builds them at run time.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiDesc {
    pub platform: Cow<'static, str>,
    pub name: Cow<'static, str>,
    pub version: Cow<'static, str>,
    pub method: HttpMethod,
    /// The spec's host for this API, e.g. `https://open.douyinec.com`; a configured `base_url` replaces it.
    pub base_url: Cow<'static, str>,
    /// A path template (`/alliance/kol/store/list/`); empty means the protocol's default.
    pub path: Cow<'static, str>,
    /// 1688 namespace (`com.alibaba.product`); empty elsewhere.
    pub namespace: Cow<'static, str>,
    pub auth: AuthKind,
    /// Safe to retry after the request may have reached the server.
    pub idempotent: bool,
    /// Params whose location is not `Default` or that have limits.
    pub params: Cow<'static, [ParamSpec]>,
}

impl fmt::Debug for ApiDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ApiDesc({} {} {})",
            self.platform, self.name, self.version
        )
    }
}

impl ApiDesc {
    /// An API description built at run time (the CLI does this from specs).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        platform: impl Into<String>,
        name: impl Into<String>,
        version: impl Into<String>,
        method: HttpMethod,
        base_url: impl Into<String>,
        path: impl Into<String>,
        namespace: impl Into<String>,
        auth: AuthKind,
        idempotent: bool,
        params: Vec<ParamSpec>,
    ) -> Self {
        ApiDesc {
            platform: Cow::Owned(platform.into()),
            name: Cow::Owned(name.into()),
            version: Cow::Owned(version.into()),
            method,
            base_url: Cow::Owned(base_url.into()),
            path: Cow::Owned(path.into()),
            namespace: Cow::Owned(namespace.into()),
            auth,
            idempotent,
            params: Cow::Owned(params),
        }
    }

    /// Where param `name` travels.
    pub fn location_of(&self, name: &str) -> ParamLocation {
        self.spec_of(name)
            .map_or(ParamLocation::Default, |p| p.location)
    }

    /// What is known of param `name` beyond its value.
    pub fn spec_of(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// An [`ApiDesc`] as generated code writes it: named fields, all `'static`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct StaticApi {
    pub platform: &'static str,
    pub name: &'static str,
    pub version: &'static str,
    pub method: HttpMethod,
    pub base_url: &'static str,
    pub path: &'static str,
    pub namespace: &'static str,
    pub auth: AuthKind,
    pub idempotent: bool,
    pub params: &'static [ParamSpec],
}

impl StaticApi {
    pub const fn desc(self) -> ApiDesc {
        ApiDesc {
            platform: Cow::Borrowed(self.platform),
            name: Cow::Borrowed(self.name),
            version: Cow::Borrowed(self.version),
            method: self.method,
            base_url: Cow::Borrowed(self.base_url),
            path: Cow::Borrowed(self.path),
            namespace: Cow::Borrowed(self.namespace),
            auth: self.auth,
            idempotent: self.idempotent,
            params: Cow::Borrowed(self.params),
        }
    }
}

#[doc(hidden)]
pub const fn param(name: &'static str, location: ParamLocation) -> ParamSpec {
    ParamSpec {
        name: Cow::Borrowed(name),
        location,
        limits: Limits::NONE,
    }
}

#[doc(hidden)]
pub const fn limited(name: &'static str, location: ParamLocation, limits: Limits) -> ParamSpec {
    ParamSpec {
        name: Cow::Borrowed(name),
        location,
        limits,
    }
}
