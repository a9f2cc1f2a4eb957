//! Qdrant Edge: the conformance suite, plus what only an on-disk store has (reopening).

use posey_domain::UserId;
use posey_vector::{
    CollectionSpec, DenseQuery, EdgeStore, Point, PointScope, UserFilter, VectorError, VectorStore,
};
use uuid::Uuid;

use crate::conformance::{self, DIM, MODEL, spec, vector};

#[tokio::test]
async fn edge_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(dir.path().join("vectors")).unwrap();
    conformance::run(&store).await;
}

#[tokio::test]
async fn edge_points_and_recorded_model_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vectors");
    let user = UserId::new();
    let ids: Vec<Uuid> = (0..50).map(|_| Uuid::new_v4()).collect();
    {
        let store = EdgeStore::open(&root).unwrap();
        store.ensure_collection(&spec("memories")).await.unwrap();
        let points = ids
            .iter()
            .enumerate()
            .map(|(i, id)| Point::new(*id, user, vector(i as u64)).with_field("i", i as i64))
            .collect();
        store.upsert("memories", points).await.unwrap();
        store.delete_ids("memories", &ids[40..]).await.unwrap();
        store.optimize("memories").await.unwrap();
        store
            .upsert("memories", vec![Point::new(Uuid::new_v4(), UserId::new(), vector(77))])
            .await
            .unwrap();
    }

    let store = EdgeStore::open(&root).unwrap();
    let err = store
        .ensure_collection(&CollectionSpec::new("memories", "other", DIM).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, VectorError::ModelMismatch(ref m) if m.found_model == MODEL), "{err:?}");

    store.ensure_collection(&spec("memories")).await.unwrap();
    assert_eq!(store.count("memories", &PointScope::All).await.unwrap(), 41);
    let query = DenseQuery { vector: vector(7), filter: UserFilter::for_user(user), limit: 100 };
    let hits = store.search("memories", &query).await.unwrap();
    assert_eq!(hits.len(), 40);
    assert_eq!(hits[0].id, ids[7]);
    assert_eq!(hits[0].payload["i"], 7);
}

#[tokio::test]
async fn edge_refuses_writes_and_openings_without_room_on_the_disk_and_keeps_reading() {
    let dir = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(dir.path().join("vectors")).unwrap();
    store.ensure_collection(&spec("memories")).await.unwrap();
    let user = UserId::new();
    let kept = Uuid::new_v4();
    store.upsert("memories", vec![Point::new(kept, user, vector(1))]).await.unwrap();

    // A filesystem with less free space than the margin: as if the disk were full.
    store.set_min_free(u64::MAX / 4);
    let full = |err: VectorError| {
        assert!(matches!(err, VectorError::OutOfSpace { .. }), "{err:?}");
        assert!(err.to_string().contains("out of disk space"), "{err}");
        // Callers see a full disk in the error's chain (the HTTP layer answers 507 for it).
        let err = anyhow::Error::from(err);
        let io = err.chain().find_map(|e| e.downcast_ref::<std::io::Error>());
        assert_eq!(io.map(std::io::Error::kind), Some(std::io::ErrorKind::StorageFull));
    };
    full(
        store
            .upsert("memories", vec![Point::new(Uuid::new_v4(), user, vector(2))])
            .await
            .unwrap_err(),
    );
    full(store.delete_ids("memories", &[kept]).await.unwrap_err());
    full(store.delete_by_filter("memories", &UserFilter::for_user(user)).await.unwrap_err());
    full(store.optimize("memories").await.unwrap_err());
    full(store.ensure_collection(&spec("documents")).await.unwrap_err());
    assert!(!dir.path().join("vectors/documents").exists(), "a collection was created");
    // Reads go on, and nothing was written or lost.
    assert_eq!(store.count("memories", &PointScope::All).await.unwrap(), 1);
    let query = DenseQuery { vector: vector(1), filter: UserFilter::for_user(user), limit: 5 };
    assert_eq!(store.search("memories", &query).await.unwrap()[0].id, kept);

    // Space is back: writes go through again.
    store.set_min_free(0);
    store.upsert("memories", vec![Point::new(Uuid::new_v4(), user, vector(2))]).await.unwrap();
    assert_eq!(store.count("memories", &PointScope::All).await.unwrap(), 2);
}

#[tokio::test]
async fn edge_refuses_a_directory_it_did_not_create() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("memories")).unwrap();
    std::fs::write(dir.path().join("memories/stray"), b"x").unwrap();
    let store = EdgeStore::open(dir.path()).unwrap();
    let err = store.ensure_collection(&spec("memories")).await.unwrap_err();
    assert!(err.to_string().contains("not a Posey collection"), "{err}");
}

#[tokio::test]
async fn edge_directory_is_open_in_one_store_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vectors");
    let first = EdgeStore::open(&root).unwrap();
    let err = EdgeStore::open(&root).err().expect("a second store on the same directory");
    assert!(matches!(err, VectorError::Locked(_)), "{err:?}");
    assert!(err.to_string().contains("in use by another process"), "{err}");
    drop(first);
    EdgeStore::open(&root).expect("the directory is free once the first store is gone");
}
