//! What the request bounds (`guard`) add to every GraphQL request: the text scan and the
//! expanded measure, beside parsing, which every request pays anyway (the parse cache aside).
//! Run: `cargo bench -p posey-gateway --bench guard`.

use async_graphql::Variables;
use criterion::{Criterion, criterion_group, criterion_main};
use posey_gateway::config::Limits;
use posey_gateway::guard;

/// The three queries of `bench/gateway/run`, and a larger one with fragments and variables.
const QUERIES: [(&str, &str); 4] = [
    (
        "albums LIKE + artist",
        r#"{ album(where: {title: {_like: "%Rock%"}}, order_by: {album_id: asc}) { album_id title artist { name } } }"#,
    ),
    ("albums_by_pk", "{ album_by_pk(album_id: 1) { album_id title } }"),
    (
        "artists>albums>tracks",
        "{ artist(limit: 50, order_by: {artist_id: asc}) { name albums { title tracks { name milliseconds } } } }",
    ),
    (
        "fragments + variables",
        r#"query Tracks($genre: String!, $ids: [Int!]) {
             track(where: {_and: [{genre: {name: {_eq: $genre}}}, {album_id: {_in: $ids}}]}, limit: 20) {
               ...TrackFields album { ...AlbumFields artist { name } }
             }
           }
           fragment TrackFields on track { track_id name composer milliseconds unit_price }
           fragment AlbumFields on album { album_id title }"#,
    ),
];

fn bounds(c: &mut Criterion) {
    let limits = Limits::default();
    let variables =
        Variables::from_json(serde_json::json!({"genre": "Rock", "ids": [1, 2, 3, 4, 5]}));
    for (name, query) in QUERIES {
        let mut group = c.benchmark_group(name);
        group.bench_function("parse only", |b| {
            b.iter(|| async_graphql::parser::parse_query(std::hint::black_box(query)))
        });
        group.bench_function("text scan", |b| {
            b.iter(|| guard::check_text(std::hint::black_box(query), &limits))
        });
        let document = async_graphql::parser::parse_query(query).expect("the query parses");
        group.bench_function("expanded measure", |b| {
            b.iter(|| guard::check_document(std::hint::black_box(&document), &variables, &limits))
        });
        group.finish();
    }
}

criterion_group!(benches, bounds);
criterion_main!(benches);
