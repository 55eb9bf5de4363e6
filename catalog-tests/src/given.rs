//! The values a catalog round trip cannot make up: the credentials the token endpoints check
//! and what an earlier step issued. Read by the build script (typed calls) and the tests.

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
