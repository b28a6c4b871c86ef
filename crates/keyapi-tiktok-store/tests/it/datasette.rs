//! `datasette/metadata.json`, the Datasette metadata the README tells users to open the
//! store with: every table and column it describes exists, and its canned queries run on a
//! synced store and answer what their titles say (Datasette itself is not needed).

use keyapi_tiktok_testkit::{FakeKeyApi, video};
use rusqlite::types::Value as Sql;
use serde_json::Value;

use crate::common::*;

fn metadata() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasette/metadata.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs the canned query `name` with its `:parameters`, each row as strings.
fn canned(path: &std::path::Path, name: &str, params: &[(&str, &str)]) -> Vec<Vec<String>> {
    let metadata = metadata();
    let sql_text = metadata["databases"]["rankings"]["queries"][name]["sql"]
        .as_str()
        .unwrap_or_else(|| panic!("no canned query {name}"));
    let connection = sql(path);
    let mut statement = connection.prepare(sql_text).unwrap();
    let named: Vec<(String, &str)> = params.iter().map(|(k, v)| (format!(":{k}"), *v)).collect();
    let bound: Vec<(&str, &dyn rusqlite::ToSql)> = named
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn rusqlite::ToSql))
        .collect();
    let columns = statement.column_count();
    statement
        .query_map(bound.as_slice(), |row| {
            (0..columns)
                .map(|i| {
                    row.get::<_, Sql>(i).map(|value| match value {
                        Sql::Null => "NULL".to_owned(),
                        Sql::Integer(n) => n.to_string(),
                        Sql::Real(x) => x.to_string(),
                        Sql::Text(text) => text,
                        Sql::Blob(_) => "blob".to_owned(),
                    })
                })
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn the_datasette_metadata_fits_the_store_and_its_queries_answer() {
    let (_dir, path) = db();
    let before = FakeKeyApi::with_items((1..=12).map(video).collect()).await;
    sync(&path, &before, &plan("2026-11-19", 20)).await.unwrap();
    let order = [3, 1, 2, 4, 5, 6, 7, 8, 9, 10, 99];
    let after = FakeKeyApi::with_items(order.into_iter().map(video).collect()).await;
    sync(&path, &after, &plan("2026-11-20", 20)).await.unwrap();

    // Every table, column and label column it names exists.
    let metadata = metadata();
    let tables = metadata["databases"]["rankings"]["tables"]
        .as_object()
        .unwrap();
    let connection = sql(&path);
    for (table, settings) in tables {
        let mut statement = connection
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap();
        let columns: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!columns.is_empty(), "no table {table}");
        let named = ["columns", "units"]
            .iter()
            .filter_map(|key| settings[key].as_object())
            .flat_map(|map| map.keys().cloned())
            .chain(
                ["label_column", "sort"]
                    .iter()
                    .filter_map(|key| settings[key].as_str().map(str::to_owned)),
            );
        for column in named {
            assert!(
                columns.contains(&column),
                "{table}.{column} is not a column"
            );
        }
    }

    let movers = canned(
        &path,
        "movers",
        &[
            ("date", "2026-11-20"),
            ("region", "us"),
            ("field", "views"),
            ("period", "daily"),
        ],
    );
    assert_eq!(movers.len(), 11, "{movers:?}");
    // Video 3 rose from 3rd to 1st; video 99 is new.
    assert_eq!(movers[0][1..4], ["1", "3", "2"]);
    assert_eq!(movers[10][1..4], ["11", "NULL", "NULL"]);

    let video_3 = &movers[0][0];
    let history = canned(&path, "history", &[("video_id", video_3)]);
    let ranks: Vec<(&str, &str)> = history
        .iter()
        .map(|row| (row[0].as_str(), row[6].as_str()))
        .collect();
    assert_eq!(ranks, [("2026-11-19", "3"), ("2026-11-20", "1")]);

    let ranked = canned(&path, "ranked", &[("region", "US")]);
    assert_eq!(ranked.len(), 12 + 11);
    assert_eq!(ranked[0][..5], ["2026-11-20", "US", "views", "daily", "1"]);
}
