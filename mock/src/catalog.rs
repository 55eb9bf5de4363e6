//! The APIs of the specs folder the mock serves, found by name or path in constant time.

use crate::MockGateway;
use opengate_codegen::ir;
use std::collections::HashMap;

/// One API of the specs and the platform folder it came from.
#[derive(Debug)]
pub(crate) struct Entry {
    pub platform: String,
    pub protocol: String,
    pub api: ir::Api,
}

/// The APIs of a specs folder, found by name or path in constant time.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    entries: Vec<Entry>,
    by_name: HashMap<String, Vec<usize>>,
    by_path: HashMap<String, Vec<usize>>,
    /// (platform, protocol) of every platform folder.
    platforms: Vec<(String, String)>,
}

impl Catalog {
    pub fn new(corpus: opengate_codegen::ir::Corpus) -> Self {
        let mut c = Catalog::default();
        for p in corpus.platforms {
            c.platforms.push((p.name.clone(), p.protocol.clone()));
            for api in p.apis {
                let i = c.entries.len();
                c.by_name.entry(api.name.clone()).or_default().push(i);
                if !api.path.is_empty() {
                    c.by_path.entry(api.path.clone()).or_default().push(i);
                }
                c.entries.push(Entry {
                    platform: p.name.clone(),
                    protocol: p.protocol.clone(),
                    api,
                });
            }
        }
        c
    }

    /// The APIs of this protocol named `name` (one per version).
    pub fn named<'a>(&'a self, protocol: &'a str, name: &str) -> impl Iterator<Item = &'a Entry> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
            .filter(move |e| e.protocol == protocol)
    }

    /// The API of this protocol whose spec gives it this path.
    pub fn at_path(&self, protocol: &str, path: &str) -> Option<&Entry> {
        self.by_path
            .get(path)?
            .iter()
            .map(|&i| &self.entries[i])
            .find(|e| e.protocol == protocol)
    }

    /// Every platform folder and its protocol.
    pub fn folders(&self) -> impl Iterator<Item = (&str, &str)> {
        self.platforms.iter().map(|(n, p)| (n.as_str(), p.as_str()))
    }

    /// The platform folders of a protocol.
    pub fn platforms<'a>(&'a self, protocol: &'a str) -> impl Iterator<Item = &'a str> {
        self.platforms
            .iter()
            .filter(move |(_, p)| p == protocol)
            .map(|(n, _)| n.as_str())
    }
}

impl MockGateway {
    /// The platform of `protocol` whose config has `key = value` (the app a token request
    /// names), else its first platform folder, else the protocol's name.
    pub fn platform_by(&self, protocol: &str, key: &str, value: Option<&str>) -> String {
        let mut names = self.catalog.platforms(protocol).peekable();
        let first = names.peek().copied();
        names
            .find(|p| value.is_some() && self.get(p, key) == value)
            .or(first)
            .unwrap_or(protocol)
            .to_owned()
    }
}
