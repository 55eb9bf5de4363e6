//! What the build script (typed calls) and the tests share: which APIs the default features
//! compile, and the values a round trip cannot make up (the credentials the token endpoints
//! check, what an earlier step issued).

/// Whether an API in `group` (its group folder; `None`: directly in the platform folder, always
/// compiled) is compiled by the `default` feature of the platform crate whose manifest is
/// `manifest` (its text).
pub fn in_default(manifest: &str, group: Option<&str>) -> bool {
    let Some(group) = group else {
        return true;
    };
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("default = ["))
        .is_some_and(|list| list.split('"').skip(1).step_by(2).any(|g| g == group))
}

/// What a param of a token endpoint gets instead of an example value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// This text (the configured credential).
    Text(&'static str),
    /// The code Douyin's authorization page redirected with.
    DouyinCode,
    /// The refresh token Doudian's `token.create` answered.
    DoudianRefreshToken,
}

/// `(platform, API, param wire name, value)`.
pub const GIVEN: &[(&str, &str, &str, Given)] = &[
    ("doudian", "token.create", "shop_id", Given::Text("100200")),
    (
        "doudian",
        "token.refresh",
        "refresh_token",
        Given::DoudianRefreshToken,
    ),
    (
        "youzan",
        "youzan.auth.token",
        "client_id",
        Given::Text("yz-client"),
    ),
    (
        "youzan",
        "youzan.auth.token",
        "client_secret",
        Given::Text("yz-secret"),
    ),
    (
        "youzan",
        "youzan.auth.token",
        "authorize_type",
        Given::Text("silent"),
    ),
    (
        "youzan",
        "youzan.auth.token",
        "grant_id",
        Given::Text("42587152"),
    ),
    (
        "douyin",
        "oauth.client_token",
        "client_key",
        Given::Text("dy-key"),
    ),
    (
        "douyin",
        "oauth.client_token",
        "client_secret",
        Given::Text("dy-secret"),
    ),
    (
        "douyin",
        "oauth.client_token",
        "grant_type",
        Given::Text("client_credential"),
    ),
    (
        "douyin",
        "oauth.access_token",
        "client_key",
        Given::Text("dy-key"),
    ),
    (
        "douyin",
        "oauth.access_token",
        "client_secret",
        Given::Text("dy-secret"),
    ),
    (
        "douyin",
        "oauth.access_token",
        "grant_type",
        Given::Text("authorization_code"),
    ),
    ("douyin", "oauth.access_token", "code", Given::DouyinCode),
    (
        "douyin",
        "oauth.renew_refresh_token",
        "client_key",
        Given::Text("dy-key"),
    ),
    (
        "douyin",
        "oauth.renew_refresh_token",
        "refresh_token",
        Given::Text("rft.dy-refresh"),
    ),
    (
        "douyin",
        "oauth.refresh_token",
        "client_key",
        Given::Text("dy-key"),
    ),
    (
        "douyin",
        "oauth.refresh_token",
        "grant_type",
        Given::Text("refresh_token"),
    ),
    (
        "douyin",
        "oauth.refresh_token",
        "refresh_token",
        Given::Text("rft.dy-refresh"),
    ),
];

/// Pages a merchant's browser opens, not APIs: the mock answers them with a redirect to the
/// app (tests/authorization.rs of the runtime follows each platform's).
pub const PAGES: &[(&str, &str)] = &[("douyin", "platform.oauth.connect")];
