//! End-to-end tests of `wiredup scan --level story` (the default level): rewrites of one story
//! are linked and clustered, different stories are kept apart, the original is named, and the
//! flags that shape the story level (--evidence, --window, --threads) do what they say.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::*;
use serde_json::{json, Value};

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");

// ---------------------------------------------------------------------------------------------
// Texts. All names, places and numbers are invented.

/// A harbour fire, as one outlet wrote it.
const FIRE_A: &str = "A fire tore through the Kestrel Bay ferry terminal in Varnholm early on Tuesday, \
forcing the evacuation of 340 passengers and crew, harbour officials said. The blaze broke out in a storage \
hall shortly after 5 a.m. and was under control by mid-morning. Nobody was seriously hurt, although 12 people \
were treated for smoke inhalation at St. Odile Hospital. Harbour master Ingrid Salvesen told reporters that \
the ferry Marisol Queen had been moved away from the quay as a precaution. \u{201c}We got everyone out in \
under twenty minutes,\u{201d} Salvesen said. Investigators from the Varnholm fire service are examining an \
electrical panel in the hall. Crossings to Tollerup island were suspended for the day, and the operator, \
Nordlys Lines, said refunds would be offered. Mayor Anton Brekke called the response \u{201c}exemplary\u{201d} \
and promised a review of safety rules at the port.";

/// The same fire, reworded sentence by sentence by another outlet: same names, places, numbers
/// and quote, little verbatim overlap.
const FIRE_B: &str = "Some 340 travellers and staff had to leave the Kestrel Bay ferry terminal in Varnholm \
on Tuesday morning after flames erupted in a warehouse on the site, according to port authorities. \
Firefighters contained the blaze around 10 a.m., roughly five hours after it started. In all, 12 people \
needed treatment at St. Odile Hospital for breathing in smoke; none of the injuries were serious. As a safety \
measure the Marisol Queen was pulled back from its berth, harbour master Ingrid Salvesen explained to \
journalists. \u{201c}We got everyone out in under twenty minutes,\u{201d} she said. The cause remains \
unknown, but Varnholm fire investigators are focusing on a faulty electrical panel. Nordlys Lines cancelled \
every sailing to Tollerup island for the rest of Tuesday and promised passengers their money back. Anton \
Brekke, the town\u{2019}s mayor, praised the emergency crews as \u{201c}exemplary\u{201d} and said port \
safety regulations would be reviewed.";

/// Unrelated stories on other invented topics, so that document frequencies mean something.
const FILLERS: [&str; 6] = [
    "Bread prices in Dunmerrow rose by 8 percent in February, the regional statistics office reported on \
Monday, as bakers passed on higher costs for flour and energy. The Guild of Dunmerrow Bakers, which represents \
210 family businesses, said wheat bought from the Ostral plains now costs almost a third more than a year ago. \
\u{201c}Our margins are gone,\u{201d} said guild chair Petra Lindqvist, who runs a bakery on Canal Street. \
Economists at Halvard University expect prices to level off in the summer once the new harvest arrives. The \
city council is discussing a temporary cut in the business rates paid by small food shops.",
    "Sixteen-year-old Mirela Obradovic won the Castellane Open chess tournament on Sunday, beating grandmaster \
Tobias Wrenfield in a tense final game that lasted more than six hours. Obradovic, who learned the game from \
her grandfather in the village of Sveti Jurek, finished with 7.5 points from nine rounds. The tournament drew \
184 players from 23 countries to the old exhibition halls of Castellane. \u{201c}I was sure I had lost the \
endgame twice,\u{201d} she said afterwards. Her victory earns her a place at the Northern Masters next spring \
and prize money of 15,000 euros.",
    "Biologists at the Institute of Wetland Ecology in Brannock have found that a rare tree frog, long thought \
to be extinct in the Sorrel Valley, is breeding again in three ponds restored by volunteers. The team, led by \
Dr. Yusuf Adebayo, recorded the frogs\u{2019} distinctive clicking calls over 41 nights last spring. Their \
study, published in the journal Amphibian Conservation, counts at least 60 adult animals. Adebayo credits the \
return to the removal of invasive fish and the replanting of reeds along the banks. Local farmers have agreed \
to keep fertiliser away from the water\u{2019}s edge.",
    "Voters in the coastal district of Pellinore will choose a new council next month after the resignation of \
council leader Graham Tolliver over a planning dispute. Seven parties have registered candidates for the 31 \
seats, the electoral commission said on Thursday. The main issue of the campaign is a proposed wind farm off \
Gannet Point, which supporters say would bring 400 jobs and opponents say would spoil the view from the \
beaches. Turnout at the last election was 52 percent. Postal ballots will be sent out from the first of the \
month.",
    "Rovers of Ashgrove came from two goals down to beat Millbridge Athletic 3-2 in the cup semi-final on \
Saturday, with striker Dario Fenwick scoring twice in the last ten minutes. A crowd of 18,400 filled Harcourt \
Park for the first semi-final the club has reached in 27 years. Manager Sophie Kettering said her players had \
never stopped believing. Ashgrove will meet Port Ellery in the final at the national stadium on May 18. \
Millbridge complained that the winning goal should have been ruled out for offside.",
    "The new tram line linking Oberhain station with the Kessler business park opened to passengers on \
Wednesday, two years later than planned and 40 million euros over budget. Trams will run every seven minutes \
at peak hours, and the city transport company expects 22,000 journeys a day. Transport councillor Renate \
Holzmann admitted that the tunnelling under the Marienplatz had been badly underestimated. Shopkeepers along \
the route, who lost trade during the works, have been offered a year of reduced rents by the city.",
];

/// A wire story, long, from which the shorter articles below copy large verbatim stretches.
const MINE_SENTENCES: [&str; 12] = [
    "Rescue teams on Friday pulled the last of 23 miners from the flooded Halloran Ridge coal mine in the \
Dravnik region, ending a four-day operation that had gripped the country.",
    "The men had been trapped about 300 metres underground since Monday, when water from an abandoned shaft \
burst into a gallery where they were reinforcing the roof.",
    "Emergency minister Lukas Verhoeven said all the miners were conscious and able to speak, although nine \
were taken to the regional hospital in Sarvik with hypothermia.",
    "Engineers pumped more than 40,000 cubic metres of water out of the mine before divers could reach the \
gallery on Thursday night.",
    "Relatives who had kept vigil at the pithead through the week cheered as the buses carrying the men left \
for the hospital.",
    "The mine\u{2019}s owner, Dravnik Coal, said it would cooperate fully with an inquiry into how the water \
broke through.",
    "Union leader Maja Horvath said the company had ignored warnings about the old shaft for years and called \
for the mine to stay closed until the inquiry reports.",
    "Prosecutors in Sarvik have opened a criminal case for breaches of safety rules.",
    "Halloran Ridge employs about 1,100 people and is the largest mine still working in the region, which has \
lost most of its industry since the 1990s.",
    "Prime Minister Elena Varga is expected to visit the site on Saturday and meet the rescuers, officials \
said.",
    "The rescue was the largest of its kind in the country since a gas explosion at the nearby Korvash pit \
killed 14 workers in 2009.",
    "Mining accounts for roughly a fifth of the region\u{2019}s jobs, according to the national statistics \
office.",
];

fn mine_long() -> String {
    MINE_SENTENCES.join(" ")
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Writes documents (JSON objects) as JSONL.
fn write_docs(path: &Path, docs: &[Value]) {
    let mut out = String::new();
    for d in docs {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

fn doc(id: &str, text: &str) -> Value {
    json!({"id": id, "text": text})
}

fn fillers() -> Vec<Value> {
    FILLERS.iter().enumerate().map(|(i, t)| doc(&format!("filler-{i}"), t)).collect()
}

/// Runs `wiredup scan INPUT --pairs P --clusters C EXTRA...` (story level unless `extra` says
/// otherwise), checks the exit code, and returns (pairs, clusters) and the raw bytes of both.
fn scan_files(input: &str, extra: &[&str], dir: &Path, tag: &str) -> (Vec<Value>, Vec<Value>, Vec<u8>, Vec<u8>) {
    let (p, c) = (dir.join(format!("{tag}-pairs.jsonl")), dir.join(format!("{tag}-clusters.jsonl")));
    let mut args = vec!["scan", input, "--pairs", p.to_str().unwrap(), "--clusters", c.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = wiredup(&args, None);
    assert_eq!(out.status.code(), Some(0), "wiredup {args:?}: {}", stderr(&out));
    let (pb, cb) = (std::fs::read(&p).unwrap(), std::fs::read(&c).unwrap());
    (read_jsonl(&p), read_jsonl(&c), pb, cb)
}

/// Scans `docs` (written to a JSONL file) and returns (pairs, clusters).
fn scan_docs(docs: &[Value], extra: &[&str]) -> (Vec<Value>, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_docs(&corpus, docs);
    let (pairs, clusters, _, _) = scan_files(corpus.to_str().unwrap(), extra, dir.path(), "out");
    (pairs, clusters)
}

/// Member ids of each cluster.
fn cluster_sets(clusters: &[Value]) -> Vec<BTreeSet<String>> {
    clusters
        .iter()
        .map(|c| c["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect())
        .collect()
}

/// The cluster holding `id`, if any.
fn cluster_of<'a>(clusters: &'a [Value], id: &str) -> Option<&'a Value> {
    clusters.iter().find(|c| c["members"].as_array().unwrap().iter().any(|m| m["id"] == id))
}

/// The pair line of `x` and `y` (in either order), if any.
fn pair_of<'a>(pairs: &'a [Value], x: &str, y: &str) -> Option<&'a Value> {
    let (a, b) = if x < y { (x, y) } else { (y, x) };
    pairs.iter().find(|p| p["a"] == a && p["b"] == b)
}

fn ids(xs: &[&str]) -> BTreeSet<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// The paraphrased fire pair among the fillers.
fn fire_corpus() -> Vec<Value> {
    let mut docs = vec![doc("fire-a", FIRE_A), doc("fire-b", FIRE_B)];
    docs.extend(fillers());
    docs
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn seeds_form_the_two_expected_story_clusters_and_the_other_event_stays_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (_, clusters, _, _) = scan_files(SEEDS, &[], dir.path(), "seeds");
    // Ids are file names such as "000_83d9e85bd224d57e.txt": compare by their 3-digit prefix.
    let got: BTreeSet<BTreeSet<String>> =
        cluster_sets(&clusters).into_iter().map(|s| s.iter().map(|id| id[..3].to_string()).collect()).collect();
    let want: BTreeSet<BTreeSet<String>> = BTreeSet::from([ids(&["000", "002"]), ids(&["001", "003"])]);
    assert_eq!(got, want, "{clusters:?}");
    // 004 involves the same people (Putin, Netanyahu, Pezeshkian) but is another event.
    assert!(got.iter().all(|c| !c.contains("004")));

    // The expected clusters shipped with the seeds say the same.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in read_jsonl(&Path::new(SEEDS).join("expected-clusters.jsonl")) {
        let id = line["id"].as_str().unwrap()[..3].to_string();
        expected.entry(line["cluster"].as_str().unwrap().to_string()).or_default().insert(id);
    }
    let expected: BTreeSet<BTreeSet<String>> = expected.into_values().filter(|s| s.len() > 1).collect();
    assert_eq!(got, expected);
}

#[test]
fn a_paraphrased_pair_is_linked_as_a_rewrite_and_fillers_stay_out() {
    let (pairs, clusters) = scan_docs(&fire_corpus(), &[]);
    let pair = pair_of(&pairs, "fire-a", "fire-b").unwrap_or_else(|| panic!("the rewrite is not paired: {pairs:?}"));
    assert_eq!(pair["relation"], "rewrite", "{pair}");
    // Not a copy: little verbatim overlap, yet a story similarity above the link floor.
    assert!(pair["jaccard"].as_f64().unwrap() < 0.3, "{pair}");
    assert!(pair["a_in_b"].as_f64().unwrap() < 0.8 && pair["b_in_a"].as_f64().unwrap() < 0.8, "{pair}");
    assert!(pair["score"].as_f64().unwrap() >= wiredup::config::DEFAULT_STORY_FLOOR, "{pair}");

    let cluster = cluster_of(&clusters, "fire-a").unwrap_or_else(|| panic!("fire-a is in no cluster: {clusters:?}"));
    assert_eq!(cluster_sets(std::slice::from_ref(cluster))[0], ids(&["fire-a", "fire-b"]), "{cluster}");
    let other = cluster["members"][1]["relation"].as_str();
    assert_eq!(other, Some("rewrite"), "{cluster}");
    // No filler is paired or clustered with anything: they are all different stories.
    for i in 0..FILLERS.len() {
        let id = format!("filler-{i}");
        assert!(cluster_of(&clusters, &id).is_none(), "{id} clustered: {clusters:?}");
        assert!(pairs.iter().all(|p| p["a"] != id.as_str() && p["b"] != id.as_str()), "{id} paired: {pairs:?}");
    }
}

#[test]
fn evidence_quotes_aligned_sentences_from_the_original_texts() {
    let (pairs, _) = scan_docs(&fire_corpus(), &["--evidence"]);
    let pair = pair_of(&pairs, "fire-a", "fire-b").expect("the rewrite is paired");
    let evidence = pair["evidence"].as_array().unwrap_or_else(|| panic!("no evidence: {pair}"));
    assert!((1..=5).contains(&evidence.len()), "{pair}");
    for e in evidence {
        let (a, b) = (e["a"].as_str().unwrap(), e["b"].as_str().unwrap());
        // "fire-a" < "fire-b": a quotes FIRE_A, b quotes FIRE_B, verbatim.
        assert!(!a.is_empty() && FIRE_A.contains(a), "not quoted from fire-a: {a:?}");
        assert!(!b.is_empty() && FIRE_B.contains(b), "not quoted from fire-b: {b:?}");
        let score = e["score"].as_f64().unwrap();
        assert!(score > 0.0 && score <= 1.0, "{e}");
    }
    // Original text, not the normalized one: capitals and curly quotes survive.
    let quoted: String = evidence.iter().map(|e| format!("{} {}", e["a"], e["b"])).collect();
    assert!(quoted.chars().any(|c| c.is_uppercase()), "{quoted}");
    // The quote both articles share is among the best-aligned sentences, curly quotes included.
    assert!(
        evidence.iter().any(|e| e["a"].as_str().unwrap().contains("\u{201c}We got everyone out")
            && e["b"].as_str().unwrap().contains("\u{201c}We got everyone out")),
        "{pair}"
    );
    // Every pair of the file carries an evidence list (possibly empty), and only with --evidence.
    assert!(pairs.iter().all(|p| p["evidence"].is_array()));
    let (plain, _) = scan_docs(&fire_corpus(), &[]);
    assert!(plain.iter().all(|p| p.get("evidence").is_none()));
}

#[test]
fn the_original_of_a_story_cluster_is_the_earliest_dated_member() {
    // story-2 contains story-1 verbatim and is the longest; story-3 is a rewrite. Without dates
    // story-2 would be the original; the earliest date must win.
    let extended = format!("{FIRE_A} The terminal is expected to reopen on Thursday once the hall has been inspected.");
    let mut docs = vec![
        json!({"id": "story-1", "text": FIRE_A, "date": "2024-03-02T10:00:00Z"}),
        json!({"id": "story-2", "text": extended, "date": "2024-03-03"}),
        json!({"id": "story-3", "text": FIRE_B, "date": "2024-03-01T08:00:00Z"}),
    ];
    docs.extend(fillers());
    let (_, clusters) = scan_docs(&docs, &[]);
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    assert_eq!(cluster_sets(&clusters)[0], ids(&["story-1", "story-2", "story-3"]));
    assert_eq!(clusters[0]["original"], "story-3", "{}", clusters[0]);
    assert_eq!(clusters[0]["members"][0]["id"], "story-3");

    // The premise: undated, story-2 (which holds story-1 and is the longest) is the original.
    for d in docs.iter_mut() {
        d.as_object_mut().unwrap().remove("date");
    }
    let (_, clusters) = scan_docs(&docs, &[]);
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    assert_eq!(clusters[0]["original"], "story-2", "{}", clusters[0]);
}

#[test]
fn without_dates_the_original_is_the_article_the_copies_are_contained_in() {
    let long = mine_long();
    let copy_1 = format!(
        "Twenty-three trapped coal miners are safe after a dramatic rescue, the government announced. {}",
        MINE_SENTENCES[1..8].join(" ")
    );
    let copy_2 =
        format!("Families wept with relief at Halloran Ridge as the rescue ended. {}", MINE_SENTENCES[3..10].join(" "));
    // Ids chosen so that the original is neither the first nor the last id.
    let mut docs = vec![doc("mine-a", &copy_1), doc("mine-b", &long), doc("mine-c", &copy_2)];
    docs.extend(fillers());
    let (pairs, clusters) = scan_docs(&docs, &[]);

    // The premise: each short article is at least 80% contained in the long one.
    for (short, short_in_long) in [("mine-a", "a_in_b"), ("mine-c", "b_in_a")] {
        let p = pair_of(&pairs, short, "mine-b").unwrap_or_else(|| panic!("{short} not paired: {pairs:?}"));
        assert!(p[short_in_long].as_f64().unwrap() >= 0.8, "{p}");
        assert!(matches!(p["relation"].as_str(), Some("copy" | "duplicate")), "{p}");
    }
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    assert_eq!(cluster_sets(&clusters)[0], ids(&["mine-a", "mine-b", "mine-c"]));
    assert_eq!(clusters[0]["original"], "mine-b", "{}", clusters[0]);
    assert_eq!(clusters[0]["members"][0]["id"], "mine-b");

    // The long article is also the longest, so the above alone does not show that containment
    // decided. Credit a short copy to a wire agency, which outranks length but not containment:
    // the article the others are contained in is still the original.
    docs[0] = json!({"id": "mine-a", "text": copy_1, "source": "Reuters"});
    let (_, clusters) = scan_docs(&docs, &[]);
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    assert_eq!(clusters[0]["original"], "mine-b", "{}", clusters[0]);
}

#[test]
fn window_keeps_documents_dated_far_apart_from_linking_but_not_undated_ones() {
    let edited = FIRE_A.replace("mid-morning", "about 10 a.m.");
    let mut docs = vec![
        json!({"id": "w-early", "text": FIRE_A, "date": "2024-03-01T08:00:00Z"}),
        json!({"id": "w-late", "text": edited, "date": "2024-03-11T08:00:00Z"}),
    ];
    docs.extend(fillers());

    // Without --window, ten days apart does not matter.
    let (pairs, clusters) = scan_docs(&docs, &[]);
    assert!(pair_of(&pairs, "w-early", "w-late").is_some(), "{pairs:?}");
    assert_eq!(cluster_sets(&clusters), vec![ids(&["w-early", "w-late"])]);

    // With --window 72h they are never linked.
    let (pairs, clusters) = scan_docs(&docs, &["--window", "72h"]);
    assert!(pairs.is_empty(), "{pairs:?}");
    assert!(clusters.is_empty(), "{clusters:?}");

    // An undated copy is unaffected by the window: it links to both.
    docs.push(doc("w-undated", &FIRE_A.replace("Tuesday", "Tuesday morning")));
    let (pairs, clusters) = scan_docs(&docs, &["--window", "72h"]);
    let linked: BTreeSet<(String, String)> =
        pairs.iter().map(|p| (p["a"].as_str().unwrap().to_string(), p["b"].as_str().unwrap().to_string())).collect();
    let want: BTreeSet<(String, String)> = [("w-early", "w-undated"), ("w-late", "w-undated")]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .into_iter()
        .collect();
    assert_eq!(linked, want);
    let cluster = cluster_of(&clusters, "w-undated").unwrap_or_else(|| panic!("w-undated unclustered: {clusters:?}"));
    assert!(cluster["members"].as_array().unwrap().len() >= 2, "{cluster}");
    // ... but no cluster holds two documents dated further apart than the window.
    for c in &clusters {
        let members: BTreeSet<&str> =
            c["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert!(!(members.contains("w-early") && members.contains("w-late")), "{c}");
    }
}

#[test]
fn story_level_output_is_identical_at_any_thread_count() {
    let mut docs: Vec<Value> = synthetic_corpus(300, 11).iter().map(|(id, text)| doc(id, text)).collect();
    docs.extend(fire_corpus());
    let mine = mine_long();
    docs.push(doc("mine-long", &mine));
    docs.push(doc("mine-copy", &format!("Miners rescued at Halloran Ridge. {}", MINE_SENTENCES[2..9].join(" "))));
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_docs(&corpus, &docs);
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let args = ["--threads", threads, "--evidence", "--quiet"];
        let (pairs, _, pb, cb) = scan_files(corpus.to_str().unwrap(), &args, dir.path(), threads);
        assert!(pairs.iter().any(|p| p["relation"] == "rewrite"), "the corpus has rewrites");
        assert!(pairs.iter().any(|p| p["relation"] != "rewrite"), "the corpus has copies");
        outputs.push((pb, cb));
    }
    assert!(!outputs[0].1.is_empty());
    assert!(outputs[0] == outputs[1], "--threads 1 and --threads 2 differ");
    assert!(outputs[0] == outputs[2], "--threads 1 and --threads 3 differ");
}

#[test]
fn every_copy_level_pair_is_found_at_story_level_too() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &synthetic_corpus(300, 5));
    let input = corpus.to_str().unwrap();
    let (copy_pairs, _, _, _) = scan_files(input, &["--level", "copy"], dir.path(), "copy");
    let (story_pairs, _, _, _) = scan_files(input, &["--level", "story"], dir.path(), "story");
    let key = |p: &Value| (p["a"].as_str().unwrap().to_string(), p["b"].as_str().unwrap().to_string());
    let copies: BTreeMap<_, _> = copy_pairs.iter().map(|p| (key(p), p["relation"].clone())).collect();
    let story: BTreeMap<_, _> = story_pairs
        .iter()
        .filter(|p| matches!(p["relation"].as_str(), Some("duplicate" | "copy")))
        .map(|p| (key(p), p["relation"].clone()))
        .collect();
    assert!(copies.len() > 20, "the corpus has copies: {}", copies.len());
    let missed: Vec<_> = copies.keys().filter(|k| !story.contains_key(*k)).collect();
    assert!(missed.is_empty(), "copy-level pairs missing at story level: {missed:?}");
    // And they are called the same: duplicate or copy by the same figures.
    for (k, rel) in &copies {
        assert_eq!(&story[k], rel, "{k:?}");
    }
}

#[test]
fn exact_copies_count_once_in_document_frequencies_and_the_seeds_still_cluster_as_expected() {
    // The five seeds, each followed by a verbatim copy under another id.
    let dir = tempfile::tempdir().unwrap();
    let seeds = seed_articles();
    let copied: Vec<(String, String)> = seeds
        .iter()
        .flat_map(|(id, text)| [(id.clone(), text.clone()), (format!("{id}-copy"), text.clone())])
        .collect();
    let path = dir.path().join("copied.jsonl");
    write_corpus(&path, &copied);
    let out = scan_file(&path, wiredup::config::Level::Story, |_| {});

    // A word of 004 alone is held by one text, however many copies of it there are.
    let featurizer = wiredup::story::StoryFeaturizer::default();
    let others: BTreeSet<u64> = seeds[..4].iter().flat_map(|(_, t)| featurizer.features(t)).map(|f| f.hash).collect();
    let own: Vec<u64> =
        featurizer.features(&seeds[4].1).iter().map(|f| f.hash).filter(|h| !others.contains(h)).collect();
    assert!(own.len() > 20);
    assert!(own.iter().all(|&h| out.df.get(h) == 1), "a feature of 004 alone counted twice");

    // Each article with its copy, and the two rewrite pairs, as without the copies.
    let groups: BTreeSet<BTreeSet<String>> = out
        .clusters
        .iter()
        .map(|c| c.members.iter().map(|m| out.docs[m.doc as usize].id[..3].to_string()).collect())
        .collect();
    let want: BTreeSet<BTreeSet<String>> = BTreeSet::from([ids(&["000", "002"]), ids(&["001", "003"]), ids(&["004"])]);
    assert_eq!(groups, want);
}
