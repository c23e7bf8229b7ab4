//! Generated exports the benches share: the same bytes for the parse path (`creatoros-formats`) and the item
//! path (`creatoros-model`), so their figures line up. Also read by the `parse_file` example.
#![allow(dead_code)] // each bench and example uses its own subset

pub const ROWS: usize = 100_000;

/// The canonical header with every column.
pub const CANONICAL_HEADER: &str = "post_id,platform,date,impressions,likes,comments,shares,saves,clicks,views,watch_time_seconds,followers_gained";

/// Canonical row `i` (one post in 5,000 per row, every column filled, plausible 2025 days).
pub fn canonical_row(i: u64) -> String {
    format!(
        "post-{},{},2025-{:02}-{:02},{},{},{},{},{},{},{},{}.5,{}\n",
        i % 5000,
        ["x", "linkedin", "youtube", "rednote"][(i % 4) as usize],
        i % 12 + 1,
        i % 28 + 1,
        1000 + i,
        i % 500,
        i % 50,
        i % 20,
        i % 30,
        i % 70,
        i % 9000,
        i % 600,
        i as i64 % 11 - 5
    )
}

/// A canonical export of `ROWS` rows.
pub fn canonical() -> Vec<u8> {
    let mut s = format!("{CANONICAL_HEADER}\n");
    for i in 0..ROWS as u64 {
        s.push_str(&canonical_row(i));
    }
    s.into_bytes()
}

/// A legacy X export: every value quoted, counts as floats, many unused columns, like the real files.
pub fn x_legacy() -> Vec<u8> {
    let mut s = String::from("\"Tweet id\",\"Tweet permalink\",\"Tweet text\",\"time\",\"impressions\",\"engagements\",\"engagement rate\",\"retweets\",\"replies\",\"likes\",\"user profile clicks\",\"url clicks\",\"hashtag clicks\",\"detail expands\",\"permalink clicks\",\"app opens\",\"app installs\",\"follows\",\"email tweet\",\"dial phone\",\"media views\",\"media engagements\"\n");
    for i in 0..ROWS {
        let id = 1_465_712_230_054_432_768u64 + i as u64;
        s.push_str(&format!(
            "\"{id}\",\"https://twitter.com/acme/status/{id}\",\"Shipping day {i}, with a link https://t.co/x and #tags\",\"2021-11-{:02} 16:00 +0000\",\"{}.0\",\"5.0\",\"0.0028\",\"{}.0\",\"{}.0\",\"{}.0\",\"0.0\",\"{}.0\",\"0.0\",\"3.0\",\"0.0\",\"0\",\"0\",\"{}\",\"0\",\"0\",\"{}\",\"0\"\n",
            i % 28 + 1, 1777 + i, i % 9, i % 4, i % 40, i % 12, i % 3, i % 100
        ));
    }
    s.into_bytes()
}
