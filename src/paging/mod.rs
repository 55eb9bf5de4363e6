//! Paging: a paged API's pages as a [`Stream`], read the platform's way.
//!
//! The spec's `paging:` block says which request params and response members page; the
//! generated `<api>_pages(request)` methods return [`Pages`], which sends the request once per
//! page through the client's one call path (rate limits, retries, tokens as for any call),
//! yields each typed page, and stops on the platform's end condition: `has_next` false, the
//! `total` reached, an empty or short page, or no next cursor. [`Pages::items`] flattens the
//! pages into their items. A failed page is yielded as the error and ends the stream; the pages
//! before it were already yielded.
//!
//! [`Windows`] splits "everything modified between t0 and t1" into the platform's largest
//! windows and runs them in order with a checkpoint, so that a crashed run resumes.
//!
//! Taobao's increment APIs page backwards (`backward: true`): a first call learns the total,
//! then the pages are read from the last to the first, so that an item modified while paging
//! (which leaves the time window) moves only items already read, never one past the reader.

mod windows;

pub use windows::{Checkpoint, FileCheckpoint, MemoryCheckpoint, Progress, Window, Windows};

use crate::client::{to_params, ApiRequest, Client, RawReply, Reply};
use crate::error::Result;
use futures_util::stream::BoxStream;
/// The stream traits, re-exported so that a caller needs no `futures` dependency of its own.
pub use futures_util::stream::{Stream, StreamExt};
use serde_json::Value;
use std::pin::Pin;
use std::task::{Context, Poll};

/// How a paged API pages (generated from the spec's `paging:`).
#[derive(Debug)]
pub struct Paging {
    pub style: PageStyle,
    /// The request param of the page number or the cursor.
    pub position: &'static str,
    /// The request param of the page size, if any.
    pub size: Option<&'static str>,
    /// The largest page size (0: the platform's default is left alone).
    pub max_size: u32,
    /// Response paths (wire names from the data's root).
    pub items: &'static [&'static str],
    pub total: &'static [&'static str],
    pub has_next: &'static [&'static str],
    pub next_cursor: &'static [&'static str],
}

/// Page numbers from `first` (forward, or from the last page `backward`), or a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStyle {
    Page { first: i64, backward: bool },
    Cursor,
}

/// A request of a paged API (implemented by the generated code).
pub trait PagedRequest: ApiRequest + Send + 'static
where
    Self::Response: PagedResponse,
{
    fn paging() -> &'static Paging;
}

/// A page's typed data: its items (implemented by the generated code).
pub trait PagedResponse {
    type Item: Send + 'static;
    fn into_items(self) -> Vec<Self::Item>;
}

/// The members of a list at `path` in `data`: an array, or a TOP wrapper around one
/// (`{"trade": [...]}`, a single element as `{"trade": {...}}`).
pub fn elements<'a>(data: &'a Value, path: &[&str]) -> &'a [Value] {
    let mut at = data;
    for seg in path {
        match at.get(seg) {
            Some(v) => at = v,
            None => return &[],
        }
    }
    match at {
        Value::Array(a) => a,
        Value::Object(o) if o.len() == 1 => match o.values().next() {
            Some(Value::Array(a)) => a,
            Some(one @ Value::Object(_)) => std::slice::from_ref(one),
            _ => &[],
        },
        _ => &[],
    }
}

fn at<'a>(data: &'a Value, path: &[&str]) -> Option<&'a Value> {
    if path.is_empty() {
        return None;
    }
    path.iter().try_fold(data, |v, seg| v.get(seg))
}

/// An integer member, also when sent as text.
fn int_at(data: &Value, path: &[&str]) -> Option<i64> {
    match at(data, path)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bool_at(data: &Value, path: &[&str]) -> Option<bool> {
    match at(data, path)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        Value::String(s) => match s.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Where the next request goes: the non-generic part of a run.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// Backward paging's first call, at the first page, to learn the total (not yielded).
    Probe,
    Page(i64),
    Cursor(Option<Value>),
}

#[derive(Debug)]
struct Walker {
    paging: &'static Paging,
    next: Option<Step>,
    /// The page size the requests carry, when known.
    size: Option<i64>,
    pages: u64,
    max_pages: Option<u64>,
}

impl Walker {
    /// The first step, from the request's own position and size (a run can start mid-way).
    fn new(paging: &'static Paging, request: &mut Value, max_pages: Option<u64>) -> Walker {
        let size = match paging.size {
            Some(name) => match int_at(request, &[name]) {
                Some(n) => Some(n),
                None if paging.max_size > 0 => {
                    let n = i64::from(paging.max_size);
                    request[name] = Value::from(n);
                    Some(n)
                }
                None => None,
            },
            None => None,
        };
        let start = match paging.style {
            PageStyle::Page { backward: true, .. } => Step::Probe,
            PageStyle::Page { first, .. } => {
                Step::Page(int_at(request, &[paging.position]).unwrap_or(first))
            }
            PageStyle::Cursor => Step::Cursor(
                request
                    .get(paging.position)
                    .filter(|v| !v.is_null())
                    .cloned(),
            ),
        };
        Walker {
            paging,
            next: Some(start),
            size,
            pages: 0,
            max_pages,
        }
    }

    /// The request of the next step, or `None` when the run is over.
    fn request(&self, base: &Value) -> Option<(Step, Value)> {
        if self.max_pages.is_some_and(|m| self.pages >= m) {
            return None;
        }
        let step = self.next.clone()?;
        let mut body = base.clone();
        let position = self.paging.position;
        match (&step, self.paging.style) {
            (Step::Probe, PageStyle::Page { first, .. }) => body[position] = Value::from(first),
            (Step::Page(n), _) => body[position] = Value::from(*n),
            (Step::Cursor(Some(c)), _) => body[position] = c.clone(),
            (Step::Cursor(None), _) | (Step::Probe, PageStyle::Cursor) => {}
        }
        Some((step, body))
    }

    /// After `step` answered `data`: whether to yield it, and the next step.
    fn after(&mut self, step: &Step, data: &Value) -> bool {
        let p = self.paging;
        let n = elements(data, p.items).len() as i64;
        let has_next = bool_at(data, p.has_next);
        let total = int_at(data, p.total);
        let (first, backward) = match p.style {
            PageStyle::Page { first, backward } => (first, backward),
            PageStyle::Cursor => (0, false),
        };
        let (next, yielded) = match step {
            Step::Probe => {
                // The last page from the total. A total of one page is this page: yield it and
                // stop; otherwise the probe is not yielded and page `first` is read again last.
                let size = self.size.unwrap_or(n.max(1));
                let pages = total.map_or(1, |t| ((t + size - 1) / size).max(1));
                let last = first + pages - 1;
                ((last > first).then_some(Step::Page(last)), last == first)
            }
            Step::Page(page) if backward => ((*page > first).then(|| Step::Page(page - 1)), true),
            Step::Page(page) => {
                let more = match (has_next, total, self.size) {
                    _ if n == 0 => false,
                    (Some(h), ..) => h,
                    (None, Some(t), Some(size)) => (page - first + 1) * size < t,
                    (None, _, Some(size)) => n >= size,
                    (None, Some(t), None) => (page - first + 1) * n < t,
                    (None, None, None) => true,
                };
                (more.then(|| Step::Page(page + 1)), true)
            }
            Step::Cursor(current) => {
                let next = at(data, p.next_cursor)
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .cloned();
                let more = has_next.unwrap_or(true) && n > 0;
                // A cursor that does not move would read the same page forever.
                let next = next.filter(|c| more && current.as_ref() != Some(c));
                (next.map(|c| Step::Cursor(Some(c))), true)
            }
        };
        self.next = next;
        if yielded {
            self.pages += 1;
        }
        yielded
    }
}

/// The pages of one run of a paged API: a [`Stream`] of typed pages.
pub struct Pages<R: PagedRequest>
where
    R::Response: PagedResponse,
{
    start: Option<(Client, R, Option<u64>)>,
    stream: Option<BoxStream<'static, Result<Reply<R::Response>>>>,
}

impl<R: PagedRequest> std::fmt::Debug for Pages<R>
where
    R::Response: PagedResponse,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("api", &R::api().name)
            .field("started", &self.stream.is_some())
            .finish()
    }
}

impl<R: PagedRequest> Pages<R>
where
    R::Response: PagedResponse,
{
    /// The pages of `request` through `client` (what the generated `_pages` methods return).
    pub fn new(client: &Client, request: R) -> Self {
        Pages {
            start: Some((client.clone(), request, None)),
            stream: None,
        }
    }

    /// Stops after `n` pages (before the platform's end, if that comes later).
    pub fn max_pages(mut self, n: u64) -> Self {
        if let Some(start) = self.start.as_mut() {
            start.2 = Some(n);
        }
        self
    }

    /// The items of every page, in order.
    pub fn items(self) -> impl Stream<Item = Result<<R::Response as PagedResponse>::Item>> + Send {
        self.flat_map(|page| {
            let (items, error) = match page {
                Ok(reply) => (reply.into_data().into_items(), None),
                Err(e) => (Vec::new(), Some(e)),
            };
            futures_util::stream::iter(items.into_iter().map(Ok).chain(error.map(Err)))
        })
    }

    fn run(
        client: Client,
        request: &R,
        max_pages: Option<u64>,
    ) -> BoxStream<'static, Result<Reply<R::Response>>> {
        let api = R::api();
        walk(R::paging(), request.to_json(), max_pages, move |body| {
            let client = client.clone();
            async move {
                let params = to_params(api, &body)?;
                client.read::<R::Response>(api, &params, &[]).await
            }
        })
    }
}

/// A page as the walker reads it: the data its decisions look at.
trait Page: Send + 'static {
    fn page_data(&self) -> &Value;
}

impl<T: Send + 'static> Page for Reply<T> {
    fn page_data(&self) -> &Value {
        self.raw_data()
    }
}

impl Page for RawReply {
    fn page_data(&self) -> &Value {
        self.data()
    }
}

/// The stream of a run: `fetch` sends one page's request; the walker decides what comes next.
fn walk<P, F, Fut>(
    paging: &'static Paging,
    mut base: Value,
    max_pages: Option<u64>,
    fetch: F,
) -> BoxStream<'static, Result<P>>
where
    P: Page,
    F: Fn(Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<P>> + Send + 'static,
{
    let walker = Walker::new(paging, &mut base, max_pages);
    let fetch = std::sync::Arc::new(fetch);
    futures_util::stream::unfold((base, walker), move |(base, mut walker)| {
        let fetch = fetch.clone();
        async move {
            loop {
                let (step, body) = walker.request(&base)?;
                match fetch(body).await {
                    Err(e) => {
                        walker.next = None;
                        return Some((Err(e), (base, walker)));
                    }
                    Ok(page) => {
                        if walker.after(&step, page.page_data()) {
                            return Some((Ok(page), (base, walker)));
                        }
                    }
                }
            }
        }
    })
    .boxed()
}

/// The pages of a run on the dynamic path (`opengate call --all`): `request` is the params as
/// JSON, each page the [`RawReply`] of [`Client::execute`].
pub fn raw_pages(
    client: &Client,
    api: std::sync::Arc<crate::ApiDesc>,
    paging: &'static Paging,
    request: Value,
    max_pages: Option<u64>,
) -> BoxStream<'static, Result<RawReply>> {
    let client = client.clone();
    walk(paging, request, max_pages, move |body| {
        let (client, api) = (client.clone(), api.clone());
        async move {
            let params = to_params(&api, &body)?;
            client.execute(&api, &params, &[]).await
        }
    })
}

impl Paging {
    /// The items of a page's data.
    pub fn items<'a>(&self, data: &'a Value) -> &'a [Value] {
        elements(data, self.items)
    }

    /// The total a page's data says, if the API sends one.
    pub fn total(&self, data: &Value) -> Option<i64> {
        int_at(data, self.total)
    }
}

// The request is never pinned: it is read once, when the run starts.
impl<R: PagedRequest> Unpin for Pages<R> where R::Response: PagedResponse {}

impl<R: PagedRequest> Stream for Pages<R>
where
    R::Response: PagedResponse,
{
    type Item = Result<Reply<R::Response>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.stream.is_none() {
            let Some((client, request, max)) = this.start.take() else {
                return Poll::Ready(None);
            };
            this.stream = Some(Self::run(client, &request, max));
        }
        match this.stream.as_mut() {
            Some(s) => s.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static PAGE: Paging = Paging {
        style: PageStyle::Page {
            first: 1,
            backward: false,
        },
        position: "page_no",
        size: Some("page_size"),
        max_size: 100,
        items: &["trades"],
        total: &["total_results"],
        has_next: &["has_next"],
        next_cursor: &[],
    };

    #[test]
    fn wrapped_and_single_elements_read_as_lists() {
        let d = json!({"a": {"trade": [1, 2]}, "b": {"trade": {"x": 1}}, "c": [3], "d": 4});
        assert_eq!(elements(&d, &["a"]).len(), 2);
        assert_eq!(elements(&d, &["b"]).len(), 1);
        assert_eq!(elements(&d, &["c"]).len(), 1);
        assert_eq!(elements(&d, &["d"]).len(), 0);
        assert_eq!(elements(&d, &["missing"]).len(), 0);
    }

    #[test]
    fn page_numbers_go_on_while_has_next_says_so() {
        let mut req = json!({"fields": "tid"});
        let mut w = Walker::new(&PAGE, &mut req, None);
        assert_eq!(req["page_size"], json!(100));
        let (step, body) = w.request(&req).unwrap();
        assert_eq!(body["page_no"], json!(1));
        assert!(w.after(&step, &json!({"trades": [1], "has_next": true})));
        let (step, body) = w.request(&req).unwrap();
        assert_eq!(body["page_no"], json!(2));
        assert!(w.after(&step, &json!({"trades": [1], "has_next": false})));
        assert!(w.request(&req).is_none());
    }

    #[test]
    fn without_has_next_the_total_ends_the_run() {
        let mut req = json!({"page_size": 2});
        let mut w = Walker::new(&PAGE, &mut req, None);
        let (step, _) = w.request(&req).unwrap();
        assert!(w.after(&step, &json!({"trades": [1, 2], "total_results": "4"})));
        let (step, _) = w.request(&req).unwrap();
        assert!(w.after(&step, &json!({"trades": [3, 4], "total_results": 4})));
        assert!(w.request(&req).is_none());
    }

    #[test]
    fn backward_reads_the_last_page_first_and_page_one_last() {
        static BACK: Paging = Paging {
            style: PageStyle::Page {
                first: 1,
                backward: true,
            },
            has_next: &[],
            ..PAGE
        };
        let mut req = json!({"page_size": 10});
        let mut w = Walker::new(&BACK, &mut req, None);
        let (step, body) = w.request(&req).unwrap();
        assert_eq!(body["page_no"], json!(1));
        assert!(
            !w.after(&step, &json!({"trades": [1], "total_results": 25})),
            "the probe is not yielded"
        );
        let mut order = Vec::new();
        while let Some((step, body)) = w.request(&req) {
            order.push(body["page_no"].as_i64().unwrap());
            assert!(w.after(&step, &json!({"trades": [1]})));
        }
        assert_eq!(order, [3, 2, 1]);
    }

    #[test]
    fn a_cursor_that_does_not_move_ends_the_run() {
        static CURSOR: Paging = Paging {
            style: PageStyle::Cursor,
            position: "cursor",
            size: Some("count"),
            max_size: 20,
            items: &["list"],
            total: &[],
            has_next: &["has_more"],
            next_cursor: &["cursor"],
        };
        let mut req = json!({});
        let mut w = Walker::new(&CURSOR, &mut req, None);
        let (step, body) = w.request(&req).unwrap();
        assert!(body.get("cursor").is_none(), "the first page has no cursor");
        assert!(w.after(&step, &json!({"list": [1], "cursor": 5, "has_more": true})));
        let (step, body) = w.request(&req).unwrap();
        assert_eq!(body["cursor"], json!(5));
        assert!(w.after(&step, &json!({"list": [1], "cursor": 5, "has_more": true})));
        assert!(w.request(&req).is_none());
    }

    #[test]
    fn max_pages_stops_early() {
        let mut req = json!({});
        let mut w = Walker::new(&PAGE, &mut req, Some(1));
        let (step, _) = w.request(&req).unwrap();
        assert!(w.after(&step, &json!({"trades": [1], "has_next": true})));
        assert!(w.request(&req).is_none());
    }
}
