use reqwest::StatusCode;

on_both_backends! {
    async fn healthz_answers_ok_when_the_database_answers(app) {
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.text().await.unwrap(), "ok");
    }
}
