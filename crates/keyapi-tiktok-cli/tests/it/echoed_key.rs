//! An upstream that echoes the key: nothing the binary prints shows it, nor a run of 8 of
//! its characters (`finish` checks the whole key on every run; this checks the runs).

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::common::*;
use crate::conformance::QUERY;

/// No run of 8 of the key's characters, in any case, in `text`.
#[track_caller]
fn assert_no_run_of_the_key(text: &str) {
    let text = text.to_ascii_lowercase();
    for run in KEY.to_ascii_lowercase().as_bytes().windows(8) {
        let run = std::str::from_utf8(run).expect("the key is ASCII");
        assert!(!text.contains(run), "`{run}` of the key leaks: {text}");
    }
}

#[tokio::test]
async fn a_401_echoing_the_key_is_printed_without_it() {
    let message = format!("invalid api key: {KEY}");
    let server = serve(failure(401, 401, &message, &format!("req-{KEY}"))).await;
    let run = videos(&server, &[]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: authentication (HTTP 401, code 401): invalid api key: [redacted] \
         [requestId req-[redacted]]\n"
    );
}

#[tokio::test]
async fn a_429_envelope_and_its_retry_log_never_show_the_key() {
    let message = format!("qps limit exceeded for {}", KEY.to_ascii_uppercase());
    let envelope = ResponseTemplate::new(200)
        .set_body_json(json!({ "code": 429, "message": message, "data": null, "requestId": KEY }))
        .insert_header("retry-after", "0");
    let server = serve_once_then_ranking(envelope.clone()).await;
    let run = videos(&server, &["-vv", "--no-cache"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let retry = run.stderr.lines().find(|line| line.contains("retrying"));
    assert!(
        retry.is_some_and(|line| line.contains("qps limit exceeded for [redacted]")),
        "{}",
        run.stderr
    );
    assert_no_run_of_the_key(&run.stderr);

    let server = serve(envelope).await;
    let run = videos(&server, &["-v", "--max-retries", "0"]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert_no_run_of_the_key(&run.stderr);
}

#[tokio::test]
async fn a_decode_error_excerpt_never_shows_the_key() {
    let body = format!("<html>proxy: bad token …{}…</html>", &KEY[3..]);
    let server = serve(ResponseTemplate::new(200).set_body_string(body)).await;
    let run = videos(&server, &["-v"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error: decode"), "{}", run.stderr);
    assert!(
        run.stderr.contains("bad token …[redacted]…"),
        "{}",
        run.stderr
    );
    assert_no_run_of_the_key(&run.stderr);
}

#[tokio::test]
async fn a_conformance_report_never_shows_the_key() {
    let mut echoed = item(1);
    echoed[KEY] = json!(1);
    echoed["video_desc"] = json!(format!("your key is {KEY}"));
    let body = json!({ "code": 0, "message": "success", "data": [echoed], "requestId": KEY });
    let server = serve(ResponseTemplate::new(200).set_body_json(body)).await;
    let uri = server.uri();
    for format in ["text", "json"] {
        let args = [
            &["conformance"][..],
            &QUERY,
            &["--base-url", &uri, "--format", format],
        ];
        let run = finish(command(&args.concat())).await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stdout.contains("[redacted]"), "{}", run.stdout);
        assert_no_run_of_the_key(&run.stdout);
        assert_no_run_of_the_key(&run.stderr);
    }
}
