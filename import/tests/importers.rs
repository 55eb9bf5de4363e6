//! Every importer on small fixtures of its source format (`tests/fixtures/`): what it writes
//! is valid spec, faithful to the source, deterministic and idempotent, and bad input is
//! reported with its path while the rest imports.

use opengate_codegen::spec::{self, Scalar, Ty};
use opengate_import::{importer, write, Options, Problem};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

struct Imported {
    _dir: tempfile::TempDir,
    root: PathBuf,
    report: write::Report,
    problems: Vec<Problem>,
}

impl Imported {
    fn out(&self, platform: &str) -> PathBuf {
        self.root.join(platform)
    }

    /// The specs written, as the spec loader reads them; they must be valid.
    fn apis(&self) -> Vec<spec::Api> {
        let (corpus, _) = opengate_codegen::load(&self.root, "specs")
            .unwrap_or_else(|d| panic!("the imported specs are valid:\n{d}"));
        corpus.apis
    }

    fn api(&self, name: &str, version: &str) -> spec::Api {
        self.apis()
            .into_iter()
            .find(|a| a.name.value == name && a.version.value == version)
            .unwrap_or_else(|| panic!("{name} {version} was imported"))
    }

    fn problem(&self, needle: &str) -> &Problem {
        self.problems
            .iter()
            .chain(&self.report.problems)
            .find(|p| p.to_string().contains(needle))
            .unwrap_or_else(|| panic!("a problem mentioning {needle:?} in {:#?}", self.problems))
    }
}

/// Imports `source` with `format` into a fresh specs folder holding the platform's
/// `platform.yaml` (and whatever `prepare` adds).
fn import(format: &str, platform: &str, source: &Path, prepare: impl Fn(&Path)) -> Imported {
    let index = (format == "youzan-docs").then(|| fixtures().join("youzan-index/apis"));
    import_with(format, platform, source, index, prepare)
}

/// [`import`] with a second source (`--index`).
fn import_with(
    format: &str,
    platform: &str,
    source: &Path,
    index: Option<PathBuf>,
    prepare: impl Fn(&Path),
) -> Imported {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("specs");
    let out = root.join(platform);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::copy(
        fixtures()
            .join("platforms")
            .join(platform)
            .join("platform.yaml"),
        out.join("platform.yaml"),
    )
    .unwrap();
    prepare(&out);
    let options = Options {
        platform: Some(platform.into()),
        index,
        out: Some(out.clone()),
    };
    let imp = importer(format, &options).expect("a known format");
    let read = imp.read(source);
    let origin = source.file_name().unwrap().to_string_lossy().into_owned();
    let report = write::write_specs(&out, imp.format(), &origin, read.apis);
    Imported {
        _dir: dir,
        root,
        report,
        problems: read.problems,
    }
}

fn param<'a>(api: &'a spec::Api, name: &str) -> &'a spec::Field {
    api.params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("param {name} of {}", api.name.value))
}

fn field<'a>(fields: &'a [spec::Field], name: &str) -> &'a spec::Field {
    fields
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("field {name}"))
}

fn object(ty: &Ty) -> &[spec::Field] {
    match ty {
        Ty::Object(f) => f,
        Ty::Array(inner) => object(inner),
        other => panic!("an object, found {other:?}"),
    }
}

fn response(api: &spec::Api) -> &[spec::Field] {
    &api.response.as_ref().expect("a response").value
}

/// Importing again changes nothing, and the files are the same bytes.
fn assert_idempotent(format: &str, platform: &str, source: &Path, first: &Imported) {
    let index = (format == "youzan-docs").then(|| fixtures().join("youzan-index/apis"));
    assert_idempotent_with(format, platform, source, index, first);
}

fn assert_idempotent_with(
    format: &str,
    platform: &str,
    source: &Path,
    index: Option<PathBuf>,
    first: &Imported,
) {
    let before: Vec<(PathBuf, Vec<u8>)> = files(&first.out(platform));
    let options = Options {
        platform: Some(platform.into()),
        index,
        out: Some(first.out(platform)),
    };
    let imp = importer(format, &options).unwrap();
    let origin = source.file_name().unwrap().to_string_lossy().into_owned();
    let again = write::write_specs(
        &first.out(platform),
        imp.format(),
        &origin,
        imp.read(source).apis,
    );
    assert_eq!(again.written, 0, "nothing rewritten");
    assert_eq!(again.removed, 0);
    assert_eq!(files(&first.out(platform)), before);
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn top_metadata() {
    let source = fixtures().join("top");
    let imp = import("top-metadata", "taobao", &source, |_| {});
    let api = imp.api("taobao.trade.fullinfo.get", "2.0");
    // The metadata does not say which APIs need a session: one is sent when configured.
    assert_eq!(api.auth.value, "optional");
    assert!(api
        .source
        .as_ref()
        .unwrap()
        .inferred
        .contains(&"auth".to_owned()));
    assert_eq!(api.method.value, "POST");
    assert_eq!(api.group.as_deref(), Some("tbtrade"));
    // A group of fewer than 3 APIs is merged into its domain's `more_` group.
    let small = imp.api("tmall.picture.get", "2.0");
    assert_eq!(small.group.as_deref(), Some("more_tmall"));
    assert_eq!(api.summary.as_deref(), Some("获取单笔交易的详细信息"));
    assert_eq!(
        api.description.as_deref(),
        Some("获取单笔交易\n1. 请按需获取字段 注意")
    );
    assert_eq!(
        api.doc_url.as_deref(),
        Some("https://open.taobao.com/api.htm?docId=54&docType=2")
    );
    let source_block = api.source.as_ref().expect("a source block");
    assert_eq!(source_block.format, "top-metadata");
    assert_eq!(
        source_block.file.as_deref(),
        Some("json/tbtrade/taobao_trade_fullinfo_get.json")
    );
    assert_eq!(source_block.inferred, ["version", "method", "auth"]);
    // Types and limits.
    let fields = param(&api, "fields");
    assert!(fields.required);
    assert_eq!(fields.limits.max_length, Some(200));
    let tid = param(&api, "tid");
    assert_eq!(tid.ty, Ty::Scalar(Scalar::Long));
    assert_eq!(tid.limits.min, Some(1));
    let tags = param(&api, "tags");
    assert_eq!(tags.ty, Ty::Array(Box::new(Ty::Scalar(Scalar::String))));
    assert_eq!(tags.limits.max_items, Some(20));
    assert!(!tags.required);
    assert_eq!(param(&api, "invoice").ty, Ty::Scalar(Scalar::File));
    let trade = object(&field(response(&api), "trade").ty);
    assert_eq!(field(trade, "payment").ty, Ty::Scalar(Scalar::Decimal));
    // Buyer data is marked by name, so that the generated `Debug` masks it.
    assert!(field(trade, "receiver_mobile").pii);
    assert!(!field(trade, "tid").pii && !param(&api, "tid").pii);
    assert_eq!(field(trade, "created").ty, Ty::Scalar(Scalar::DateTime));
    assert_eq!(field(trade, "extra").ty, Ty::Scalar(Scalar::Json));
    let orders = &field(trade, "orders").ty;
    assert!(
        matches!(orders, Ty::Array(_)),
        "Order[] is a list: {orders:?}"
    );
    assert_eq!(field(object(orders), "oid").ty, Ty::Scalar(Scalar::Long));

    // The patch wins over json/.
    let memo = imp.api("taobao.trade.memo.add", "2.0");
    assert!(param(&memo, "memo").required);
    assert_eq!(param(&memo, "memo").limits.max_length, Some(1000));
    assert_eq!(
        memo.source.as_ref().unwrap().file.as_deref(),
        Some("patch/tbtrade/taobao.trade.memo.add.json")
    );

    // Bad input: reported with its path, the rest imported.
    assert!(imp
        .problem("taobao_trade_broken_get.json: not valid JSON")
        .path
        .starts_with("json/"));
    imp.problem("taobao_trade_odd_get.json: requestParams.tid: duplicate field, the first is kept");
    imp.problem("requestParams.mystery: unknown type `byte[][]`, skipped");
    let odd = imp.api("taobao.trade.odd.get", "2.0");
    assert_eq!(odd.params.len(), 1);
    // Paging where TOP's names make it certain: page_no, page_size, total_results, one list.
    let list = imp.api("taobao.trades.list.get", "2.0");
    let paging = list.paging.as_ref().expect("a paging block");
    assert_eq!(paging.style.value, "page");
    assert_eq!(paging.page.as_ref().unwrap().value, "page_no");
    assert_eq!(paging.size.as_ref().unwrap().value, "page_size");
    assert_eq!(paging.max_size, Some(100));
    assert_eq!(paging.items.value, "trades");
    assert_eq!(paging.total.as_ref().unwrap().value, "total_results");
    assert_eq!(paging.has_next.as_ref().unwrap().value, "has_next");
    assert!(!paging.backward);
    assert!(list
        .source
        .as_ref()
        .unwrap()
        .inferred
        .contains(&"paging".to_owned()));
    // Two lists: which one pages is not certain, so no paging block.
    assert!(imp
        .api("taobao.trades.two.lists.get", "2.0")
        .paging
        .is_none());
    assert_idempotent("top-metadata", "taobao", &source, &imp);
}

#[test]
fn hand_written_specs_win_and_corrections_apply() {
    let source = fixtures().join("top");
    let imp = import("top-metadata", "taobao", &source, |out| {
        std::fs::write(
            out.join("trade.yaml"),
            "name: taobao.trade.fullinfo.get\nversion: \"2.0\"\nauth: user\nmethod: POST\nparams:\n  - {name: tid, type: long, required: true}\n",
        )
        .unwrap();
        std::fs::write(
            out.join("corrections.json"),
            r#"{
              "taobao.trade.memo.add@2.0": {"set": {"auth": "app", "group": "tbtrade"}, "params": {"memo": {"max_length": 500}, "tid": null, "note": {"type": "string"}}, "why": "the doc says 不需要授权"},
              "taobao.trades.list.get@2.0": {"set": {"auth": "user"}, "why": 7},
              "taobao.trade.odd.get": {"skip": true},
              "taobao.no.such.api": {"skip": true}
            }"#,
        )
        .unwrap();
    });
    assert_eq!(imp.report.hand_written.len(), 1);
    assert!(imp.report.hand_written[0].starts_with("taobao.trade.fullinfo.get 2.0: "));
    // The hand-written spec is the one there, once.
    let full = imp.api("taobao.trade.fullinfo.get", "2.0");
    assert!(full.source.is_none());
    let memo = imp.api("taobao.trade.memo.add", "2.0");
    assert_eq!(memo.auth.value, "app");
    assert_eq!(memo.group.as_deref(), Some("tbtrade"));
    assert_eq!(param(&memo, "memo").limits.max_length, Some(500));
    assert!(memo.params.iter().all(|p| p.name != "tid"));
    assert_eq!(param(&memo, "note").ty, Ty::Scalar(Scalar::String));
    // The correction's source is said beside it, and what it set is no longer a guess.
    let source = memo.source.as_ref().unwrap();
    assert_eq!(
        source.note.as_deref(),
        Some("corrected by corrections.json: the doc says 不需要授权")
    );
    assert!(!source.inferred.contains(&"auth".to_owned()));
    assert!(source.inferred.contains(&"method".to_owned()));
    imp.problem("`taobao.trades.list.get@2.0`: why must be text");
    assert!(imp
        .apis()
        .iter()
        .all(|a| a.name.value != "taobao.trade.odd.get"));
    assert_eq!(imp.report.skipped, 1);
    imp.problem("`taobao.no.such.api` matches no imported API");
}

#[test]
fn a_catalog_that_lost_an_api_loses_its_spec() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("top");
    copy(&fixtures().join("top"), &source);
    let imp = import("top-metadata", "taobao", &source, |_| {});
    let odd = imp
        .out("taobao")
        .join("more_tmall/tmall.picture.get-2.0.yaml");
    assert!(odd.exists());
    std::fs::remove_file(source.join("json/tmallpic/tmall_picture_get.json")).unwrap();
    let imp2 = importer("top-metadata", &Options::default()).unwrap();
    let again = write::write_specs(
        &imp.out("taobao"),
        "top-metadata",
        "top",
        imp2.read(&source).apis,
    );
    assert_eq!(again.removed, 1);
    assert!(!odd.exists());
    assert!(
        !odd.parent().unwrap().exists(),
        "the emptied group folder goes too"
    );
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn youzan_docs() {
    let source = fixtures().join("youzan");
    let imp = import("youzan-docs", "youzan", &source, |_| {});
    let v4 = imp.api("youzan.trade.get", "4.0.0");
    assert_eq!(v4.group.as_deref(), Some("trade"));
    assert_eq!(v4.summary.as_deref(), Some("查询单笔交易详情"));
    assert_eq!(
        v4.doc_url.as_deref(),
        Some("https://doc.youzanyun.com/detail/API/0/402")
    );
    assert!(
        v4.path.is_none(),
        "today's gateway path is the protocol's default"
    );
    assert!(param(&v4, "tid").required);
    assert_eq!(param(&v4, "tid").example, Some(serde_json::json!("E2019")));
    assert_eq!(
        param(&v4, "item_ids").ty,
        Ty::Array(Box::new(Ty::Scalar(Scalar::Long)))
    );
    // The whole body: the envelope around today's `data`.
    let names: Vec<&str> = response(&v4).iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["success", "code", "message", "data"]);
    let data = object(&field(response(&v4), "data").ty);
    let info = object(&field(data, "full_order_info").ty);
    assert_eq!(field(info, "pay_time").ty, Ty::Scalar(Scalar::DateTime));
    assert_eq!(field(info, "payment").ty, Ty::Scalar(Scalar::Decimal));
    assert!(matches!(field(info, "orders").ty, Ty::Array(_)));
    imp.problem("responseParams.weird: unknown type `Map<String,Object>`");
    // A single `response` member was the old gateway's wrapper: it is the data.
    let v3 = imp.api("youzan.trade.get", "3.0.0");
    assert_eq!(field(response(&v3), "data").ty, Ty::Scalar(Scalar::Bool));
    // 3.0.0 is not in today's index: imported, with a note.
    assert_eq!(
        v3.source.as_ref().unwrap().note.as_deref(),
        Some("not in today's Youzan index: it may be retired")
    );
    assert!(v4.source.as_ref().unwrap().note.is_none());
    assert_idempotent("youzan-docs", "youzan", &source, &imp);
}

#[test]
fn doudian_go_sdk() {
    let source = fixtures().join("doudian");
    let imp = import("doudian-go-sdk", "doudian", &source, |_| {});
    let api = imp.api("order.orderDetail", "2");
    assert_eq!(api.group.as_deref(), Some("order"));
    assert_eq!(
        param(&api, "shop_order_id").description.as_deref(),
        Some("店铺父订单号")
    );
    assert!(
        api.params.iter().all(|p| !p.required),
        "required is not marked reliably"
    );
    assert_eq!(param(&api, "is_searchable").ty, Ty::Scalar(Scalar::Bool));
    assert_eq!(
        param(&api, "tags").ty,
        Ty::Array(Box::new(Ty::Scalar(Scalar::String)))
    );
    let detail = object(&field(response(&api), "shop_order_detail").ty);
    let skus = object(&field(detail, "sku_order_list").ty);
    assert_eq!(field(skus, "pay_amount").ty, Ty::Scalar(Scalar::Long));
    assert_eq!(field(skus, "extra").ty, Ty::Scalar(Scalar::Json));
    imp.problem("duplicate field `order_id`, the first is kept");
    imp.problem("`odd`: unknown type `chan`");
    assert_idempotent("doudian-go-sdk", "doudian", &source, &imp);
}

#[test]
fn openapi_documents() {
    let source = fixtures().join("douyin.openapi.json");
    let imp = import("openapi", "douyin", &source, |_| {});
    let list = imp.api("api.douyin.v1.video.list", "1");
    assert_eq!(list.method.value, "GET");
    assert_eq!(list.auth.value, "user");
    assert_eq!(list.host.as_ref().map(|h| h.value.as_str()), Some("open"));
    assert_eq!(
        list.path.as_ref().map(|p| p.value.as_str()),
        Some("/api/douyin/v1/video/list/")
    );
    assert_eq!(list.summary.as_deref(), Some("查询视频列表"));
    assert_eq!(
        list.doc_url.as_deref(),
        Some("https://developer.open-douyin.com/docs/video-list")
    );
    assert_eq!(list.group.as_deref(), Some("video-management"));
    let open_id = param(&list, "open_id");
    assert!(open_id.required);
    assert_eq!(
        open_id.location.as_ref().map(|l| l.value.as_str()),
        Some("query")
    );
    assert!(
        list.params.iter().all(|p| p.name != "access-token"),
        "the token header is the protocol's"
    );
    // The `data` member of the answer, `$ref`s followed, a self-reference read as JSON.
    let names: Vec<&str> = response(&list).iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["cursor", "has_more", "list"]);
    // cursor and count in, cursor, has_more and one list out: cursor paging, inferred.
    let paging = list.paging.as_ref().expect("cursor paging");
    assert_eq!(paging.style.value, "cursor");
    assert_eq!(paging.cursor.as_ref().unwrap().value, "cursor");
    assert_eq!(paging.size.as_ref().unwrap().value, "count");
    assert_eq!(paging.next_cursor.as_ref().unwrap().value, "cursor");
    assert_eq!(paging.has_next.as_ref().unwrap().value, "has_more");
    assert_eq!(paging.items.value, "list");
    assert!(list
        .source
        .as_ref()
        .unwrap()
        .inferred
        .contains(&"paging".to_owned()));
    let video = object(&field(response(&list), "list").ty);
    assert_eq!(field(video, "parent").ty, Ty::Scalar(Scalar::Json));

    let poi = imp.api("goodlife.v1.shop.poi.query", "1");
    assert_eq!(poi.auth.value, "client");
    assert!(param(&poi, "account_id").required);
    assert!(!param(&poi, "page").required);
    let pois = object(&field(response(&poi), "pois").ty);
    let names: Vec<&str> = pois.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["poi_id", "name"], "allOf merges");
    imp.problem("unusable property name `名字`, skipped");
    assert_idempotent("openapi", "douyin", &source, &imp);
}

/// The official TOP PHP SDK read after the metadata: its params join the metadata's APIs, its
/// new APIs come in as text params with a raw answer, in the group of their name's nearest
/// relatives, and a class of 2017 or before that no other catalog has stays out.
#[test]
fn top_php_sdk_merged_after_the_metadata() {
    let top = importer("top-metadata", &Options::default()).unwrap();
    let php = importer("top-php-sdk", &Options::default()).unwrap();
    let (top_dir, php_dir) = (fixtures().join("top"), fixtures().join("top-php"));
    let read = opengate_import::read_merged(&[(&*top, &top_dir), (&*php, &php_dir)]);
    let find = |name: &str| read.apis.iter().find(|a| a.api.name == name);
    let memo = &find("taobao.trade.memo.add").unwrap().api;
    assert_eq!(memo.source.format, "top-metadata");
    assert!(memo.params.iter().any(|p| p.name == "flag_color"));
    assert!(memo
        .source
        .note
        .as_deref()
        .unwrap()
        .contains("also in top-php-sdk `TradeMemoAddRequest.php`"));
    let colors = find("taobao.trade.memo.colors.get").unwrap();
    assert_eq!(colors.group, "tbtrade", "beside taobao.trade.memo.add");
    let c = &colors.api;
    assert_eq!((c.version.as_str(), c.auth.as_str()), ("2.0", "optional"));
    assert!(c.params[0].required && c.params[0].ty == opengate_import::Type::Scalar("string"));
    assert!(c.response.is_empty());
    assert!(c.source.inferred.contains(&"types".to_owned()));
    assert!(
        find("taobao.picture.retired.get").is_none(),
        "stale and alone"
    );
}

/// A typed .NET SDK of Doudian read after the Go SDK: the Go SDK's APIs gain the .NET params
/// they lack; the operations only the .NET SDK has come in typed from its nested classes.
#[test]
fn doudian_skit_merged_after_the_go_sdk() {
    let go = importer("doudian-go-sdk", &Options::default()).unwrap();
    let skit = importer("doudian-skit", &Options::default()).unwrap();
    let (go_dir, skit_dir) = (fixtures().join("doudian"), fixtures().join("doudian-skit"));
    let read = opengate_import::read_merged(&[(&*go, &go_dir), (&*skit, &skit_dir)]);
    assert!(
        read.problems.iter().all(|p| !p.path.contains(".cs")),
        "{:?}",
        read.problems
    );
    let find = |name: &str| read.apis.iter().find(|a| a.api.name == name).unwrap();
    let detail = &find("order.orderDetail").api;
    assert_eq!(detail.source.format, "doudian-go-sdk");
    assert!(detail.params.iter().any(|p| p.name == "need_desensitize"));
    let list = find("address.list");
    assert_eq!(list.group, "address");
    let a = &list.api;
    assert_eq!((a.version.as_str(), a.method.as_str()), ("2", "POST"));
    assert_eq!(
        a.doc_url.as_deref(),
        Some("https://op.jinritemai.com/docs/api-docs/13/558")
    );
    assert_eq!(a.params[1].default.as_deref(), Some("1"));
    assert_eq!(a.params[0].ty, opengate_import::Type::Scalar("long"));
    let names: Vec<_> = a.response.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["address_list", "total"]);
}

/// The official Douyin SDK read after the OpenAPI documents: what its client sends (method, host,
/// path) wins, its params join; its operations the documents lack come in; a token it sends in
/// its own header is a required header param.
#[test]
fn douyin_sdk_merged_after_the_openapi_documents() {
    let out = fixtures().join("platforms/douyin");
    let options = Options {
        platform: Some("douyin".into()),
        out: Some(out),
        ..Options::default()
    };
    let docs = importer("openapi", &options).unwrap();
    let sdk = importer("douyin-sdk", &options).unwrap();
    let (doc, sdk_dir) = (
        fixtures().join("douyin.openapi.json"),
        fixtures().join("douyin-sdk"),
    );
    let read = opengate_import::read_merged(&[(&*docs, &doc), (&*sdk, &sdk_dir)]);
    assert!(
        read.problems.iter().all(|p| !p.path.contains("douyin-sdk")),
        "{:?}",
        read.problems
    );
    let find = |name: &str| read.apis.iter().find(|a| a.api.name == name).unwrap();
    let list = &find("api.douyin.v1.video.list").api;
    assert_eq!(list.source.format, "openapi");
    assert_eq!(list.method, "GET");
    assert!(list.params.iter().any(|p| p.name == "count"));
    let rank = find("api.apps.game.v1.rank");
    let r = &rank.api;
    assert_eq!(r.host.as_deref(), Some("minigame"));
    assert_eq!(r.auth, "none");
    let token = &r.params[0];
    assert_eq!(
        (token.name.as_str(), token.location.as_deref()),
        ("x-token", Some("header"))
    );
    assert!(token.required);
    assert!(r.params[1].required && r.params[1].name == "app_id");
    assert_eq!(r.params[1].location.as_deref(), Some("body"));
    assert_eq!(r.path.as_deref(), Some("/api/apps/game/v1/rank/"));
}

/// Today's TypeScript declarations of Youzan APIs, read after the 2019 docs: an API in both is
/// one spec (the docs' facts first, the declarations' params added), a newer version or an API
/// only the declarations have comes in typed from them.
#[test]
fn youzan_ts_merged_after_the_docs() {
    let docs = importer(
        "youzan-docs",
        &Options {
            index: Some(fixtures().join("youzan-index/apis")),
            ..Options::default()
        },
    )
    .unwrap();
    let ts = importer("youzan-ts", &Options::default()).unwrap();
    let (docs_dir, ts_dir) = (fixtures().join("youzan"), fixtures().join("youzan-ts"));
    let read = opengate_import::read_merged(&[(&*docs, &docs_dir), (&*ts, &ts_dir)]);
    assert!(
        read.problems.iter().all(|p| !p.path.contains(".ts")),
        "{:?}",
        read.problems
    );
    let find = |name: &str, version: &str| {
        read.apis
            .iter()
            .find(|a| a.api.name == name && a.api.version == version)
            .unwrap_or_else(|| panic!("{name} {version}"))
    };
    let both = &find("youzan.trade.get", "4.0.0").api;
    let names: Vec<_> = both
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.required))
        .collect();
    assert_eq!(
        names,
        [("tid", true), ("item_ids", false), ("with_refund", false)]
    );
    assert_eq!(both.source.format, "youzan-docs");
    let note = both.source.note.as_deref().unwrap();
    assert!(
        note.contains("also in youzan-ts `youzan-trade-get-v400.ts`"),
        "{note}"
    );
    assert!(note.contains("params also: with_refund"), "{note}");
    assert_eq!(
        read.apis
            .iter()
            .filter(|a| a.api.name == "youzan.trade.get" && a.api.version == "4.0.0")
            .count(),
        1
    );

    let refund = find("youzan.trade.refund.get", "3.0.1");
    assert_eq!(refund.group, "trade");
    let r = &refund.api;
    assert_eq!(r.source.format, "youzan-ts");
    assert_eq!(r.source.inferred, ["method", "auth"]);
    assert_eq!(r.summary.as_deref(), Some("查询售后单详情。"));
    assert!(r.params[0].required && r.params[0].name == "refund_id");
    assert!(
        matches!(&r.params[1].ty, opengate_import::Type::Object(f) if f[0].name == "include_all_consult_message")
    );
    let body: Vec<_> = r.response.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(body, ["success", "code", "message", "trace_id", "data"]);
}

/// With the official Python SDK beside it, a PHP class gets its real name (and the SDK's required
/// params, token need and doc page), a class the SDK lacks a name by the vocabulary rule, and
/// the SDK's APIs that no class has come in untyped.
#[test]
fn aop_php_sdk_with_the_python_sdks_names() {
    let source = fixtures().join("aop");
    let names = fixtures().join("aop-names");
    let imp = import_with(
        "aop-php-sdk",
        "alibaba",
        &source,
        Some(names.clone()),
        |_| {},
    );
    let api = imp.api("alibaba.trade.get.buyerView", "1");
    assert!(imp
        .apis()
        .iter()
        .all(|a| a.name.value != "alibaba.trade.get.buyer.view"));
    let s = api.source.as_ref().unwrap();
    assert_eq!(s.format, "aop-php-sdk");
    assert_eq!(s.inferred, ["method"]);
    assert!(s.note.as_deref().unwrap().contains("official Python SDK"));
    assert_eq!(api.auth.value, "user");
    assert!(param(&api, "webSite").required && param(&api, "orderId").required);
    assert!(!param(&api, "includeFields").required);
    // Typed from the PHP class; what only the Python SDK has is text.
    assert_eq!(param(&api, "orderId").ty, Ty::Scalar(Scalar::Long));
    assert_eq!(param(&api, "outOrderId").ty, Ty::Scalar(Scalar::String));
    assert!(api
        .doc_url
        .as_deref()
        .unwrap()
        .contains("n=alibaba.trade.get.buyerView"));

    let photo = imp.api("alibaba.photobank.photo.add", "1");
    let s = photo.source.as_ref().unwrap();
    assert_eq!(s.format, "aop-python-sdk");
    assert_eq!(s.inferred, ["method", "types", "response"]);
    assert_eq!(photo.namespace.as_deref(), Some("com.alibaba.product"));
    assert_eq!(photo.group.as_deref(), Some("product"));
    assert_eq!(param(&photo, "imageBytes").ty, Ty::Scalar(Scalar::File));
    assert!(param(&photo, "name").required);
    assert!(photo.response.is_none(), "no response shape");
    let expire = imp.api("app.expire.get", "1");
    assert_eq!(expire.auth.value, "app", "need_auth() is False");
    assert_eq!(expire.namespace.as_deref(), Some("cn.alibaba.open"));
    assert_idempotent_with("aop-php-sdk", "alibaba", &source, Some(names), &imp);
}

#[test]
fn aop_php_sdk() {
    let source = fixtures().join("aop");
    let imp = import("aop-php-sdk", "alibaba", &source, |_| {});
    let api = imp.api("alibaba.trade.get.buyer.view", "1");
    assert_eq!(api.namespace.as_deref(), Some("com.alibaba.trade"));
    assert_eq!(api.group.as_deref(), Some("trade"));
    let s = api.source.as_ref().unwrap();
    assert!(s.inferred.contains(&"name".to_owned()) && s.inferred.contains(&"required".to_owned()));
    assert!(s
        .note
        .as_deref()
        .unwrap()
        .contains("AlibabaTradeGetBuyerViewParam"));
    let site = param(&api, "webSite");
    assert!(!site.required);
    assert!(site
        .description
        .as_deref()
        .unwrap()
        .ends_with("(SDK: 必填)"));
    assert_eq!(site.example, Some(serde_json::json!("1688")));
    assert_eq!(param(&api, "orderId").ty, Ty::Scalar(Scalar::Long));
    assert_eq!(
        param(&api, "includeFields").ty,
        Ty::Array(Box::new(Ty::Scalar(Scalar::String)))
    );
    let result = object(&field(response(&api), "result").ty);
    let base = object(&field(result, "baseInfo").ty);
    assert_eq!(field(base, "totalAmount").ty, Ty::Scalar(Scalar::Decimal));
    assert_eq!(
        field(result, "createTime").ty,
        Ty::Scalar(Scalar::String),
        "1688 dates stay text"
    );
    assert_eq!(
        field(result, "productItems").ty,
        Ty::Array(Box::new(Ty::Scalar(Scalar::Json)))
    );
    imp.problem("entity class `AlibabaOpenplatformTradeModelProductItemInfo` is not beside it");
    assert_idempotent("aop-php-sdk", "alibaba", &source, &imp);
}

#[test]
fn nothing_panics_on_garbage() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, bytes) in [
        ("json/g/a.json", &b"\xff\xfe not json"[..]),
        ("json/g/b.json", b"[1, 2]"),
        ("json/g/c.json", b"{\"name\": 5}"),
        ("json/g/d.json", b"{\"name\": \"x.y\", \"requestParams\": {\"a\": 1}, \"responseParams\": [7, {\"name\": \"\"}]}"),
        ("api/x/request/x_request.go", b"type struct {{{"),
        ("docs/g/y.json", b"{\"version\": [\"1.0\"], \"1.0\": {\"requestParams\": [{\"name\": \"a\", \"type\": \"Foo[]\"}]}}"),
        ("p/com/x/param/XParam.class.php", b"/** @param */ public function set"),
        ("o.json", b"{\"openapi\": \"3.1.0\", \"paths\": {\"/a\": {\"get\": {\"parameters\": [{\"$ref\": \"#/nowhere\"}]}}}}"),
    ] {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let options = Options {
        platform: Some("douyin".into()),
        ..Options::default()
    };
    for format in opengate_import::FORMATS {
        let imp = importer(format.name, &options).unwrap();
        let read = imp.read(dir.path());
        let _ = read.apis.len();
        // A missing catalog is a problem too, not a panic.
        let _ = imp.read(&dir.path().join("missing"));
    }
    let top = importer("top-metadata", &options).unwrap().read(dir.path());
    assert!(top.problems.iter().any(|p| p.path == "json/g/a.json"));
    assert!(top.problems.iter().any(|p| p.path == "json/g/c.json"));
}

/// A platform crate whose manifest asks for part crates keeps its default groups and spreads
/// the others over the parts, each with its own manifest, build script and `platform.yaml`;
/// the loader still sees the groups as the platform's; dropping the setting brings every
/// group back and removes the parts.
#[test]
fn a_split_platform_spreads_its_groups_over_part_crates() {
    let source = fixtures().join("top");
    let manifest = |parts: usize| {
        format!(
            "[package]\nname = \"opengate-taobao\"\n\n[package.metadata.opengate]\nparts = {parts}\n\n\
             [features]\ndefault = [\"tbtrade\"]\n\n[dependencies]\nopengate-runtime.workspace = true\n"
        )
    };
    let imp = import("top-metadata", "taobao", &source, |out| {
        std::fs::write(out.join("Cargo.toml"), manifest(2)).unwrap();
    });
    let out = imp.out("taobao");
    assert_eq!(opengate_import::features::write(&out, &[]).unwrap(), 5);
    // The default group stays; the other is in exactly one part.
    assert!(out
        .join("tbtrade/taobao.trade.fullinfo.get-2.0.yaml")
        .is_file());
    let parts: Vec<String> = ["part1", "part2"]
        .into_iter()
        .filter(|p| out.join(p).join("more_tmall").is_dir())
        .map(str::to_owned)
        .collect();
    assert_eq!(parts.len(), 1, "more_tmall is in one part");
    let part = &parts[0];
    assert!(
        !out.join(if part == "part1" { "part2" } else { "part1" })
            .exists(),
        "an empty part is not written"
    );
    let base = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
    let package = format!("opengate-taobao-{part}");
    assert!(
        base.contains(&format!(
            "more_tmall = [\"dep:{package}\", \"{package}/more_tmall\"]\n"
        )),
        "{base}"
    );
    assert!(base.contains("tbtrade = []\n"), "{base}");
    assert!(
        base.contains(&format!("{package} = {{ path = \"{part}\", version = ")),
        "{base}"
    );
    let part_manifest = std::fs::read_to_string(out.join(part).join("Cargo.toml")).unwrap();
    assert!(part_manifest.contains(&format!("name = \"{package}\"\n")));
    assert!(part_manifest.contains(&format!("links = \"{package}\"\n")));
    assert!(part_manifest
        .contains("[features]\nfull = [\"more_tmall\"]\nserde = []\nmore_tmall = []\n"));
    // The platform crate passes its `serde` feature on to the part.
    assert!(
        base.contains(&format!("serde = [\"{package}?/serde\"]\n")),
        "{base}"
    );
    let build = std::fs::read_to_string(out.join(part).join("build.rs")).unwrap();
    assert!(build.contains("opengate_codegen::build::part_crate(\"taobao\", \"opengate-taobao\")"));
    let copy = std::fs::read_to_string(out.join(part).join("platform.yaml")).unwrap();
    let original = std::fs::read_to_string(out.join("platform.yaml")).unwrap();
    assert!(copy.starts_with("# @generated") && copy.ends_with(&original));
    opengate_import::features::check(&out).unwrap();

    // The loader reads the part's groups as the platform's, its platform.yaml not again.
    let picture = imp.api("tmall.picture.get", "2.0");
    assert_eq!(picture.group.as_deref(), Some("more_tmall"));

    // Importing again changes nothing.
    assert_idempotent("top-metadata", "taobao", &source, &imp);
    assert_eq!(opengate_import::features::write(&out, &[]).unwrap(), 0);

    // A group in the wrong part is caught.
    let other = if part == "part1" { "part2" } else { "part1" };
    std::fs::create_dir_all(out.join(other)).unwrap();
    std::fs::copy(
        out.join(part).join("Cargo.toml"),
        out.join(other).join("Cargo.toml"),
    )
    .unwrap();
    std::fs::rename(
        out.join(part).join("more_tmall"),
        out.join(other).join("more_tmall"),
    )
    .unwrap();
    let err = opengate_import::features::check(&out).unwrap_err();
    assert!(
        err.contains(&format!("{other}/more_tmall belongs in {part}/more_tmall")),
        "{err}"
    );
    std::fs::rename(
        out.join(other).join("more_tmall"),
        out.join(part).join("more_tmall"),
    )
    .unwrap();
    std::fs::remove_dir_all(out.join(other)).unwrap();

    // Without parts, every group is the platform crate's again and the parts are gone.
    std::fs::write(out.join("Cargo.toml"), manifest(0)).unwrap();
    let again = write::write_specs(
        &out,
        "top-metadata",
        "top",
        importer("top-metadata", &Options::default())
            .unwrap()
            .read(&source)
            .apis,
    );
    assert_eq!((again.written, again.removed), (1, 1));
    opengate_import::features::write(&out, &[]).unwrap();
    assert!(out.join("more_tmall/tmall.picture.get-2.0.yaml").is_file());
    assert!(!out.join(part).exists(), "the emptied part is removed");
    let base = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
    assert!(
        base.contains("more_tmall = []\n") && !base.contains("-part"),
        "{base}"
    );
    opengate_import::features::check(&out).unwrap();
}
