//! The calendar plugin's tools, driven by a scripted model through real turns: making a
//! repeating event from an RRULE, reading the agenda in the person's zone, finding free time,
//! to-dos, and cancelling a whole series only once the person confirms.

use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, scripted_tools, spawn};

const AGENTS: &str = r#"
router: keeper
agents:
  - name: keeper
    description: Keeps the calendar.
    prompt: You keep the person's calendar.
    plugins: [calendar]
"#;

async fn call(
    app: &AgentsApp,
    token: &str,
    conversation: &str,
    tool: &str,
    arguments: Value,
) -> Value {
    let stream = app.chat(token, conversation, &format!("{tool} {arguments}")).await;
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    let results = events(&stream, "tool_result");
    assert_eq!(results.len(), 1, "{stream:?}");
    assert_eq!(results[0]["name"], tool);
    assert_eq!(results[0]["is_error"], false, "{}", results[0]);
    serde_json::from_str(results[0]["content"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn an_agent_keeps_the_calendar_and_cancels_a_series_only_when_the_person_confirms() {
    let app = spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let profile =
        app.patch_as("/v1/profile", &token, &json!({"time_zone": "America/New_York"})).await;
    assert_eq!(profile.status(), 200, "{:?}", profile.text().await);
    let conversation = app.conversation(&token, None).await;

    let made = call(
        &app,
        &token,
        &conversation,
        "create_event",
        json!({
            "summary": "Piano lesson",
            "start": "2030-03-04T17:00",
            "duration_minutes": 45,
            "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
            "remind_minutes_before": 30,
        }),
    )
    .await;
    assert_eq!(made["created"], true, "{made}");
    let event_id = made["event_id"].as_str().unwrap().to_owned();
    // It is on the REST side, in the person's zone, with its alarm.
    let listed: Value = app
        .get_as("/v1/events?from=2030-03-01T00:00:00Z&to=2030-04-01T00:00:00Z", &token)
        .await
        .json()
        .await
        .unwrap();
    let occurrences = listed["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 4, "{listed}");
    assert_eq!(occurrences[0]["start"]["time_zone"], "America/New_York");
    assert_eq!(occurrences[0]["start"]["at"], "2030-03-04T22:00:00Z");
    // 10 March 2030 is the change to summer time: the lesson stays at 17:00 on the clock.
    assert_eq!(occurrences[1]["start"]["at"], "2030-03-11T21:00:00Z");
    assert_eq!(occurrences[0]["alarms"][0]["offset"], "-PT30M");

    let agenda = call(
        &app,
        &token,
        &conversation,
        "calendar_agenda",
        json!({"from": "2030-03-04", "days": 7}),
    )
    .await;
    assert_eq!(agenda["events"].as_array().unwrap().len(), 1, "{agenda}");
    assert_eq!(agenda["events"][0]["summary"], "Piano lesson");
    assert_eq!(agenda["events"][0]["start"], "2030-03-04T17:00:00");
    let occurrence = agenda["events"][0]["occurrence"].as_str().unwrap().to_owned();

    let free = call(&app, &token, &conversation, "find_free_time", json!({
        "minutes": 60, "from": "2030-03-04", "days": 1, "day_starts": "16:00", "day_ends": "19:00",
    }))
    .await;
    assert_eq!(
        free["free"],
        json!([{"start": "2030-03-04T16:00", "end": "2030-03-04T17:00"}, {"start": "2030-03-04T17:45", "end": "2030-03-04T19:00"}]),
        "{free}"
    );

    // One occurrence moves without asking.
    let moved = call(&app, &token, &conversation, "move_event", json!({
        "event_id": event_id, "occurrence": occurrence, "scope": "this", "new_start": "2030-03-04T18:00",
    }))
    .await;
    assert_eq!(moved["moved"], true, "{moved}");
    let agenda =
        call(&app, &token, &conversation, "calendar_agenda", json!({"from": "2030-03-04"})).await;
    assert_eq!(agenda["events"][0]["start"], "2030-03-04T18:00:00", "{agenda}");

    // The whole series: the turn asks, and nothing is gone until the person says yes.
    let stream = app
        .chat(&token, &conversation, &format!("cancel_event {}", json!({"event_id": event_id})))
        .await;
    let asked = events(&stream, "confirmation");
    assert_eq!(asked.len(), 1, "{stream:?}");
    assert!(asked[0]["summary"].as_str().unwrap().contains("Piano lesson"), "{}", asked[0]);
    let still = app.get_as(&format!("/v1/events/{event_id}"), &token).await;
    assert_eq!(still.status(), 200);
    let action = asked[0]["action_id"].as_str().unwrap();
    let confirmed = app.post_as(&format!("/v1/actions/{action}/confirm"), &token, &json!({})).await;
    assert_eq!(confirmed.status(), 200, "{:?}", confirmed.text().await);
    assert_eq!(app.get_as(&format!("/v1/events/{event_id}"), &token).await.status(), 404);

    // To-dos.
    let added = call(
        &app,
        &token,
        &conversation,
        "add_todo",
        json!({"summary": "Buy sheet music", "due": "2030-03-03"}),
    )
    .await;
    let todo = added["todo_id"].as_str().unwrap().to_owned();
    let listed = call(&app, &token, &conversation, "list_todos", json!({})).await;
    assert_eq!(listed["todos"][0]["summary"], "Buy sheet music", "{listed}");
    assert_eq!(listed["todos"][0]["due"], "2030-03-03");
    let done = call(&app, &token, &conversation, "complete_todo", json!({"todo_id": todo})).await;
    assert_eq!(done["completed"], true);
    let listed = call(&app, &token, &conversation, "list_todos", json!({})).await;
    assert_eq!(listed["todos"], json!([]));

    // A bad rule or id is told to the model plainly.
    let stream = app
        .chat(
            &token,
            &conversation,
            &format!(
                "create_event {}",
                json!({"summary": "x", "start": "2030-03-04T09:00", "rrule": "FREQ=SOMETIMES"})
            ),
        )
        .await;
    let result = &events(&stream, "tool_result")[0];
    assert!(result.to_string().contains("rrule"), "{result}");
    let stream = app
        .chat(&token, &conversation, &format!("cancel_event {}", json!({"event_id": "not-an-id"})))
        .await;
    let result = &events(&stream, "tool_result")[0];
    assert!(result.to_string().contains("event_id"), "{result}");
}

#[tokio::test]
async fn the_tools_see_only_the_persons_own_events() {
    let app = spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &[]).await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    let body = json!({"summary": "Alice's secret", "start": {"date_time": "2030-05-01T10:00"}, "duration": "PT1H"});
    let event: Value = app.post_as("/v1/events", &alice, &body).await.json().await.unwrap();
    let id = event["id"].as_str().unwrap();
    let conversation = app.conversation(&bob, None).await;
    let agenda =
        call(&app, &bob, &conversation, "calendar_agenda", json!({"from": "2030-05-01"})).await;
    assert_eq!(agenda["events"], json!([]), "{agenda}");
    let stream =
        app.chat(&bob, &conversation, &format!("cancel_event {}", json!({"event_id": id}))).await;
    let result = &events(&stream, "tool_result")[0];
    assert!(result.to_string().contains("no such event"), "{result}");
    let stream = app
        .chat(
            &bob,
            &conversation,
            &format!("move_event {}", json!({"event_id": id, "new_start": "2030-05-01T11:00"})),
        )
        .await;
    assert!(events(&stream, "tool_result")[0].to_string().contains("no such event"));
    let still: Value = app.get_as(&format!("/v1/events/{id}"), &alice).await.json().await.unwrap();
    assert_eq!(still["start"]["date_time"], "2030-05-01T10:00:00");
}
