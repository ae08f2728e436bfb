//! The compiled matchers: a label trie over reversed domain labels, an IP prefix table (IPv4 and
//! IPv6, longest prefix wins) and a JA4 exact map.
//!
//! Contract: built once from validated signatures; lookups take `&self`, never allocate, never
//! panic. A name is normalised (ASCII lower-case, one trailing dot removed) into a stack buffer of
//! `MAX_NAME_LEN` bytes; non-ASCII bytes are kept as they are (no IDNA mapping), so a U-label never
//! matches an entry, which must be written as its `xn--` A-label. Names longer than the cap never match.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::dissect::limits::signatures::MAX_NAME_LEN;

/// Looked up once or more per flow: foldhash (randomly seeded per map), not SipHash.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Index of an entry in `Matcher::entries`.
type EntryIndex = u32;

/// A signature key (domain suffix, CIDR or JA4) and the provider it belongs to.
#[derive(Debug)]
pub(crate) struct Entry {
    pub provider: usize,
    pub key: Box<str>,
}

#[derive(Default, Debug)]
struct TrieNode {
    /// Keyed by the label's bytes: lookups split the normalised name as bytes, with no UTF-8 check.
    children: HashMap<Box<[u8]>, u32>,
    entry: Option<EntryIndex>,
}

#[derive(Default, Debug)]
pub(crate) struct Matcher {
    pub entries: Vec<Entry>,
    /// Node 0 is the root (the empty name); a child edge is one label, walked from the TLD down.
    trie: Vec<TrieNode>,
    /// Per prefix length present (longest first): masked network → entry.
    v4: Vec<(u8, HashMap<u32, EntryIndex>)>,
    v6: Vec<(u8, HashMap<u128, EntryIndex>)>,
    ja4: HashMap<Box<str>, EntryIndex>,
}

impl Matcher {
    pub fn new() -> Self {
        Matcher {
            trie: vec![TrieNode::default()],
            ..Matcher::default()
        }
    }

    fn push_entry(&mut self, provider: usize, key: &str) -> EntryIndex {
        let index = self.entries.len() as EntryIndex;
        self.entries.push(Entry {
            provider,
            key: key.into(),
        });
        index
    }

    /// Adds an already-validated, lower-case domain. Duplicates are rejected by validation first.
    pub fn add_domain(&mut self, provider: usize, domain: &str) {
        let entry = self.push_entry(provider, domain);
        let mut node = 0usize;
        for label in domain.as_bytes().rsplit(|&b| b == b'.') {
            let next = match self.trie.get(node).and_then(|n| n.children.get(label)) {
                Some(&child) => child as usize,
                None => {
                    let child = self.trie.len();
                    self.trie.push(TrieNode::default());
                    if let Some(n) = self.trie.get_mut(node) {
                        n.children.insert(label.into(), child as u32);
                    }
                    child
                }
            };
            node = next;
        }
        if let Some(n) = self.trie.get_mut(node) {
            n.entry = Some(entry);
        }
    }

    pub fn add_net(&mut self, provider: usize, net: IpNet) {
        let entry = self.push_entry(provider, &net.to_string());
        let len = net.prefix_len();
        match net {
            IpNet::V4(v4) => {
                let table = slot(&mut self.v4, len);
                table.insert(u32::from(v4.network()), entry);
            }
            IpNet::V6(v6) => {
                let table = slot(&mut self.v6, len);
                table.insert(u128::from(v6.network()), entry);
            }
        }
    }

    pub fn add_ja4(&mut self, provider: usize, ja4: &str) {
        let entry = self.push_entry(provider, ja4);
        self.ja4.insert(ja4.into(), entry);
    }

    /// The most specific domain entry covering `name` (whole labels only).
    pub fn lookup_name(&self, name: &str) -> Option<&Entry> {
        let mut buf = [0u8; MAX_NAME_LEN];
        let normalised = normalise_bytes(name, &mut buf)?;
        let mut node = self.trie.first()?;
        let mut best = None;
        for label in normalised.rsplit(|&b| b == b'.') {
            let Some(&child) = node.children.get(label) else {
                break;
            };
            node = self.trie.get(child as usize)?;
            if node.entry.is_some() {
                best = node.entry;
            }
        }
        self.entries.get(best? as usize)
    }

    pub fn lookup_addr(&self, ip: IpAddr) -> Option<&Entry> {
        let entry = match ip.to_canonical() {
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                self.v4.iter().find_map(|(len, table)| {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
                    table.get(&(bits & mask)).copied()
                })
            }
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                self.v6.iter().find_map(|(len, table)| {
                    let mask = u128::MAX.checked_shl(128 - u32::from(*len)).unwrap_or(0);
                    table.get(&(bits & mask)).copied()
                })
            }
        }?;
        self.entries.get(entry as usize)
    }

    pub fn lookup_ja4(&self, ja4: &str) -> Option<&Entry> {
        let entry = *self.ja4.get(ja4)?;
        self.entries.get(entry as usize)
    }
}

/// The table for prefix length `len`, created in longest-first order if missing.
fn slot<K>(tables: &mut Vec<(u8, HashMap<K, EntryIndex>)>, len: u8) -> &mut HashMap<K, EntryIndex> {
    let position = match tables.iter().position(|(l, _)| *l <= len) {
        Some(p) if tables[p].0 == len => p,
        Some(p) => {
            tables.insert(p, (len, HashMap::default()));
            p
        }
        None => {
            tables.push((len, HashMap::default()));
            tables.len() - 1
        }
    };
    &mut tables[position].1
}

/// ASCII-lower-cases `name` into `buf`, dropping one trailing dot. `None` if it is empty, longer
/// than `MAX_NAME_LEN`, or not valid UTF-8 after copying (cannot happen: only ASCII bytes change).
pub fn normalise_name<'b>(name: &str, buf: &'b mut [u8; MAX_NAME_LEN]) -> Option<&'b str> {
    std::str::from_utf8(normalise_bytes(name, buf)?).ok()
}

/// [`normalise_name`] as bytes (they are valid UTF-8: only ASCII letters changed).
fn normalise_bytes<'b>(name: &str, buf: &'b mut [u8; MAX_NAME_LEN]) -> Option<&'b [u8]> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let bytes = trimmed.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let out = buf.get_mut(..bytes.len())?;
    for (dst, src) in out.iter_mut().zip(bytes) {
        *dst = src.to_ascii_lowercase();
    }
    Some(out)
}
