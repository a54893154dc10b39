//! What dispatching one frame through `Session::handle_frame` costs in each protocol era:
//! 2025-11-25 ("legacy": an initialized session, no `_meta`) beside 2026-07-28 ("modern": the
//! version and capabilities in every request's `_meta`, results finished with `resultType` and
//! `serverInfo`, input gathered by multi round-trip requests with a sealed `requestState`).
//!
//! Every frame is built once, before measuring, and checked to get the reply it is meant to
//! measure; each iteration hands the same bytes to `handle_frame` on a current-thread tokio
//! runtime and drops the reply. Figures are only meaningful as ratios to the legacy bench of the
//! same group, measured in the same run: see benches/README.md.
//!
//! - `cargo bench -p mcp-connector-core --bench dispatch`: criterion, each bench on its own (`to_async`:
//!   one `block_on` per sample, so the runtime's setup is not measured).
//! - `DISPATCH_PAIRED=1 cargo bench -p mcp-connector-core --bench dispatch`: the benches of a group take
//!   turns in short batches and each is divided by its baseline round by round; the ratios to
//!   quote on a machine whose speed drifts.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use mcp_connector_core::jsonrpc::Message;
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::{Extensions, Outbound, Server, Session, Tool};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::mpsc::UnboundedReceiver;

/// How many tools the server has, and so how many `tools/list` returns (one page).
const TOOLS: usize = 50;

/// The answer the client gives to `elicitation/create`, in both eras.
fn accept() -> Value {
    json!({"action": "accept", "content": {"ok": true}})
}

/// `echo` (a trivial tool with a small input schema), `confirm` (asks the user once, then
/// answers) and fillers up to [`TOOLS`] tools, each with a description and a small schema.
fn server() -> Server {
    let schema = json!({
        "type": "object",
        "properties": { "text": { "type": "string" }, "times": { "type": "integer", "minimum": 1 } },
        "required": ["text"],
        "additionalProperties": false
    });
    let mut builder = Server::builder("bench", "1.0.0")
        .title("Dispatch Bench")
        .instructions("A server for benchmarks.")
        // The round-2 frame is sealed once, before measuring; it must outlive the run.
        .request_state_ttl(Duration::from_secs(24 * 3600))
        .tool(Tool::read("echo").description("Echo the text back.").input_schema(schema.clone()).handler(
            |_ctx, args| async move {
                Ok(CallToolResult::text(args.get("text").and_then(Value::as_str).unwrap_or_default()))
            },
        ))
        .tool(Tool::write("confirm").description("Asks before acting.").handler(|ctx, _args| async move {
            let form =
                json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]});
            let answer = ctx.elicit("Really?", form.as_object().cloned().unwrap_or_default()).await?;
            Ok(CallToolResult::text(format!("{:?}", answer.action)))
        }));
    for i in 2..TOOLS {
        builder = builder.tool(
            Tool::read(format!("tool_{i:02}"))
                .description(format!("Filler tool number {i}, listed by tools/list."))
                .input_schema(schema.clone())
                .handler(|_ctx, _args| async move { Ok(CallToolResult::text("ok")) }),
        );
    }
    builder.build().expect("the bench server is valid")
}

/// One connection: a session and the queue its server-to-client messages go to.
struct Peer {
    session: Session,
    outbound: Outbound,
}

impl Peer {
    async fn send(&self, frame: &[u8]) -> Option<Value> {
        self.session.handle_frame(frame, &self.outbound, Extensions::new()).await
    }

    async fn expect(&self, frame: &[u8]) -> Value {
        let reply = self.send(frame).await.expect("a reply");
        assert!(reply.get("error").is_none(), "the bench frame failed: {reply}");
        reply["result"].clone()
    }
}

/// Counted once per measured iteration, for `valgrind --tool=callgrind`: its call count turns a
/// run's instruction total into instructions per request (benches/instructions.sh). It touches
/// an atomic so that the call is not optimised away.
#[inline(never)]
fn iteration() {
    static ITERATIONS: AtomicU64 = AtomicU64::new(0);
    ITERATIONS.fetch_add(1, Ordering::Relaxed);
}

/// The client's side of the connection, in process: answers every server-to-client request
/// (`elicitation/create`) by feeding the response back into the session, as a transport's read
/// loop would. It runs as a task on the same current-thread runtime as the requests.
async fn client(mut rx: UnboundedReceiver<Message>, session: Session, outbound: Outbound) {
    while let Some(message) = rx.recv().await {
        if let Message::Request(request) = message {
            assert_eq!(request.method, "elicitation/create");
            session.handle(Message::response(request.id, accept()), &outbound, Extensions::new()).await;
        }
    }
}

/// A connection whose client answers requests; `legacy` sessions are initialized at
/// 2025-11-25 with the elicitation capability, modern ones see no handshake at all.
fn connect(rt: &Runtime, server: &Server, legacy: bool) -> Peer {
    let (outbound, rx) = Outbound::channel();
    let session = server.session(outbound.clone());
    rt.spawn(client(rx, session.clone(), outbound.clone()));
    let peer = Peer { session, outbound };
    if legacy {
        let init = frame(
            "initialize",
            json!({
                "protocolVersion": "2025-11-25",
                "capabilities": {"elicitation": {}},
                "clientInfo": {"name": "bench-client", "version": "1"}
            }),
        );
        rt.block_on(async {
            let result = peer.expect(&init).await;
            assert_eq!(result["protocolVersion"], "2025-11-25");
            let initialized = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
            assert!(peer.send(initialized).await.is_none());
        });
    }
    peer
}

fn frame(method: &str, params: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).unwrap()
}

/// `params` with the per-request `_meta` a 2026-07-28 client sends: version, capabilities and
/// identity.
fn modern(mut params: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
        "io.modelcontextprotocol/clientInfo": {"name": "bench-client", "version": "1"}
    });
    params
}

/// One bench: a frame, and the connection it is sent on.
struct Case {
    name: &'static str,
    peer: Era,
    frame: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Era {
    Legacy,
    Modern,
}

/// Benches compared with each other; the first is the group's baseline.
struct Group {
    name: &'static str,
    cases: Vec<Case>,
    /// Also report the sum of every case but the baseline (both rounds of a multi round-trip
    /// request, against the one legacy request they replace), under this name.
    total: Option<&'static str>,
}

/// The runtime, the two connections and every bench's frame, each checked to get the reply it
/// is meant to measure.
struct Fixture {
    rt: Runtime,
    legacy: Peer,
    stateless: Peer,
    groups: Vec<Group>,
}

impl Fixture {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let server = server();
        let legacy = connect(&rt, &server, true);
        let stateless = connect(&rt, &server, false);
        let mut groups = Vec::new();

        // 1 and 2: a trivial tool call. The legacy call is the baseline.
        let call = json!({"name": "echo", "arguments": {"text": "hello"}});
        let legacy_call = frame("tools/call", call.clone());
        let modern_call = frame("tools/call", modern(call));
        rt.block_on(async {
            let result = legacy.expect(&legacy_call).await;
            assert_eq!(result, json!({"content": [{"type": "text", "text": "hello"}]}));
            let result = stateless.expect(&modern_call).await;
            assert_eq!(
                (&result["resultType"], &result["content"][0]["text"]),
                (&json!("complete"), &json!("hello"))
            );
        });
        groups.push(Group {
            name: "tools_call",
            cases: vec![
                Case { name: "legacy", peer: Era::Legacy, frame: legacy_call },
                Case { name: "modern", peer: Era::Modern, frame: modern_call },
            ],
            total: None,
        });

        // 3: every tool's definition, one page.
        let legacy_list = frame("tools/list", json!({}));
        let modern_list = frame("tools/list", modern(json!({})));
        rt.block_on(async {
            assert_eq!(legacy.expect(&legacy_list).await["tools"].as_array().map(Vec::len), Some(TOOLS));
            let result = stateless.expect(&modern_list).await;
            assert_eq!(result["tools"].as_array().map(Vec::len), Some(TOOLS));
            assert!(result.get("ttlMs").is_some() && result.get("nextCursor").is_none());
        });
        groups.push(Group {
            name: "tools_list_50",
            cases: vec![
                Case { name: "legacy", peer: Era::Legacy, frame: legacy_list },
                Case { name: "modern", peer: Era::Modern, frame: modern_list },
            ],
            total: None,
        });

        // 4: a tool that asks the user once. Legacy: one request, during which the server sends
        // `elicitation/create` and the in-process client answers it. Modern: round 1 answers
        // `input_required` with a sealed state; round 2 carries the answer and that state (the
        // same bytes every iteration: the server keeps nothing between rounds).
        let ask = json!({"name": "confirm"});
        let legacy_ask = frame("tools/call", ask.clone());
        let round_1 = frame("tools/call", modern(ask));
        let round_2 = rt.block_on(async {
            let done = legacy.expect(&legacy_ask).await;
            assert_eq!(done["content"][0]["text"], "Accept", "{done}");
            let first = stateless.expect(&round_1).await;
            assert_eq!(first["resultType"], "input_required", "{first}");
            let retry = modern(json!({
                "name": "confirm",
                "inputResponses": {"elicitation-1": accept()},
                "requestState": first["requestState"],
            }));
            let round_2 = frame("tools/call", retry);
            let done = stateless.expect(&round_2).await;
            assert_eq!(
                (&done["resultType"], &done["content"][0]["text"]),
                (&json!("complete"), &json!("Accept"))
            );
            round_2
        });
        groups.push(Group {
            name: "elicit",
            cases: vec![
                Case { name: "legacy_in_process", peer: Era::Legacy, frame: legacy_ask },
                Case { name: "modern_round_1", peer: Era::Modern, frame: round_1 },
                Case { name: "modern_round_2", peer: Era::Modern, frame: round_2 },
            ],
            total: Some("modern_both_rounds"),
        });

        // 5: the smallest request of each era (they do different work: discover lists the
        // versions and capabilities, ping returns `{}`).
        let ping = frame("ping", json!({}));
        let discover = frame("server/discover", modern(json!({})));
        rt.block_on(async {
            assert_eq!(legacy.expect(&ping).await, json!({}));
            assert_eq!(stateless.expect(&discover).await["supportedVersions"][0], "2026-07-28");
        });
        groups.push(Group {
            name: "smallest",
            cases: vec![
                Case { name: "legacy_ping", peer: Era::Legacy, frame: ping },
                Case { name: "modern_discover", peer: Era::Modern, frame: discover },
            ],
            total: None,
        });

        Fixture { rt, legacy, stateless, groups }
    }

    fn peer(&self, era: Era) -> &Peer {
        match era {
            Era::Legacy => &self.legacy,
            Era::Modern => &self.stateless,
        }
    }

    /// Wall time of `iterations` sends of `case`'s frame, in one `block_on`.
    fn time(&self, case: &Case, iterations: u32) -> Duration {
        let peer = self.peer(case.peer);
        self.rt.block_on(async {
            let started = Instant::now();
            for _ in 0..iterations {
                black_box(peer.send(black_box(&case.frame)).await);
            }
            started.elapsed()
        })
    }
}

/// Criterion's benches: each case on its own, with criterion's statistics.
fn criterion_benches(c: &mut Criterion, fixture: &Fixture) {
    for group in &fixture.groups {
        let mut benches = c.benchmark_group(group.name);
        for case in &group.cases {
            let peer = fixture.peer(case.peer);
            let frame = case.frame.as_slice();
            benches.bench_function(case.name, |b| {
                b.to_async(&fixture.rt).iter(|| async move {
                    iteration();
                    black_box(peer.send(black_box(frame)).await)
                })
            });
        }
        benches.finish();
    }
}

/// Paired mode (`DISPATCH_PAIRED=1`): the cases of a group take turns, a short batch each, for
/// many rounds; each round's times are divided by the baseline's in the same round. A machine
/// that changes speed for seconds at a time (a shared VM does) slows both sides of a round
/// alike, so the median of these ratios holds still where separately timed benches do not.
fn paired(fixture: &Fixture) {
    const ROUNDS: usize = 1500;
    const BATCH: Duration = Duration::from_micros(500);
    println!("{:<34} {:>12} {:>8} {:>17}", "bench", "median", "ratio", "ratio p25..p75");
    for group in &fixture.groups {
        // Batch sizes so that each batch takes about BATCH, warming up on the way.
        let batches: Vec<u32> = group
            .cases
            .iter()
            .map(|case| {
                for _ in 0..3 {
                    fixture.time(case, 100);
                }
                let each = fixture.time(case, 100) / 100;
                (BATCH.as_nanos() / each.as_nanos().max(1)).clamp(1, 100_000) as u32
            })
            .collect();
        // ns per iteration, per case and round; the order flips every round.
        let mut times = vec![Vec::with_capacity(ROUNDS); group.cases.len()];
        for round in 0..ROUNDS {
            let mut order: Vec<usize> = (0..group.cases.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                let elapsed = fixture.time(&group.cases[i], batches[i]);
                times[i].push(elapsed.as_nanos() as f64 / f64::from(batches[i]));
            }
        }
        let mut rows: Vec<(String, Vec<f64>)> = group
            .cases
            .iter()
            .zip(&times)
            .map(|(case, t)| (format!("{}/{}", group.name, case.name), t.clone()))
            .collect();
        if let Some(total) = group.total {
            let sum = (0..ROUNDS).map(|r| times[1..].iter().map(|t| t[r]).sum()).collect();
            rows.push((format!("{}/{total}", group.name), sum));
        }
        let baseline = &times[0];
        for (name, t) in rows {
            let ratios: Vec<f64> = t.iter().zip(baseline).map(|(x, b)| x / b).collect();
            println!(
                "{name:<34} {:>9.0} ns {:>7.2}× {:>8.2}..{:<6.2}",
                quantile(&t, 0.5),
                quantile(&ratios, 0.5),
                quantile(&ratios, 0.25),
                quantile(&ratios, 0.75)
            );
        }
    }
}

fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let fixture = Fixture::new();
    if std::env::var_os("DISPATCH_PAIRED").is_some() {
        paired(&fixture);
        return;
    }
    // What `criterion_group!` and `criterion_main!` expand to, around a fixture built once.
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion, &fixture);
    criterion.final_summary();
}
