//! `opengate auth`: a tool app's authorization steps (the page, the code's exchange, renewals,
//! the stored shops).

use super::{client_of, load, runtime, AuthStep, Fail};
use std::path::Path;

/// `opengate auth url|exchange|show`: exit 0, 2 when the platform refuses, 3 for bad input.
pub(crate) fn auth(specs: &Path, config: Option<&Path>, step: AuthStep) -> Result<(), Fail> {
    let corpus = load(specs).map_err(|Fail(_, m)| Fail(3, m))?;
    let refused = |e: opengate::Error| match e {
        opengate::Error::Auth { .. } | opengate::Error::Api(_) => {
            Fail(2, opengate::error_chain(&e))
        }
        other => Fail(3, opengate::error_chain(&other)),
    };
    match step {
        AuthStep::Url {
            platform,
            redirect_uri,
            state,
        } => {
            let client = client_of(&corpus, config)?;
            let url = client
                .authorize_url(&platform, &redirect_uri, &state)
                .map_err(|e| Fail(3, opengate::error_chain(&e)))?;
            println!("{url}");
            Ok(())
        }
        AuthStep::Exchange {
            platform,
            code,
            redirect_uri,
        } => runtime()?.block_on(async {
            // The client needs the runtime: a Redis store connects from within it.
            let client = client_of(&corpus, config)?;
            let grant = client
                .exchange_code(&platform, &code, &redirect_uri)
                .await
                .map_err(refused)?;
            println!(
                "{}",
                serde_json::json!({"platform": platform, "shop": grant.shop,
                                   "expires_at_ms": grant.token.expires_at_ms,
                                   "refreshable": grant.token.refresh_token.is_some()})
            );
            Ok(())
        }),
        AuthStep::Renew { platform, shop } => runtime()?.block_on(async {
            let client = client_of(&corpus, config)?;
            client
                .renew_refresh_token(&platform, &shop)
                .await
                .map_err(refused)
        }),
        AuthStep::Shops { platform } => runtime()?.block_on(async {
            let client = client_of(&corpus, config)?;
            let shops = client
                .stored_shops(&platform)
                .await
                .map_err(|e| Fail(3, opengate::error_chain(&e)))?;
            for shop in shops {
                println!("{shop}");
            }
            Ok(())
        }),
        AuthStep::Show { platform, shop } => runtime()?.block_on(async {
            let client = client_of(&corpus, config)?;
            let stored = client
                .stored_token(&platform, shop.as_deref())
                .await
                .map_err(|e| Fail(3, opengate::error_chain(&e)))?;
            let Some(stored) = stored else {
                return Err(Fail(
                    1,
                    format!(
                        "no token stored for {platform} {}",
                        shop.as_deref().unwrap_or("(the configured shop)")
                    ),
                ));
            };
            println!(
                "{}",
                serde_json::json!({"platform": platform, "shop": shop, "version": stored.version,
                                   "expires_at_ms": stored.token.expires_at_ms,
                                   "refreshable": stored.token.refresh_token.is_some()})
            );
            Ok(())
        }),
    }
}
