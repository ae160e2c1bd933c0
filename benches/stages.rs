//! Criterion benchmarks, one group per pipeline stage, throughput in bytes of original text
//! (in feature incidences for story document frequencies).
//! Input: the bundled seed articles (real news). Run: `cargo bench --bench stages`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use wiredup::config::{MINHASH_SEED, SHINGLE_SEED};
use wiredup::lsh::{candidates, LshParams};
use wiredup::minhash::MinHasher;
use wiredup::normalize::each_word_hash;
use wiredup::shingle::{ShingleScratch, Shingler};
use wiredup::story::DocFrequencies;

fn seed_texts() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

fn stages(c: &mut Criterion) {
    let texts = seed_texts();
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    let shingler = Shingler::new(5, SHINGLE_SEED);
    let hasher = MinHasher::new(128, MINHASH_SEED);
    let lsh = LshParams::optimal(0.364, 128);

    // Folding and splitting into words, each word hashed (the normalize stage as the pipeline
    // runs it: the normalized text itself is never built).
    let mut g = c.benchmark_group("normalize");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("words-hashed", |b| {
        let mut buf = Vec::new();
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                each_word_hash(black_box(t), SHINGLE_SEED, &mut buf, |_| n += 1);
            }
            assert!(n > 2000);
        })
    });
    g.finish();

    // Words to 5-gram hashes, as signing takes them (text order, repeats kept), and as
    // verification takes them (sorted, unique); both include the words stage.
    let mut g = c.benchmark_group("shingle");
    g.throughput(Throughput::Bytes(bytes));
    let mut scratch = ShingleScratch::default();
    g.bench_function("5-gram-hashes", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut total = 0;
            for t in &texts {
                shingler.hashes_into(black_box(t), &mut scratch, &mut out);
                total += out.len();
            }
            assert!(total > 2000);
        })
    });
    g.bench_function("5-gram-set", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut total = 0;
            for t in &texts {
                shingler.shingles_into(black_box(t), &mut scratch, &mut out);
                total += out.len();
            }
            assert!(total > 2000);
        })
    });
    g.finish();

    let sets: Vec<Vec<u64>> = texts.iter().map(|t| shingler.shingles(t)).collect();
    let mut g = c.benchmark_group("minhash");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("fast-sketch-128", |b| {
        b.iter(|| {
            for s in &sets {
                let sig = hasher.sign(black_box(s));
                assert_eq!(sig.0.len(), 128);
            }
        })
    });
    g.finish();

    // LSH over 10,000 signatures: 2,000 distinct texts, each signed five times with a few
    // items changed, so buckets hold real candidates.
    let n = 10_000usize;
    let mut keys = Vec::with_capacity(n * lsh.bands);
    for d in 0..n {
        let base = (d / 5) as u64 * 1_000_000;
        let set: Vec<u64> = (0..300u64).map(|i| base + if i < (d % 5) as u64 * 3 { 999_000 + i } else { i }).collect();
        lsh.band_keys(&hasher.sign(&set), &mut keys);
    }
    let eligible = vec![true; n];
    let mut g = c.benchmark_group("lsh");
    g.throughput(Throughput::Bytes(bytes / texts.len() as u64 * n as u64));
    g.bench_function("band-keys-to-candidates-10k-docs", |b| {
        b.iter(|| {
            let (pairs, _) = candidates(black_box(&keys), lsh.bands, &eligible, 2000);
            assert!(pairs.len() >= 2000 * 10 * 9 / 10, "{}", pairs.len());
        })
    });
    g.finish();

    // Corpus document frequencies of story features, as the read stage feeds them: 8 batches of
    // 1,000 documents x 400 features, each document's features sorted and distinct. Most
    // incidences are of common features (a skewed vocabulary of 200,000), one in four is of a
    // feature no other document holds. Counting runs on one thread, as it does beside the
    // readers; lookups are one per incidence, as verification makes them.
    let batches = df_batches(8, 1000, 400);
    let incidences: usize = batches.iter().map(|b| b.len()).sum();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut g = c.benchmark_group("story-df");
    g.throughput(Throughput::Elements(incidences as u64));
    g.sample_size(20);
    g.bench_function("add-batch", |b| {
        b.iter(|| {
            let mut df = DocFrequencies::default();
            one_thread.install(|| batches.iter().for_each(|batch| df.add_batch(black_box(batch))));
            assert!(df.counted().count() > 50_000);
        })
    });
    let mut df = DocFrequencies::default();
    batches.iter().for_each(|batch| df.add_batch(batch));
    g.bench_function("get", |b| {
        b.iter(|| {
            let total: u64 = batches.iter().flatten().map(|&h| df.get(black_box(h)) as u64).sum();
            assert!(total > incidences as u64);
        })
    });
    g.finish();
}

/// `batches` x `docs` documents of `features` distinct story feature hashes each (sorted, as
/// the featurizer gives them), three in four drawn from a skewed vocabulary, the rest unique.
fn df_batches(batches: usize, docs: usize, features: usize) -> Vec<Vec<u64>> {
    let mut x = 7u64;
    let mut next = move || {
        // splitmix64: a fixed seed, so every run benchmarks the same batches.
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let vocabulary: Vec<u64> = (0..200_000).map(|_| next()).collect();
    (0..batches)
        .map(|_| {
            let mut batch = Vec::with_capacity(docs * features);
            for _ in 0..docs {
                let mut doc: Vec<u64> = (0..features)
                    .map(|i| {
                        if i % 4 == 3 {
                            return next();
                        }
                        // Cubing a uniform draw skews it towards the vocabulary's head.
                        let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
                        vocabulary[(u * u * u * vocabulary.len() as f64) as usize]
                    })
                    .collect();
                doc.sort_unstable();
                doc.dedup();
                batch.extend_from_slice(&doc);
            }
            batch
        })
        .collect()
}

criterion_group!(benches, stages);
criterion_main!(benches);
