//! Measures what one agent turn costs in rig-agent itself (no HTTP, no database): an agent built
//! per turn on the test model, with one tool, run to its answer; prints turns per second.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

use futures::StreamExt;
use posey_models::testing::TestModel;
use rig_agent::AgentBuilder;
use rig_agent::tool::{DynamicTool, ToolOutput};
use rig_core::message::ToolName;

#[tokio::main]
async fn main() {
    let model = TestModel::new();
    let turns = 3000;
    for (label, stream) in [("prompt", false), ("stream", true)] {
        let start = Instant::now();
        for _ in 0..turns {
            let tool = DynamicTool::new(
                ToolName::new("current_time").unwrap(),
                "now",
                serde_json::json!({"type": "object", "properties": {}}),
                |_| Box::pin(async { Ok(ToolOutput::text("{\"now\":\"x\"}")) }),
            );
            let agent = AgentBuilder::new(model.model())
                .preamble("You tell the time.")
                .dynamic_tools(vec![tool])
                .build();
            if stream {
                let mut items = agent.prompt("What time is it?").max_turns(8).stream();
                while let Some(item) = items.next().await {
                    item.unwrap();
                }
            } else {
                agent.prompt("What time is it?").max_turns(8).await.unwrap();
            }
        }
        let elapsed = start.elapsed();
        println!(
            "{label}: {:.0} turns/s ({:.0} us/turn)",
            turns as f64 / elapsed.as_secs_f64(),
            elapsed.as_micros() as f64 / turns as f64
        );
    }
}
