use std::collections::HashMap;
use wiredup::story::{self, StoryFeaturizer, Weighting};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
    paths.sort();
    let texts: Vec<String> = paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let f = StoryFeaturizer::default();
    let feats: Vec<_> = texts.iter().map(|t| f.features(t)).collect();
    let mut df: HashMap<u64, u32> = HashMap::new();
    for fs in &feats { for x in fs { *df.entry(x.hash).or_default() += 1; } }
    let w = Weighting { docs: texts.len() };
    let vecs: Vec<_> = feats.iter().map(|fs| w.vector(fs, &|h| df[&h])).collect();
    for t in [40usize, 60, 100, 200, 10000] {
        let sk: Vec<_> = feats.iter().zip(&vecs).map(|(fs, v)| story::salient(fs, v, t)).collect();
        let mut line = format!("t={t}:");
        for a in 0..5 { for b in a+1..5 {
            let dot: f32 = sk[a].iter().filter_map(|(h, wa)| sk[b].iter().find(|x| x.0 == *h).map(|x| wa * x.1)).sum();
            line += &format!(" {a}{b}={dot:.3}/{:.3}", story::cosine(&vecs[a], &vecs[b]));
        }}
        println!("{line} sizes {:?}", sk.iter().map(|s| s.len()).collect::<Vec<_>>());
    }
}
