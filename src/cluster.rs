//! Clustering: verified pairs in, clusters out, each naming its original (the member the
//! others were most likely copied from) and every member's similarity to it.

use std::cmp::Ordering;

use crate::verify::{Relation, Scored};

/// What the choice of an original needs to know about a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    pub id: &'a str,
    /// Publication time in seconds since the epoch, when the input gave a readable date.
    pub date: Option<i64>,
    /// Size of the document (features or shingles): a superset is the longer text.
    pub length: usize,
    /// Its `source` (or `url`) names a wire agency.
    pub wire: bool,
}

/// True when `source` names a news agency whose copy others syndicate (Reuters, AP, AFP, ...).
pub fn is_wire_source(source: &str) -> bool {
    const AGENCIES: [&str; 20] = [
        "reuters",
        "ap",
        "afp",
        "dpa",
        "upi",
        "bloomberg",
        "xinhua",
        "aap",
        "ansa",
        "efe",
        "kyodo",
        "yonhap",
        "tass",
        "interfax",
        "apnews",
        "ria",
        "anadolu",
        "pti",
        "ians",
        "cna",
    ];
    const PHRASES: [&str; 4] = ["associated press", "agence france", "press association", "pa media"];
    let lower = source.to_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
        || lower.split(|c: char| !c.is_alphanumeric()).any(|w| AGENCIES.contains(&w))
}

/// One member of a cluster and its similarity to the cluster's original (1.0 for the original).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member {
    pub doc: u32,
    pub score: f64,
    /// How the member relates to the original (`None` for the original itself).
    pub relation: Option<Relation>,
}

/// Two or more documents that are copies of one another; `members[0]` is the original.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub original: u32,
    pub members: Vec<Member>,
}

/// The dates of the documents and the `--window`: no cluster may hold two dated documents
/// further apart than `seconds` (undated documents join any cluster).
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub dates: &'a [Option<i64>],
    pub seconds: Option<i64>,
}

impl Window<'_> {
    /// No window: every merge is allowed.
    pub const NONE: Window<'static> = Window { dates: &[], seconds: None };

    /// The (earliest, latest) date of one document; (MAX, MIN) when it has none.
    fn span_of(&self, d: u32) -> (i64, i64) {
        match self.dates.get(d as usize).copied().flatten() {
            Some(t) => (t, t),
            None => (i64::MAX, i64::MIN),
        }
    }

    /// The span of two merged groups, or `None` when it exceeds the window.
    fn merge(&self, x: (i64, i64), y: (i64, i64)) -> Option<(i64, i64)> {
        let span = (x.0.min(y.0), x.1.max(y.1));
        match self.seconds {
            Some(w) if span.0 <= span.1 && span.1 - span.0 > w => None,
            _ => Some(span),
        }
    }
}

/// Union-find with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    /// Unites the groups of `a` and `b` unless that would break the window; `spans` holds each
    /// root's date span. Returns whether they are now one group.
    fn union_within(&mut self, a: u32, b: u32, window: &Window, spans: &mut [(i64, i64)]) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let Some(span) = window.merge(spans[ra as usize], spans[rb as usize]) else { return false };
        self.union(a, b);
        spans[self.find(a) as usize] = span;
        true
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
    }
}

/// Connected components of 2+ documents over the pairs (taken in order; a pair whose union
/// would break the window is skipped), each sorted by document index, listed by their smallest
/// member.
pub fn components(n: usize, pairs: &[Scored], window: &Window) -> Vec<Vec<u32>> {
    let mut uf = UnionFind::new(n);
    let mut spans: Vec<(i64, i64)> = (0..n as u32).map(|d| window.span_of(d)).collect();
    for p in pairs {
        uf.union_within(p.a, p.b, window, &mut spans);
    }
    let mut by_root: ahash::AHashMap<u32, Vec<u32>> = ahash::AHashMap::new();
    for d in 0..n as u32 {
        let r = uf.find(d);
        if uf.size[r as usize] > 1 {
            by_root.entry(r).or_default().push(d);
        }
    }
    let mut comps: Vec<Vec<u32>> = by_root.into_values().collect();
    comps.sort_unstable_by_key(|c| c[0]);
    comps
}

/// A verified link between two documents and their direct similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    pub similarity: f64,
}

/// Story clustering that does not chain. `must_link` pairs (verbatim copies) join copy groups,
/// which start as clusters. Each document's neighbour row is its group (1.0) plus the `k` other
/// groups of its most similar linked documents (ties to the smaller index), L2-normalised; an
/// edge's second-order similarity is the cosine of the two rows (documents that share
/// neighbours). Average link then merges, best first, the two clusters whose mean second-order
/// similarity over all cross pairs of groups (a pair of groups: the mean over their members'
/// pairs; unlinked pairs count 0) is highest, while it is >= `threshold`. So copies of a
/// document change no other document's cluster. No merge breaks the `window`.
/// Returns groups of 2+ documents, each sorted, listed by their smallest member.
/// Deterministic: no hash-order iteration.
pub fn story_clusters(
    n: usize,
    edges: &[Edge],
    must_link: &[(u32, u32)],
    k: usize,
    threshold: f64,
    window: &Window,
) -> Vec<Vec<u32>> {
    use std::collections::{BTreeMap, BinaryHeap};

    let mut adjacency: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for e in edges {
        adjacency[e.a as usize].push((e.b, e.similarity));
        adjacency[e.b as usize].push((e.a, e.similarity));
    }
    let row_cosine = |a: &[(u32, f64)], b: &[(u32, f64)]| {
        let (mut i, mut j, mut dot) = (0, 0, 0.0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                Ordering::Less => i += 1,
                Ordering::Greater => j += 1,
                Ordering::Equal => {
                    dot += a[i].1 * b[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        dot
    };

    // Clusters are named by their smallest member; start from the must-link groups.
    let mut uf = UnionFind::new(n);
    let mut spans: Vec<(i64, i64)> = (0..n as u32).map(|d| window.span_of(d)).collect();
    for &(a, b) in must_link {
        uf.union_within(a, b, window, &mut spans);
    }
    let mut label = vec![u32::MAX; n];
    for d in 0..n as u32 {
        let r = uf.find(d) as usize;
        label[r] = label[r].min(d);
    }
    let cluster_of: Vec<u32> = (0..n as u32).map(|d| label[uf.find(d) as usize]).collect();
    // Rows over copy groups (a document's copies are one neighbour, named by the group's first
    // member, and never its own neighbour): copies of one article would otherwise fill each
    // other's rows and those of their rewrites.
    let rows: Vec<Vec<(u32, f64)>> = adjacency
        .iter_mut()
        .enumerate()
        .map(|(d, nb)| {
            nb.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            let own = cluster_of[d];
            let mut row: Vec<(u32, f64)> = Vec::with_capacity(k + 1);
            for &(x, sim) in nb.iter() {
                if row.len() == k {
                    break;
                }
                let g = cluster_of[x as usize];
                if g != own && row.iter().all(|r| r.0 != g) {
                    row.push((g, sim));
                }
            }
            row.push((own, 1.0));
            row.sort_by_key(|x| x.0);
            let norm = row.iter().map(|x| x.1 * x.1).sum::<f64>().sqrt();
            row.iter_mut().for_each(|x| x.1 /= norm);
            row
        })
        .collect();
    // Average link over copy groups too: a cluster's size is its groups, and two groups'
    // second-order similarity the mean over their members' linked pairs, so that an article
    // copied many times weighs as one.
    let mut members = vec![0u32; n];
    let mut span = vec![(i64::MAX, i64::MIN); n];
    for (d, &c) in cluster_of.iter().enumerate() {
        members[c as usize] += 1;
        let s = window.span_of(d as u32);
        span[c as usize] = (span[c as usize].0.min(s.0), span[c as usize].1.max(s.1));
    }
    let mut size: Vec<u32> = members.iter().map(|&m| u32::from(m > 0)).collect();
    let mut sums: BTreeMap<u32, BTreeMap<u32, f64>> = BTreeMap::new();
    for e in edges {
        let (ca, cb) = (cluster_of[e.a as usize], cluster_of[e.b as usize]);
        if ca == cb {
            continue;
        }
        let s2 = row_cosine(&rows[e.a as usize], &rows[e.b as usize])
            / (members[ca as usize] as f64 * members[cb as usize] as f64);
        *sums.entry(ca).or_default().entry(cb).or_default() += s2;
        *sums.entry(cb).or_default().entry(ca).or_default() += s2;
    }

    // Best-first merging with a lazily invalidated heap: an entry is current while both
    // clusters' versions are those it was made with.
    #[derive(PartialEq)]
    struct Entry {
        mean: f64,
        a: u32,
        b: u32,
        va: u32,
        vb: u32,
    }
    impl Eq for Entry {}
    impl Ord for Entry {
        fn cmp(&self, o: &Self) -> Ordering {
            self.mean.total_cmp(&o.mean).then((o.a, o.b).cmp(&(self.a, self.b)))
        }
    }
    impl PartialOrd for Entry {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    let mut version = vec![0u32; n];
    let mut heap = BinaryHeap::new();
    let entry = |a: u32, b: u32, sum: f64, size: &[u32], version: &[u32]| {
        let (a, b) = (a.min(b), a.max(b));
        let mean = sum / (size[a as usize] as f64 * size[b as usize] as f64);
        Entry { mean, a, b, va: version[a as usize], vb: version[b as usize] }
    };
    for (&a, nb) in &sums {
        for (&b, &sum) in nb {
            if a < b {
                heap.push(entry(a, b, sum, &size, &version));
            }
        }
    }
    let mut merged_into: Vec<u32> = (0..n as u32).collect();
    while let Some(top) = heap.pop() {
        if top.mean < threshold {
            break;
        }
        if version[top.a as usize] != top.va || version[top.b as usize] != top.vb {
            continue;
        }
        // Merge b into a (a is the smaller label), unless the window forbids it.
        let (a, b) = (top.a, top.b);
        let Some(merged_span) = window.merge(span[a as usize], span[b as usize]) else { continue };
        span[a as usize] = merged_span;
        let b_sums = sums.remove(&b).unwrap_or_default();
        for (c, s) in b_sums {
            if let Some(m) = sums.get_mut(&c) {
                m.remove(&b);
            }
            if c == a {
                continue;
            }
            *sums.entry(a).or_default().entry(c).or_default() += s;
            *sums.entry(c).or_default().entry(a).or_default() += s;
        }
        if let Some(m) = sums.get_mut(&a) {
            m.remove(&b);
        }
        size[a as usize] += size[b as usize];
        size[b as usize] = 0;
        merged_into[b as usize] = a;
        version[a as usize] += 1;
        version[b as usize] += 1;
        if let Some(nb) = sums.get(&a) {
            for (&c, &sum) in nb {
                heap.push(entry(a, c, sum, &size, &version));
            }
        }
    }
    let resolve = |mut c: u32| {
        while merged_into[c as usize] != c {
            c = merged_into[c as usize];
        }
        c
    };
    let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for d in 0..n as u32 {
        groups.entry(resolve(cluster_of[d as usize])).or_default().push(d);
    }
    groups.into_values().filter(|g| g.len() > 1).collect()
}

/// The original of a group of documents: the earliest date when any member has one; otherwise
/// the member most others are contained in (containment >= `containment`); then one from a
/// wire agency; then the longest; then the smallest id. `pairs` are the verified pairs inside
/// the group.
pub fn pick_original<'a>(
    members: &[u32],
    pairs: &[&Scored],
    facts: &dyn Fn(u32) -> Facts<'a>,
    containment: f64,
) -> u32 {
    // How many others each member contains, in one pass over the pairs (a wire story's group
    // can have thousands of members and a million pairs).
    let mut contains: ahash::AHashMap<u32, usize> = members.iter().map(|&m| (m, 0)).collect();
    for p in pairs {
        if p.overlap.b_in_a >= containment {
            contains.entry(p.a).and_modify(|n| *n += 1);
        }
        if p.overlap.a_in_b >= containment {
            contains.entry(p.b).and_modify(|n| *n += 1);
        }
    }
    let any_date = members.iter().any(|&m| facts(m).date.is_some());
    let rank = |m: u32| {
        let f = facts(m);
        // Smaller is better in every part: missing dates last, more containment first.
        let date = if any_date { f.date.unwrap_or(i64::MAX) } else { 0 };
        (date, std::cmp::Reverse(contains[&m]), !f.wire, std::cmp::Reverse(f.length), f.id, m)
    };
    members.iter().map(|&m| rank(m)).min().expect("a cluster has members").5
}

/// Orders clusters: larger first, then by the original's id; members: original first, then by
/// score (higher first), then by id.
pub fn sort_clusters(clusters: &mut [Cluster], id: &dyn Fn(u32) -> String) {
    for c in clusters.iter_mut() {
        let original = c.original;
        c.members.sort_by(|x, y| {
            (y.doc == original)
                .cmp(&(x.doc == original))
                .then(y.score.partial_cmp(&x.score).unwrap_or(Ordering::Equal))
                .then_with(|| id(x.doc).cmp(&id(y.doc)))
        });
    }
    clusters.sort_by(|x, y| y.members.len().cmp(&x.members.len()).then_with(|| id(x.original).cmp(&id(y.original))));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Overlap;

    fn pair(a: u32, b: u32, a_in_b: f64, b_in_a: f64) -> Scored {
        let overlap = Overlap { jaccard: 0.5, a_in_b, b_in_a };
        Scored { a, b, relation: Relation::Copy, score: a_in_b.max(b_in_a), overlap, evidence: Vec::new() }
    }

    fn edge(a: u32, b: u32, similarity: f64) -> Edge {
        Edge { a, b, similarity }
    }

    #[test]
    fn story_clusters_do_not_chain_through_a_weak_bridge() {
        // Two tight triangles {0,1,2} and {3,4,5}, bridged by one weak edge 2-3.
        let edges = [
            edge(0, 1, 0.6),
            edge(0, 2, 0.5),
            edge(1, 2, 0.55),
            edge(3, 4, 0.6),
            edge(3, 5, 0.5),
            edge(4, 5, 0.55),
            edge(2, 3, 0.12),
        ];
        assert_eq!(story_clusters(7, &edges, &[], 5, 0.03, &Window::NONE), vec![vec![0, 1, 2], vec![3, 4, 5]]);
        // Single link over the same edges would merge all six.
        assert_eq!(
            components(7, &edges.map(|e| pair(e.a, e.b, 0.9, 0.9)), &Window::NONE),
            vec![vec![0, 1, 2, 3, 4, 5]]
        );
    }

    #[test]
    fn copies_of_a_document_leave_the_other_documents_clusters_as_they_were() {
        // A random story graph, then the same with a verbatim copy of each of its first 8
        // documents (linked to everything its original is, and must-linked to it): copies are
        // one neighbour, so the clusters are those of the graph without them, plus the copies.
        let mut state = 7u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for round in 0..20 {
            let n = 40u32;
            let mut edges = Vec::new();
            for a in 0..n {
                for b in a + 1..n {
                    // Communities of 5 with dense, stronger links; sparse weak links across.
                    let p = if a / 5 == b / 5 { 0.7 } else { 0.04 };
                    if next() < p {
                        edges.push(Edge { a, b, similarity: 0.1 + 0.5 * next() });
                    }
                }
            }
            let plain = story_clusters(n as usize, &edges, &[], 3, 0.03, &Window::NONE);
            let copied: Vec<u32> = (0..8).collect();
            let copy_of = |c: u32| n + c;
            let mut with_copies = edges.clone();
            for e in &edges {
                for (&x, &y) in [(&e.a, &e.b), (&e.b, &e.a)] {
                    if copied.contains(&x) {
                        with_copies.push(Edge { a: copy_of(x), b: y, similarity: e.similarity });
                        if copied.contains(&y) && x < y {
                            with_copies.push(Edge { a: copy_of(x), b: copy_of(y), similarity: e.similarity });
                        }
                    }
                }
            }
            with_copies.extend(copied.iter().map(|&c| Edge { a: c, b: copy_of(c), similarity: 0.99 }));
            let must: Vec<(u32, u32)> = copied.iter().map(|&c| (c, copy_of(c))).collect();
            let got = story_clusters((n + 8) as usize, &with_copies, &must, 3, 0.03, &Window::NONE);
            let without: Vec<Vec<u32>> = got
                .iter()
                .map(|c| c.iter().copied().filter(|&d| d < n).collect::<Vec<_>>())
                .filter(|c| c.len() > 1)
                .collect();
            assert_eq!(without, plain, "round {round}");
        }
    }

    #[test]
    fn must_link_pairs_stay_together_and_order_does_not_matter() {
        let edges = [edge(0, 1, 0.4), edge(2, 3, 0.5)];
        let got = story_clusters(5, &edges, &[(1, 4)], 5, 0.03, &Window::NONE);
        assert_eq!(got, vec![vec![0, 1, 4], vec![2, 3]]);
        let reversed: Vec<Edge> = edges.iter().rev().copied().collect();
        assert_eq!(story_clusters(5, &reversed, &[(4, 1)], 5, 0.03, &Window::NONE), got);
    }

    #[test]
    fn no_cluster_spans_more_than_the_window_even_through_an_undated_member() {
        // 0 and 2 are ten days apart; 1 is undated and linked to both.
        let day = 86_400;
        let dates = [Some(0), None, Some(10 * day)];
        let window = Window { dates: &dates, seconds: Some(3 * day) };
        let pairs = [pair(0, 1, 0.9, 0.9), pair(1, 2, 0.9, 0.9)];
        assert_eq!(components(3, &pairs, &window), vec![vec![0, 1]]);
        assert_eq!(components(3, &pairs, &Window::NONE), vec![vec![0, 1, 2]]);
        let edges = [edge(0, 1, 0.6), edge(1, 2, 0.6)];
        assert_eq!(story_clusters(3, &edges, &[], 5, 0.03, &window).len(), 1);
        assert_eq!(story_clusters(3, &edges, &[], 5, 0.03, &window)[0].len(), 2);
        assert_eq!(story_clusters(3, &edges, &[(0, 1), (1, 2)], 5, 0.03, &window), vec![vec![0, 1]]);
    }

    #[test]
    fn components_join_transitively_and_drop_singletons() {
        let pairs = [pair(0, 3, 0.9, 0.9), pair(3, 5, 0.9, 0.9), pair(1, 2, 0.9, 0.9)];
        assert_eq!(components(7, &pairs, &Window::NONE), vec![vec![0, 3, 5], vec![1, 2]]);
    }

    const IDS: [&str; 3] = ["a", "b", "c"];

    #[test]
    fn original_is_the_earliest_dated_member() {
        let dates = [Some(300), None, Some(100)];
        let facts = |d: u32| Facts { id: IDS[d as usize], date: dates[d as usize], length: 10, wire: false };
        let pairs = [pair(0, 1, 0.9, 0.9), pair(1, 2, 0.9, 0.9)];
        let refs: Vec<&Scored> = pairs.iter().collect();
        assert_eq!(pick_original(&[0, 1, 2], &refs, &facts, 0.8), 2);
    }

    #[test]
    fn without_dates_the_original_contains_the_others() {
        // b (1) holds both a and c: they are contained in it.
        let facts = |d: u32| Facts { id: IDS[d as usize], date: None, length: [50, 40, 60][d as usize], wire: false };
        let pairs = [pair(0, 1, 0.95, 0.6), pair(1, 2, 0.5, 0.9)];
        let refs: Vec<&Scored> = pairs.iter().collect();
        assert_eq!(pick_original(&[0, 1, 2], &refs, &facts, 0.8), 1);
        // With no containment, the longest wins; then the smallest id.
        let flat = [pair(0, 1, 0.6, 0.6), pair(1, 2, 0.6, 0.6)];
        let refs: Vec<&Scored> = flat.iter().collect();
        assert_eq!(pick_original(&[0, 1, 2], &refs, &facts, 0.8), 2);
        let same = |d: u32| Facts { id: IDS[d as usize], date: None, length: 5, wire: false };
        assert_eq!(pick_original(&[2, 1], &refs, &same, 0.8), 1);
        // A wire source outranks length.
        let wire = |d: u32| Facts { id: IDS[d as usize], date: None, length: [50, 40, 60][d as usize], wire: d == 0 };
        assert_eq!(pick_original(&[0, 1, 2], &refs, &wire, 0.8), 0);
    }

    #[test]
    fn wire_sources_are_recognised() {
        for s in ["Reuters", "The Associated Press", "AFP via Yahoo", "https://apnews.com/x", "dpa"] {
            assert!(is_wire_source(s), "{s}");
        }
        for s in ["The Guardian", "Napa Valley Register", "capital times"] {
            assert!(!is_wire_source(s), "{s}");
        }
    }

    #[test]
    fn clusters_sort_by_size_then_original_id() {
        let m = |doc, score| Member { doc, score, relation: Some(Relation::Copy) };
        let mut cs = vec![
            Cluster { original: 2, members: vec![m(1, 0.7), m(2, 1.0)] },
            Cluster { original: 0, members: vec![m(0, 1.0), m(3, 0.9)] },
            Cluster { original: 4, members: vec![m(4, 1.0), m(5, 0.6), m(6, 0.9)] },
        ];
        let names = ["d0", "d1", "d2", "d3", "d4", "d5", "d6"];
        sort_clusters(&mut cs, &|d| names[d as usize].to_string());
        let order: Vec<u32> = cs.iter().map(|c| c.original).collect();
        assert_eq!(order, [4, 0, 2]);
        assert_eq!(cs[0].members.iter().map(|m| m.doc).collect::<Vec<_>>(), [4, 6, 5]);
        assert_eq!(cs[2].members[0].doc, 2);
    }
}
