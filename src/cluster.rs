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

/// Connected components of 2+ documents over the pairs, each sorted by document index,
/// listed by their smallest member.
pub fn components(n: usize, pairs: &[Scored]) -> Vec<Vec<u32>> {
    let mut uf = UnionFind::new(n);
    for p in pairs {
        uf.union(p.a, p.b);
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

/// The original of a group of documents: the earliest date when any member has one; otherwise
/// the member most others are contained in (containment >= `containment`); then the longest;
/// then the smallest id. `pairs` are the verified pairs inside the group.
pub fn pick_original<'a>(
    members: &[u32],
    pairs: &[&Scored],
    facts: &dyn Fn(u32) -> Facts<'a>,
    containment: f64,
) -> u32 {
    let contains_count = |m: u32| {
        pairs
            .iter()
            .filter(|p| (p.a == m && p.overlap.b_in_a >= containment) || (p.b == m && p.overlap.a_in_b >= containment))
            .count()
    };
    let any_date = members.iter().any(|&m| facts(m).date.is_some());
    let rank = |m: u32| {
        let f = facts(m);
        // Smaller is better in every part: missing dates last, more containment first.
        let date = if any_date { f.date.unwrap_or(i64::MAX) } else { 0 };
        (date, std::cmp::Reverse(contains_count(m)), std::cmp::Reverse(f.length), f.id)
    };
    *members.iter().min_by(|&&x, &&y| rank(x).cmp(&rank(y))).expect("a cluster has members")
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
        Scored { a, b, relation: Relation::Copy, score: a_in_b.max(b_in_a), overlap }
    }

    #[test]
    fn components_join_transitively_and_drop_singletons() {
        let pairs = [pair(0, 3, 0.9, 0.9), pair(3, 5, 0.9, 0.9), pair(1, 2, 0.9, 0.9)];
        assert_eq!(components(7, &pairs), vec![vec![0, 3, 5], vec![1, 2]]);
    }

    const IDS: [&str; 3] = ["a", "b", "c"];

    #[test]
    fn original_is_the_earliest_dated_member() {
        let dates = [Some(300), None, Some(100)];
        let facts = |d: u32| Facts { id: IDS[d as usize], date: dates[d as usize], length: 10 };
        let pairs = [pair(0, 1, 0.9, 0.9), pair(1, 2, 0.9, 0.9)];
        let refs: Vec<&Scored> = pairs.iter().collect();
        assert_eq!(pick_original(&[0, 1, 2], &refs, &facts, 0.8), 2);
    }

    #[test]
    fn without_dates_the_original_contains_the_others() {
        // b (1) holds both a and c: they are contained in it.
        let facts = |d: u32| Facts { id: IDS[d as usize], date: None, length: [50, 40, 60][d as usize] };
        let pairs = [pair(0, 1, 0.95, 0.6), pair(1, 2, 0.5, 0.9)];
        let refs: Vec<&Scored> = pairs.iter().collect();
        assert_eq!(pick_original(&[0, 1, 2], &refs, &facts, 0.8), 1);
        // With no containment, the longest wins; then the smallest id.
        let flat = [pair(0, 1, 0.6, 0.6), pair(1, 2, 0.6, 0.6)];
        let refs: Vec<&Scored> = flat.iter().collect();
        assert_eq!(pick_original(&[0, 1, 2], &refs, &facts, 0.8), 2);
        let same = |d: u32| Facts { id: IDS[d as usize], date: None, length: 5 };
        assert_eq!(pick_original(&[2, 1], &refs, &same, 0.8), 1);
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
