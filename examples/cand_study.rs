use std::collections::HashMap;
use wiredup::story::{self, StoryFeaturizer, Weighting};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let labels_path = std::env::args().nth(2);
    let texts: Vec<(String, String)> = std::fs::read_to_string(&path).unwrap().lines().map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        (v["id"].as_str().unwrap().to_string(), v["text"].as_str().unwrap().to_string())
    }).collect();
    let labels: HashMap<String, String> = labels_path.map(|p| std::fs::read_to_string(p).unwrap().lines().map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        (v["id"].as_str().unwrap().to_string(), v["cluster"].as_str().unwrap().to_string())
    }).collect()).unwrap_or_default();
    let f = StoryFeaturizer::default();
    let feats: Vec<_> = texts.iter().map(|(_, t)| f.features(t)).collect();
    let mut df: HashMap<u64, u32> = HashMap::new();
    for fs in &feats { for x in fs { *df.entry(x.hash).or_default() += 1; } }
    let w = Weighting { docs: texts.len() };
    let vecs: Vec<_> = feats.iter().map(|fs| w.vector(fs, &|h| df[&h])).collect();
    let ranked: Vec<Vec<(u64, f32)>> = feats.iter().zip(&vecs).map(|(fs, v)| {
        let mut r: Vec<(f32, u64)> = fs.iter().zip(v).filter(|(f, _)| f.kind != story::Kind::Bigram).map(|(_, &(h, w))| (w, h)).collect();
        r.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        r.into_iter().map(|x| (x.1, x.0)).collect()
    }).collect();
    let n = texts.len();
    let exact = n <= 2000;
    for t in [30usize, 40, 60] {
        // pair -> shared count among top-t
        let mut inv: HashMap<u64, Vec<(u32, f32)>> = HashMap::new();
        for (d, r) in ranked.iter().enumerate() { for &(h, w) in r.iter().take(t) { inv.entry(h).or_default().push((d as u32, w)); } }
        let mut shared: HashMap<(u32, u32), f32> = HashMap::new();
        for docs in inv.values() { for i in 0..docs.len() { for j in i+1..docs.len() { *shared.entry((docs[i].0, docs[j].0)).or_default() += docs[i].1 * docs[j].1; } } }
        let mut line = format!("t={t:2}");
        for m in [0.01f32, 0.02, 0.03, 0.05] {
            let cands: Vec<_> = shared.iter().filter(|(_, &c)| c >= m).map(|(p, _)| *p).collect();
            if exact {
                let mut need = 0; let mut got = 0; let mut gneed = 0; let mut ggot = 0;
                for a in 0..n { for b in a+1..n {
                    let c = story::cosine(&vecs[a], &vecs[b]);
                    if c >= 0.10 {
                        need += 1;
                        let hit = shared.get(&(a as u32, b as u32)).is_some_and(|&x| x >= m);
                        got += hit as usize;
                        if labels.get(&texts[a].0) == labels.get(&texts[b].0) { gneed += 1; ggot += hit as usize; }
                    }
                }}
                line += &format!(" | m={m}: cands {} recall {:.3} gold {:.3}", cands.len(), got as f64/need as f64, ggot as f64/gneed.max(1) as f64);
            } else {
                line += &format!(" | m={m}: cands {}", cands.len());
            }
        }
        println!("{line}");
    }
}
