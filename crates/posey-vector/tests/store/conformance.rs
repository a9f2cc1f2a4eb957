//! One suite, generic over [`VectorStore`], that both implementations must pass. Each check
//! uses its own collection (random suffix) so runs against a shared server do not collide.

use posey_domain::UserId;
use posey_vector::{
    CollectionSpec, DenseQuery, FieldValue, Hit, HybridQuery, Point, PointScope, Range,
    SparseEncoder, UserFilter, VectorError, VectorStore,
};
use uuid::Uuid;

pub const DIM: usize = 8;
pub const MODEL: &str = "test-model";

/// Run every check against `store`.
pub async fn run<S: VectorStore>(store: &S) {
    isolation(store).await;
    filters(store).await;
    upsert_replaces(store).await;
    delete_by_ids(store).await;
    delete_by_filter(store).await;
    model_and_dimension_mismatch(store).await;
    hybrid_ranks_keyword_match_higher(store).await;
    count_and_scroll(store).await;
    bad_input_is_refused(store).await;
    drop_and_rebuild_with_another_model(store).await;
}

pub fn unique_name(what: &str) -> String {
    format!("conf-{what}-{}", &Uuid::new_v4().simple().to_string()[..8])
}

pub fn spec(name: &str) -> CollectionSpec {
    CollectionSpec::new(name, MODEL, DIM).unwrap().with_keyword_index("kind").unwrap()
}

pub async fn fresh<S: VectorStore>(store: &S, what: &str) -> String {
    let name = unique_name(what);
    store.ensure_collection(&spec(&name)).await.unwrap();
    name
}

/// A deterministic unit vector for `seed`.
pub fn vector(seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    let mut v: Vec<f32> = (0..DIM)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2000) as f32 / 1000.0 - 1.0
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn ids(hits: &[Hit]) -> Vec<Uuid> {
    hits.iter().map(|h| h.id).collect()
}

fn dense(vector: Vec<f32>, filter: UserFilter, limit: usize) -> DenseQuery {
    DenseQuery { vector, filter, limit }
}

async fn isolation<S: VectorStore>(store: &S) {
    let c = fresh(store, "iso").await;
    let (alice, bob) = (UserId::new(), UserId::new());
    let encoder = SparseEncoder::new();
    let mut points = Vec::new();
    // Same vectors and texts for both, so only the filter can tell them apart.
    for seed in 0..10 {
        for user in [alice, bob] {
            points.push(
                Point::new(Uuid::new_v4(), user, vector(seed))
                    .with_sparse(encoder.encode_document("secret diary entry about kayaks"))
                    .with_field("kind", "fact"),
            );
        }
    }
    store.upsert(&c, points).await.unwrap();

    for (me, other) in [(alice, bob), (bob, alice)] {
        let hits =
            store.search(&c, &dense(vector(3), UserFilter::for_user(me), 100)).await.unwrap();
        assert_eq!(hits.len(), 10, "all of my points and none of the other's");
        assert!(hits.iter().all(|h| h.user_id == me));
        assert!(hits.iter().all(|h| h.user_id != other));
        assert!(
            hits.iter().all(|h| !h.payload.contains_key("user_id")),
            "user_id is not echoed as payload"
        );

        let hybrid =
            HybridQuery::from_text(vector(3), "kayaks diary", UserFilter::for_user(me), 100);
        let hits = store.hybrid_search(&c, &hybrid).await.unwrap();
        assert_eq!(hits.len(), 10);
        assert!(hits.iter().all(|h| h.user_id == me));

        let count = store.count(&c, &PointScope::Filter(UserFilter::for_user(me))).await.unwrap();
        assert_eq!(count, 10);
    }

    let stranger = UserId::new();
    let hits =
        store.search(&c, &dense(vector(3), UserFilter::for_user(stranger), 100)).await.unwrap();
    assert!(hits.is_empty(), "a user without points gets nothing");
    store.drop_collection(&c).await.unwrap();
}

/// id, kind, at, pinned, document id of a point written by `filters`.
type Stored = (Uuid, &'static str, i64, bool, Uuid);

async fn filters<S: VectorStore>(store: &S) {
    let c = fresh(store, "filter").await;
    let user = UserId::new();
    let doc_a = Uuid::new_v4();
    let specs = [
        ("fact", 10_i64, true, doc_a),
        ("fact", 20, false, doc_a),
        ("preference", 30, true, Uuid::new_v4()),
        ("event", 40, false, Uuid::new_v4()),
    ];
    let mut by_kind: Vec<Stored> = Vec::new();
    let points: Vec<Point> = specs
        .iter()
        .enumerate()
        .map(|(i, (kind, at, pinned, doc))| {
            let id = Uuid::new_v4();
            by_kind.push((id, *kind, *at, *pinned, *doc));
            Point::new(id, user, vector(i as u64))
                .with_field("kind", *kind)
                .with_field("at", *at)
                .with_field("pinned", *pinned)
                .with_field("document_id", doc.to_string())
        })
        .collect();
    store.upsert(&c, points).await.unwrap();

    let expect = |pred: &dyn Fn(&Stored) -> bool| {
        let mut v: Vec<Uuid> = by_kind.iter().filter(|p| pred(p)).map(|p| p.0).collect();
        v.sort();
        v
    };
    let got = |filter: UserFilter| async {
        let mut v = ids(&store.search(&c, &dense(vector(99), filter, 100)).await.unwrap());
        v.sort();
        v
    };
    let base = UserFilter::for_user(user);
    assert_eq!(got(base.clone().eq("kind", "fact").unwrap()).await, expect(&|p| p.1 == "fact"));
    assert_eq!(got(base.clone().eq("at", 30).unwrap()).await, expect(&|p| p.2 == 30));
    assert_eq!(got(base.clone().eq("pinned", true).unwrap()).await, expect(&|p| p.3));
    assert_eq!(got(base.clone().not_eq("kind", "fact").unwrap()).await, expect(&|p| p.1 != "fact"));
    assert_eq!(
        got(base.clone().any_of("kind", ["preference", "event"]).unwrap()).await,
        expect(&|p| p.1 == "preference" || p.1 == "event")
    );
    assert_eq!(
        got(base
            .clone()
            .range("at", Range { gte: Some(20.0), lt: Some(40.0), ..Range::default() })
            .unwrap())
        .await,
        expect(&|p| (20..40).contains(&p.2))
    );
    assert_eq!(
        got(base.clone().eq("document_id", doc_a).unwrap().eq("pinned", false).unwrap()).await,
        expect(&|p| p.4 == doc_a && !p.3),
        "conditions combine with AND"
    );
    assert!(
        got(base.clone().eq("kind", FieldValue::Keyword("nothing".into())).unwrap())
            .await
            .is_empty()
    );
    store.drop_collection(&c).await.unwrap();
}

async fn upsert_replaces<S: VectorStore>(store: &S) {
    let c = fresh(store, "replace").await;
    let user = UserId::new();
    let id = Uuid::new_v4();
    store
        .upsert(&c, vec![Point::new(id, user, vector(1)).with_field("text", "old")])
        .await
        .unwrap();
    store
        .upsert(&c, vec![Point::new(id, user, vector(2)).with_field("text", "new")])
        .await
        .unwrap();
    let hits = store.search(&c, &dense(vector(2), UserFilter::for_user(user), 10)).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, id);
    assert_eq!(hits[0].payload["text"], "new");
    assert!(hits[0].score > 0.99, "the new vector replaced the old: {}", hits[0].score);
    store.drop_collection(&c).await.unwrap();
}

async fn delete_by_ids<S: VectorStore>(store: &S) {
    let c = fresh(store, "delid").await;
    let user = UserId::new();
    let points: Vec<Point> = (0..5).map(|i| Point::new(Uuid::new_v4(), user, vector(i))).collect();
    let all: Vec<Uuid> = points.iter().map(|p| p.id).collect();
    store.upsert(&c, points).await.unwrap();
    store.delete_ids(&c, &[all[1], all[3], Uuid::new_v4()]).await.unwrap();
    let mut left =
        ids(&store.search(&c, &dense(vector(0), UserFilter::for_user(user), 10)).await.unwrap());
    left.sort();
    let mut expected = vec![all[0], all[2], all[4]];
    expected.sort();
    assert_eq!(left, expected);
    store.delete_ids(&c, &[]).await.unwrap();
    store.drop_collection(&c).await.unwrap();
}

async fn delete_by_filter<S: VectorStore>(store: &S) {
    let c = fresh(store, "delfilter").await;
    let (alice, bob) = (UserId::new(), UserId::new());
    let doc = Uuid::new_v4();
    let mut points = Vec::new();
    for (i, user) in [alice, alice, bob].into_iter().enumerate() {
        points.push(
            Point::new(Uuid::new_v4(), user, vector(i as u64))
                .with_field("document_id", doc.to_string()),
        );
    }
    let keep = Uuid::new_v4();
    points.push(
        Point::new(keep, alice, vector(7)).with_field("document_id", Uuid::new_v4().to_string()),
    );
    store.upsert(&c, points).await.unwrap();

    store
        .delete_by_filter(&c, &UserFilter::for_user(alice).eq("document_id", doc).unwrap())
        .await
        .unwrap();
    let alice_left =
        store.search(&c, &dense(vector(0), UserFilter::for_user(alice), 10)).await.unwrap();
    assert_eq!(ids(&alice_left), vec![keep], "only alice's other document is left");
    let bob_left = store.count(&c, &PointScope::Filter(UserFilter::for_user(bob))).await.unwrap();
    assert_eq!(bob_left, 1, "bob's point with the same document_id is untouched");

    store.delete_by_filter(&c, &UserFilter::for_user(alice)).await.unwrap();
    assert_eq!(store.count(&c, &PointScope::All).await.unwrap(), 1, "only bob's point remains");
    store.drop_collection(&c).await.unwrap();
}

async fn model_and_dimension_mismatch<S: VectorStore>(store: &S) {
    let c = fresh(store, "mismatch").await;
    let other_model = CollectionSpec::new(&c, "another-model", DIM).unwrap();
    let err = store.ensure_collection(&other_model).await.unwrap_err();
    assert!(matches!(err, VectorError::ModelMismatch(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("another-model") && message.contains(MODEL) && message.contains("reindex"),
        "{message}"
    );

    let other_dim = CollectionSpec::new(&c, MODEL, DIM * 2).unwrap();
    let err = store.ensure_collection(&other_dim).await.unwrap_err();
    assert!(
        matches!(err, VectorError::ModelMismatch(ref m) if m.found_dimension == DIM),
        "{err:?}"
    );

    // The same spec opens again.
    store.ensure_collection(&spec(&c)).await.unwrap();
    store.drop_collection(&c).await.unwrap();
}

async fn hybrid_ranks_keyword_match_higher<S: VectorStore>(store: &S) {
    let c = fresh(store, "hybrid").await;
    let user = UserId::new();
    let encoder = SparseEncoder::new();
    let query_vector = vector(1000);
    // The decoy's embedding is the query's own; the target's is unrelated but its text holds
    // the rare keyword the person asked about.
    let decoy = Uuid::new_v4();
    let target = Uuid::new_v4();
    let mut points = vec![
        Point::new(decoy, user, query_vector.clone())
            .with_sparse(encoder.encode_document("we talked about the weather and the weekend")),
        Point::new(target, user, vector(2000)).with_sparse(
            encoder.encode_document("my passport number is stored with Zanzibar travel notes"),
        ),
    ];
    for i in 0..20 {
        points.push(Point::new(Uuid::new_v4(), user, vector(i)).with_sparse(
            encoder.encode_document(&format!("ordinary note number {i} about travel and weekend")),
        ));
    }
    store.upsert(&c, points).await.unwrap();

    let filter = UserFilter::for_user(user);
    let dense_hits =
        store.search(&c, &dense(query_vector.clone(), filter.clone(), 5)).await.unwrap();
    assert_eq!(dense_hits[0].id, decoy, "dense alone ranks the decoy first");

    let hybrid =
        HybridQuery::from_text(query_vector.clone(), "Zanzibar passport", filter.clone(), 5);
    let hybrid_hits = store.hybrid_search(&c, &hybrid).await.unwrap();
    assert_eq!(hybrid_hits[0].id, target, "the keyword match ranks first: {hybrid_hits:?}");
    assert!(ids(&hybrid_hits).contains(&decoy), "the dense match is still there");

    // Only stopwords: the search falls back to dense.
    let stopwords = HybridQuery::from_text(query_vector, "the of and", filter, 5);
    let hits = store.hybrid_search(&c, &stopwords).await.unwrap();
    assert_eq!(hits[0].id, decoy);
    store.drop_collection(&c).await.unwrap();
}

async fn count_and_scroll<S: VectorStore>(store: &S) {
    let c = fresh(store, "scroll").await;
    let (alice, bob) = (UserId::new(), UserId::new());
    let mut points = Vec::new();
    for i in 0..25 {
        points.push(
            Point::new(Uuid::new_v4(), if i % 5 == 0 { bob } else { alice }, vector(i))
                .with_field("n", i as i64),
        );
    }
    let mut expected: Vec<Uuid> = points.iter().map(|p| p.id).collect();
    expected.sort();
    store.upsert(&c, points).await.unwrap();

    assert_eq!(store.count(&c, &PointScope::All).await.unwrap(), 25);
    assert_eq!(store.count(&c, &UserFilter::for_user(bob).into()).await.unwrap(), 5);

    let mut seen = Vec::new();
    let mut offset = None;
    let mut pages = 0;
    loop {
        let page = store.scroll(&c, &PointScope::All, offset, 10).await.unwrap();
        assert!(page.records.len() <= 10);
        seen.extend(page.records.iter().map(|r| r.id));
        pages += 1;
        match page.next {
            Some(next) => offset = Some(next),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, expected, "a scroll visits every point once");
    assert_eq!(pages, 3);

    let bobs = store.scroll(&c, &UserFilter::for_user(bob).into(), None, 100).await.unwrap();
    assert_eq!(bobs.records.len(), 5);
    assert!(
        bobs.records.iter().all(|r| r.user_id == bob && r.payload["n"].as_i64().unwrap() % 5 == 0)
    );
    assert!(bobs.next.is_none());
    store.drop_collection(&c).await.unwrap();
}

async fn bad_input_is_refused<S: VectorStore>(store: &S) {
    let c = fresh(store, "bad").await;
    let user = UserId::new();
    let invalid = |r: Result<_, VectorError>, field: &str| match r {
        Err(VectorError::Invalid { field: f, .. }) if f == field => {}
        other => panic!("expected invalid {field}, got {other:?}"),
    };
    invalid(
        store.upsert(&c, vec![Point::new(Uuid::new_v4(), user, vec![1.0; DIM + 1])]).await,
        "dense vector",
    );
    invalid(
        store.upsert(&c, vec![Point::new(Uuid::new_v4(), user, vec![f32::NAN; DIM])]).await,
        "dense vector",
    );
    invalid(
        store
            .upsert(
                &c,
                vec![Point::new(Uuid::new_v4(), user, vector(1)).with_field("user_id", "forged")],
            )
            .await,
        "payload key",
    );
    invalid(
        store.search(&c, &dense(vector(1), UserFilter::for_user(user), 0)).await.map(|_| ()),
        "limit",
    );
    invalid(
        store.search(&c, &dense(vec![1.0; 3], UserFilter::for_user(user), 5)).await.map(|_| ()),
        "dense vector",
    );
    assert_eq!(store.count(&c, &PointScope::All).await.unwrap(), 0, "nothing was written");

    let missing = unique_name("missing");
    let err =
        store.search(&missing, &dense(vector(1), UserFilter::for_user(user), 5)).await.unwrap_err();
    assert!(matches!(err, VectorError::UnknownCollection(ref n) if *n == missing), "{err:?}");
    store.drop_collection(&c).await.unwrap();
}

async fn drop_and_rebuild_with_another_model<S: VectorStore>(store: &S) {
    let c = fresh(store, "rebuild").await;
    let user = UserId::new();
    store.upsert(&c, vec![Point::new(Uuid::new_v4(), user, vector(1))]).await.unwrap();
    store.drop_collection(&c).await.unwrap();
    let err = store.count(&c, &PointScope::All).await.unwrap_err();
    assert!(matches!(err, VectorError::UnknownCollection(_)), "{err:?}");

    let bigger = CollectionSpec::new(&c, "bigger-model", DIM * 2).unwrap();
    store.ensure_collection(&bigger).await.unwrap();
    assert_eq!(
        store.count(&c, &PointScope::All).await.unwrap(),
        0,
        "a dropped collection comes back empty"
    );
    store.upsert(&c, vec![Point::new(Uuid::new_v4(), user, vec![0.5; DIM * 2])]).await.unwrap();
    assert_eq!(store.count(&c, &PointScope::All).await.unwrap(), 1);
    store.drop_collection(&c).await.unwrap();
    store.drop_collection(&c).await.unwrap(); // dropping twice is fine
    let err = store.drop_collection("../elsewhere").await.unwrap_err();
    assert!(matches!(err, VectorError::Invalid { field: "collection name", .. }), "{err:?}");
}
