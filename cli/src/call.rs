//! `opengate call`: one API by name on the dynamic path, its data printed as the platform sent it;
//! with `--all`, every item of every page as a JSON line.

use super::{client_of, json_text, load, runtime, Fail};
use opengate_cli::dynamic;
use opengate_codegen::ir;
use serde_json::Value;
use std::path::Path;

/// How `opengate call` runs: as which shop, and whether it reads every page.
pub(crate) struct Run {
    pub shop: Option<String>,
    pub all: bool,
    pub max_pages: Option<u64>,
}

pub(crate) fn call(
    specs: &Path,
    config: Option<&Path>,
    name: &str,
    version: Option<&str>,
    raw: &[String],
    body: Option<&str>,
    run: Run,
) -> Result<(), Fail> {
    let corpus = load(specs).map_err(|Fail(_, m)| Fail(3, m))?;
    let mut matches: Vec<&ir::Api> = corpus
        .platforms
        .iter()
        .flat_map(|p| &p.apis)
        .filter(|a| a.name == name)
        .collect();
    if matches.is_empty() {
        return Err(Fail(
            3,
            format!("unknown API `{name}` (see `opengate list`)"),
        ));
    }
    if let Some(v) = version {
        matches.retain(|a| a.version == v);
        if matches.is_empty() {
            return Err(Fail(3, format!("API `{name}` has no version `{v}`")));
        }
    }
    if matches.len() > 1 {
        let vs: Vec<&str> = matches.iter().map(|a| a.version.as_str()).collect();
        return Err(Fail(
            3,
            format!(
                "API `{name}` has several versions ({}): pass --version",
                vs.join(", ")
            ),
        ));
    }
    let api = matches[0];
    let mut values = serde_json::Map::new();
    if let Some(b) = body {
        match serde_json::from_str::<Value>(b) {
            Ok(Value::Object(m)) => values.extend(m),
            _ => return Err(Fail(3, "--body must be a JSON object".into())),
        }
    }
    for kv in raw {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Fail(3, format!("-p `{kv}`: expected key=value")))?;
        let f = api.params.iter().find(|f| f.wire == k).ok_or_else(|| {
            let known: Vec<&str> = api.params.iter().map(|f| f.wire.as_str()).collect();
            Fail(
                3,
                format!(
                    "API `{name}` has no param `{k}` (params: {})",
                    known.join(", ")
                ),
            )
        })?;
        values.insert(k.to_owned(), dynamic::typed(f, v).map_err(|e| Fail(3, e))?);
    }
    if let Some(missing) = api
        .params
        .iter()
        .find(|f| f.required && !values.contains_key(&f.wire))
    {
        return Err(Fail(
            3,
            format!("missing required param `{}` of `{name}`", missing.wire),
        ));
    }
    let desc = dynamic::desc_of(api);
    let paging = match (run.all, &api.paging) {
        (false, _) => None,
        (true, Some(p)) => Some(dynamic::paging_of(p)),
        (true, None) => {
            return Err(Fail(
                3,
                format!(
                    "`{name}` does not page (its spec has no `paging:`): call it without --all"
                ),
            ))
        }
    };
    let request = Value::Object(values);
    // The runtime's own conversion: locations, and the spec's limits checked before sending.
    let params = opengate::to_params(&desc, &request).map_err(|e| Fail(3, e.to_string()))?;
    runtime()?.block_on(async move {
        let client = client_of(&corpus, config)?;
        let client = match run.shop {
            Some(shop) => client.shop(shop),
            None => client,
        };
        if let Some(paging) = paging {
            return every_item(&client, desc, paging, request, run.max_pages).await;
        }
        match client.execute(&desc, &params, &[]).await {
            Ok(raw) => {
                // The data's own text, so that an integer beyond 64 bits prints as sent.
                let text = data_text(&raw)
                    .and_then(json_text::pretty)
                    .unwrap_or_else(|| {
                        serde_json::to_string_pretty(raw.data()).unwrap_or_default()
                    });
                println!("{text}");
                Ok(())
            }
            Err(e) => Err(call_failure(e)),
        }
    })
}

/// The text of a reply's data in its body.
fn data_text(raw: &opengate::RawReply) -> Option<&[u8]> {
    match raw.data_at() {
        opengate::protocol::DataAt::Whole => Some(raw.bytes()),
        opengate::protocol::DataAt::Member(k) => json_text::at(raw.bytes(), &[k.as_str()]),
    }
}

/// A failed call's exit: 2 for the platform's refusal, 3 for the rest.
fn call_failure(e: opengate::Error) -> Fail {
    match e {
        opengate::Error::Api(e) => {
            let sub = e
                .sub_code
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            Fail(
                2,
                format!("{} error {}{sub}: {}", e.api.platform, e.code, e.message),
            )
        }
        e => Fail(3, opengate::error_chain(&e)),
    }
}

/// `--all`: every page, one JSON line per item on stdout; a progress bar on stderr (drawn only
/// on a terminal), sized by the total when the platform sends one.
async fn every_item(
    client: &opengate::Client,
    desc: opengate::ApiDesc,
    paging: &'static opengate::paging::Paging,
    request: Value,
    max_pages: Option<u64>,
) -> Result<(), Fail> {
    use opengate::paging::StreamExt;
    use std::io::Write;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} items, {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut pages = opengate::paging::raw_pages(
        client,
        std::sync::Arc::new(desc),
        paging,
        request,
        max_pages,
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            bar.abandon();
            call_failure(e)
        })?;
        let data = page.data();
        if let Some(total) = paging.total(data) {
            bar.set_length(u64::try_from(total).unwrap_or(0));
        }
        let items = paging.items(data);
        // Each item's own text (integers beyond 64 bits as sent), when the body is plain.
        let texts = data_text(&page)
            .and_then(|d| json_text::elements(d, paging.items))
            .filter(|t| t.len() == items.len());
        for (i, item) in items.iter().enumerate() {
            let text = texts.as_ref().and_then(|t| json_text::compact(t[i]));
            match text {
                Some(text) => writeln!(out, "{text}"),
                None => writeln!(out, "{item}"),
            }
            .map_err(|e| Fail(3, format!("stdout: {e}")))?;
            bar.inc(1);
        }
    }
    out.flush().map_err(|e| Fail(3, format!("stdout: {e}")))?;
    bar.finish_and_clear();
    Ok(())
}
