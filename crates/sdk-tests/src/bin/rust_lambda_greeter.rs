//! A Lambda function on AWS's Rust runtime client (`lambda_runtime`): it
//! greets `name`, and fails with a typed error when asked to.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    if payload.get("fail").is_some() {
        return Err("the caller asked for a failure".into());
    }
    let name = payload
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("world");
    println!("greeting {name}");
    Ok(json!({
        "greeting": format!("Hello, {name}!"),
        "requestId": context.request_id,
        "function": std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
